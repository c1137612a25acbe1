package inspect

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
	"github.com/nscope/nscope/internal/testutil"
)

// refreshMode is a way a refresh reads processes: with the counter
// programs (root on a kernel with BTF: the walk, 6.7+, or the task
// iterator), or from /proc alone.
type refreshMode struct {
	name           string
	iterator, walk bool
}

var refreshModes = []refreshMode{{"walk", true, true}, {"task-iterator", true, false}, {"proc", false, false}}

// scanForRefresh scans this machine without the holder search and opens
// a Refresher on the scan; the scanner stays open until the test ends,
// so the refresher keeps its counter programs.
func scanForRefresh(t *testing.T) (*Scanner, *Snapshot, *Refresher) {
	t.Helper()
	s := New(WithFDs(false), WithMounts(false))
	t.Cleanup(func() { s.Close() })
	snap, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Refresher(snap)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return s, snap, r
}

// refreshHostMode is refreshHost in a mode; it skips when the mode's
// counter program is not there.
func refreshHostMode(t *testing.T, mode refreshMode) (*Snapshot, *Refresher) {
	t.Helper()
	s, snap, r := scanForRefresh(t)
	switch {
	case !mode.iterator:
		r.counters = nil
	case r.counters == nil:
		t.Skipf("no counter programs here (scan method %q, BPF: %v)", snap.ScanMethod, s.BPFErr())
	case mode.walk && r.counters.it.walk == nil:
		t.Skip("no counter walk here (before 6.7)")
	case mode.walk:
		r.forcePass = true // a small host (the kernel lab's) would read /proc
	case !mode.walk:
		r.forcePass = true
		// The scanner's programs are this test's alone.
		it := r.counters.it
		it.mu.Lock()
		if it.walk != nil {
			it.walk.close()
			it.walk = nil
		}
		it.mu.Unlock()
		if it.link == nil {
			t.Skip("no counter task iterator here")
		}
	}
	return snap, r
}

// refresh refreshes at now, failing the test on anything but a structure
// change (this machine runs other things).
func refresh(t *testing.T, r *Refresher) RefreshResult {
	t.Helper()
	res, err := r.Refresh(time.Now())
	if err != nil && !errors.Is(err, ErrStructureChanged) {
		t.Fatal(err)
	}
	return res
}

// procStill is what the test compares of a process: /proc/PID/stat's
// fields that a refresh takes (the parent only to tell that the process
// held still), and the main thread's runtime in ns from
// /proc/PID/schedstat, which says whether it ran at all (stat's times
// are in ticks: a process that ran a little, its state R meanwhile,
// shows the same times before and after).
type procStill struct {
	utime, stime, rss int64
	state             string
	threads, ppid     int
	runtime           string
}

// readStill reads the base's processes' stat files and the base's
// cgroups' CPU usage files directly; a missing entry could not be read.
func readStill(t *testing.T, snap *Snapshot) (map[int]procStill, map[int]string) {
	t.Helper()
	procs := map[int]procStill{}
	for i := range snap.Processes {
		pid := snap.Processes[i].PID
		data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		st, err := ParseProcStat(data)
		if err != nil {
			continue
		}
		sched, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/schedstat")
		if err != nil {
			continue
		}
		runtime, _, _ := bytes.Cut(sched, []byte{' '})
		procs[pid] = procStill{
			utime: int64(st.UTime) * (1e6 / clockTicks), stime: int64(st.STime) * (1e6 / clockTicks),
			rss: st.RSSPages * int64(os.Getpagesize()), state: string(st.State), threads: st.Threads, ppid: st.PPID,
			runtime: string(runtime),
		}
	}
	cgroups := map[int]string{}
	for i := range snap.Cgroups {
		c := &snap.Cgroups[i]
		h := snap.Hierarchy(c.Hierarchy)
		name := "cpuacct.usage"
		if h.Version == 2 {
			name = "cpu.stat"
		}
		if data, err := os.ReadFile(filepath.Join(h.Mount, c.Path, name)); err == nil {
			cgroups[i] = string(data)
		}
	}
	return procs, cgroups
}

