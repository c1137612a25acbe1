package tui

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/testutil"
)

// TestEndToEndLiveEvents runs the binary on this host in live mode and changes
// the host under it: a process started, exec'd and exited, a v1 freezer
// cgroup frozen and thawed, an OOM kill under a v1 memory limit each
// show without a key press, with a refresh interval of an hour (so only
// the events can show them); under fork churn in a pids-limited cgroup
// the TUI answers keys and its memory stays bounded. The test asserts
// what the screen shows, not how fast.
func TestEndToEndLiveEvents(t *testing.T) {
	testutil.RequireRoot(t, "live mode needs the BPF process events, and the test makes cgroups")
	layout, err := inspect.DetectCgroupLayout("/proc", "/sys")
	if err != nil {
		t.Skipf("no cgroup layout: %v", err)
	}
	bin := buildBinary(t)
	t.Run("processes", func(t *testing.T) { testLiveProcesses(t, bin) })
	t.Run("freeze", func(t *testing.T) { testLiveFreeze(t, bin, layout) })
	t.Run("oom", func(t *testing.T) { testLiveOOM(t, bin, layout) })
	t.Run("churn", func(t *testing.T) { testLiveChurn(t, bin, layout) })
}

// startLive runs the binary in tmux with args (replacing the shell, so
// the pane's process is nscope) and waits until live mode runs.
func startLive(t *testing.T, bin, args string) *tmuxTerm {
	t.Helper()
	tm := newTmuxTerm(t, 160, 45)
	tm.sendText("exec " + bin + " " + args)
	tm.send("Enter")
	// Opening the stream scans /proc first: on a loaded host with
	// thousands of processes that takes longer than waitFor waits.
	var s string
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		s = tm.screen()
		if strings.Contains(s, "live · updated") || strings.Contains(s, "live, busy host") || strings.Contains(s, "live events off") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("live mode did not start; the screen is:\n%s", s)
		}
	}
	if strings.Contains(s, "live events off") {
		t.Skipf("live events are off on this host:\n%s", s)
	}
	return tm
}

// testCgroup makes a cgroup named name beneath this test's own in the
// v1 hierarchy of controller, removed at the end; it returns its
// directory and its path inside the hierarchy.
func liveTestCgroup(t *testing.T, layout inspect.CgroupLayout, controller, name string) (dir, rel string) {
	t.Helper()
	h := layout.ForController(controller)
	if h == nil || h.Version != 1 {
		t.Skipf("needs the v1 %s hierarchy (this host is %s)", controller, layout.Mode)
	}
	rel = filepath.Join(testutil.OwnCgroups(t)[h.ID], name)
	dir = filepath.Join(h.Mount, rel)
	testutil.MakeCgroup(t, dir)
	return dir, rel
}

// gated starts sh -c script in its own process group, killed at the
// end; the script should start with "read x" to wait for release.
func gated(t *testing.T, script string) (pid int, release func()) {
	t.Helper()
	pid, _, release = gatedCmd(t, script)
	return pid, release
}

func gatedCmd(t *testing.T, script string) (pid int, cmd *exec.Cmd, release func()) {
	t.Helper()
	cmd = exec.Command("sh", "-c", script)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	pid = testutil.StartGroup(t, cmd)
	return pid, cmd, func() {
		t.Helper()
		if _, err := stdin.Write([]byte("go\n")); err != nil {
			t.Fatal(err)
		}
	}
}

