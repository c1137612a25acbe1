package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/testutil"
)

// remoteTestCgroup makes a v1 pids cgroup beneath this test's own and
// returns its path as nscope names it and its directory.
func remoteTestCgroup(t *testing.T) (string, string) {
	t.Helper()
	layout, err := inspect.DetectCgroupLayout("/proc", "/sys")
	if err != nil {
		t.Fatal(err)
	}
	h := layout.ForController("pids")
	if h == nil || h.Version != 1 {
		t.Skip("needs the v1 pids controller (this machine's hybrid layout)")
	}
	rel := filepath.Join(testutil.OwnCgroups(t)[h.ID], testutil.UniqueName("nscope-remote"))
	dir := filepath.Join(h.Mount, rel)
	testutil.MakeCgroup(t, dir)
	return rel, dir
}

// remoteJournal reads the remote's journal (this machine's state
// directory of the sshd sessions).
func remoteJournal(t *testing.T, state string) []control.Change {
	t.Helper()
	changes, err := control.NewJournal(state).Changes()
	if err != nil {
		t.Fatal(err)
	}
	return changes
}

// TestRemoteSetAndUndo: set and undo over -H change and restore a real
// cgroup, and both land in the remote's journal, which history over -H
// shows.
func TestRemoteSetAndUndo(t *testing.T) {
	h := startRemoteHost(t)
	rel, dir := remoteTestCgroup(t)
	res := h.remote(t, "", "set", rel, "--pids", "57", "--yes")
	if res.code != 0 || !strings.Contains(res.stdout, "pids.max: max → 57") {
		t.Fatalf("set over -H: exit %d\nstdout %s\nstderr %s", res.code, res.stdout, res.stderr)
	}
	if got := readTrim(t, filepath.Join(dir, "pids.max")); got != "57" {
		t.Fatalf("pids.max = %s after set over -H, want 57", got)
	}
	res = h.remote(t, "", "undo", rel, "--yes")
	if res.code != 0 || !strings.Contains(res.stdout, "pids.max: 57 → max") {
		t.Fatalf("undo over -H: exit %d\nstdout %s\nstderr %s", res.code, res.stdout, res.stderr)
	}
	if got := readTrim(t, filepath.Join(dir, "pids.max")); got != "max" {
		t.Fatalf("pids.max = %s after undo over -H, want max", got)
	}
	changes := remoteJournal(t, h.state)
	if len(changes) != 2 || changes[0].Action != "set" || changes[1].Action != "undo" || changes[1].Undoes != changes[0].ID {
		t.Fatalf("the remote journal holds %+v, want the set and its undo", changes)
	}
	hist := h.remote(t, "", "history", rel)
	if hist.code != 0 || !strings.Contains(hist.stdout, "max → 57") || !strings.Contains(hist.stdout, "57 → max") {
		t.Errorf("history over -H:\n%s%s", hist.stdout, hist.stderr)
	}
}

// startStalled starts nscope -H with args while the agent is told to
// stall at point, and waits until it does.
func startStalled(t *testing.T, h *remoteHost, stall, point string, args ...string) (*exec.Cmd, *strings.Builder, *strings.Builder) {
	t.Helper()
	if err := os.WriteFile(stall, []byte(point), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nscopeBinary(t), append([]string{"-H", h.target}, args...)...)
	cmd.Env = append(append(os.Environ(), "NSCOPE_STATE_DIR="+h.state), h.env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	testutil.WaitFor(t, "the agent at its stall point "+point, func() bool {
		_, err := os.Stat(stall + ".reached")
		return err == nil
	})
	return cmd, &stdout, &stderr
}

// TestRemoteSetConnectionKilled: the connection is killed after the
// remote applied a set and before its result came back. nscope
// reconnects and prints the result the agent recorded, exactly once,
// and the journal holds one change: nothing was applied twice.
func TestRemoteSetConnectionKilled(t *testing.T) {
	stall := filepath.Join(t.TempDir(), "stall")
	h := startRemoteHost(t, "NSCOPE_AGENT_TEST_STALL="+stall)
	rel, dir := remoteTestCgroup(t)
	cmd, stdout, stderr := startStalled(t, h, stall, "exit", "set", rel, "--pids", "61", "--yes")
	if got := readTrim(t, filepath.Join(dir, "pids.max")); got != "61" {
		t.Fatalf("pids.max = %s at the stall, want 61 (applied before the result was sent)", got)
	}
	if n := h.srv.KillSessions(); n == 0 {
		t.Fatal("no ssh session to kill")
	}
	if err := os.Remove(stall); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("set over a killed connection: %v\nstdout %s\nstderr %s", err, stdout, stderr)
	}
	if n := strings.Count(stdout.String(), "pids.max: max → 61"); n != 1 {
		t.Errorf("the result is printed %d times, want once:\n%s", n, stdout)
	}
	changes := remoteJournal(t, h.state)
	if len(changes) != 1 || changes[0].Action != "set" || changes[0].Status() != "ok" {
		t.Errorf("the remote journal holds %+v, want one applied set", changes)
	}
}

