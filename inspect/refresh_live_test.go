package inspect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// refreshHost takes a real snapshot of this machine without the costly
// holder search and opens a Refresher on it, closed when the test ends.
func refreshHost(t *testing.T) (*Snapshot, *Refresher) {
	t.Helper()
	s := New(WithFDs(false), WithMounts(false))
	defer s.Close()
	snap, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Refresher(snap)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return snap, r
}

// ownCPU returns this process's CPU time (user+system) as
// /proc/self/stat counts it, in microseconds.
func ownCPU(t *testing.T) int64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	st, err := ParseProcStat(data)
	if err != nil {
		t.Fatal(err)
	}
	return int64(st.UTime+st.STime) * (1e6 / clockTicks)
}

// burn spins until this process has used d more CPU time (not wall
// time: on a loaded machine that can take longer).
func burn(t *testing.T, d time.Duration) {
	target := ownCPU(t) + d.Microseconds()
	for x := 0; ownCPU(t) < target; x++ {
		for i := 0; i < 1e6; i++ {
			x ^= i
		}
	}
}

// TestRefreshOwnCPU checks that a refresh reports the CPU this test
// process used since the scan, as /proc/self/stat counts it.
func TestRefreshOwnCPU(t *testing.T) {
	snap, r := refreshHost(t)
	self := snap.Process(os.Getpid())
	if self == nil {
		t.Fatal("the scan does not list this process")
	}
	burn(t, 200*time.Millisecond)
	now := time.Now()
	res, err := r.Refresh(now)
	truth := ownCPU(t)
	if err != nil && !errors.Is(err, ErrStructureChanged) {
		t.Fatal(err)
	}
	got := res.Snapshot
	if !got.Time.Equal(now) {
		t.Errorf("refreshed snapshot time = %v, want %v", got.Time, now)
	}
	me := got.Process(os.Getpid())
	used := me.CPUTimeUS() - self.CPUTimeUS()
	if used < 200_000 || me.CPUTimeUS() > truth {
		t.Errorf("refresh counted %dµs of CPU (total %dµs) after burning 200ms; want at least 200ms and at most /proc's %dµs read after it", used, me.CPUTimeUS(), truth)
	}
	if cpu := res.ProcessCPU[os.Getpid()]; cpu <= 0 {
		t.Errorf("refresh says this process used %.1f%% of a core while burning; want more than 0", cpu)
	}
	if snap.Process(os.Getpid()).CPUTimeUS() != self.CPUTimeUS() {
		t.Error("the refresh changed the base snapshot")
	}
	if len(got.Processes) != len(snap.Processes) || len(got.Cgroups) != len(snap.Cgroups) {
		t.Errorf("refresh changed the structure: %d/%d processes, %d/%d cgroups",
			len(got.Processes), len(snap.Processes), len(got.Cgroups), len(snap.Cgroups))
	}
}

// TestRefreshNoticesNewAndExitedProcesses starts a child after the scan
// (a change once it is still there at the second refresh) and kills one
// that was in the scan (a change at once, shown as state X).
func TestRefreshNoticesNewAndExitedProcesses(t *testing.T) {
	old := exec.Command("sleep", "30")
	if err := old.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = old.Process.Kill(); _ = old.Wait() })
	snap, r := refreshHost(t)
	// Settle: whatever else runs on this machine may have started
	// processes since the scan.
	for range 3 {
		r.Refresh(time.Now())
	}
	r.mu.Lock()
	r.base = snap
	r.newSeen = nil
	r.mu.Unlock()

	fresh := exec.Command("sleep", "30")
	if err := fresh.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fresh.Process.Kill(); _ = fresh.Wait() })
	_, err1 := r.Refresh(time.Now())
	_, err2 := r.Refresh(time.Now())
	if !errors.Is(err2, ErrStructureChanged) {
		t.Errorf("a new process still there at the second refresh: err = %v (first %v), want ErrStructureChanged", err2, err1)
	}

	_ = old.Process.Kill()
	_ = old.Wait()
	// The dead process is read within pollEvery refreshes.
	var res RefreshResult
	var err error
	for range pollEvery {
		res, err = r.Refresh(time.Now())
		if p := res.Snapshot.Process(old.Process.Pid); p != nil && p.State == "X" {
			break
		}
	}
	if !errors.Is(err, ErrStructureChanged) {
		t.Errorf("after a scanned process exited: err = %v, want ErrStructureChanged", err)
	}
	if p := res.Snapshot.Process(old.Process.Pid); p == nil || p.State != "X" {
		t.Errorf("the exited process = %+v, want it listed with state X", p)
	}
}

