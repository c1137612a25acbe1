package inspect

import (
	"bytes"
	"os"
	"path/filepath"
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

func TestRefreshPolicyOnFakeHost(t *testing.T) {
	f := newFakeHost(t)
	r, err := New(ProcRoot(f.proc)).Refresher(f.snap)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	at := f.snap.Time
	step := func() RefreshResult {
		at = at.Add(time.Second)
		res, err := r.Refresh(at)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	mem := func(res RefreshResult) int64 { return *res.Snapshot.Cgroup(0, "/app").Usage.MemoryCurrent }

	if res := step(); res.Read != 1 {
		t.Fatalf("first refresh read %d processes, want 1", res.Read)
	}
	// Idle: neither the process nor the cgroup's memory is read at once.
	f.write("cgroup/app/memory.current", "8192\n")
	f.setStat(50)
	res := step()
	if res.Read != 0 || mem(res) != 4096 {
		t.Errorf("idle refresh read %d processes, memory %d; want 0 and the old 4096", res.Read, mem(res))
	}
	// The cgroup's CPU moved: its process and its memory are read now,
	// and the process's CPU% is over the 2 s since its last read.
	f.write("cgroup/app/cpu.stat", "usage_usec 501000\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n")
	res = step()
	if res.Read != 1 || mem(res) != 8192 {
		t.Errorf("after the cgroup's CPU moved: read %d processes, memory %d; want 1 and 8192", res.Read, mem(res))
	}
	if got := res.ProcessCPU[100]; got != 25 {
		t.Errorf("CPU%% = %v, want 25 (0.5 s over 2 s)", got)
	}
	if got := res.Snapshot.Process(100).UTimeUS; got != 500_000 {
		t.Errorf("utime = %dµs, want 500000", got)
	}
	// Still busy at the next refresh: read again even though idle now.
	if res = step(); res.Read != 1 || res.ProcessCPU[100] != 0 {
		t.Errorf("the refresh after a busy one read %d processes (CPU %v%%); want 1 at 0%%", res.Read, res.ProcessCPU[100])
	}
	// Idle again: read at most once per pollEvery refreshes.
	reads := 0
	for range pollEvery {
		reads += step().Read
	}
	if reads != 1 {
		t.Errorf("%d idle refreshes read the process %d times, want 1", pollEvery, reads)
	}
	if f.snap.Cgroup(0, "/app").Usage.MemoryCurrent == nil || *f.snap.Cgroup(0, "/app").Usage.MemoryCurrent != 4096 {
		t.Error("refreshes changed the base snapshot")
	}
}
