package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/testutil"
)

// fixtureScanner reads the hybrid-host fixture tree.
func fixtureScanner() *inspect.Scanner {
	root := filepath.Join("..", "testdata", "hybridhost")
	return inspect.New(inspect.ProcRoot(filepath.Join(root, "proc")), inspect.SysRoot(filepath.Join(root, "sys")))
}

// pipeHost is a Source whose every connection is a new in-process agent
// (as every ssh connection starts a new one) sharing one ledger, with the
// host's ops built by ops.
type pipeHost struct {
	src   *Source
	mu    sync.Mutex
	kills []func()
	dials int
}

func newPipeHost(t *testing.T, ledger *Ledger, stall string, ops func() *HostOps) *pipeHost {
	t.Helper()
	h := &pipeHost{src: NewSource(&Dialer{}, Target{Host: "pipe"})}
	h.src.dial = func(context.Context) (*Conn, error) {
		c, kill := pipeAgentKill(t, &Agent{Ledger: ledger, Ops: ops().Handlers(), StallFile: stall})
		h.mu.Lock()
		h.kills = append(h.kills, kill)
		h.dials++
		h.mu.Unlock()
		return c, nil
	}
	t.Cleanup(h.src.Close)
	return h
}

// cut drops the current connection.
func (h *pipeHost) cut() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.kills[len(h.kills)-1]()
}

// normal is a snapshot's JSON without what differs between two scans of
// one fixture: the time, the scan's duration and the scanner's PID.
func normal(t *testing.T, snap *inspect.Snapshot) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	if err := snap.WriteJSONCompact(&buf); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "time")
	delete(m, "scan_duration_ns")
	delete(m["host"].(map[string]any), "self_pid")
	return m
}

// TestSourceScan: a snapshot through the agent is the scanner's own, and
// what a namespace holds is read on the agent's side.
func TestSourceScan(t *testing.T) {
	h := newPipeHost(t, NewLedger(t.TempDir()), "", func() *HostOps { return &HostOps{Scanner: fixtureScanner()} })
	ctx := context.Background()
	got, err := h.src.Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, err := fixtureScanner().Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(normal(t, want), normal(t, got)); diff != "" {
		t.Errorf("snapshot through the agent (-local +remote):\n%s", diff)
	}
	if h.src.Lost() != "" || h.src.Host() != "pipe" {
		t.Errorf("Lost %q, Host %q", h.src.Lost(), h.src.Host())
	}
	ns := got.Namespaces[0].ID
	if _, err := h.src.NamespaceContent(ctx, got, ns); err != nil && strings.Contains(err.Error(), "not a snapshot") {
		t.Errorf("NamespaceContent of the scanned snapshot: %v", err)
	}
	if _, err := h.src.NamespaceContent(ctx, want, ns); err == nil {
		t.Error("NamespaceContent of a snapshot the source did not take succeeded")
	}
}

// TestDeltaRoundTrip: a counter refresh sent as a delta, through JSON,
// rebuilds the agent's refreshed snapshot.
func TestDeltaRoundTrip(t *testing.T) {
	prev, err := fixtureScanner().Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	next := *prev
	next.Time = prev.Time.Add(time.Second)
	next.Processes = append([]inspect.Process(nil), prev.Processes...)
	next.Processes[1].UTimeUS += 12345
	next.Processes[1].State = "R"
	next.Processes[len(next.Processes)-1].RSSBytes += 4096
	next.Cgroups = append([]inspect.Cgroup(nil), prev.Cgroups...)
	var cg int
	for i := range next.Cgroups {
		if next.Cgroups[i].Usage.CPUUsageUS != nil {
			cg = i
			break
		}
	}
	u := *next.Cgroups[cg].Usage.CPUUsageUS + 777
	next.Cgroups[cg].Usage.CPUUsageUS = &u
	d := delta(prev, &next)
	if len(d.Processes) != 2 || len(d.Cgroups) != 1 {
		t.Fatalf("delta has %d processes and %d cgroups, want 2 and 1", len(d.Processes), len(d.Cgroups))
	}
	var wired refreshReply
	if err := unpackJSON(pack(wireJSON(d)), &wired); err != nil {
		t.Fatal(err)
	}
	got := applyDelta(prev, wired)
	if diff := cmp.Diff(normal(t, &next), normal(t, got)); diff != "" {
		t.Errorf("rebuilt refresh (-agent +client):\n%s", diff)
	}
	if !got.Time.Equal(next.Time) || got.Process(next.Processes[1].PID).UTimeUS != next.Processes[1].UTimeUS {
		t.Errorf("the rebuilt snapshot's index does not find the refreshed values")
	}
}

// fakeOps is a host whose cgroups are a fake unified cgroupfs with /app.
func fakeOps(t *testing.T) func() *HostOps {
	fsys, layout := control.NewFakeHost(inspect.CgroupUnified)
	fsys.AddCgroup(layout, "/app")
	journal := t.TempDir()
	return func() *HostOps {
		return &HostOps{
			Scanner: fixtureScanner(),
			NewEditor: func() (*control.Editor, error) {
				return control.New(layout, control.WithFS(fsys), control.WithJournalDir(journal)), nil
			},
		}
	}
}

