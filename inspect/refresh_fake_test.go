package inspect

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// fakeRefreshHost is a procfs and a cgroup v2 tree in a temporary directory:
// one process (PID 100) in cgroup /app.
type fakeRefreshHost struct {
	t              *testing.T
	proc, cgroupFS string
	snap           *Snapshot
}

func newFakeHost(t *testing.T) *fakeRefreshHost {
	dir := t.TempDir()
	f := &fakeRefreshHost{t: t, proc: filepath.Join(dir, "proc"), cgroupFS: filepath.Join(dir, "cgroup")}
	for _, d := range []string{filepath.Join(f.proc, "100"), filepath.Join(f.cgroupFS, "app")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f.write("proc/loadavg", "0.00 0.00 0.00 1/1 100\n")
	f.setStat(0)
	f.write("cgroup/app/cpu.stat", "usage_usec 1000\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n")
	f.write("cgroup/app/memory.current", "4096\n")
	one := func(v int64) *int64 { return &v }
	s := &Snapshot{
		SchemaVersion: SchemaVersion,
		Time:          time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		CgroupMode:    CgroupUnified,
		Hierarchies:   []Hierarchy{{ID: 0, Version: 2, Controllers: []string{"cpu", "memory"}, Mount: f.cgroupFS}},
		Processes: []Process{{PID: 100, PPID: 1, Comm: "app", State: "S", NSpid: []int{100},
			Cgroups: []ProcCgroup{{Hierarchy: 0, Path: "/app"}}}},
		Cgroups: []Cgroup{
			{Hierarchy: 0, Path: "/"},
			{Hierarchy: 0, Path: "/app", Procs: []int{100}, Usage: Usage{CPUUsageUS: one(1000), NrPeriods: one(0), NrThrottled: one(0), ThrottledUS: one(0), MemoryCurrent: one(4096)}},
		},
	}
	var buf bytes.Buffer
	if err := s.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var err error
	if f.snap, err = Load(&buf); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fakeRefreshHost) write(rel, content string) {
	f.t.Helper()
	if err := os.WriteFile(filepath.Join(filepath.Dir(f.proc), rel), []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// setStat writes PID 100's stat with utime ticks.
func (f *fakeRefreshHost) setStat(utime int) {
	f.write("proc/100/stat", "100 (app) S 1 100 100 0 -1 0 0 0 0 0 "+strconv.Itoa(utime)+" 0 0 0 20 0 1 0 5 0 25 0\n")
}

// TestRefreshBigCgroupWithoutIterator: without the counter iterator, the
// members of a big cgroup whose CPU moved (a v2 root's always does) are
// read when busy at their last read, else once every pollEvery
// refreshes: reading thousands of stat files every second would cost
// more than the whole refresh is worth.
func TestRefreshBigCgroupWithoutIterator(t *testing.T) {
	var pids []int
	var procs []fakeProc
	for pid := 100; pid < 100+smallCgroup+6; pid++ {
		pids = append(pids, pid)
		procs = append(procs, fakeProc{pid: pid, cgroups: map[int]string{0: "/"}})
	}
	f := newFakeTree(t,
		[]Hierarchy{{ID: 0, Version: 2, Controllers: []string{"cpu"}, Mount: "cg"}},
		[]fakeCgroup{{hier: 0, path: "/", procs: pids, files: map[string]string{"cpu.stat": v2Usage(1000, 0)}}},
		procs)
	r := f.refresher()
	at := f.snap.Time
	usage := int64(1000)
	step := func() RefreshResult {
		t.Helper()
		usage += 1000
		f.write("cg", "/", "cpu.stat", v2Usage(usage, 0))
		at = at.Add(time.Second)
		res, err := r.Refresh(at)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := step(); res.Read != len(pids) {
		t.Fatalf("the first refresh read %d processes, want all %d", res.Read, len(pids))
	}
	// PID 100 ran: read at once if it was busy, and it is busy now.
	f.setStat(100, 5)
	reads := 0
	for range pollEvery {
		res := step()
		reads += res.Read
		if res.Snapshot.Process(100).UTimeUS == 50_000 {
			break
		}
	}
	if got := r.last[0].UTimeUS; got != 50_000 {
		t.Fatalf("PID 100's utime = %dµs after %d refreshes, want 50000", got, pollEvery)
	}
	if !r.busy[0] {
		t.Error("PID 100 used CPU at its last read but is not marked busy")
	}
	if res := step(); r.lastRead[0] != at || res.ProcessCPU[100] != 0 {
		t.Errorf("the refresh after PID 100 was busy did not read it (last read %v, CPU %v%%)", r.lastRead[0], res.ProcessCPU[100])
	}
	// Idle: every process is read once in pollEvery refreshes.
	reads = 0
	for range pollEvery {
		reads += step().Read
	}
	if reads != len(pids) {
		t.Errorf("%d refreshes read %d processes, want each of the %d once", pollEvery, reads, len(pids))
	}
}

// TestRefreshCountsNewMembers: a process started in a cgroup after the
// full scan is in the cgroup's Procs at the next refresh in which the
// cgroup ran (it showed 0 processes beside its memory until the next
// full scan); a process of the full scan that moves to another cgroup is
// a structure change; the base snapshot keeps its members.
func TestRefreshCountsNewMembers(t *testing.T) {
	f := newFakeHost(t)
	f.write("cgroup/app/cgroup.procs", "100\n")
	r, err := New(ProcRoot(f.proc)).Refresher(f.snap)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	at := f.snap.Time
	usage := int64(1000)
	run := func(procs string) (RefreshResult, error) {
		f.write("cgroup/app/cgroup.procs", procs)
		usage += 10_000
		f.write("cgroup/app/cpu.stat", "usage_usec "+strconv.FormatInt(usage, 10)+"\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n")
		at = at.Add(time.Second)
		return r.Refresh(at)
	}
	procs := func(res RefreshResult) []int { return res.Snapshot.Cgroup(0, "/app").Procs }

	res, err := run("100\n")
	if err != nil || !slices.Equal(procs(res), []int{100}) {
		t.Fatalf("unchanged: procs %v, err %v", procs(res), err)
	}
	// A new process (PID 200, forked in /app) counts at once; being new
	// it is left to the look at /proc for the structure.
	res, err = run("200\n100\n")
	if err != nil || !slices.Equal(procs(res), []int{100, 200}) {
		t.Fatalf("after PID 200 started in /app: procs %v, err %v; want [100 200] and no error", procs(res), err)
	}
	// Idle: the list stays without a read.
	at = at.Add(time.Second)
	if res, _ = r.Refresh(at); !slices.Equal(procs(res), []int{100, 200}) {
		t.Errorf("an idle refresh lost the members: %v", procs(res))
	}
	// PID 100 of the full scan moves away: its cgroups changed.
	res, err = run("200\n")
	if !errors.Is(err, ErrStructureChanged) || !slices.Equal(procs(res), []int{200}) {
		t.Errorf("after PID 100 left /app: procs %v, err %v; want [200] and ErrStructureChanged", procs(res), err)
	}
	if got := f.snap.Cgroup(0, "/app").Procs; !slices.Equal(got, []int{100}) {
		t.Errorf("the base snapshot's members changed to %v", got)
	}
}

func TestParsePIDList(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []int
		ok   bool
	}{
		{"empty", "", nil, true},
		{"sorted out of order", "30\n4\n12\n", []int{4, 12, 30}, true},
		{"no final newline", "7", []int{7}, true},
		{"garbage", "7\nx\n", nil, false},
		{"zero", "0\n", nil, false},
		{"negative", "-3\n", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParsePIDList([]byte(tc.in))
			if ok != tc.ok || !slices.Equal(got, tc.want) {
				t.Errorf("ParsePIDList(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// FuzzParsePIDList checks that the cgroup.procs parser never panics and
// that what it accepts is ascending and positive.
func FuzzParsePIDList(f *testing.F) {
	f.Add([]byte("12\n4\n"))
	f.Add([]byte(""))
	f.Add([]byte("1\n\n2"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pids, ok := ParsePIDList(data)
		if !ok {
			return
		}
		for i, p := range pids {
			if p <= 0 || (i > 0 && pids[i-1] > p) {
				t.Errorf("ParsePIDList(%q) = %v: not ascending positive PIDs", data, pids)
			}
		}
	})
}

// TestRefreshSkippedMemberStaysDue: without the counter iterator, a
// member of a big cgroup skipped when its cgroup ran (not busy, not its
// turn) is read in its turn even when the cgroup held still since: it
// may have run (or exited) the time it was skipped.
func TestRefreshSkippedMemberStaysDue(t *testing.T) {
	var pids []int
	var procs []fakeProc
	for pid := 100; pid < 100+smallCgroup+6; pid++ {
		pids = append(pids, pid)
		procs = append(procs, fakeProc{pid: pid, cgroups: map[int]string{0: "/big"}})
	}
	f := newFakeTree(t,
		[]Hierarchy{{ID: 0, Version: 2, Controllers: []string{"cpu"}, Mount: "cg"}},
		[]fakeCgroup{
			{hier: 0, path: "/", files: map[string]string{"cpu.stat": v2Usage(10_000, 0)}},
			{hier: 0, path: "/big", procs: pids, files: map[string]string{"cpu.stat": v2Usage(1000, 0)}},
		},
		procs)
	r := f.refresher()
	step := stepper(t, r, f.snap.Time)
	step()
	// Every process ran once, then /big holds still: each is read within
	// pollEvery refreshes all the same.
	for _, pid := range pids {
		f.setStat(pid, 7)
	}
	f.write("cg", "/", "cpu.stat", v2Usage(30_000, 0))
	f.write("cg", "/big", "cpu.stat", v2Usage(21_000, 0))
	for range pollEvery {
		step()
	}
	for i, p := range r.last {
		if p.UTimeUS != 70_000 {
			t.Errorf("PID %d: utime %dµs after %d refreshes, want 70000 (unsure %v)", p.PID, p.UTimeUS, pollEvery, r.unsure[i])
		}
	}
}

// stepper returns a function that refreshes r one second after the last
// time it was given, starting at start, and fails the test on an error.
func stepper(t *testing.T, r *Refresher, start time.Time) func() RefreshResult {
	return func() RefreshResult {
		t.Helper()
		start = start.Add(time.Second)
		res, err := r.Refresh(start)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
}
