package control

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/testutil"
)

// liveV1 is a test-owned cgroup subtree on a v1 (legacy or hybrid) host:
// one uniquely named cgroup beneath our own cgroup in each requested
// controller's hierarchy, removed (deepest first) when the test ends.
type liveV1 struct {
	layout inspect.CgroupLayout
	ed     *Editor
	// dir and rel are the cgroup's directory and hierarchy-relative path
	// by controller.
	dir map[string]string
	rel map[string]string
}

func newLiveV1(t *testing.T, controllers ...string) *liveV1 {
	t.Helper()
	testutil.RequireRoot(t, "creates v1 cgroups and moves its own helper processes into them")
	layout, err := inspect.DetectCgroupLayout("/proc", "/sys")
	if err != nil {
		t.Skipf("no cgroup layout: %v", err)
	}
	if layout.Mode != inspect.CgroupLegacy && layout.Mode != inspect.CgroupHybrid {
		t.Skipf("needs cgroup v1 controllers; this host is %s", layout.Mode)
	}
	own := testutil.OwnCgroups(t)
	name := testutil.UniqueName("nscope-test")
	lv := &liveV1{layout: layout, dir: map[string]string{}, rel: map[string]string{}}
	for _, c := range controllers {
		h := layout.ForController(c)
		if h == nil || h.Version != 1 {
			t.Skipf("needs the v1 %s controller", c)
		}
		rel := filepath.Join(own[h.ID], name)
		dir := filepath.Join(h.Mount, rel)
		testutil.MakeCgroup(t, dir)
		lv.dir[c], lv.rel[c] = dir, rel
	}
	lv.ed = New(layout, WithJournalDir(t.TempDir()))
	return lv
}

// target returns the controller's test cgroup as an absolute-directory
// target (our own cgroup differs between hierarchies here).
func (lv *liveV1) target(t *testing.T, controller string) Target {
	t.Helper()
	tg, err := lv.ed.Resolve(lv.dir[controller])
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func (lv *liveV1) set(t *testing.T, controller, cpu, mem, pids string) *Result {
	t.Helper()
	p, err := lv.ed.Plan(lv.target(t, controller), mustLimits(t, cpu, mem, pids))
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	res, err := lv.ed.Apply(t.Context(), p)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return res
}

func TestLiveV1CPUQuota(t *testing.T) {
	lv := newLiveV1(t, "cpu", "cpuacct")
	res := lv.set(t, "cpu", "20%", "", "")
	if len(res.Writes) != 1 || res.Writes[0].File != "cpu.cfs_quota_us" || res.Writes[0].Before != "-1" || res.Writes[0].After != "20000" {
		t.Fatalf("write results %+v, want cpu.cfs_quota_us -1 → 20000 read back", res.Writes)
	}
	h := startHelper(t, "spin")
	testutil.Place(t, h.cmd.Process.Pid, lv.dir["cpu"], lv.dir["cpuacct"])
	h.release(t)
	time.Sleep(300 * time.Millisecond)
	usage := filepath.Join(lv.dir["cpuacct"], "cpuacct.usage")
	u0, t0 := testutil.ReadInt64(t, usage), time.Now()
	time.Sleep(2 * time.Second)
	u1, t1 := testutil.ReadInt64(t, usage), time.Now()
	share := float64(u1-u0) / float64(t1.Sub(t0).Nanoseconds())
	t.Logf("busy loop under a 20%% quota used %.1f%% of a CPU", share*100)
	// Loose bounds: the machine is shared and noisy.
	if share < 0.10 || share > 0.35 {
		t.Errorf("busy loop used %.1f%% of a CPU under a 20%% quota, want 10%%–35%%", share*100)
	}
	if n := testutil.KeyedValue(t, filepath.Join(lv.dir["cpu"], "cpu.stat"), "nr_throttled"); n == 0 {
		t.Errorf("cpu.stat nr_throttled = 0; the quota never throttled the loop")
	}
}

func TestLiveV1MemoryLimitOOM(t *testing.T) {
	lv := newLiveV1(t, "memory")
	res := lv.set(t, "memory", "", "32M", "")
	if res.Writes[0].After != "33554432" {
		t.Fatalf("memory.limit_in_bytes read back %q, want 33554432", res.Writes[0].After)
	}
	dir := lv.dir["memory"]
	h := startHelper(t, "alloc:"+strconv.Itoa(256<<20))
	testutil.Place(t, h.cmd.Process.Pid, dir)
	h.release(t)
	if !h.wait(30 * time.Second) {
		t.Fatal("a helper allocating 256M under a 32M limit was still running after 30s")
	}
	if ws, ok := h.state.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("helper ended with %v, want killed by the OOM killer (SIGKILL)", h.state)
	}
	if n := testutil.ReadInt64(t, filepath.Join(dir, "memory.failcnt")); n == 0 {
		t.Errorf("memory.failcnt = 0 after allocating past the limit")
	}
	if n := testutil.KeyedValue(t, filepath.Join(dir, "memory.oom_control"), "oom_kill"); n < 1 {
		t.Errorf("memory.oom_control oom_kill = %d, want at least 1", n)
	}
}

