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

// reindexed returns a copy of s changed by edit, indexed as a loaded
// snapshot is.
func reindexed(t *testing.T, s *Snapshot, edit func(*Snapshot)) *Snapshot {
	t.Helper()
	c := *s
	c.Processes = slices.Clone(s.Processes)
	c.Cgroups = slices.Clone(s.Cgroups)
	edit(&c)
	var buf bytes.Buffer
	if err := c.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	out, err := Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Rebase takes a snapshot with a process added and one removed: the
// refreshes that follow read the new one (its stat file, its CPU%), keep
// what they knew of the old ones, and no longer list the removed one. A
// snapshot with other cgroups is refused and changes nothing.
func TestRefreshRebase(t *testing.T) {
	f := newFakeHost(t)
	f.write("cgroup/app/cgroup.procs", "100\n")
	r, err := New(ProcRoot(f.proc)).Refresher(f.snap)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	at := f.snap.Time
	usage := int64(1000)
	run := func() RefreshResult {
		t.Helper()
		usage += 10_000
		f.write("cgroup/app/cpu.stat", "usage_usec "+strconv.FormatInt(usage, 10)+"\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n")
		at = at.Add(time.Second)
		res, err := r.Refresh(at)
		if err != nil && !errors.Is(err, ErrStructureChanged) {
			t.Fatal(err)
		}
		return res
	}
	f.setStat(10)
	first := run()
	if p := first.Snapshot.Process(100); p == nil || p.UTimeUS != 100_000 {
		t.Fatalf("before the rebase PID 100 = %+v, want 10 ticks of user time", p)
	}

	// PID 200 started in /app (as events would say): the caller's
	// snapshot has it, with what it read of it then.
	if err := os.MkdirAll(filepath.Join(f.proc, "200"), 0o755); err != nil {
		t.Fatal(err)
	}
	f.write("proc/200/stat", "200 (worker) S 100 100 100 0 -1 0 0 0 0 0 5 0 0 0 20 0 1 0 7 0 30 0\n")
	f.write("cgroup/app/cgroup.procs", "100\n200\n")
	patched := reindexed(t, first.Snapshot, func(s *Snapshot) {
		s.Processes = append(s.Processes, Process{PID: 200, PPID: 100, Comm: "worker", State: "S", UTimeUS: 50_000,
			StartTime: s.Processes[0].StartTime.Add(time.Second), Cgroups: []ProcCgroup{{Hierarchy: 0, Path: "/app"}}})
		s.Cgroups[1].Procs = []int{100, 200}
	})
	if err := r.Rebase(patched); err != nil {
		t.Fatal(err)
	}
	if r.Base() != patched {
		t.Error("the base is not the rebased snapshot")
	}
	f.write("proc/200/stat", "200 (worker) R 100 100 100 0 -1 0 0 0 0 0 25 0 0 0 20 0 1 0 7 0 30 0\n")
	res := run()
	w := res.Snapshot.Process(200)
	if w == nil || w.UTimeUS != 250_000 || w.State != "R" {
		t.Fatalf("after the rebase PID 200 = %+v, want it read: 25 ticks, running", w)
	}
	if cpu := res.ProcessCPU[200]; cpu <= 0 {
		t.Errorf("PID 200's CPU%% = %.1f, want more than 0", cpu)
	}
	if p := res.Snapshot.Process(100); p == nil || p.UTimeUS != 100_000 {
		t.Errorf("PID 100 after the rebase = %+v, want its counters kept", p)
	}
	if procs := res.Snapshot.Cgroup(0, "/app").Procs; !slices.Equal(procs, []int{100, 200}) {
		t.Errorf("/app members after the rebase = %v", procs)
	}

	// A snapshot with another cgroup is refused.
	other := reindexed(t, res.Snapshot, func(s *Snapshot) {
		s.Cgroups = append(s.Cgroups, Cgroup{Hierarchy: 0, Path: "/new"})
	})
	if err := r.Rebase(other); !errors.Is(err, ErrRebaseCgroups) {
		t.Errorf("rebase on other cgroups: err = %v, want ErrRebaseCgroups", err)
	}
	if r.Base() != patched {
		t.Error("a refused rebase changed the base")
	}

	// PID 100 exited (as events would say): the snapshot without it.
	gone := reindexed(t, res.Snapshot, func(s *Snapshot) {
		s.Processes = slices.DeleteFunc(s.Processes, func(p Process) bool { return p.PID == 100 })
		s.Cgroups[1].Procs = []int{200}
	})
	if err := r.Rebase(gone); err != nil {
		t.Fatal(err)
	}
	f.write("cgroup/app/cgroup.procs", "200\n")
	res = run()
	if res.Snapshot.Process(100) != nil || len(res.Snapshot.Processes) != 1 || res.Snapshot.Process(200) == nil {
		t.Errorf("after the rebase without PID 100: processes %+v", res.Snapshot.Processes)
	}
}

// CheckLimits reads each cgroup's limit files once every limitCycle
// calls: a limit written after the scan (another tool's) is reported
// within the cycle; the usage files and a freeze are not its business.
func TestRefreshCheckLimits(t *testing.T) {
	f := newFakeHost(t)
	f.write("cgroup/app/memory.max", "max\n")
	f.write("cgroup/app/cgroup.freeze", "0\n")
	f.snap.Cgroups[1].Raw = map[string]string{"memory.max": "max", "cgroup.freeze": "0", "memory.current": "4096"}
	r, err := New(ProcRoot(f.proc)).Refresher(f.snap)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	check := func() bool {
		for range limitCycle {
			if r.CheckLimits() {
				return true
			}
		}
		return false
	}
	if check() {
		t.Fatal("a whole cycle with the limits as scanned reported a change")
	}
	f.write("cgroup/app/memory.current", "8192\n")
	f.write("cgroup/app/cgroup.freeze", "1\n")
	if check() {
		t.Error("a usage counter or a freeze counted as a limit change")
	}
	f.write("cgroup/app/memory.max", "67108864\n")
	if !check() {
		t.Error("memory.max written after the scan was not reported within a cycle")
	}
}
