package inspect

import (
	"os"
	"slices"

	"golang.org/x/sys/unix"
)

// A refresher's own process runs in some cgroup every refresh: the
// refresh itself, and the caller's work with its result (a TUI drawing
// it). Where that cgroup is big (a host without systemd keeps thousands
// of processes in the root cgroup, with nscope among them), its own CPU
// moved at every refresh because of nscope alone, and every refresh ran
// a pass over every process (or read the big cgroup's members in turn)
// to find who ran. So the refresher takes its own process's CPU time
// (CLOCK_PROCESS_CPUTIME_ID: the sum of its threads' runtime, the same
// runtime the kernel charges to cgroups) out of its cgroup's own CPU.
//
// The difference is exact but for the time between reading the clock
// and reading the counter, when a scheduler tick can charge a little of
// nscope's runtime to the cgroup: a false move (another pass, never a
// miss), or at the next refresh a move too small by that much, which
// could hide another process's run shorter than a tick. So a cgroup
// whose move was all nscope's is taken to hold still at most
// selfQuietMax refreshes in a row: a process that ran that little is
// seen within that many.
const selfQuietMax = pollEvery

// selfSlackUS is the move, in µs, below which a cgroup's own CPU less
// nscope's is taken as rounding: each usage counter is read in whole µs
// and the own CPU is a difference of several.
const selfSlackUS = 16

// selfCPU is what the refresher knows of its own process's CPU time.
type selfCPU struct {
	// cg is the index of the cgroup whose usage counter counts this
	// process's CPU (-1: not known, or the base is not this host's).
	cg int
	// idx is this process's index in the base; suppressed says the
	// refresh under way took cg's own move for this process's alone, so
	// this process is read (its stat file) where its cgroup's others
	// are not.
	idx        int
	suppressed bool
	// last is the process's CPU time at the last refresh, in ns; delta
	// the time since, in µs, for the refresh under way.
	last, delta int64
	known       bool
	// quiet counts the refreshes in a row whose own CPU move in cg was
	// all this process's.
	quiet int
}

// initSelf finds the cgroup counting this process's CPU in the base,
// when the base is a scan of this host's /proc.
func (r *Refresher) initSelf() {
	r.self.cg = -1
	if r.procRoot != "/proc" {
		return
	}
	k, found := slices.BinarySearch(r.pids, os.Getpid())
	if !found {
		return
	}
	r.self.idx = int(r.pidIndex[k])
	r.self.cg = r.cpuCg[r.self.idx]
}

// readSelf reads this process's CPU time before the cgroup counters.
func (r *Refresher) readSelf() {
	s := &r.self
	s.suppressed = false
	if s.cg < 0 {
		return
	}
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		s.known = false
		return
	}
	now := ts.Nano()
	s.delta = (now - s.last) / 1000
	s.known = s.last != 0 && s.delta >= 0
	s.last = now
}

// ownMoved decides whether cgroup i's own CPU moved by delta µs, taking
// this process's share out of the cgroup that counts it.
func (r *Refresher) ownMoved(i int, delta int64) bool {
	s := &r.self
	if i != s.cg || !s.known {
		return delta != 0
	}
	if delta-s.delta > selfSlackUS || s.quiet >= selfQuietMax {
		s.quiet = 0
		return delta != 0
	}
	s.quiet++
	s.suppressed = true
	return false
}