// TestRemoteSetOutcomeUnknown: the connection and the agent die after
// the set was applied and before its outcome was recorded. nscope says
// the outcome is unknown (exit 255), with what output did arrive,
// instead of reporting success or running it again; the remote journal has the change, and history over
// -H shows it.
func TestRemoteSetOutcomeUnknown(t *testing.T) {
	stall := filepath.Join(t.TempDir(), "stall")
	h := startRemoteHost(t, "NSCOPE_AGENT_TEST_STALL="+stall)
	rel, _ := remoteTestCgroup(t)
	cmd, stdout, stderr := startStalled(t, h, stall, "record", "set", rel, "--pids", "63", "--yes")
	agents := agentPIDs(h)
	if len(agents) == 0 {
		t.Fatal("no agent found under the ssh session")
	}
	for _, pid := range agents {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	h.srv.KillSessions()
	os.Remove(stall)
	err := cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitUnreachable || !strings.Contains(stderr.String(), "outcome is unknown") {
		t.Fatalf("set whose agent died: %v\nstdout %s\nstderr %s\nwant exit 255 saying the outcome is unknown", err, stdout, stderr)
	}
	changes := remoteJournal(t, h.state)
	if len(changes) != 1 || changes[0].Status() != "ok" {
		t.Errorf("the remote journal holds %+v, want the one set, complete", changes)
	}
	hist := h.remote(t, "", "history", rel)
	if !strings.Contains(hist.stdout, "max → 63") {
		t.Errorf("history over -H does not show the set:\n%s%s", hist.stdout, hist.stderr)
	}
}

// TestRemoteScanConnectionKilled: a read command whose connection is
// killed before it printed anything runs again on a new connection; its
// output is the local one.
func TestRemoteScanConnectionKilled(t *testing.T) {
	stall := filepath.Join(t.TempDir(), "stall")
	h := startRemoteHost(t, "NSCOPE_AGENT_TEST_STALL="+stall)
	args := absFixtureArgs(t, "ps", "--tree")
	cmd, stdout, stderr := startStalled(t, h, stall, "output", args...)
	h.srv.KillSessions()
	os.Remove(stall)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ps over a killed connection: %v\nstderr %s", err, stderr)
	}
	local := h.run(t, "", nil, args...)
	if stdout.String() != local.stdout {
		t.Errorf("ps --tree over a killed connection printed\n%s\nwant\n%s", stdout, local.stdout)
	}
}

// agentPIDs are the agents the server's sessions run.
func agentPIDs(h *remoteHost) []int {
	var out []int
	var walk func(pid int)
	walk = func(pid int) {
		for _, c := range testutil.Children(pid) {
			if data, err := os.ReadFile("/proc/" + strconv.Itoa(c) + "/cmdline"); err == nil && strings.Contains(string(data), "agent") && !strings.Contains(string(data), "sshd") {
				out = append(out, c)
				continue
			}
			walk(c)
		}
	}
	walk(h.srv.PID)
	return out
}

func readTrim(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}
