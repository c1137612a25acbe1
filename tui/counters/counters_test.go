package counters

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nscope/nscope/inspect"
)

// scanHost takes a real snapshot of this machine without the costly
// holder search.
func scanHost(t *testing.T) *inspect.Snapshot {
	t.Helper()
	snap, err := inspect.New(inspect.WithFDs(false), inspect.WithMounts(false)).Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// burn uses CPU for about d.
func burn(d time.Duration) {
	end := time.Now().Add(d)
	x := 0
	for time.Now().Before(end) {
		x++
	}
	_ = x
}

// TestRefreshOwnCPU checks that a refresh reports the CPU this test
// process used since the scan, as /proc/self/stat counts it.
func TestRefreshOwnCPU(t *testing.T) {
	snap := scanHost(t)
	r, err := New(snap, "/proc")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	self := snap.Process(os.Getpid())
	if self == nil {
		t.Fatal("the scan does not list this process")
	}
	burn(300 * time.Millisecond)
	now := time.Now()
	got, err := r.Refresh(now)
	if err != nil && !errors.Is(err, ErrStructureChanged) {
		t.Fatal(err)
	}
	if !got.Time.Equal(now) {
		t.Errorf("refreshed snapshot time = %v, want %v", got.Time, now)
	}
	me := got.Process(os.Getpid())
	used := me.CPUTimeUS() - self.CPUTimeUS()
	if used < 200_000 {
		t.Errorf("refresh counted %dµs of CPU after burning 300ms; want at least 200ms", used)
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
	snap := scanHost(t)
	r, err := New(snap, "/proc")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
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
	got, err := r.Refresh(time.Now())
	if !errors.Is(err, ErrStructureChanged) {
		t.Errorf("after a scanned process exited: err = %v, want ErrStructureChanged", err)
	}
	if p := got.Process(old.Process.Pid); p == nil || p.State != "X" {
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
	layout := inspect.New().Layout()
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
	snap := scanHost(t)
	r, err := New(snap, "/proc")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	base := snap.Cgroup(h.ID, "/"+name)
	if base == nil || base.Usage.CPUUsageUS == nil {
		t.Fatalf("the scan did not find /%s with a CPU counter", name)
	}
	stdin.Close() // start spinning
	time.Sleep(500 * time.Millisecond)
	got, err := r.Refresh(time.Now())
	if err != nil && !errors.Is(err, ErrStructureChanged) {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "cpuacct.usage"))
	if err != nil {
		t.Fatal(err)
	}
	fileNS, _ := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
	c := got.Cgroup(h.ID, "/"+name)
	used := *c.Usage.CPUUsageUS - *base.Usage.CPUUsageUS
	if used < 200_000 {
		t.Errorf("refresh says the busy cgroup used %dµs in 500ms; want at least 200ms", used)
	}
	if *c.Usage.CPUUsageUS > fileNS/1000 {
		t.Errorf("refreshed usage %dµs is ahead of cpuacct.usage read after it (%dµs)", *c.Usage.CPUUsageUS, fileNS/1000)
	}
}

func TestCloseTwice(t *testing.T) {
	r, err := New(scanHost(t), "/proc")
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	r.Close()
	if _, err := r.Refresh(time.Now()); err == nil {
		t.Error("Refresh after Close succeeded")
	}
}