// TestRefreshMatchesStillHost checks every number a refresh gives
// against the host: the test reads every process's stat file and every
// cgroup's CPU usage file just before and just after a refresh, and
// where a file read the same both times, the refresh must say what it
// said, whether the refresh read it, took it from the counter programs,
// or skipped it, and whether it wrote a new snapshot or one handed back (a cgroup below one whose usage held still, a process in
// a cgroup whose own CPU held still). Without the iterator, a member of
// a big cgroup that ran is read only when busy or its turn comes
// (pollEvery), so those are not compared; nor is RSS there, which the
// refresh takes from processes that ran.
func TestRefreshMatchesStillHost(t *testing.T) { testRefreshMatchesStillHost(t) }

// TestLabRefreshMatchesStillHost is TestRefreshMatchesStillHost in the
// kernel lab: on 6.1 the counter task iterator (the walk needs 6.7), on
// 6.12 the walk, on cgroup v2 and on legacy v1.
func TestLabRefreshMatchesStillHost(t *testing.T) {
	labproto.Need(t, labproto.AnyCgroup...)
	testRefreshMatchesStillHost(t)
}

func testRefreshMatchesStillHost(t *testing.T) {
	for _, mode := range refreshModes {
		t.Run(mode.name, func(t *testing.T) {
			snap, r := refreshHostMode(t, mode)
			last := refresh(t, r).Snapshot
			r.stats = refreshStats{}
			procsCompared, eligible, cgCompared, skipped := 0, 0, 0, 0
			for round := range 4 {
				time.Sleep(300 * time.Millisecond)
				procs0, cgs0 := readStill(t, snap)
				res := refresh(t, r)
				procs1, cgs1 := readStill(t, snap)
				// Handed back, as the recorder does: the next refresh
				// writes into it.
				r.Recycle(last)
				last = res.Snapshot
				for i := range snap.Processes {
					pid := snap.Processes[i].PID
					a, ok0 := procs0[pid]
					b, ok1 := procs1[pid]
					if !ok0 || !ok1 || a != b {
						continue
					}
					if cg := r.cpuCg[i]; !mode.iterator && (cg < 0 || r.unsure[i] || (r.cg.own[cg] && len(snap.Cgroups[cg].Procs) > smallCgroup)) {
						continue
					}
					p := res.Snapshot.Processes[i]
					// The parent is structure: a refresh that sees a
					// process reparented says so (ErrStructureChanged)
					// and leaves the scan's PPID to the next full scan.
					got := procStill{utime: p.UTimeUS, stime: p.STimeUS, rss: p.RSSBytes, state: p.State, threads: p.Threads, ppid: a.ppid, runtime: a.runtime}
					if !mode.iterator {
						got.rss = a.rss
					}
					if _, alive := procs1[snap.Processes[i].PPID]; !alive && snap.Processes[i].PPID > 1 {
						// Its parent exited since the full scan: the
						// refresh reports that exit (a structure change,
						// which brings a scan or the live view's patch),
						// it does not re-read who adopted the orphan.
						got.ppid = a.ppid
					}
					if a.state == "Z" && p.State != "Z" {
						// It exited after the full scan: an exit is a
						// process event (the live view's patch, the
						// recorder's scan), which the /proc refresh
						// sees only if its cgroup's CPU moved.
						continue
					}
					if p.State == "X" {
						continue // the refresh saw it exit; the test's reads did not
					}
					// Eligible: held still and could be known (an exit
					// the refresh could not see is not).
					eligible++
					procsCompared++
					if got != a {
						t.Errorf("round %d: PID %d (%s) held still at %+v, the refresh says %+v", round, pid, p.Comm, a, got)
					}
				}
				for i, before := range cgs0 {
					if cgs1[i] != before {
						continue
					}
					c := &res.Snapshot.Cgroups[i]
					if c.Usage.CPUUsageUS == nil {
						continue
					}
					h := snap.Hierarchy(c.Hierarchy)
					want := Usage{}
					name := "cpuacct.usage"
					if h.Version == 2 {
						name = "cpu.stat"
					}
					applyUsageFile(&want, h.Version, name, bytes.TrimSpace([]byte(before)))
					if want.CPUUsageUS == nil {
						continue
					}
					cgCompared++
					if !r.cg.cloned[i] {
						skipped++
					}
					if *c.Usage.CPUUsageUS != *want.CPUUsageUS {
						t.Errorf("round %d: cgroup %s:%s held still at %dµs, the refresh says %dµs (read this time: %v)",
							round, h.Label(), c.Path, *want.CPUUsageUS, *c.Usage.CPUUsageUS, r.cg.cloned[i])
					}
				}
			}
			t.Logf("compared %d process and %d cgroup numbers that held still (%d cgroups skipped by the refresh); %+v",
				procsCompared, cgCompared, skipped, r.stats)
			// Without the iterator, a host whose processes all sit in
			// big cgroups that ran leaves none to compare.
			if (mode.iterator && procsCompared == 0) || procsCompared < eligible/2 {
				t.Errorf("only %d of %d process numbers the refreshes could have known held still: the comparison proves little", procsCompared, eligible)
			}
			// What it is for: after the first, a refresh reads a small
			// part of the host (kernel threads that ran, with the
			// iterator; the busy or due members of a big cgroup without).
			limit := max(len(snap.Processes)/10, 32)
			if !mode.iterator {
				limit = len(snap.Processes)/pollEvery + smallCgroup
			}
			if reads := r.stats.statReads / r.stats.refreshes; reads > limit {
				t.Errorf("a refresh read %d stat files on average, want at most %d of %d processes", reads, limit, len(snap.Processes))
			}
		})
	}
}