// rowOf returns the line of the process view that shows pid.
func rowOf(screen string, pid int) string {
	prefix := fmt.Sprintf("%7d ", pid)
	for _, l := range strings.Split(screen, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// lineWith returns the first row of the list (left of the detail
// pane, below the tab line) that contains text.
func lineWith(screen, text string) string {
	lines := strings.Split(screen, "\n")
	if len(lines) < 2 {
		return ""
	}
	// The detail pane starts at its title in the column header line.
	sep := strings.Index(lines[1], "│ ─")
	for _, l := range lines[1:] {
		if sep > 0 && len(l) > sep {
			l = l[:sep]
		}
		if strings.Contains(l, text) {
			return l
		}
	}
	return ""
}

// filter types a filter, as a user does (a filter on the command line
// would match nscope's own command line).
func (tm *tmuxTerm) filter(text string) {
	tm.t.Helper()
	tm.send("/")
	tm.sendText(text)
	tm.send("Enter")
	tm.waitText("filter “" + text + "”")
}

func testLiveProcesses(t *testing.T, bin string) {
	marker := fmt.Sprintf("4242.%05d", rand.IntN(100000))
	tm := startLive(t, bin, "--interval 1h")
	tm.filter(marker)
	tm.waitText("nothing matches the filter")

	pid, cmd, release := gatedCmd(t, "read x; exec sleep "+marker)
	s := tm.waitFor("the started shell", func(s string) bool { return strings.Contains(rowOf(s, pid), "sh -c read x") })
	if !strings.Contains(rowOf(s, pid), "+ sh -c") {
		t.Logf("the new row was not seen marked fresh (the screen was read late?):\n%s", rowOf(s, pid))
	}
	release()
	tm.waitFor("the exec'd sleep", func(s string) bool {
		row := rowOf(s, pid)
		return strings.Contains(row, "sleep "+marker) && !strings.Contains(row, "sh -c")
	})
	// Killed and reaped (a zombie has no command line to match).
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	tm.waitFor("the exit", func(s string) bool { return rowOf(s, pid) == "" && strings.Contains(s, "nothing matches the filter") })
}

func testLiveFreeze(t *testing.T, bin string, layout inspect.CgroupLayout) {
	name := testutil.UniqueName("lvfz")
	dir, _ := liveTestCgroup(t, layout, "freezer", name)
	pid, _ := gated(t, "read x; exec sleep 600")
	// Thawed before it is killed (cleanups run last first): a frozen
	// process does not die.
	t.Cleanup(func() { _ = os.WriteFile(filepath.Join(dir, "freezer.state"), []byte("THAWED"), 0) })
	testutil.Place(t, pid, dir)
	tm := startLive(t, bin, "--interval 1h --view cg")
	tm.filter(name)
	s := tm.waitFor("the cgroup", func(s string) bool { return lineWith(s, name) != "" })
	if strings.Contains(lineWith(s, name), "FROZEN") {
		t.Fatalf("frozen before the freeze:\n%s", s)
	}
	testutil.WriteCgroupFile(t, dir, "freezer.state", "FROZEN")
	tm.waitFor("the freeze", func(s string) bool { return strings.Contains(lineWith(s, name), "FROZEN") })
	testutil.WriteCgroupFile(t, dir, "freezer.state", "THAWED")
	tm.waitFor("the thaw", func(s string) bool {
		l := lineWith(s, name)
		return l != "" && !strings.Contains(l, "FROZEN")
	})
}

func testLiveOOM(t *testing.T, bin string, layout inspect.CgroupLayout) {
	name := testutil.UniqueName("lvoom")
	dir, rel := liveTestCgroup(t, layout, "memory", name)
	testutil.WriteCgroupFile(t, dir, "memory.limit_in_bytes", "32M")
	if _, err := os.Stat(filepath.Join(dir, "memory.memsw.limit_in_bytes")); err == nil {
		testutil.WriteCgroupFile(t, dir, "memory.memsw.limit_in_bytes", "32M")
	}
	// tail keeps the last lines of a file without newlines: all of it.
	pid, release := gated(t, "read x; exec tail /dev/zero")
	testutil.Place(t, pid, dir)
	tm := startLive(t, bin, "--interval 1h --view cg")
	tm.filter(name)
	s := tm.waitFor("the cgroup", func(s string) bool { return lineWith(s, name) != "" })
	// Cells, not bytes: the tree guides are several bytes each.
	col := strings.Index(lineWith(s, "CGROUP "), " OOM")
	if col < 0 {
		t.Fatalf("no OOM column:\n%s", s)
	}
	oomKills := func(s string) int {
		l := []rune(lineWith(s, name))
		if len(l) < col+4 {
			return -1
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(l[col : col+4])))
		if err != nil {
			return -1
		}
		return n
	}
	if n := oomKills(s); n != 0 {
		t.Fatalf("OOM kills %d before the allocation:\n%s", n, s)
	}
	release()
	note := "OOM kill: PID " + strconv.Itoa(pid) + " tail in " + rel[:20]
	sawNote := false
	s = tm.waitFor("the OOM kill", func(s string) bool {
		sawNote = sawNote || strings.Contains(s, note)
		return oomKills(s) >= 1
	})
	if !sawNote {
		// The note shows for flashFor; a screen read late misses it.
		t.Logf("the status line note %q was not seen", note)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
		data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if !strings.Contains(string(data), " Z ") {
			t.Errorf("the OOM victim %d still runs:\n%s", pid, s)
		}
	}
}

func testLiveChurn(t *testing.T, bin string, layout inspect.CgroupLayout) {
	dir, _ := liveTestCgroup(t, layout, "pids", testutil.UniqueName("lvchurn"))
	testutil.WriteCgroupFile(t, dir, "pids.max", "64")
	tm := startLive(t, bin, "")
	nscope, err := strconv.Atoi(tm.format("#{pane_pid}"))
	if err != nil {
		t.Fatal(err)
	}
	rssBefore := vmRSS(t, nscope)
	lastBefore := lastPID(t)
	start := time.Now()
	for range 12 {
		pid, release := gated(t, "read x; while :; do (:); /bin/true; done")
		testutil.Place(t, pid, dir)
		release()
	}
	// Churn for a while, then ask the TUI for two views.
	time.Sleep(8 * time.Second)
	tm.send("3")
	tm.waitText("CGROUP ")
	tm.send("2")
	tm.waitText("    PID NSPID")
	forks := lastPID(t) - lastBefore
	rssAfter := vmRSS(t, nscope)
	t.Logf("about %d processes a second for %s (last PID %d → %d); nscope RSS %d → %d KiB; status: %s",
		int(float64(forks)/time.Since(start).Seconds()), time.Since(start).Round(time.Second), lastBefore, lastBefore+forks, rssBefore, rssAfter,
		statusLine(tm.screen()))
	if st := statusLine(tm.screen()); !strings.Contains(st, "live") {
		t.Errorf("live mode ended under churn: %s", st)
	}
	if rssAfter > rssBefore+256<<10 {
		t.Errorf("nscope's RSS grew from %d to %d KiB under churn", rssBefore, rssAfter)
	}
}

// statusLine returns the status line of a screen.
func statusLine(screen string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, "updated") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// vmRSS reads VmRSS of pid in KiB.
func vmRSS(t *testing.T, pid int) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no VmRSS for %d", pid)
	return 0
}

// lastPID reads the last PID the kernel gave out (/proc/loadavg), which
// PID wrap-around aside counts the host's forks.
func lastPID(t *testing.T) int {
	t.Helper()
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(data))
	n, err := strconv.Atoi(f[len(f)-1])
	if err != nil {
		t.Fatal(err)
	}
	return n
}
