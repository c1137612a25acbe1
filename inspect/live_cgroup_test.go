package inspect

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/internal/testutil"
)

// testCgroup is a cgroup the test made in one v1 hierarchy.
type testCgroup struct {
	hier *Hierarchy
	rel  string // path inside the hierarchy
	dir  string // absolute directory
}

// makeV1Cgroups creates a uniquely named cgroup in the hierarchy of each
// controller: beneath the test's own cgroup, or at the root where that is
// the test's own cgroup. Everything is removed when the test ends, after
// the processes the test put there were killed.
func makeV1Cgroups(t *testing.T, layout CgroupLayout, controllers ...string) map[string]testCgroup {
	t.Helper()
	own := testutil.OwnCgroups(t)
	name := testutil.UniqueName("nscope-test")
	out := map[string]testCgroup{}
	for _, ctrl := range controllers {
		h := layout.ForController(ctrl)
		if h == nil || h.Version != 1 {
			t.Skipf("needs a v1 %s hierarchy (this host's cgroup mode is %s)", ctrl, layout.Mode)
		}
		rel := filepath.Join(own[h.ID], name)
		dir := filepath.Join(h.Mount, rel)
		testutil.MakeCgroup(t, dir)
		out[ctrl] = testCgroup{hier: h, rel: rel, dir: dir}
	}
	return out
}

// TestLiveV1Cgroups makes cgroups in the cpu, cpuacct, memory, pids and
// freezer hierarchies, sets limits, puts a process in them and checks
// that the scan reads the limits (normalised and raw) and membership
// back, and sees a freeze.
func TestLiveV1Cgroups(t *testing.T) {
	testutil.RequireRoot(t, "creates cgroups and moves its own processes into them")
	testutil.RequireTools(t, "sleep")
	s := newScanner(t)
	layout := s.Layout()
	if layout.Mode != CgroupHybrid && layout.Mode != CgroupLegacy {
		t.Skipf("needs cgroup v1 controllers; this host is %s (the kernel lab tests v2)", layout.Mode)
	}
	cgs := makeV1Cgroups(t, layout, "cpu", "cpuacct", "memory", "pids", "freezer")
	testutil.WriteCgroupFile(t, cgs["cpu"].dir, "cpu.cfs_period_us", "100000")
	testutil.WriteCgroupFile(t, cgs["cpu"].dir, "cpu.cfs_quota_us", "20000")
	testutil.WriteCgroupFile(t, cgs["cpu"].dir, "cpu.shares", "512")
	testutil.WriteCgroupFile(t, cgs["memory"].dir, "memory.limit_in_bytes", "256M")
	testutil.WriteCgroupFile(t, cgs["pids"].dir, "pids.max", "50")

	sleeper := testutil.StartProc(t, "sleep", "1000")
	pid := sleeper.Process.Pid
	for _, cg := range cgs {
		testutil.WriteCgroupFile(t, cg.dir, "cgroup.procs", strconv.Itoa(pid))
	}
	// Kill the sleeper before the cgroups are removed (cleanups run last
	// registered first).
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL); _ = sleeper.Wait() })

	snap, err := s.Scan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	get := func(ctrl string) *Cgroup {
		t.Helper()
		cg := cgs[ctrl]
		c := snap.Cgroup(cg.hier.ID, cg.rel)
		if c == nil {
			t.Fatalf("scan has no %s cgroup %s", ctrl, cg.rel)
		}
		if diff := cmp.Diff([]int{pid}, c.Procs); diff != "" {
			t.Errorf("%s cgroup members (-want +got):\n%s", ctrl, diff)
		}
		return c
	}
	cpu := get("cpu")
	want := Limits{CPUQuotaUS: int64Ptr(20000), CPUPeriodUS: int64Ptr(100000), CPUShares: int64Ptr(512)}
	if diff := cmp.Diff(want, cpu.Limits); diff != "" {
		t.Errorf("cpu limits (-want +got):\n%s", diff)
	}
	if cpu.Raw["cpu.cfs_quota_us"] != "20000" || cpu.Usage.NrPeriods == nil {
		t.Errorf("cpu raw %q, usage %+v: want raw quota 20000 and cpu.stat read", cpu.Raw, cpu.Usage)
	}
	if acct := get("cpuacct"); acct.Usage.CPUUsageUS == nil {
		t.Errorf("cpuacct usage not read: %+v", acct.Usage)
	}
	mem := get("memory")
	if mem.Limits.MemoryMax == nil || *mem.Limits.MemoryMax != 256<<20 {
		t.Errorf("memory limit = %v, want 256 MiB", mem.Limits.MemoryMax)
	}
	if mem.Usage.MemoryCurrent == nil || mem.Usage.MemoryEvents == nil {
		t.Errorf("memory usage not read: %+v", mem.Usage)
	}
	pids := get("pids")
	if pids.Limits.PidsMax == nil || *pids.Limits.PidsMax != 50 || pids.Usage.PidsCurrent == nil || *pids.Usage.PidsCurrent != 1 {
		t.Errorf("pids max %v current %v, want 50 and 1", pids.Limits.PidsMax, pids.Usage.PidsCurrent)
	}
	if fr := get("freezer"); fr.Limits.Frozen == nil || *fr.Limits.Frozen {
		t.Errorf("freezer = %v, want thawed", fr.Limits.Frozen)
	}
	// The parent of the test cgroup is there too, with the test cgroup as
	// its child in the tree.
	parentRel := filepath.Dir(cgs["cpu"].rel)
	if parent := snap.Cgroup(cgs["cpu"].hier.ID, parentRel); parent == nil {
		t.Errorf("no parent cgroup %s", parentRel)
	} else if kids := snap.CgroupChildren(parent); !containsCgroup(kids, cgs["cpu"].rel) {
		t.Errorf("children of %s do not include %s", parentRel, cgs["cpu"].rel)
	}
	// The process's own cgroup list names them.
	p := snap.Process(pid)
	for ctrl, cg := range cgs {
		if got, ok := p.CgroupPath(cg.hier.ID); !ok || got != cg.rel {
			t.Errorf("process %d %s cgroup = %q, want %q", pid, ctrl, got, cg.rel)
		}
	}

	testutil.WriteCgroupFile(t, cgs["freezer"].dir, "freezer.state", "FROZEN")
	t.Cleanup(func() { testutil.WriteCgroupFile(t, cgs["freezer"].dir, "freezer.state", "THAWED") })
	testutil.WaitFor(t, "the freezer to report FROZEN", func() bool {
		b, _ := os.ReadFile(filepath.Join(cgs["freezer"].dir, "freezer.state"))
		return strings.TrimSpace(string(b)) == "FROZEN"
	})
	snap, err = s.Scan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if fr := snap.Cgroup(cgs["freezer"].hier.ID, cgs["freezer"].rel); fr == nil || fr.Limits.Frozen == nil || !*fr.Limits.Frozen {
		t.Errorf("frozen cgroup not reported frozen: %+v", fr)
	}
}