func TestLiveV1MemoryBelowUsageIsEBUSY(t *testing.T) {
	lv := newLiveV1(t, "memory")
	dir := lv.dir["memory"]
	h := startHelper(t, "alloc:"+strconv.Itoa(48<<20))
	testutil.Place(t, h.cmd.Process.Pid, dir)
	h.release(t)
	deadline := time.Now().Add(10 * time.Second)
	for testutil.ReadInt64(t, filepath.Join(dir, "memory.usage_in_bytes")) < 40<<20 {
		if time.Now().After(deadline) {
			t.Fatal("helper did not reach 40M of usage")
		}
		time.Sleep(20 * time.Millisecond)
	}
	p, err := lv.ed.Plan(lv.target(t, "memory"), mustLimits(t, "", "8M", ""))
	if err != nil {
		t.Fatal(err)
	}
	_, err = lv.ed.Apply(t.Context(), p)
	if !errors.Is(err, unix.EBUSY) {
		// The kernel may OOM-kill instead of failing on some versions.
		t.Fatalf("lowering the limit below anonymous usage (no swap): %v, want EBUSY", err)
	}
	if !strings.Contains(err.Error(), "(EBUSY): the kernel could not reclaim enough memory") || !strings.Contains(err.Error(), "nothing was changed") {
		t.Errorf("error %q lacks the plain-words EBUSY explanation", err)
	}
	if v := testutil.ReadInt64(t, filepath.Join(dir, "memory.limit_in_bytes")); v < 1<<62 {
		t.Errorf("memory.limit_in_bytes = %d after the refused write, want still unlimited", v)
	}
}

func TestLiveV1FreezeThaw(t *testing.T) {
	lv := newLiveV1(t, "freezer")
	counter := filepath.Join(t.TempDir(), "count")
	h := startHelper(t, "count:"+counter)
	testutil.Place(t, h.cmd.Process.Pid, lv.dir["freezer"])
	h.release(t)
	read := func() int {
		data, _ := os.ReadFile(counter)
		n, _ := strconv.Atoi(string(data))
		return n
	}
	time.Sleep(200 * time.Millisecond)
	if read() == 0 {
		t.Fatal("counter helper made no progress")
	}
	target := lv.target(t, "freezer")
	res, err := lv.ed.Freeze(t.Context(), target)
	if err != nil {
		t.Fatal(err)
	}
	if res.Writes[0].After != "FROZEN" {
		t.Errorf("freezer.state after Freeze = %q, want FROZEN", res.Writes[0].After)
	}
	a := read()
	time.Sleep(300 * time.Millisecond)
	if b := read(); b != a {
		t.Errorf("counter advanced from %d to %d while FROZEN", a, b)
	}
	if _, err := lv.ed.Thaw(t.Context(), target); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if c := read(); c <= a {
		t.Errorf("counter stuck at %d after thaw", c)
	}
}

func TestLiveV1KillEmptiesCgroup(t *testing.T) {
	lv := newLiveV1(t, "freezer", "pids")
	h := startHelper(t, "forker:3")
	testutil.Place(t, h.cmd.Process.Pid, lv.dir["freezer"], lv.dir["pids"])
	h.release(t)
	deadline := time.Now().Add(10 * time.Second)
	procs := func() int {
		data, _ := os.ReadFile(filepath.Join(lv.dir["pids"], "cgroup.procs"))
		return len(strings.Fields(string(data)))
	}
	// pids.current counts threads; cgroup.procs lists processes.
	for procs() < 4 {
		if time.Now().After(deadline) {
			t.Fatal("forker did not start its 3 children")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Our own cgroup is the root of both hierarchies here, so the
	// relative path names both directories.
	if lv.rel["freezer"] != lv.rel["pids"] {
		t.Skipf("own cgroups differ between freezer (%s) and pids (%s)", lv.rel["freezer"], lv.rel["pids"])
	}
	target, err := lv.ed.Resolve(lv.rel["pids"])
	if err != nil {
		t.Fatal(err)
	}
	kp, err := lv.ed.PlanKill(target)
	if err != nil {
		t.Fatal(err)
	}
	if len(kp.PIDs) != 4 || kp.Method != "SIGKILL each member" {
		t.Fatalf("PlanKill: %s %v, want 4 members", kp.Method, kp.PIDs)
	}
	res, err := lv.ed.Kill(t.Context(), kp)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Remaining) != 0 {
		t.Errorf("members left after kill: %v", res.Remaining)
	}
	for _, d := range []string{lv.dir["freezer"], lv.dir["pids"]} {
		if data, _ := os.ReadFile(filepath.Join(d, "cgroup.procs")); strings.TrimSpace(string(data)) != "" {
			t.Errorf("%s/cgroup.procs still lists %q", d, data)
		}
	}
	if !h.wait(5 * time.Second) {
		t.Fatal("the forker did not exit after the kill")
	}
	if ws := h.state.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("forker ended with %v, want SIGKILL", h.state)
	}
	if state, _ := os.ReadFile(filepath.Join(lv.dir["freezer"], "freezer.state")); strings.TrimSpace(string(state)) != "THAWED" {
		t.Errorf("freezer.state after kill = %q, want THAWED again", state)
	}
}