// cpuTestCgroups makes a test subtree in the hierarchy that accounts
// processes' CPU (v1 cpuacct, else v2): parent/busy and parent/idle,
// and quiet/inner beside it, beneath this process's own cgroup there
// (uniquely named). It returns the hierarchy and the four directories.
func cpuTestCgroups(t *testing.T) (h *Hierarchy, busy, idle, quiet, inner string) {
	t.Helper()
	testutil.RequireRoot(t, "creates cgroups")
	layout := New().Layout()
	h = layout.ForController("cpuacct")
	if h == nil || h.Version != 1 {
		for i := range layout.Hierarchies {
			if layout.Hierarchies[i].Version == 2 {
				h = &layout.Hierarchies[i]
			}
		}
	}
	if h == nil {
		t.Skip("no cpuacct or v2 hierarchy here")
	}
	own, ok := testutil.OwnCgroups(t)[h.ID]
	if !ok {
		t.Skipf("this process has no cgroup in hierarchy %d", h.ID)
	}
	base := filepath.Join(h.Mount, own)
	parent := filepath.Join(base, testutil.UniqueName("nscope-test"))
	quiet = filepath.Join(base, testutil.UniqueName("nscope-test"))
	busy, idle, inner = filepath.Join(parent, "busy"), filepath.Join(parent, "idle"), filepath.Join(quiet, "inner")
	// Cleanups run last first: children before parents.
	for _, d := range []string{parent, busy, idle, quiet, inner} {
		testutil.MakeCgroup(t, d)
	}
	return h, busy, idle, quiet, inner
}

// startIn starts argv, moves it into each cgroup directory, and kills it
// when the test ends.
func startIn(t *testing.T, cmd *exec.Cmd, dirs ...string) int {
	t.Helper()
	pid := testutil.StartGroup(t, cmd)
	testutil.Place(t, pid, dirs...)
	return pid
}

// TestRefreshNestedCgroups runs a busy process in a nested cgroup of its
// own beside an idle one, and a sleep in a cgroup nested in a quiet
// one: the busy process gets its CPU% at every refresh and its cgroup's
// usage grows as the file says; the quiet subtree is skipped, and what
// the refresh says of it is what its files say. In the kernel lab
// (TestLabRefreshNestedCgroups) this runs on cgroup v2.
func TestRefreshNestedCgroups(t *testing.T) {
	for _, mode := range refreshModes {
		t.Run(mode.name, func(t *testing.T) { testRefreshNestedCgroups(t, mode) })
	}
}

// TestLabRefreshNestedCgroups is TestRefreshNestedCgroups in the kernel
// lab: v2 cpu.stat usage top down (and its nested own CPU), or v1
// cpuacct in the legacy guest.
func TestLabRefreshNestedCgroups(t *testing.T) {
	labproto.Need(t, labproto.AnyCgroup...)
	TestRefreshNestedCgroups(t)
}

