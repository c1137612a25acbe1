package inspect

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The cgroup that counts this process's CPU: a move that was all this
// process's (within selfSlackUS) holds still, but at most selfQuietMax
// refreshes in a row; a bigger one, or another cgroup's, moves.
func TestOwnMovedTakesOutSelf(t *testing.T) {
	r := &Refresher{}
	r.self = selfCPU{cg: 3, idx: 7, delta: 5000, known: true}
	for k := range selfQuietMax {
		if r.ownMoved(3, 5000+selfSlackUS) {
			t.Fatalf("refresh %d: a move of this process's own CPU (and rounding) counted as another's", k)
		}
		if !r.self.suppressed {
			t.Fatalf("refresh %d: this process is not marked to be read itself", k)
		}
	}
	if !r.ownMoved(3, 5000) {
		t.Errorf("after %d quiet refreshes the cgroup is still taken to hold still", selfQuietMax)
	}
	if !r.ownMoved(3, 5000+selfSlackUS+1) {
		t.Error("a move beyond this process's CPU did not count")
	}
	if !r.ownMoved(2, 5000) || r.ownMoved(2, 0) {
		t.Error("another cgroup's move is not taken as it is")
	}
	r.self.known = false
	if !r.ownMoved(3, 1) {
		t.Error("without this process's CPU time a move does not count")
	}
}

// readSelf takes the process's CPU time from the clock: it grows with
// the CPU this process burns, and only a scan of the real /proc that
// lists this process enables it.
func TestReadSelf(t *testing.T) {
	r := &Refresher{procRoot: "/proc", pids: []int{os.Getpid()}, pidIndex: []int32{0}, cpuCg: []int{5}}
	r.initSelf()
	if r.self.cg != 5 || r.self.idx != 0 {
		t.Fatalf("self = %+v, want cgroup 5, index 0", r.self)
	}
	r.readSelf()
	if r.self.known {
		t.Error("the first read has no delta, yet it is known")
	}
	// Burn 20 ms by the clock readSelf reads: /proc's ticks (burn's)
	// are sampled and may lead it.
	var ts unix.Timespec
	for start := int64(-1); ; {
		if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
			t.Fatal(err)
		}
		if start < 0 {
			start = ts.Nano()
		} else if ts.Nano()-start >= 20e6 {
			break
		}
	}
	r.readSelf()
	if !r.self.known || r.self.delta < 10_000 {
		t.Errorf("after burning 20ms: %+v, want a known delta of at least 10000µs (the stat ticks are 10ms)", r.self)
	}
	fake := &Refresher{procRoot: "/tmp/fixture/proc", pids: []int{os.Getpid()}, pidIndex: []int32{0}, cpuCg: []int{5}}
	fake.initSelf()
	if fake.self.cg != -1 {
		t.Errorf("a fixture's refresher takes out this process's CPU: %+v", fake.self)
	}
}

// A refresher that follows events does not look for new processes: no
// /proc listing, nothing pending, and a process started after the scan
// makes no ErrStructureChanged by itself.
func TestRefreshFollowingEventsDoesNotLook(t *testing.T) {
	_, r := refreshHost(t)
	r.FollowEvents(true)
	r.Refresh(time.Now())
	listings := r.stats.listings
	fresh := exec.Command("sleep", "30")
	if err := fresh.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fresh.Process.Kill(); _ = fresh.Wait() })
	for range 3 {
		r.Refresh(time.Now())
	}
	if r.stats.listings != listings || len(r.newSeen) != 0 {
		t.Errorf("following events, refreshes listed /proc %d times and hold %v as new", r.stats.listings-listings, r.newSeen)
	}
	r.FollowEvents(false)
	r.Refresh(time.Now())
	r.Refresh(time.Now())
	if r.stats.listings == listings && len(r.newSeen) == 0 {
		t.Error("no longer following events, refreshes still do not look for new processes")
	}
}