func TestLiveV1UndoRestores(t *testing.T) {
	lv := newLiveV1(t, "cpu", "pids", "memory")
	cpuDir, pidsDir, memDir := lv.dir["cpu"], lv.dir["pids"], lv.dir["memory"]
	read := func(path string) string {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(data))
	}
	state := func() string {
		return read(filepath.Join(cpuDir, "cpu.cfs_quota_us")) + "/" + read(filepath.Join(cpuDir, "cpu.cfs_period_us")) +
			" pids=" + read(filepath.Join(pidsDir, "pids.max")) + " mem=" + read(filepath.Join(memDir, "memory.limit_in_bytes"))
	}
	orig := state()
	// The cpu and pids cgroups share a relative path; memory's differs.
	if lv.rel["cpu"] != lv.rel["pids"] {
		t.Skipf("own cgroups differ between cpu and pids")
	}
	target, _ := lv.ed.Resolve(lv.rel["cpu"])
	apply := func(l Limits, tg Target) {
		p, err := lv.ed.Plan(tg, l)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := lv.ed.Apply(t.Context(), p); err != nil {
			t.Fatal(err)
		}
	}
	apply(mustLimits(t, "0.5", "", "50"), target)
	apply(mustLimits(t, "", "64M", ""), lv.target(t, "memory"))
	apply(mustLimits(t, "10ms 20ms", "", ""), target)
	if got, want := state(), "10000/20000 pids=50 mem=67108864"; got != want {
		t.Fatalf("after three changes: %s, want %s", got, want)
	}
	undo := func(path string) {
		if _, _, err := lv.ed.Undo(t.Context(), path, false); err != nil {
			t.Fatalf("undo %s: %v", path, err)
		}
	}
	undo(lv.rel["cpu"])
	if got, want := state(), "50000/100000 pids=50 mem=67108864"; got != want {
		t.Errorf("after undoing the period change: %s, want %s", got, want)
	}
	undo(lv.rel["memory"])
	undo(lv.rel["cpu"])
	if got := state(); got != orig {
		t.Errorf("after undoing everything: %s, want the original %s", got, orig)
	}
	if _, err := lv.ed.PlanUndo(lv.rel["cpu"], false); !errors.Is(err, ErrNothingToUndo) {
		t.Errorf("one undo too many: %v, want ErrNothingToUndo", err)
	}
}

func TestLiveV1KernelRefusals(t *testing.T) {
	lv := newLiveV1(t, "cpu")
	// The kernel's own checks, bypassing nscope's validation, to prove
	// the errno explanation matches what the kernel says.
	err := RealFS{}.WriteFile(filepath.Join(lv.dir["cpu"], "cpu.cfs_period_us"), []byte("999"))
	if !errors.Is(err, unix.EINVAL) {
		t.Fatalf("period 999µs: %v, want EINVAL", err)
	}
	kerr := &KernelError{Op: "write", Path: filepath.Join(lv.dir["cpu"], "cpu.cfs_period_us"), Value: "999", Err: err}
	if !strings.Contains(kerr.Error(), "invalid argument (EINVAL): the kernel rejected the CPU limit: the period must be 1ms–1s") {
		t.Errorf("explanation: %s", kerr)
	}
	// Confinement on the real filesystem: a symlink leading out.
	link := filepath.Join(t.TempDir(), "cg")
	if err := os.Symlink("/etc", link); err != nil {
		t.Fatal(err)
	}
	h := lv.layout.ForController("cpu")
	if _, err := cgroupDir(RealFS{}, &inspect.Hierarchy{ID: h.ID, Version: 1, Controllers: h.Controllers, Mount: filepath.Dir(link)}, Target{Path: "/cg"}); !errors.Is(err, ErrOutsideCgroupFS) {
		t.Errorf("a tmpfs directory passed as a cgroup: %v, want ErrOutsideCgroupFS", err)
	}
}