func testRefreshNestedCgroups(t *testing.T, mode refreshMode) {
	h, busyDir, idleDir, quietDir, innerDir := cpuTestCgroups(t)
	spin := exec.Command("sh", "-c", "read x; while :; do :; done")
	stdin, err := spin.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	busy := startIn(t, spin, busyDir)
	idle := startIn(t, exec.Command("sleep", "60"), idleDir)
	still := startIn(t, exec.Command("sleep", "60"), innerDir)
	time.Sleep(100 * time.Millisecond) // let the sleeps exec and settle
	snap, r := refreshHostMode(t, mode)
	pathOf := func(dir string) string { return "/" + mustRel(t, h.Mount, dir) }
	usageFile := func(dir string) int64 {
		if h.Version == 2 {
			return testutil.KeyedValue(t, filepath.Join(dir, "cpu.stat"), "usage_usec")
		}
		return testutil.ReadInt64(t, filepath.Join(dir, "cpuacct.usage")) / 1000
	}
	for _, dir := range []string{busyDir, idleDir, innerDir} {
		if c := snap.Cgroup(h.ID, pathOf(dir)); c == nil || c.Usage.CPUUsageUS == nil {
			t.Fatalf("the scan did not find %s with a CPU counter", pathOf(dir))
		}
	}
	base := *snap.Cgroup(h.ID, pathOf(busyDir)).Usage.CPUUsageUS
	refresh(t, r)
	stdin.Close() // start spinning
	for deadline := time.Now().Add(30 * time.Second); usageFile(busyDir)-base < 200_000; {
		if time.Now().After(deadline) {
			t.Fatal("the busy process got no CPU in 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	index := func(path string) int {
		for i := range snap.Cgroups {
			if snap.Cgroups[i].Hierarchy == h.ID && snap.Cgroups[i].Path == path {
				return i
			}
		}
		t.Fatalf("no cgroup %s", path)
		return -1
	}
	innerAt := index(pathOf(innerDir))
	skipped := 0
	for round := range 3 {
		time.Sleep(200 * time.Millisecond)
		innerBefore := usageFile(innerDir)
		res := refresh(t, r)
		got := res.Snapshot
		if cpu := res.ProcessCPU[busy]; cpu <= 0 {
			t.Errorf("round %d: the busy process's CPU = %.1f%%, want more than 0", round, cpu)
		}
		if cpu := res.ProcessCPU[idle]; cpu != 0 {
			t.Errorf("round %d: the idle sleep's CPU = %.1f%%, want 0", round, cpu)
		}
		used := *got.Cgroup(h.ID, pathOf(busyDir)).Usage.CPUUsageUS - base
		if now := usageFile(busyDir) - base; used < 200_000 || used > now {
			t.Errorf("round %d: the refresh says the busy cgroup used %dµs; want at least 200ms and at most the %dµs its file says after", round, used, now)
		}
		if p := got.Process(still); p == nil || p.CPUTimeUS() != snap.Process(still).CPUTimeUS() || p.State != "S" {
			t.Errorf("round %d: the sleep in the quiet subtree is %+v, want its scanned CPU time and state S", round, p)
		}
		if !r.cg.cloned[innerAt] {
			skipped++
		}
		if after := usageFile(innerDir); after == innerBefore && *got.Cgroups[innerAt].Usage.CPUUsageUS != after {
			t.Errorf("round %d: %s held still at %dµs, the refresh says %dµs", round, pathOf(innerDir), after, *got.Cgroups[innerAt].Usage.CPUUsageUS)
		}
	}
	if skipped == 0 {
		t.Errorf("no refresh skipped %s, below the quiet %s: %+v", pathOf(innerDir), pathOf(quietDir), r.stats)
	}
	if !mode.iterator && r.stats.statReads == 0 {
		t.Error("without the iterator no stat file was read")
	}
}

// mustRel is filepath.Rel, failing the test on error.
func mustRel(t *testing.T, base, path string) string {
	t.Helper()
	rel, err := filepath.Rel(base, path)
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

// TestCounterWalkOverflow: a walk whose array is too small for the host
// gives way to the task iterator, which reads the same.
func TestCounterWalkOverflow(t *testing.T) {
	testutil.RequireRoot(t, "loads BPF programs")
	it, err := loadCounterIter(16)
	if err != nil {
		t.Skipf("no counter programs here: %v", err)
	}
	defer it.close()
	if it.walk == nil || it.link == nil {
		t.Skip("needs both the walk (6.7+) and the task iterator")
	}
	buf, stride, err := it.pass(nil)
	if err != nil {
		t.Fatal(err)
	}
	if stride != 0 || it.walk != nil {
		t.Errorf("a walk over more than 16 tasks into 16 slots gave stride %d (walk still loaded: %v), want the task iterator's records", stride, it.walk != nil)
	}
	if len(buf) < 16*prThreadBytes {
		t.Errorf("the task iterator wrote %d bytes, want records of more than 16 tasks", len(buf))
	}
}
