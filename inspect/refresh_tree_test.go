package inspect

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeTree is a procfs and cgroup hierarchies in a temporary directory,
// with a snapshot of them as a scan would have taken it: each cgroup's
// Usage is what its files say.
type fakeTree struct {
	t    *testing.T
	root string // the temporary directory
	proc string
	snap *Snapshot
}

// fakeCgroup is a cgroup of a fakeTree: its hierarchy's ID, its path
// and its files' contents.
type fakeCgroup struct {
	hier  int
	path  string
	files map[string]string
	procs []int
}

// fakeProc is a process of a fakeTree: its cgroup path in each
// hierarchy and its utime in clock ticks.
type fakeProc struct {
	pid     int
	cgroups map[int]string
	utime   int
}

// newFakeTree writes the hierarchies (Mount is taken as a directory name
// under the tree), cgroups and processes and builds the snapshot.
func newFakeTree(t *testing.T, hiers []Hierarchy, cgroups []fakeCgroup, procs []fakeProc) *fakeTree {
	t.Helper()
	f := &fakeTree{t: t, root: t.TempDir()}
	f.proc = filepath.Join(f.root, "proc")
	snap := &Snapshot{
		SchemaVersion: SchemaVersion,
		Time:          time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		CgroupMode:    CgroupUnified,
	}
	for _, h := range hiers {
		h.Mount = filepath.Join(f.root, h.Mount)
		if h.Version == 1 {
			snap.CgroupMode = CgroupLegacy
		}
		snap.Hierarchies = append(snap.Hierarchies, h)
	}
	mount := func(id int) (string, int) {
		for _, h := range snap.Hierarchies {
			if h.ID == id {
				return h.Mount, h.Version
			}
		}
		t.Fatalf("no hierarchy %d", id)
		return "", 0
	}
	for _, c := range cgroups {
		dir, version := mount(c.hier)
		dir = filepath.Join(dir, c.path)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		cg := Cgroup{Hierarchy: c.hier, Path: c.path, Procs: c.procs}
		names := make([]string, 0, len(c.files))
		for name := range c.files {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			content := c.files[name]
			f.writeAbs(filepath.Join(dir, name), content)
			if !applyUsageFile(&cg.Usage, version, name, bytes.TrimSpace([]byte(content))) {
				switch name {
				case "cpu.cfs_quota_us":
					v, _ := strconv.ParseInt(strings.TrimSpace(content), 10, 64)
					cg.Limits.CPUQuotaUS = &v
				}
			}
		}
		snap.Cgroups = append(snap.Cgroups, cg)
	}
	f.writeAbs(filepath.Join(f.proc, "loadavg"), "0.00 0.00 0.00 1/1 100\n")
	for _, p := range procs {
		proc := Process{PID: p.pid, PPID: 1, Comm: "p" + strconv.Itoa(p.pid), State: "S", NSpid: []int{p.pid}}
		ids := make([]int, 0, len(p.cgroups))
		for id := range p.cgroups {
			ids = append(ids, id)
		}
		sort.Ints(ids)
		for _, id := range ids {
			proc.Cgroups = append(proc.Cgroups, ProcCgroup{Hierarchy: id, Path: p.cgroups[id]})
		}
		proc.UTimeUS = int64(p.utime) * (1e6 / clockTicks)
		snap.Processes = append(snap.Processes, proc)
		f.setStat(p.pid, p.utime)
	}
	var buf bytes.Buffer
	if err := snap.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.snap, err = Load(&buf); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fakeTree) writeAbs(path, content string) {
	f.t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// write writes a file of cgroup path in the hierarchy mounted at mount
// (the name given to newFakeTree).
func (f *fakeTree) write(mount, path, file, content string) {
	f.t.Helper()
	f.writeAbs(filepath.Join(f.root, mount, path, file), content)
}

// setStat writes a process's stat with utime ticks.
func (f *fakeTree) setStat(pid, utime int) {
	f.t.Helper()
	f.writeAbs(filepath.Join(f.proc, strconv.Itoa(pid), "stat"),
		strconv.Itoa(pid)+" (p"+strconv.Itoa(pid)+") S 1 1 1 0 -1 0 0 0 0 0 "+strconv.Itoa(utime)+" 0 0 0 20 0 1 0 5 0 25 0\n")
}

// refresher opens a Refresher on the tree, closed when the test ends.
func (f *fakeTree) refresher() *Refresher {
	f.t.Helper()
	r, err := New(ProcRoot(f.proc)).Refresher(f.snap)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(r.Close)
	return r
}

// v2Usage is a v2 cpu.stat with usage µs and nr_periods.
func v2Usage(usage, periods int64) string {
	return "usage_usec " + strconv.FormatInt(usage, 10) + "\nnr_periods " + strconv.FormatInt(periods, 10) +
		"\nnr_throttled 0\nthrottled_usec 0\n"
}

// usageOf returns a cgroup's CPU usage in a refreshed snapshot.
func usageOf(t *testing.T, snap *Snapshot, hier int, path string) int64 {
	t.Helper()
	c := snap.Cgroup(hier, path)
	if c == nil || c.Usage.CPUUsageUS == nil {
		t.Fatalf("no usage for %d:%s", hier, path)
	}
	return *c.Usage.CPUUsageUS
}

// TestRefreshTopDown: on a v2 tree, a refresh reads the CPU usage from
// the root down and stops at a cgroup whose usage held still; a process
// is read when its cgroup's own CPU (its usage less its children's)
// moved, and its CPU% is over the time since its numbers were last
// known; a cgroup's throttling counters are read for throttleTail after
// its usage last moved.
func TestRefreshTopDown(t *testing.T) {
	f := newFakeTree(t,
		[]Hierarchy{{ID: 0, Version: 2, Controllers: []string{"cpu", "memory"}, Mount: "cg"}},
		[]fakeCgroup{
			{hier: 0, path: "/", files: map[string]string{"cpu.stat": v2Usage(10_000, 0)}},
			{hier: 0, path: "/a", procs: []int{400}, files: map[string]string{"cpu.stat": v2Usage(3000, 0)}},
			{hier: 0, path: "/a/b", procs: []int{100}, files: map[string]string{"cpu.stat": v2Usage(1000, 0)}},
			{hier: 0, path: "/a/c", procs: []int{200}, files: map[string]string{"cpu.stat": v2Usage(1000, 0)}},
			{hier: 0, path: "/d", procs: []int{300}, files: map[string]string{"cpu.stat": v2Usage(5000, 7), "memory.current": "4096\n"}},
		},
		[]fakeProc{
			{pid: 100, cgroups: map[int]string{0: "/a/b"}},
			{pid: 200, cgroups: map[int]string{0: "/a/c"}},
			{pid: 300, cgroups: map[int]string{0: "/d"}},
			{pid: 400, cgroups: map[int]string{0: "/a"}},
		})
	r := f.refresher()
	step := stepper(t, r, f.snap.Time)
	if res := step(); res.Read != 4 {
		t.Fatalf("the first refresh read %d processes, want all 4", res.Read)
	}

	// Quiet: the root's usage held still; nothing below it is read, even
	// a file that (impossibly on a real host) changed.
	f.write("cg", "/d", "cpu.stat", v2Usage(9999, 7))
	res := step()
	if res.Read != 0 || usageOf(t, res.Snapshot, 0, "/d") != 5000 {
		t.Errorf("quiet refresh: read %d processes, /d usage %d; want 0 and the old 5000 (its subtree skipped)", res.Read, usageOf(t, res.Snapshot, 0, "/d"))
	}
	f.write("cg", "/d", "cpu.stat", v2Usage(5000, 7))

	// /a/b ran 0.5 s: the root, /a and /a/b moved by as much. /a/b's
	// process is read; /a's own CPU did not move, so 400 is not; /a/c is
	// read (its parent moved) and held still, so 200 is not; /d is read
	// and held still.
	f.write("cg", "/", "cpu.stat", v2Usage(510_000, 0))
	f.write("cg", "/a", "cpu.stat", v2Usage(503_000, 0))
	f.write("cg", "/a/b", "cpu.stat", v2Usage(501_000, 0))
	f.setStat(100, 50)
	res = step()
	if res.Read != 1 || res.Snapshot.Process(100).UTimeUS != 500_000 {
		t.Errorf("after /a/b ran: read %d processes, 100's utime %dµs; want 1 and 500000", res.Read, res.Snapshot.Process(100).UTimeUS)
	}
	if got := res.ProcessCPU[100]; got != 50 {
		t.Errorf("CPU%% of 100 = %v, want 50 (0.5 s over the 1 s since it was last known)", got)
	}
	if got := usageOf(t, res.Snapshot, 0, "/a/b"); got != 501_000 {
		t.Errorf("/a/b usage = %d, want 501000", got)
	}

	// /a's own process ran: /a moved by more than /a/b.
	f.write("cg", "/", "cpu.stat", v2Usage(530_000, 0))
	f.write("cg", "/a", "cpu.stat", v2Usage(523_000, 0))
	f.write("cg", "/a/b", "cpu.stat", v2Usage(511_000, 0))
	f.setStat(100, 51)
	f.setStat(400, 1)
	if res = step(); res.Read != 2 || res.Snapshot.Process(400).UTimeUS != 10_000 {
		t.Errorf("after /a's own process ran: read %d processes, 400's utime %dµs; want 2 and 10000", res.Read, res.Snapshot.Process(400).UTimeUS)
	}

	// /d ran, and its throttling counter goes on for throttleTail.
	f.write("cg", "/", "cpu.stat", v2Usage(540_000, 0))
	f.write("cg", "/d", "cpu.stat", v2Usage(15_000, 8))
	f.write("cg", "/d", "memory.current", "8192\n")
	f.setStat(300, 1)
	res = step()
	d := res.Snapshot.Cgroup(0, "/d")
	if res.Read != 1 || *d.Usage.NrPeriods != 8 || *d.Usage.MemoryCurrent != 8192 {
		t.Errorf("after /d ran: read %d processes, nr_periods %d, memory %d; want 1, 8 and 8192", res.Read, *d.Usage.NrPeriods, *d.Usage.MemoryCurrent)
	}
	f.write("cg", "/d", "cpu.stat", v2Usage(15_000, 9))
	if d = step().Snapshot.Cgroup(0, "/d"); *d.Usage.NrPeriods != 9 {
		t.Errorf("1 s after /d ran: nr_periods %d, want 9 (the timer counts on after the usage stopped)", *d.Usage.NrPeriods)
	}
	f.write("cg", "/d", "cpu.stat", v2Usage(15_000, 10))
	if d = step().Snapshot.Cgroup(0, "/d"); *d.Usage.NrPeriods != 10 {
		t.Errorf("2 s after /d ran: nr_periods %d, want 10", *d.Usage.NrPeriods)
	}
	f.write("cg", "/d", "cpu.stat", v2Usage(15_000, 11))
	if d = step().Snapshot.Cgroup(0, "/d"); *d.Usage.NrPeriods != 10 {
		t.Errorf("3 s after /d ran: nr_periods %d, want 10 (not read: past throttleTail)", *d.Usage.NrPeriods)
	}
	f.write("cg", "/d", "cpu.stat", v2Usage(15_000, 10))

	// An idle cgroup's gauges are read once per gaugeCycle refreshes.
	f.write("cg", "/d", "memory.current", "12288\n")
	reads := 0
	last := int64(8192)
	for range gaugeCycle {
		if m := *step().Snapshot.Cgroup(0, "/d").Usage.MemoryCurrent; m != last {
			reads++
			last = m
		}
	}
	if reads != 1 || last != 12288 {
		t.Errorf("%d idle refreshes took a new memory.current %d times (last %d), want once (12288)", gaugeCycle, reads, last)
	}
	if *f.snap.Cgroup(0, "/d").Usage.MemoryCurrent != 4096 || *f.snap.Cgroup(0, "/d").Usage.NrPeriods != 7 {
		t.Error("refreshes changed the base snapshot")
	}

}

// TestRefreshCgroupRemoved: a cgroup removed after the scan is noticed
// when a refresh first opens its files (they are opened when first read).
func TestRefreshCgroupRemoved(t *testing.T) {
	f := newFakeTree(t,
		[]Hierarchy{{ID: 0, Version: 2, Controllers: []string{"cpu"}, Mount: "cg"}},
		[]fakeCgroup{
			{hier: 0, path: "/", files: map[string]string{"cpu.stat": v2Usage(10_000, 0)}},
			{hier: 0, path: "/x", files: map[string]string{"cpu.stat": v2Usage(1000, 0)}},
		}, nil)
	r := f.refresher()
	at := f.snap.Time.Add(time.Second)
	if _, err := r.Refresh(at); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(f.root, "cg", "x")); err != nil {
		t.Fatal(err)
	}
	f.write("cg", "/", "cpu.stat", v2Usage(20_000, 0))
	if _, err := r.Refresh(at.Add(time.Second)); !errors.Is(err, ErrStructureChanged) {
		t.Errorf("after /x was removed: err = %v, want ErrStructureChanged", err)
	}
}

