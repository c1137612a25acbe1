package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/sshtest"
	"github.com/nscope/nscope/internal/testutil"
)

// TestEndToEndRemote runs the binary as "nscope -H HOST" against a real
// sshd on this machine: the status line names the host; a pids limit set
// in the TUI lands in the remote's cgroup and journal; when the
// connection is lost and the host stops answering, the last snapshot
// stays, the status line says so and changes are refused; when the host
// answers again the TUI reconnects; after q no agent is left.
func TestEndToEndRemote(t *testing.T) {
	bin := buildBinary(t)
	state := t.TempDir()
	srv := sshtest.Start(t, sshtest.Options{Env: []string{"NSCOPE_STATE_DIR=" + state}})
	layout, err := inspect.DetectCgroupLayout("/proc", "/sys")
	if err != nil || layout.ForController("pids") == nil || layout.ForController("pids").Version != 1 {
		t.Skip("needs the v1 pids controller (this machine's hybrid layout)")
	}
	pids := layout.ForController("pids")
	name := testutil.UniqueName("nscope-tui-remote")
	rel := filepath.Join(testutil.OwnCgroups(t)[pids.ID], name)
	dir := filepath.Join(pids.Mount, rel)
	testutil.MakeCgroup(t, dir)

	tm := newTmuxTerm(t, 160, 40)
	tm.sendText("NSCOPE_SSH_COMMAND='" + srv.SSHCommand + "' NSCOPE_REMOTE_BINARY=" + bin + " " + bin + " -H " + srv.Target() + " --interval 500ms")
	tm.send("Enter")
	tm.waitFor("the remote host in the status line", func(s string) bool {
		return strings.Contains(s, srv.Target()+" · cgroup hybrid") && strings.Contains(s, "updated")
	})

	tm.send("3")
	tm.send("/")
	tm.sendText(name)
	tm.send("Enter")
	tm.waitText("─ cgroup " + rel)
	tm.send("p")
	tm.waitText("new pids limit")
	tm.sendText("42")
	tm.send("Enter")
	tm.waitText("This writes, in order")
	tm.send("y")
	tm.waitText("journaled as")
	if got := readTrimmed(t, filepath.Join(dir, "pids.max")); got != "42" {
		t.Fatalf("pids.max = %s after the TUI's change over -H, want 42", got)
	}
	changes, err := control.NewJournal(state).Changes()
	if err != nil || len(changes) != 1 || changes[0].Cgroup != rel {
		t.Fatalf("the remote journal holds %+v (%v), want the set of %s", changes, err, rel)
	}
	tm.send("Enter")
	tm.waitFor("the dialog to close and a full scan with the new limit", func(s string) bool {
		return !strings.Contains(s, "journaled as") && strings.Contains(s, "pids.max    42")
	})

	// The host stops answering and the connection drops.
	srv.Pause()
	paused := true
	defer func() {
		if paused {
			srv.Resume()
		}
	}()
	srv.KillSessions()
	s := tm.waitText("connection lost · read-only")
	if !strings.Contains(s, "read-only") || !strings.Contains(s, name) {
		t.Errorf("while the connection is lost, the status line says read-only and the last snapshot stays:\n%s", s)
	}
	tm.send("p")
	tm.waitText("is lost: the last snapshot is shown read-only")
	srv.Resume()
	paused = false
	deadline := time.Now().Add(45 * time.Second)
	for {
		s := tm.screen()
		if !strings.Contains(s, "connection lost") && strings.Contains(s, "updated") && strings.Contains(s, srv.Target()+" · cgroup hybrid · root") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the TUI did not reconnect:\n%s", s)
		}
		time.Sleep(100 * time.Millisecond)
	}
	tm.send("q")
	checkRestored(t, tm)
	testutil.WaitFor(t, "no ssh session (and so no agent) left", func() bool { return len(srv.Sessions()) == 0 })
}

func readTrimmed(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// TestEndToEndFleet runs "nscope -H a,b,c" in tmux: two names of a real
// sshd answer, a host that never answers is shown unreachable within the
// timeout while the others are listed; enter opens a host's view, q
// comes back, q quits and no session is left.
func TestEndToEndFleet(t *testing.T) {
	bin := buildBinary(t)
	srv := sshtest.Start(t, sshtest.Options{Env: []string{"NSCOPE_STATE_DIR=" + t.TempDir()}})
	silent := "localhost:" + itoa(sshtest.Silent(t))
	other := "127.0.0.1:" + itoa(srv.Port)
	tm := newTmuxTerm(t, 160, 40)
	tm.sendText("NSCOPE_SSH_COMMAND='" + srv.SSHCommand + "' NSCOPE_REMOTE_BINARY=" + bin + " " + bin + " -H " + srv.Target() + "," + other + "," + silent + " --connect-timeout 10s")
	tm.send("Enter")
	// A loaded machine (make test runs packages side by side) may take
	// a few tries to connect and scan both.
	s := tm.waitForWithin(time.Minute, "both answering hosts and the silent one", func(s string) bool {
		return strings.Contains(s, "2 answering") && strings.Contains(s, silent) && strings.Contains(fleetRow(s, silent), "unreachable")
	})
	for _, h := range []string{srv.Target(), other} {
		if row := fleetRow(s, h); !strings.Contains(row, " ok ") || !strings.Contains(row, "cgroup hybrid") {
			t.Errorf("%s's row: %q", h, row)
		}
	}
	tm.send("Enter")
	tm.waitFor("the first host's own view", func(s string) bool {
		return strings.Contains(s, srv.Target()+" · cgroup hybrid") && strings.Contains(s, "1 Namespaces")
	})
	tm.send("q")
	tm.waitText("nscope fleet")
	tm.send("q")
	checkRestored(t, tm)
	testutil.WaitFor(t, "no ssh session left", func() bool { return len(srv.Sessions()) == 0 })
}

// fleetRow is the fleet screen's line of host h.
func fleetRow(screen, h string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), h+" ") {
			return l
		}
	}
	return ""
}

// waitLong is tmuxTerm.waitFor with two minutes instead of 15 s, for a
// guest under emulation.
func waitLong(t *testing.T, tm *tmuxTerm, what string, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		s := tm.screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s; the screen is:\n%s", what, s)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