func containsCgroup(list []*Cgroup, path string) bool {
	for _, c := range list {
		if c.Path == path {
			return true
		}
	}
	return false
}

// TestLiveUnreadableAsUser checks that a scan as an unprivileged user
// works and counts what it could not read instead of failing or dropping
// it silently.
func TestLiveUnreadableAsUser(t *testing.T) {
	if os.Getenv("NSCOPE_AS_NOBODY") == "1" {
		snap, err := newScanner(t).Scan(t.Context())
		if err != nil {
			t.Fatalf("scan as nobody: %v", err)
		}
		if len(snap.Processes) == 0 || snap.Host.Root {
			t.Fatalf("scan as nobody saw %d processes, root=%v", len(snap.Processes), snap.Host.Root)
		}
		kinds := map[string]int{}
		for _, u := range snap.Unreadable {
			kinds[u.Kind] = u.Count
		}
		if kinds[UnreadableNamespaces] == 0 || kinds[UnreadableFDs] == 0 {
			t.Fatalf("unreadable counts %v: want root's processes' namespaces and fds counted", kinds)
		}
		fmt.Println("UNREADABLE-OK", kinds)
		return
	}
	testutil.RequireRoot(t, "creates cgroups and moves its own processes into them")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// Run this test again as nobody (uid 65534) from a copy it can execute.
	dir, err := os.MkdirTemp("", "nscope-nobody")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "inspect.test")
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := runAs(65534, bin, "-test.run", "^TestLiveUnreadableAsUser$", "-test.v")
	if err != nil || !strings.Contains(out, "UNREADABLE-OK") {
		t.Fatalf("scan as nobody failed: %v\n%s", err, out)
	}
}

