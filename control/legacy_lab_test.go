package control

// TestLabLegacy tests apply to the kernel lab's legacy configuration
// (6.1-legacy): v1 hierarchies only, each controller on its own plus
// name=systemd, and no cgroup2 mount anywhere. The v1 and launch tests
// that run on the hybrid test machine (make unit) run here again, on a
// host where nothing v2 exists to fall back on, and the legacy-only
// questions get their own: what enter joins, and killing a frozen cgroup.

import (
	"github.com/nscope/nscope/internal/testutil"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
	"github.com/nscope/nscope/inspect"
)

// needLegacy skips outside the legacy lab guest and returns its layout.
func needLegacy(t *testing.T) inspect.CgroupLayout {
	t.Helper()
	labproto.Need(t, labproto.CgroupLegacy)
	layout, err := inspect.DetectCgroupLayout("/proc", "/sys")
	if err != nil {
		t.Fatal(err)
	}
	if layout.Mode != inspect.CgroupLegacy {
		t.Fatalf("the legacy lab guest has cgroup mode %s, want legacy", layout.Mode)
	}
	return layout
}

// runEach runs named tests as subtests.
func runEach(t *testing.T, tests []namedTest) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, tc.test)
	}
}

type namedTest struct {
	name string
	test func(*testing.T)
}

// Control plans by the layout it detects: every limit in the hierarchy
// of its controller, no v2 hierarchy at all.
func TestLabLegacyLayout(t *testing.T) {
	layout := needLegacy(t)
	if h := layout.Unified(); h != nil {
		t.Errorf("legacy layout has a v2 hierarchy %+v", h)
	}
	for _, c := range []string{"cpu", "cpuacct", "memory", "pids", "freezer", "cpuset"} {
		h := layout.ForController(c)
		if h == nil || h.Version != 1 || !cmp.Equal(h.Controllers, []string{c}) || h.Mount != "/sys/fs/cgroup/"+c {
			t.Errorf("ForController(%q) = %+v, want the v1 hierarchy of %s alone at /sys/fs/cgroup/%s", c, h, c, c)
		}
	}
	named := false
	for _, h := range layout.Hierarchies {
		named = named || (h.Name == "systemd" && len(h.Controllers) == 0 && h.Mount == "/sys/fs/cgroup/systemd")
	}
	if !named {
		t.Errorf("no name=systemd hierarchy in %+v", layout.Hierarchies)
	}
}

// The v1 live tests: a CPU quota throttles (measured from cpuacct), a
// memory limit OOM-kills and refuses to go below usage (EBUSY), kill
// empties, undo restores, and the kernel's refusals read in plain words.
// (TestLiveV1FreezeThaw gives its helper a fixed 200 ms to start, too
// little under TCG: TestLabLegacyFreezeThaw waits for it.)
func TestLabLegacyLiveV1(t *testing.T) {
	needLegacy(t)
	runEach(t, []namedTest{
		{"cpu quota", TestLiveV1CPUQuota},
		{"memory limit OOM", TestLiveV1MemoryLimitOOM},
		{"memory below usage is EBUSY", TestLiveV1MemoryBelowUsageIsEBUSY},
		{"kill empties the cgroup", TestLiveV1KillEmptiesCgroup},
		{"undo restores", TestLiveV1UndoRestores},
		{"kernel refusals", TestLiveV1KernelRefusals},
	})
}

// Freeze stops a counter through freezer.state, and undo of the freeze
// thaws it.
func TestLabLegacyFreezeThaw(t *testing.T) {
	needLegacy(t)
	lv := newLiveV1(t, "freezer")
	state := filepath.Join(lv.dir["freezer"], "freezer.state")
	counter := filepath.Join(t.TempDir(), "count")
	h := startHelper(t, "count:"+counter)
	testutil.Place(t, h.cmd.Process.Pid, lv.dir["freezer"])
	// Runs before the helper's cleanup: a frozen v1 task ignores SIGKILL.
	t.Cleanup(func() { _ = os.WriteFile(state, []byte("THAWED"), 0) })
	h.release(t)
	read := func() int {
		data, _ := os.ReadFile(counter)
		n, _ := strconv.Atoi(string(data))
		return n
	}
	waitUntil := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out after 10s waiting for %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitUntil("the counter to start", func() bool { return read() > 0 })
	target := lv.target(t, "freezer")
	res, err := lv.ed.Freeze(t.Context(), target)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Writes) != 1 || res.Writes[0].File != "freezer.state" || res.Writes[0].After != "FROZEN" {
		t.Fatalf("freeze result %+v, want freezer.state FROZEN", res.Writes)
	}
	a := read()
	time.Sleep(500 * time.Millisecond)
	if b := read(); b != a {
		t.Errorf("counter advanced %d → %d while FROZEN", a, b)
	}
	if _, _, err := lv.ed.Undo(t.Context(), target.Path, false); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(state)
	if got := strings.TrimSpace(string(data)); got != "THAWED" {
		t.Errorf("freezer.state after undoing the freeze = %q, want THAWED", got)
	}
	waitUntil("the counter to move after the thaw", func() bool { return read() > a })
}