// TestRefreshV1Twins: on v1 with cpu and cpuacct mounted apart, the
// throttling counters of a cpu cgroup are read when its cpuacct twin (the
// same path) ran, and a memory cgroup at another path has its gauges
// read when a member process changed.
func TestRefreshV1Twins(t *testing.T) {
	f := newFakeTree(t,
		[]Hierarchy{
			{ID: 1, Version: 1, Controllers: []string{"cpu"}, Mount: "cpu"},
			{ID: 2, Version: 1, Controllers: []string{"cpuacct"}, Mount: "cpuacct"},
			{ID: 3, Version: 1, Controllers: []string{"memory"}, Mount: "memory"},
		},
		[]fakeCgroup{
			{hier: 1, path: "/", files: map[string]string{"cpu.stat": "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n"}},
			{hier: 1, path: "/x", procs: []int{100}, files: map[string]string{"cpu.stat": "nr_periods 1\nnr_throttled 0\nthrottled_time 0\n", "cpu.cfs_quota_us": "30000\n"}},
			{hier: 1, path: "/lone", files: map[string]string{"cpu.stat": "nr_periods 1\nnr_throttled 0\nthrottled_time 0\n", "cpu.cfs_quota_us": "30000\n"}},
			{hier: 2, path: "/", procs: []int{200}, files: map[string]string{"cpuacct.usage": "1000000000\n"}},
			{hier: 2, path: "/x", procs: []int{100}, files: map[string]string{"cpuacct.usage": "1000000\n"}},
			{hier: 3, path: "/", procs: []int{200}, files: map[string]string{"memory.usage_in_bytes": "100000\n"}},
			{hier: 3, path: "/elsewhere/x", procs: []int{100}, files: map[string]string{"memory.usage_in_bytes": "4096\n"}},
		},
		[]fakeProc{
			{pid: 100, cgroups: map[int]string{1: "/x", 2: "/x", 3: "/elsewhere/x"}},
			{pid: 200, cgroups: map[int]string{1: "/", 2: "/", 3: "/"}},
		})
	r := f.refresher()
	step := stepper(t, r, f.snap.Time)
	step()
	periods := func(res RefreshResult, path string) int64 {
		return *res.Snapshot.Cgroup(1, path).Usage.NrPeriods
	}
	// /x held still: its throttling counters are not read; /lone has no
	// twin but a quota, so it is read every time.
	f.write("cpu", "/x", "cpu.stat", "nr_periods 2\nnr_throttled 0\nthrottled_time 0\n")
	f.write("cpu", "/lone", "cpu.stat", "nr_periods 2\nnr_throttled 0\nthrottled_time 0\n")
	f.write("memory", "/elsewhere/x", "memory.usage_in_bytes", "8192\n")
	res := step()
	if periods(res, "/x") != 1 || periods(res, "/lone") != 2 {
		t.Errorf("/x held still: nr_periods /x %d, /lone %d; want 1 (not read) and 2 (read: a quota and no twin)", periods(res, "/x"), periods(res, "/lone"))
	}
	// /x ran (its cpuacct twin moved, and the root with it).
	f.write("cpuacct", "/", "cpuacct.usage", "1100000000\n")
	f.write("cpuacct", "/x", "cpuacct.usage", "101000000\n")
	f.setStat(100, 10)
	res = step()
	mem := *res.Snapshot.Cgroup(3, "/elsewhere/x").Usage.MemoryCurrent
	if periods(res, "/x") != 2 || res.Read != 1 || mem != 8192 {
		t.Errorf("/x ran: nr_periods %d, read %d processes, memory %d; want 2, 1 (its process; the root's own CPU did not move) and 8192", periods(res, "/x"), res.Read, mem)
	}
}