// TestEditorOverPipes: plans, applies, the journal and undo through the
// agent, as the TUI uses them.
func TestEditorOverPipes(t *testing.T) {
	testutil.CheckLeaks(t)
	h := newPipeHost(t, NewLedger(t.TempDir()), "", fakeOps(t))
	ctx := context.Background()
	ed, err := h.src.Editor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	target, err := control.ResolveTarget(ed.Layout(), "/app")
	if err != nil {
		t.Fatal(err)
	}
	l, err := control.ParseLimits("", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.SetFile("pids.max", "64"); err != nil {
		t.Fatal(err)
	}
	p, err := ed.Plan(target, l)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Writes) != 1 || p.Writes[0].File != "pids.max" || p.Writes[0].New != "64" || p.Writes[0].Old != "max" {
		t.Fatalf("plan %+v", p.Writes)
	}
	res, err := ed.Apply(ctx, p)
	if err != nil || len(res.Writes) != 1 || !res.Writes[0].Done || res.Writes[0].After != "64" {
		t.Fatalf("Apply = %+v, %v", res, err)
	}
	if _, err := ed.Apply(ctx, p); err == nil {
		t.Error("a plan applied twice: the second Apply succeeded")
	}
	// A raw file of the other version is refused by name, as here.
	bad, _ := control.ParseLimits("", "", "")
	if err := bad.SetFile("cpu.shares", "512"); err != nil {
		t.Fatal(err)
	}
	if _, err := ed.Plan(target, bad); err == nil || !strings.Contains(err.Error(), "cpu.shares is a cgroup v1 file") {
		t.Errorf("cpu.shares on a v2 host: %v, want the version refusal", err)
	}
	undo, err := ed.PlanUndoMatching(control.UndoFilter{Cgroup: "/app"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := ed.ApplyUndo(ctx, undo); err != nil || res.Writes[0].After != "max" {
		t.Fatalf("ApplyUndo = %+v, %v", res, err)
	}
	if ed.User() == "" {
		t.Error("the agent's editor names no user")
	}
	fp, err := ed.PlanFreeze(target, true)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := ed.ApplyFreeze(ctx, fp); err != nil || res.Writes[0].After != "frozen" {
		t.Fatalf("ApplyFreeze = %+v, %v", res, err)
	}
	changes, err := ed.Changes()
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, c := range changes {
		actions = append(actions, c.Action)
	}
	if diff := cmp.Diff([]string{"set", "undo", "freeze"}, actions); diff != "" {
		t.Errorf("journal actions (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(ed.JournalPath(), "pipe:") {
		t.Errorf("JournalPath %q does not name the host", ed.JournalPath())
	}
}

// TestEditorConnectionLostMidApply: the connection drops after the agent
// applied a change and before its reply. Apply gets the recorded outcome
// on a new connection; the change was made once.
func TestEditorConnectionLostMidApply(t *testing.T) {
	stall := filepath.Join(t.TempDir(), "stall")
	h := newPipeHost(t, NewLedger(t.TempDir()), stall, fakeOps(t))
	ctx := context.Background()
	ed, err := h.src.Editor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	target, _ := control.ResolveTarget(ed.Layout(), "/app")
	p, err := ed.PlanFreeze(target, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stall, []byte("reply"), 0o600); err != nil {
		t.Fatal(err)
	}
	type applied struct {
		res *control.Result
		err error
	}
	done := make(chan applied, 1)
	go func() {
		res, err := ed.ApplyFreeze(ctx, p)
		done <- applied{res, err}
	}()
	testutil.WaitFor(t, "the agent stalled before its reply", func() bool {
		_, err := os.Stat(stall + ".reached")
		return err == nil
	})
	h.cut()
	os.Remove(stall)
	got := <-done
	if got.err != nil || got.res == nil || got.res.Writes[0].After != "frozen" {
		t.Fatalf("ApplyFreeze across a lost connection = %+v, %v; want the recorded result", got.res, got.err)
	}
	changes, err := ed.Changes()
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 {
		t.Errorf("the journal holds %d changes, want the one freeze", len(changes))
	}
	if h.dials < 2 {
		t.Errorf("%d connections: the outcome was not fetched on a new one", h.dials)
	}
}

// TestEditorPlanOfALostConnection: a plan made before the connection
// dropped is not applied by the next agent (it does not have it):
// nothing changes and the message says to plan again.
func TestEditorPlanOfALostConnection(t *testing.T) {
	h := newPipeHost(t, NewLedger(t.TempDir()), "", fakeOps(t))
	ctx := context.Background()
	ed, err := h.src.Editor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	target, _ := control.ResolveTarget(ed.Layout(), "/app")
	p, err := ed.PlanFreeze(target, true)
	if err != nil {
		t.Fatal(err)
	}
	h.cut()
	testutil.WaitFor(t, "the source to see the loss", func() bool { return h.src.Lost() != "" })
	h.src.mu.Lock()
	h.src.retryAt = time.Time{}
	h.src.mu.Unlock()
	_, err = ed.ApplyFreeze(ctx, p)
	if err == nil || !strings.Contains(err.Error(), "plan it again") {
		t.Errorf("applying a plan of a lost connection: %v, want a refusal saying to plan again", err)
	}
	changes, _ := ed.Changes()
	if len(changes) != 0 {
		t.Errorf("the journal holds %+v, want nothing", changes)
	}
}