// TestCgroupsOfAProcessMovedMidScan moves one of two processes that
// share a css_set to another cgroup after the iterator pass and before
// their /proc reads: the first read fills the shared css_set's entry with
// the mover's new cgroups, the second process takes them from there, and
// the re-check after the reads must give each its own.
func TestCgroupsOfAProcessMovedMidScan(t *testing.T) {
	testutil.RequireRoot(t, "creates cgroups and moves its own processes into them")
	s := newScanner(t)
	if err := s.BPFErr(); err != nil {
		t.Skipf("BPF iterators do not load: %v", err)
	}
	pidsCg := makeV1Cgroups(t, s.Layout(), "pids")["pids"]
	var pids [2]int
	for i := range pids {
		cmd := testutil.StartProc(t, "sleep", "600")
		pids[i] = cmd.Process.Pid
	}
	for _, pid := range pids {
		testutil.WaitFor(t, "sleep to start", func() bool { return testutil.Comm(pid) == "sleep" })
	}
	selfCg, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	ownPath := ""
	for _, pc := range parseProcCgroup(selfCg) {
		if pc.Hierarchy == pidsCg.hier.ID {
			ownPath = pc.Path
		}
	}

	tasks := s.iterate()
	if tasks == nil {
		t.Fatal("the iterators did not run")
	}
	a, b := tasks.tasks[pids[0]], tasks.tasks[pids[1]]
	if a == nil || b == nil || a.CSSet == 0 || a.CSSet != b.CSSet {
		t.Fatalf("the two sleeps are not in one css_set: %+v %+v", a, b)
	}
	testutil.WriteCgroupFile(t, pidsCg.dir, "cgroup.procs", strconv.Itoa(pids[0]))

	procRoot := openProcRoot(t)
	r := newProcReader(s, &unreadableCounter{})
	r.tasks, r.procRoot = tasks, procRoot
	boot := s.readHost().BootTime
	results := []procResult{r.read(pids[0], boot), r.read(pids[1], boot)}
	path := func(i int) string {
		p, _ := results[i].proc.CgroupPath(pidsCg.hier.ID)
		return p
	}
	if path(1) != pidsCg.rel {
		t.Fatalf("setup: the second process did not take the mover's cgroups from the shared entry (it has %q)", path(1))
	}
	s.recheckCgroups(results, tasks, procRoot, &unreadableCounter{})
	if path(0) != pidsCg.rel || path(1) != ownPath {
		t.Errorf("after the re-check: the mover is in %q (want %q), the other in %q (want %q)", path(0), pidsCg.rel, path(1), ownPath)
	}
}

// openProcRoot opens /proc as the scanner does for "PID/file" reads.
func openProcRoot(t *testing.T) int {
	t.Helper()
	fd, err := unix.Open("/proc", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_PATH, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// TestCgroupsNotTakenFromAnExitingProcess puts a zombie and a live
// process in one test cgroup (one css_set) and reads the zombie first:
// an exiting process's /proc/PID/cgroup says "/" in every v1 hierarchy,
// which must not become the css_set's cgroups for the live one.
func TestCgroupsNotTakenFromAnExitingProcess(t *testing.T) {
	testutil.RequireRoot(t, "creates cgroups and moves its own processes into them")
	s := newScanner(t)
	if err := s.BPFErr(); err != nil {
		t.Skipf("BPF iterators do not load: %v", err)
	}
	pidsCg := makeV1Cgroups(t, s.Layout(), "pids")["pids"]
	live := testutil.StartProc(t, "sleep", "600").Process.Pid
	// It exits when its stdin closes, after the move: a process that
	// exits first is not moved (a timed exit raced the move on a loaded
	// machine).
	zombie := exec.Command("sh", "-c", "read x")
	stdin, err := zombie.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := zombie.Start(); err != nil {
		t.Fatal(err)
	}
	waited := false
	t.Cleanup(func() {
		if !waited {
			_ = stdin.Close()
			_ = zombie.Wait()
		}
	})
	for _, pid := range []int{live, zombie.Process.Pid} {
		testutil.WriteCgroupFile(t, pidsCg.dir, "cgroup.procs", strconv.Itoa(pid))
	}
	_ = stdin.Close()
	// Not waited for: it stays a zombie, still in its css_set.
	waitZombie(t, zombie.Process.Pid)
	tasks := s.iterate()
	if tasks == nil {
		t.Fatal("the iterators did not run")
	}
	a, b := tasks.tasks[zombie.Process.Pid], tasks.tasks[live]
	if a == nil || b == nil || a.CSSet == 0 || a.CSSet != b.CSSet {
		t.Fatalf("the zombie and the live process are not in one css_set: %+v %+v", a, b)
	}
	r := newProcReader(s, &unreadableCounter{})
	r.tasks, r.procRoot = tasks, openProcRoot(t)
	boot := s.readHost().BootTime
	_ = r.read(zombie.Process.Pid, boot)
	res := r.read(live, boot)
	if p, _ := res.proc.CgroupPath(pidsCg.hier.ID); p != pidsCg.rel {
		t.Errorf("the live process is in %q, want %q", p, pidsCg.rel)
	}
	waited = true
	_ = zombie.Wait()
}
