package remote

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/internal/testutil"
	"github.com/nscope/nscope/remote/wire"
)

// pipeAgent serves a on in-process pipes and returns a client
// connection to it; both end with the test.
func pipeAgent(t *testing.T, a *Agent) *Conn {
	t.Helper()
	c, _ := pipeAgentKill(t, a)
	return c
}

// pipeAgentKill is pipeAgent with a function that cuts the pipes, as a
// dropped network would.
func pipeAgentKill(t *testing.T, a *Agent) (*Conn, func()) {
	t.Helper()
	cr, aw := io.Pipe()
	ar, cw := io.Pipe()
	served := make(chan error, 1)
	go func() {
		served <- a.Serve(ar, aw)
		aw.Close()
	}()
	hello := wire.NewHello(wire.RoleClient)
	if err := wire.WriteFrame(cw, wire.Frame{Type: wire.Hello, Payload: hello.Marshal()}); err != nil {
		t.Fatal(err)
	}
	f, err := wire.ReadFrame(cr)
	if err != nil {
		t.Fatal(err)
	}
	peer, err := wire.ParseHello(f.Payload)
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan struct{})
	c := &Conn{Target: Target{Host: "pipe"}, Peer: peer, m: newMux(cr, cw, nil), stdin: cw, stderr: &tailBuffer{max: 1}, waited: waited}
	go func() {
		<-served
		close(waited)
	}()
	t.Cleanup(func() { c.Close() })
	kill := func() {
		cw.CloseWithError(io.ErrClosedPipe)
		cr.CloseWithError(io.ErrClosedPipe)
		aw.CloseWithError(io.ErrClosedPipe)
		ar.CloseWithError(io.ErrClosedPipe)
	}
	return c, kill
}

// collected is what an exec stream delivered.
type collected struct {
	Stdout, Stderr string
	Code           int
	Replayed       bool
}

func collect(t *testing.T, run func(ExecIO, *written) (outcome, error)) (collected, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	o, err := run(ExecIO{Stdout: &out, Stderr: &errOut}, &written{})
	return collected{out.String(), errOut.String(), o.code, o.replayed}, err
}

// fakeNscope writes a script that stands in for nscope: it counts its
// runs in dir/runs, prints its arguments and exits 3.
func fakeNscope(t *testing.T, dir string) string {
	t.Helper()
	script := filepath.Join(dir, "fake-nscope")
	body := "#!/bin/sh\necho run >> " + filepath.Join(dir, "runs") + "\necho \"did $*\"\necho warned >&2\nexit 3\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script
}

// TestAgentNeverRunsAnIDTwice: a request sent twice with one ID runs
// once; the second gets the recorded outcome, as does a result query;
// an ID never sent has no record.
func TestAgentNeverRunsAnIDTwice(t *testing.T) {
	testutil.CheckLeaks(t)
	dir := t.TempDir()
	a := &Agent{Exe: fakeNscope(t, dir), Ledger: NewLedger(filepath.Join(dir, "ledger"))}
	c := pipeAgent(t, a)
	ctx := context.Background()
	req := wire.RequestMsg{Op: wire.OpExec, ID: NewID(), Exec: &wire.ExecRequest{Args: []string{"set", "/app", "--pids=5"}, Once: true}}
	want := collected{Stdout: "did set /app --pids=5\n", Stderr: "warned\n", Code: 3}
	for i, replayed := range []bool{false, true} {
		got, err := collect(t, func(eio ExecIO, w *written) (outcome, error) { return c.exec(ctx, req, eio, w) })
		if err != nil {
			t.Fatal(err)
		}
		want.Replayed = replayed
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("exec #%d (-want +got):\n%s", i+1, diff)
		}
	}
	got, err := collect(t, func(eio ExecIO, w *written) (outcome, error) { return c.fetch(ctx, req.ID, eio, w) })
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result query (-want +got):\n%s", diff)
	}
	runs, _ := os.ReadFile(filepath.Join(dir, "runs"))
	if n := strings.Count(string(runs), "run"); n != 1 {
		t.Errorf("the command ran %d times for one ID, want once", n)
	}
	_, err = collect(t, func(eio ExecIO, w *written) (outcome, error) { return c.fetch(ctx, NewID(), eio, w) })
	var em *wire.ErrorMsg
	if !errors.As(err, &em) || em.Code != wire.CodeNoRecord {
		t.Errorf("result of an ID never sent: %v, want %s", err, wire.CodeNoRecord)
	}
}

// TestAgentReplaySkipsWhatWasWritten: the replay after a reconnect
// writes only the output not written before.
func TestAgentReplaySkipsWhatWasWritten(t *testing.T) {
	dir := t.TempDir()
	a := &Agent{Exe: fakeNscope(t, dir), Ledger: NewLedger(filepath.Join(dir, "ledger"))}
	c := pipeAgent(t, a)
	ctx := context.Background()
	req := wire.RequestMsg{Op: wire.OpExec, ID: NewID(), Exec: &wire.ExecRequest{Args: []string{"kill", "/app"}, Once: true}}
	if _, err := collect(t, func(eio ExecIO, w *written) (outcome, error) { return c.exec(ctx, req, eio, w) }); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := written{stdout: len("did kill")}
	if _, err := c.fetch(ctx, req.ID, ExecIO{Stdout: &out, Stderr: io.Discard}, &w); err != nil {
		t.Fatal(err)
	}
	if out.String() != " /app\n" {
		t.Errorf("replay after 8 bytes were written wrote %q, want the rest %q", out.String(), " /app\n")
	}
}

// TestAgentRefusesWithoutLedger: a change is not carried out when it
// cannot be recorded first.
func TestAgentRefusesWithoutLedger(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "not-a-dir")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	a := &Agent{Exe: fakeNscope(t, dir), Ledger: NewLedger(filepath.Join(file, "ledger"))}
	c := pipeAgent(t, a)
	req := wire.RequestMsg{Op: wire.OpExec, ID: NewID(), Exec: &wire.ExecRequest{Args: []string{"set"}, Once: true}}
	_, err := collect(t, func(eio ExecIO, w *written) (outcome, error) { return c.exec(context.Background(), req, eio, w) })
	if err == nil || !strings.Contains(err.Error(), "not carried out") {
		t.Errorf("exec with an unwritable ledger: %v, want a refusal", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "runs")); err == nil {
		t.Error("the command ran although it could not be recorded")
	}
}

func TestExecEnv(t *testing.T) {
	tests := []struct {
		name         string
		base, client []string
		want         []string
	}{
		{"terminal and locale replace", []string{"PATH=/bin", "TERM=dumb", "LANG=C"}, []string{"TERM=xterm-256color", "LC_ALL=de_DE.UTF-8"}, []string{"PATH=/bin", "LANG=C", "TERM=xterm-256color", "LC_ALL=de_DE.UTF-8"}},
		{"others refused", []string{"PATH=/bin"}, []string{"PATH=/tmp/evil", "LD_PRELOAD=/tmp/x.so", "NSCOPE_STATE_DIR=/tmp", "LC_=x", "TERM"}, []string{"PATH=/bin"}},
		{"no NUL", nil, []string{"TERM=a\x00b"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, execEnv(tc.base, tc.client)); diff != "" {
				t.Errorf("execEnv (-want +got):\n%s", diff)
			}
		})
	}
}