// TestRefreshCgroupCPU runs a busy child in a cgroup of its own in the v1
// cpuacct hierarchy and checks that a refresh reports the CPU it used, as
// cpuacct.usage says. Needs root and a v1 cpuacct hierarchy where this
// process sits at the root (the test machine's layout).
func TestRefreshCgroupCPU(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates a cgroup")
	}
	layout := New().Layout()
	h := layout.ForController("cpuacct")
	if h == nil || h.Version != 1 {
		t.Skip("no v1 cpuacct hierarchy on this host")
	}
	own, _ := os.ReadFile("/proc/self/cgroup")
	if !strings.Contains(string(own), ":cpuacct:/\n") && !strings.Contains(string(own), ",cpuacct:/\n") && !strings.Contains(string(own), ":cpuacct,") {
		t.Skip("this process is not at the root of the cpuacct hierarchy")
	}
	name := fmt.Sprintf("nscope-test-%d-%d", os.Getpid(), time.Now().UnixNano()%100000)
	dir := filepath.Join(h.Mount, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	busy := exec.Command("sh", "-c", "read x; while :; do :; done")
	stdin, err := busy.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := busy.Start(); err != nil {
		os.Remove(dir)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = busy.Process.Kill()
		_ = busy.Wait()
		// The kernel needs a moment to empty the cgroup of the dead child.
		for range 50 {
			if os.Remove(dir) == nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Errorf("could not remove %s", dir)
	})
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(busy.Process.Pid)), 0); err != nil {
		t.Fatal(err)
	}
	snap, r := refreshHost(t)
	base := snap.Cgroup(h.ID, "/"+name)
	if base == nil || base.Usage.CPUUsageUS == nil {
		t.Fatalf("the scan did not find /%s with a CPU counter", name)
	}
	stdin.Close() // start spinning
	usage := func() int64 {
		raw, err := os.ReadFile(filepath.Join(dir, "cpuacct.usage"))
		if err != nil {
			t.Fatal(err)
		}
		ns, _ := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
		return ns / 1000
	}
	// Wait for 200ms of CPU, however long the machine's load makes it.
	for deadline := time.Now().Add(30 * time.Second); usage()-*base.Usage.CPUUsageUS < 200_000; {
		if time.Now().After(deadline) {
			t.Fatal("the busy child got no CPU in 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	res, err := r.Refresh(time.Now())
	if err != nil && !errors.Is(err, ErrStructureChanged) {
		t.Fatal(err)
	}
	got := res.Snapshot
	after := usage()
	c := got.Cgroup(h.ID, "/"+name)
	used := *c.Usage.CPUUsageUS - *base.Usage.CPUUsageUS
	if used < 200_000 || *c.Usage.CPUUsageUS > after {
		t.Errorf("refresh says the busy cgroup used %dµs; want at least the 200ms it had used, and no more than cpuacct.usage read after it (%dµs)", used, after-*base.Usage.CPUUsageUS)
	}
	// The busy child sits in a small cgroup whose counter moved: it is read
	// at every refresh, and has a CPU%.
	at := -1
	for i := range snap.Processes {
		if snap.Processes[i].PID == busy.Process.Pid {
			at = i
		}
	}
	for range 3 {
		time.Sleep(100 * time.Millisecond)
		before := r.lastRead[at]
		if res, err = r.Refresh(time.Now()); err != nil && !errors.Is(err, ErrStructureChanged) {
			t.Fatal(err)
		}
		if r.lastRead[at].Equal(before) {
			t.Error("a refresh skipped the busy child")
		}
		if cpu := res.ProcessCPU[busy.Process.Pid]; cpu <= 0 {
			t.Errorf("the busy child's CPU = %.1f%%, want more than 0", cpu)
		}
	}
	// A process put in the cgroup after the full scan counts at the next
	// refresh (the cgroup ran), not at the next full scan.
	late := exec.Command("sleep", "30")
	if err := late.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = late.Process.Kill(); _ = late.Wait() })
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(late.Process.Pid)), 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if res, err = r.Refresh(time.Now()); err != nil && !errors.Is(err, ErrStructureChanged) {
		t.Fatal(err)
	}
	if procs := res.Snapshot.Cgroup(h.ID, "/"+name).Procs; !slices.Contains(procs, late.Process.Pid) || !slices.Contains(procs, busy.Process.Pid) {
		t.Errorf("after PID %d joined /%s the refresh says its members are %v", late.Process.Pid, name, procs)
	}
}

