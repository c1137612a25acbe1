package inspect_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/inspect"
)

// TestBPFMatchesProcfs scans this host through /proc alone and through
// the BPF task iterators and checks that every process both saw has the
// same namespaces, PIDs at every level, cgroups and effective UID.
func TestBPFMatchesProcfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the BPF iterators need CAP_BPF and CAP_PERFMON")
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		t.Skipf("kernel without BTF: %v", err)
	}
	compareBothWays(t)
}

// TestLabBPFMatchesProcfs does the same on the kernel lab's older
// kernel (Debian's 6.1, where sysfs cannot mmap the BTF and the verifier
// is older).
func TestLabBPFMatchesProcfs(t *testing.T) {
	labNeed(t)
	compareBothWays(t)
}

// compareBothWays compares with all three iterators, then as on kernels
// without the sleepable one (5.8 to 5.17: stat and cmdline from /proc).
func compareBothWays(t *testing.T) {
	t.Run("all iterators", func(t *testing.T) { compareScanMethods(t, true) })
	t.Run("task iterators only", func(t *testing.T) { compareScanMethods(t, false) })
}

func compareScanMethods(t *testing.T, procIter bool) {
	t.Helper()
	// A process in a nested pid namespace, with its own uts and ipc, so
	// that the comparison covers NSpid beyond the first level.
	unshare := startGroup(t, exec.Command("unshare", "--fork", "--pid", "--uts", "--ipc", "sleep", "600"))
	children := fmt.Sprintf("/proc/%d/task/%d/children", unshare, unshare)
	inspect.WaitFor(t, "unshare --fork --pid to start its child", func() bool {
		b, _ := os.ReadFile(children)
		return len(strings.TrimSpace(string(b))) > 0
	})
	special := startSpecialProcesses(t)

	s := inspect.NewScanner(t)
	loadStart := time.Now()
	if err := s.BPFErr(); err != nil {
		t.Fatalf("BPF iterators do not load: %v", err)
	}
	t.Logf("BPF iterators loaded in %v", time.Since(loadStart).Round(time.Millisecond))
	if !procIter {
		inspect.WithoutProcIter(s)
	}
	// /proc before and after, the iterators in between: what did not
	// change from before to after must be the same in the middle, and
	// what grows (CPU time) must lie between.
	procfsScan := func() *inspect.Snapshot {
		snap, err := inspect.NewScanner(t, inspect.WithBPF(false)).Scan(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return snap
	}
	// First the iterators alone: no /proc/PID/stat read since the helper
	// burned its CPU, so the kernel has no reported time to hold to and
	// the time must come from summing the threads.
	first, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	before := procfsScan()
	special.checkCPU(t, first, before)
	withBPF, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	procfs := procfsScan()
	if withBPF.ScanMethod != "bpf" || procfs.ScanMethod != "procfs" {
		t.Fatalf("scan methods %q and %q, want bpf and procfs", withBPF.ScanMethod, procfs.ScanMethod)
	}
	// Kernel threads and zombies are read from /proc.
	users := 0
	for _, p := range withBPF.Processes {
		if !p.Kernel && p.State != "Z" {
			users++
		}
	}
	fromRecords := inspect.ProcRecordsUsed(s)
	switch {
	case !procIter:
		if fromRecords != 0 {
			t.Errorf("%d processes taken from a process iterator that is turned off", fromRecords)
		}
	case inspect.ProcIterErr(s) != nil:
		// Both test kernels (6.1 in the lab, the host's) have sleepable
		// iterators (5.18+).
		t.Fatalf("process iterator not used: %v", inspect.ProcIterErr(s))
	case fromRecords < users*9/10:
		t.Errorf("only %d of %d processes were taken from the process iterator", fromRecords, users)
	}

	compared, userCompared, nested, stateDiffs, cgroupsStable := 0, 0, 0, 0, 0
	var stable [6]int // comm, cmdline, ppid, threads, rss, state compared
	const tick = 10 * time.Millisecond
	for _, a := range withBPF.Processes {
		b, c := before.Process(a.PID), procfs.Process(a.PID)
		if b == nil || c == nil || !b.StartTime.Equal(a.StartTime) || !c.StartTime.Equal(a.StartTime) ||
			a.State == "Z" || b.State == "Z" || c.State == "Z" ||
			a.NS[inspect.UserNS].IsZero() || b.NS[inspect.UserNS].IsZero() || c.NS[inspect.UserNS].IsZero() {
			continue // gone, reused, exiting, or unreadable through /proc
		}
		compared++
		if !a.Kernel {
			userCompared++
		}
		if len(a.NSpid) > 1 {
			nested++
		}
		if diff := cmp.Diff(c.NS, a.NS); diff != "" {
			t.Errorf("process %d (%s) namespaces (-procfs +bpf):\n%s", a.PID, a.Comm, diff)
		}
		if a.PIDForChildren != c.PIDForChildren || a.TimeForChildren != c.TimeForChildren {
			t.Errorf("process %d (%s) for-children namespaces: bpf %v %v, procfs %v %v",
				a.PID, a.Comm, a.PIDForChildren, a.TimeForChildren, c.PIDForChildren, c.TimeForChildren)
		}
		if diff := cmp.Diff(c.NSpid, a.NSpid); diff != "" {
			t.Errorf("process %d (%s) NSpid (-procfs +bpf):\n%s", a.PID, a.Comm, diff)
		}
		// Read once per css_set with the iterator, once per process
		// without; compared where they held still (an exiting process's
		// /proc/PID/cgroup says / in every v1 hierarchy, and a process
		// may move).
		if slices.Equal(b.Cgroups, c.Cgroups) {
			cgroupsStable++
			if diff := cmp.Diff(c.Cgroups, a.Cgroups); diff != "" {
				t.Errorf("process %d (%s) cgroups (-procfs +bpf):\n%s", a.PID, a.Comm, diff)
			}
		}
		// /proc/PID's owner is root for a process that is not dumpable;
		// the iterator reads the effective UID itself.
		if a.UID != c.UID && c.UID != 0 {
			t.Errorf("process %d (%s) uid: bpf %d, procfs %d", a.PID, a.Comm, a.UID, c.UID)
		}
		if a.Kernel != c.Kernel {
			t.Errorf("process %d (%s) kernel thread: bpf %v, procfs %v", a.PID, a.Comm, a.Kernel, c.Kernel)
		}

		// What stat and cmdline say, where it held still.
		same := func(k int, what string, ok bool, bv, av any) {
			if !ok {
				return
			}
			stable[k]++
			if !cmp.Equal(bv, av) {
				t.Errorf("process %d (%s) %s: bpf %v, procfs %v", a.PID, a.Comm, what, av, bv)
			}
		}
		// A kernel worker's name follows the work it does; kernel threads
		// are read from /proc both ways.
		same(0, "comm", b.Comm == c.Comm && !c.Kernel, b.Comm, a.Comm)
		same(1, "cmdline", slices.Equal(b.Cmdline, c.Cmdline), b.Cmdline, a.Cmdline)
		same(2, "ppid", b.PPID == c.PPID, b.PPID, a.PPID)
		same(3, "threads", b.Threads == c.Threads, b.Threads, a.Threads)
		same(4, "rss", b.RSSBytes == c.RSSBytes, b.RSSBytes, a.RSSBytes)
		if b.State == c.State && b.CPUTimeUS() == c.CPUTimeUS() && !c.Kernel {
			// A process that did not run for a tick may still have been
			// running at the moment the iterator looked: counted, not
			// failed, unless it is one of ours.
			stable[5]++
			if a.State != b.State {
				stateDiffs++
				t.Logf("process %d (%s) state: bpf %s, procfs %s before and after", a.PID, a.Comm, a.State, b.State)
			}
		}
		// The kernel never reports less than it last did, so the time
		// is at least what /proc said before; at most what it said
		// after, give or take a tick of rounding in how user and system
		// time are split.
		slack := time.Duration(c.CPUTimeUS()-b.CPUTimeUS())*time.Microsecond + tick
		for _, f := range []struct {
			what    string
			a, b, c int64
		}{{"utime", a.UTimeUS, b.UTimeUS, c.UTimeUS}, {"stime", a.STimeUS, b.STimeUS, c.STimeUS}} {
			if f.a < f.b || time.Duration(f.a-f.c)*time.Microsecond > slack {
				t.Errorf("process %d (%s) %s: bpf %d us, procfs %d us before and %d us after",
					a.PID, a.Comm, f.what, f.a, f.b, f.c)
			}
		}
	}
	// comm and state are compared for user processes only.
	for _, k := range []int{0, 5} {
		if n := stable[k]; n < userCompared/2 {
			t.Errorf("stat field %d held still in only %d of %d processes compared", k, n, userCompared)
		}
	}
	for k, n := range stable[1:5] {
		if n < compared/2 {
			t.Errorf("stat field %d held still in only %d of %d processes compared", k+1, n, compared)
		}
	}
	if cgroupsStable < compared/2 {
		t.Errorf("cgroups held still in only %d of %d processes compared", cgroupsStable, compared)
	}
	if stateDiffs > 1+userCompared/100 {
		t.Errorf("%d of %d processes differ in state", stateDiffs, userCompared)
	}
	special.check(t, withBPF, procfs)

	// The owners and parents the iterator read, against the nsfs ioctls.
	nsCompared := 0
	for _, b := range procfs.Namespaces {
		a := withBPF.Namespace(b.ID)
		if a == nil {
			continue // gone between the scans
		}
		if b.Owner.IsZero() && !a.Owner.IsZero() {
			// Through /proc the links come from nsfs ioctls on a
			// process's ns file: one that exited between its readlink and
			// the open left them unknown.
			continue
		}
		nsCompared++
		if a.Owner != b.Owner || a.Parent != b.Parent || a.OwnerUID != b.OwnerUID || a.Level != b.Level {
			t.Errorf("%s namespace %v: bpf owner %v parent %v uid %d level %d; procfs %v %v %d %d",
				b.Type, b.ID, a.Owner, a.Parent, a.OwnerUID, a.Level, b.Owner, b.Parent, b.OwnerUID, b.Level)
		}
	}
	if nsCompared < len(procfs.Namespaces)/2 {
		t.Errorf("compared only %d of %d namespaces", nsCompared, len(procfs.Namespaces))
	}
	if nested == 0 {
		t.Error("no process in a nested pid namespace was compared")
	}
	// Of the processes that lived through all three scans: under fork
	// churn (another package's test, a build) most of a scan's processes
	// can be gone by the next.
	lasting := 0
	for _, c := range procfs.Processes {
		if b := before.Process(c.PID); b != nil && b.StartTime.Equal(c.StartTime) {
			lasting++
		}
	}
	if compared < lasting/2 {
		t.Errorf("compared only %d of the %d processes in both /proc scans (%d in the last)", compared, lasting, len(procfs.Processes))
	}
	t.Logf("%d processes and %d namespaces compared, %d processes in nested pid namespaces; kernel %s", compared, nsCompared, nested,
		strings.TrimSpace(withBPF.Host.Kernel))
}

// startGroup starts cmd in a process group of its own, which is killed
// when the test ends, and returns its PID.
func startGroup(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%v: %v", cmd.Args, err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
	return cmd.Process.Pid
}

// specialProcesses are processes whose stat and cmdline take the less
// common paths: a stopped one, arguments longer than the iterator copies,
// a setproctitle-style title, and CPU time spread over exited and live
// threads.
type specialProcesses struct {
	stopped, longArgs, proctitle, cpuThreads int
	longCmdline                              []string
}

func startSpecialProcesses(t *testing.T) *specialProcesses {
	t.Helper()
	sp := &specialProcesses{}
	sp.stopped = startGroup(t, exec.Command("sleep", "600"))
	if err := syscall.Kill(sp.stopped, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	inspect.WaitFor(t, "a stopped sleep", func() bool {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", sp.stopped))
		i := strings.LastIndexByte(string(b), ')')
		return i > 0 && strings.HasPrefix(string(b[i:]), ") T")
	})
	// "; exit 0" keeps the shell from exec'ing sleep in its place.
	sp.longCmdline = []string{"sh", "-c", "sleep 600; exit 0", "nscope-long-args", strings.Repeat("x", 5000)}
	sp.longArgs = startGroup(t, exec.Command(sp.longCmdline[0], sp.longCmdline[1:]...))

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	helper := func(kind string, extraEnv ...string) *exec.Cmd {
		cmd := exec.Command(self, "-test.run=^$")
		cmd.Env = append(append(os.Environ(), helperEnv+"="+kind), extraEnv...)
		return cmd
	}
	sp.proctitle = startGroup(t, helper("proctitle"))
	ready := t.TempDir() + "/cputhreads-ready"
	sp.cpuThreads = startGroup(t, helper("cputhreads", helperEnv+"_READY="+ready))
	inspect.WaitFor(t, "the proctitle helper", func() bool {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", sp.proctitle))
		return strings.HasPrefix(string(b), proctitleTitle)
	})
	inspect.WaitFor(t, "the cputhreads helper", func() bool { _, err := os.Stat(ready); return err == nil })
	inspect.WaitFor(t, "the long-argument shell", func() bool {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", sp.longArgs))
		return len(b) > 5000
	})
	return sp
}

// check asserts what the scan through the iterators says about them;
// the general comparison has checked them against /proc too.
func (sp *specialProcesses) check(t *testing.T, withBPF, procfs *inspect.Snapshot) {
	t.Helper()
	get := func(pid int, what string) (a, c *inspect.Process) {
		a, c = withBPF.Process(pid), procfs.Process(pid)
		if a == nil || c == nil {
			t.Fatalf("%s (pid %d) missing from a scan", what, pid)
		}
		return a, c
	}
	if a, _ := get(sp.stopped, "stopped sleep"); a.State != "T" || a.Comm != "sleep" {
		t.Errorf("stopped sleep: state %q comm %q, want T and sleep", a.State, a.Comm)
	}
	if a, _ := get(sp.longArgs, "long-argument shell"); !slices.Equal(a.Cmdline, sp.longCmdline) {
		t.Errorf("long-argument shell: cmdline has %d arguments, want %d", len(a.Cmdline), len(sp.longCmdline))
	}
	if a, c := get(sp.proctitle, "proctitle helper"); len(a.Cmdline) == 0 ||
		!strings.HasPrefix(a.Cmdline[0], proctitleTitle) || !slices.Equal(a.Cmdline, c.Cmdline) {
		t.Errorf("proctitle helper: cmdline %.60q, procfs %.60q", a.Cmdline, c.Cmdline)
	}
}

// checkCPU compares the cputhreads helper's CPU time as the iterators
// read it before anything read its /proc/PID/stat with what /proc then
// said: the two threads that exited and the two still there must both
// count.
func (sp *specialProcesses) checkCPU(t *testing.T, first, procfs *inspect.Snapshot) {
	t.Helper()
	a, c := first.Process(sp.cpuThreads), procfs.Process(sp.cpuThreads)
	if a == nil || c == nil {
		t.Fatalf("cputhreads helper (pid %d) missing from a scan", sp.cpuThreads)
	}
	const tick = 10000 // us
	diff := func(x, y int64) int64 { return max(x-y, y-x) }
	if a.Threads != c.Threads || a.Threads < 3 || c.CPUTimeUS() < 5*tick ||
		diff(a.UTimeUS, c.UTimeUS) > tick || diff(a.STimeUS, c.STimeUS) > tick {
		t.Errorf("cputhreads helper: bpf %d threads, %d us user, %d us system; procfs %d, %d, %d",
			a.Threads, a.UTimeUS, a.STimeUS, c.Threads, c.UTimeUS, c.STimeUS)
	}
}

// TestBPFThreadChurn scans, again and again, a process whose threads
// keep exiting, with 300 processes between its PID and its threads'
// (the iterator reads them in PID order, so the window is wide): its CPU
// time must never go back. A thread that exits mid-pass moves its time
// into the group's signal_struct after or before the iterator read it;
// such a pass must not count it twice or lose it.
func TestBPFThreadChurn(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the BPF iterators need CAP_BPF and CAP_PERFMON")
	}
	s := inspect.NewScanner(t)
	if err := s.BPFErr(); err != nil {
		t.Skipf("BPF iterators do not load: %v", err)
	}
	if err := inspect.ProcIterErr(s); err != nil {
		t.Skipf("no process iterator: %v", err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The helper waits for the sleeps before starting threads, so their
	// thread IDs come after the sleeps' PIDs.
	ready := t.TempDir() + "/go"
	helper := exec.Command("sh", "-c", `while [ ! -e "$1" ]; do sleep 0.05; done; exec "$2" -test.run='^$'`, "sh", ready, self)
	helper.Env = append(os.Environ(), helperEnv+"=threadchurn")
	pid := startGroup(t, helper)
	for range 300 {
		startGroup(t, exec.Command("sleep", "600"))
	}
	if err := os.WriteFile(ready, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	inspect.WaitFor(t, "the churning helper", func() bool {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		return strings.Contains(string(b), "\nThreads:\t") && !strings.Contains(string(b), "Name:\tsh")
	})
	time.Sleep(200 * time.Millisecond)
	t.Logf("helper %d: %s", pid, liveness(pid))

	const tick = 10000 // us
	var last int64
	drops := 0
	for i := range 60 {
		snap, err := s.Scan(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		p := snap.Process(pid)
		if p == nil {
			t.Fatalf("scan %d (%s): helper %d missing from the scan; %s", i, snap.ScanMethod, pid, liveness(pid))
		}
		// User and system time are split anew each time; only their
		// rounding to ticks may take one back.
		if now := p.CPUTimeUS(); now < last-tick {
			drops++
			t.Errorf("scan %d: CPU time went back from %d to %d us", i, last, now)
		} else {
			last = max(last, now)
		}
	}
	if last < 20*tick {
		t.Errorf("the helper used only %d us of CPU; did its threads run?", last)
	}
}

// liveness says whether process pid is alive now, as /proc tells:
// its state and threads, or why its stat cannot be read.
func liveness(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return fmt.Sprintf("it is gone now (%v)", err)
	}
	st, err := inspect.ParseProcStat(data)
	if err != nil {
		return fmt.Sprintf("its stat does not parse (%v): %q", err, data)
	}
	return fmt.Sprintf("it is alive now: %s, state %c, %d threads, started at tick %d", st.Comm, st.State, st.Threads, st.StartTime)
}

// TestBPFInTimeNamespace scans from a time namespace whose boot clock is
// a day ahead: /proc shifts start times by that and the iterators do
// not, so the scan must not use them, and a process's start time must
// still be right.
func TestBPFInTimeNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: time namespaces and the BPF iterators")
	}
	if _, err := os.Stat("/proc/self/ns/time"); err != nil {
		t.Skip("kernel without time namespaces")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("unshare", "--fork", "--time", "--boottime", "86400", self, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=timensscan")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Skipf("unshare --time --boottime: %v: %s", err, out)
	}
	var method string
	var age, differ int64
	if _, err := fmt.Sscan(string(out), &method, &age, &differ); err != nil {
		t.Fatalf("helper printed %q", out)
	}
	if method != "procfs" || age < -5 || age > 60 || differ != 0 {
		t.Errorf("in a time namespace: scan method %s, the scanner started %d s ago, %d start times differ from /proc's; "+
			"want procfs, a few seconds and none", method, age, differ)
	}
}