// TestRefreshRecycle: a refresher whose caller hands back each snapshot
// once it has the next (as the recorder does) gives the same snapshots
// as one whose caller keeps them all, writing into the slices handed
// back; a snapshot handed back twice, or not its own, is ignored.
func TestRefreshRecycle(t *testing.T) {
	f := newFakeTree(t,
		[]Hierarchy{{ID: 0, Version: 2, Controllers: []string{"cpu", "memory"}, Mount: "cg"}},
		[]fakeCgroup{
			{hier: 0, path: "/", files: map[string]string{"cpu.stat": v2Usage(10_000, 0)}},
			{hier: 0, path: "/a", procs: []int{100}, files: map[string]string{"cpu.stat": v2Usage(1000, 0), "memory.current": "4096\n"}},
			{hier: 0, path: "/b", procs: []int{200}, files: map[string]string{"cpu.stat": v2Usage(1000, 0), "memory.current": "4096\n"}},
			{hier: 0, path: "/c", procs: []int{300}, files: map[string]string{"cpu.stat": v2Usage(1000, 0), "memory.current": "4096\n"}},
		},
		[]fakeProc{
			{pid: 100, cgroups: map[int]string{0: "/a"}},
			{pid: 200, cgroups: map[int]string{0: "/b"}},
			{pid: 300, cgroups: map[int]string{0: "/c"}},
		})
	kept, recycled := f.refresher(), f.refresher()
	other := f.refresher()
	at := f.snap.Time
	var prev, held *Snapshot
	handedBack := map[*Process]bool{}
	reused := 0
	for step := range 12 {
		// One cgroup runs at each step, and the others hold still: what
		// a refresh wrote, the next does not write again.
		dir, pid := []string{"/a", "/b", "/c"}[step%3], 100+100*(step%3)
		f.setStat(pid, step+1)
		f.write("cg", dir, "cpu.stat", v2Usage(int64(1000+(step+1)*10_000), 0))
		f.write("cg", dir, "memory.current", strconv.Itoa(4096*(step+2))+"\n")
		f.write("cg", "/", "cpu.stat", v2Usage(int64(10_000+(step+1)*10_000), 0))
		at = at.Add(time.Second)
		want, err := kept.Refresh(at)
		if err != nil {
			t.Fatal(err)
		}
		got, err := recycled.Refresh(at)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want.Snapshot.Processes, got.Snapshot.Processes); diff != "" {
			t.Errorf("step %d: processes differ from a refresher whose snapshots are kept (-kept +recycled):\n%s", step, diff)
		}
		if diff := cmp.Diff(want.Snapshot.Cgroups, got.Snapshot.Cgroups); diff != "" {
			t.Errorf("step %d: cgroups differ (-kept +recycled):\n%s", step, diff)
		}
		first := &got.Snapshot.Processes[0]
		if held != nil && first == &held.Processes[0] {
			t.Fatalf("step %d: the slice of a snapshot not handed back was written", step)
		}
		if handedBack[first] {
			reused++
		}
		switch {
		case step == 4:
			held = prev // never handed back
		case prev != nil:
			handedBack[&prev.Processes[0]] = true
			recycled.Recycle(prev)
			recycled.Recycle(prev) // twice: ignored
		}
		other.Recycle(got.Snapshot) // not its own: ignored
		prev = got.Snapshot
	}
	if held.Processes[0].UTimeUS != 40_000 {
		t.Errorf("a snapshot not handed back changed: PID 100's utime %dµs, want 40000", held.Processes[0].UTimeUS)
	}
	if len(recycled.recycle.free) > 2 || len(other.recycle.free) != 0 {
		t.Errorf("free lists hold %d and %d slices, want at most 2 and none", len(recycled.recycle.free), len(other.recycle.free))
	}
	if reused == 0 {
		t.Error("no refresh wrote into a snapshot handed back")
	}
}