// The launcher's live tests: on v1 the init is held until its PID is in
// every hierarchy's cgroup.procs, so the limits hold from the first
// instruction; the cgroups go when the command exits.
func TestLabLegacyLaunch(t *testing.T) {
	needLegacy(t)
	runEach(t, []namedTest{
		{"namespaces, init, hostname, loopback", TestLaunchLiveNamespacesInitHostnameLoopback},
		{"cgroup membership and limits", TestLaunchLiveCgroupMembershipAndLimits},
		{"exit status, signals and keep", TestLaunchLiveExitStatusSignalsAndKeep},
		{"limits hold from the start", TestLaunchLiveLimitsHoldFromTheStart},
		{"background", TestLaunchLiveBackground},
		{"user and time namespaces", TestLaunchLiveUserAndTimeNamespaces},
		{"failures leave nothing", TestLaunchLiveFailuresLeaveNothing},
	})
}

// A launch with a cgroup namespace on v1: inside, every hierarchy's
// cgroup is the root.
func TestLabLegacyLaunchCgroupNamespace(t *testing.T) {
	layout := needLegacy(t)
	l := testLauncher(t)
	parent := testCgroupParent(t, l)
	out, _, err := launchOutput(t, l, LaunchRequest{Command: []string{"cat", "/proc/self/cgroup"},
		NS: []inspect.NSType{inspect.CgroupNS}, CgroupParent: parent, Name: "cgns"})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(layout.Hierarchies) {
		t.Errorf("/proc/self/cgroup inside has %d lines, want one per hierarchy (%d):\n%s", len(lines), len(layout.Hierarchies), out)
	}
	for _, line := range lines {
		if !strings.HasSuffix(line, ":/") || strings.HasPrefix(line, "0::") {
			t.Errorf("inside a new cgroup namespace: %q, want ID:controller:/ for a v1 hierarchy", line)
		}
	}
}

// Enter joins a launched target's namespaces on a legacy host and, like
// docker exec, its cgroup in every v1 hierarchy (DESIGN.md; issue #11).
func TestLabLegacyEnterJoinsTheTarget(t *testing.T) {
	needLegacy(t)
	l := testLauncher(t)
	parent := testCgroupParent(t, l)
	target, err := l.Launch(LaunchRequest{Command: []string{"sleep", "30"}, Memory: "64M", CgroupParent: parent, Name: "target"})
	if err != nil {
		t.Fatal(err)
	}
	if err := target.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = syscall.Kill(target.InitPID(), syscall.SIGKILL)
		_ = target.Wait()
	}()
	want := nsLinks(t, target.PID())
	// The target has a cgroup namespace of its own, where cgroup paths
	// read relative to its cgroups: compare the shell's view of itself
	// with its view of the target's init, which shares the target's
	// cgroups.
	script := linksInside + `; echo "member $(tr '\n' ' ' < /proc/self/cgroup)"; echo "init $(tr '\n' ' ' < /proc/1/cgroup)"`
	out, err := enterAndRun(t, EnterRequest{PID: target.PID(), Command: []string{"/bin/sh", "-c", script}})
	if err != nil {
		t.Fatal(err)
	}
	got := parseLinks(out)
	inside, init := got["member"], got["init"]
	delete(got, "member")
	delete(got, "init")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("namespaces inside differ from the target's (-target +inside):\n%s", diff)
	}
	if n := len(strings.Fields(init)); n < 10 {
		t.Fatalf("the target's init has %d cgroup lines seen from inside, want one per v1 hierarchy: %q", n, init)
	}
	if diff := cmp.Diff(strings.Fields(init), strings.Fields(inside)); diff != "" {
		t.Errorf("/proc/self/cgroup inside differs from the target's init's (-target +inside):\n%s", diff)
	}
}

// Killing a frozen v1 cgroup must leave it empty: v1 frozen tasks take
// SIGKILL only once thawed, so kill has to thaw after signalling (issue
// #16, item 6a).
func TestLabLegacyKillFrozenCgroup(t *testing.T) {
	needLegacy(t)
	lv := newLiveV1(t, "freezer", "pids")
	h := startHelper(t, "spin")
	testutil.Place(t, h.cmd.Process.Pid, lv.dir["freezer"], lv.dir["pids"])
	// Runs before the helper's cleanup, which waits for it to die.
	t.Cleanup(func() { _ = os.WriteFile(filepath.Join(lv.dir["freezer"], "freezer.state"), []byte("THAWED"), 0) })
	h.release(t)
	target, err := lv.ed.Resolve(lv.rel["freezer"])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lv.ed.Freeze(t.Context(), target); err != nil {
		t.Fatal(err)
	}
	kp, err := lv.ed.PlanKill(target)
	if err != nil {
		t.Fatal(err)
	}
	res, err := lv.ed.Kill(t.Context(), kp)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Remaining) != 0 {
		state, _ := os.ReadFile(filepath.Join(lv.dir["freezer"], "freezer.state"))
		t.Errorf("members left after killing the frozen cgroup: %v (freezer.state %s)", res.Remaining, strings.TrimSpace(string(state)))
	}
}