func TestRefresherCloseTwice(t *testing.T) {
	_, r := refreshHost(t)
	r.Close()
	r.Close()
	if _, err := r.Refresh(time.Now()); err == nil {
		t.Error("Refresh after Close succeeded")
	}
}

// TestRefreshPassesBetweenBusyReads follows a big cgroup that runs at
// every refresh (this host's root cgroup, where kernel threads and this
// test run) with the counter programs: a pass at most every pollEvery
// refreshes, the members busy at their last read read in between, and
// a member that starts running seen by the next pass. The refresher
// follows events, so new processes elsewhere on the machine do not
// call for a pass.
func TestRefreshPassesBetweenBusyReads(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the counter programs")
	}
	spin := exec.Command("sh", "-c", "read x; while :; do :; done")
	stdin, err := spin.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := spin.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = spin.Process.Kill(); _ = spin.Wait() })
	_, snap, r := scanForRefresh(t)
	if r.counters == nil {
		t.Skip("no counter programs on this kernel")
	}
	at := slices.IndexFunc(snap.Processes, func(p Process) bool { return p.PID == spin.Process.Pid })
	cg := r.cpuCg[at]
	if at < 0 || cg < 0 || len(snap.Cgroups[cg].Procs) <= smallCgroup {
		t.Skipf("the child's CPU cgroup is not a big one (cgroup %d)", cg)
	}
	r.FollowEvents(true)
	refresh := func() RefreshResult {
		t.Helper()
		time.Sleep(20 * time.Millisecond)
		res, err := r.Refresh(time.Now())
		if err != nil && !errors.Is(err, ErrStructureChanged) {
			t.Fatal(err)
		}
		return res
	}
	refresh() // the first refresh is a pass
	passes := r.stats.passes
	for range 3 * pollEvery {
		refresh()
	}
	if n := r.stats.passes - passes; n > 3 {
		t.Errorf("%d passes in %d refreshes, want at most one every %d", n, 3*pollEvery, pollEvery)
	}
	// The idle child starts spinning: the next pass sees it, and from
	// then on it is read at every refresh.
	stdin.Close()
	burnt := func() bool {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", spin.Process.Pid))
		if err != nil {
			t.Fatal(err)
		}
		st, err := ParseProcStat(data)
		return err == nil && st.UTime+st.STime > 0
	}
	for deadline := time.Now().Add(30 * time.Second); !burnt(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the child got no CPU in 30 s")
		}
	}
	seen := -1
	for k := range pollEvery + 1 {
		if refresh().ProcessCPU[spin.Process.Pid] > 0 {
			seen = k
			break
		}
	}
	if seen < 0 {
		t.Fatalf("the spinning child had no CPU%% in %d refreshes", pollEvery+1)
	}
	for range pollEvery {
		before := r.lastRead[at]
		refresh()
		if r.lastRead[at].Equal(before) {
			t.Error("a refresh between passes skipped the busy child")
		}
	}
}
