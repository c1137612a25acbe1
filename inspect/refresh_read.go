package inspect

import (
	"errors"
	"os"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// pread reads a whole small file from offset 0 into r.buf.
func (r *Refresher) pread(fd int) ([]byte, error) {
	for {
		n, err := unix.Pread(fd, r.buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == len(r.buf) && len(r.buf) < 1<<20 {
			r.buf = make([]byte, 2*len(r.buf))
			continue
		}
		return r.buf[:n], nil
	}
}

// FollowEvents says whether the caller learns of new processes from
// process events (package inspect/events): then refreshes do not look
// for them in /proc, nor run the counter programs' pass to find them,
// and a new process never makes ErrStructureChanged. Exits and new
// parents of the base's processes are still reported.
func (r *Refresher) FollowEvents(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.following != on {
		r.following = on
		clear(r.newSeen)
	}
}

// Base returns the full scan the refresher derives from.
func (r *Refresher) Base() *Snapshot { return r.base }

// RefreshResult is one refresh: the snapshot with fresh counters, and the CPU%
// of every process (100 = one core) over the time since its last read.
type RefreshResult struct {
	Snapshot *Snapshot
	// ProcessCPU is keyed by PID; processes that used no CPU are left out.
	ProcessCPU map[int]float64
	// Read is how many processes had their numbers taken afresh, from
	// /proc/PID/stat or the counter iterator.
	Read int
}

// Refresh re-reads the counters and returns a new snapshot: the base's
// structure with fresh process and cgroup counters, taken at now. The
// error is ErrStructureChanged when a full scan is due (the result is
// still complete), or another error when the refresher is closed.
func (r *Refresher) Refresh(now time.Time) (RefreshResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return RefreshResult{}, errors.New("refresh: the refresher is closed")
	}
	start := time.Now()
	// A copy of the snapshot value shares its (read-only) indexes, which
	// depend only on positions and identities; the counters live in the
	// new Processes and Cgroups slices.
	snap := *r.base
	snap.Time = now
	prev := r.base.Time
	if r.tick > 0 {
		prev = r.lastRefresh
	}
	r.tick++
	// Something forked (maybe only a thread), or new processes wait to be
	// confirmed: look for new processes. A caller that follows process
	// events learns of new processes from them: no look.
	look := len(r.newSeen) > 0 && !r.following
	if r.loadavg >= 0 && !r.following {
		if data, err := r.pread(r.loadavg); err == nil {
			if last, ok := parseLastPID(data); ok && last != r.lastPID {
				r.lastPID, look = last, true
			}
		}
	}

	snap.Processes, snap.Cgroups = r.slices()
	changed := r.refreshCgroupCPU(&snap, now, prev)

	res := RefreshResult{ProcessCPU: make(map[int]float64, 16)}
	procsChanged, looked := r.refreshProcesses(&snap, now, look, &res)
	changed = changed || procsChanged
	if r.refreshCgroupRest(&snap, prev) {
		changed = true
	}
	if r.refreshMembers(&snap) {
		changed = true
	}
	if look && !looked && r.newProcesses() {
		changed = true
	}
	r.stats.refreshes++
	r.lastRefresh = now
	snap.ScanDuration = time.Since(start)
	r.issue(&snap)
	res.Snapshot = &snap
	if changed {
		return res, ErrStructureChanged
	}
	return res, nil
}

// refreshProcesses refreshes the processes that may have changed (see
// Refresher): with the counter iterator when it is there and would
// answer for more processes than are worth reading one by one, else
// from their stat files. looked says the iterator also listed the
// host's processes, so that new ones were looked for.
func (r *Refresher) refreshProcesses(snap *Snapshot, now time.Time, look bool, res *RefreshResult) (changed, looked bool) {
	first := r.tick == 1
	// deferred: a pass is wanted for a big cgroup that ran, but one ran
	// less than pollEvery refreshes ago; its members that were busy are
	// read one by one meanwhile.
	deferred := false
	if r.counters != nil && (first || look || r.forcePass || r.passWanted()) {
		if !first && !look && !r.forcePass && r.tick-r.lastPass < pollEvery {
			deferred = true
		} else {
			changed, err := r.counters.refresh(r, snap, now, res)
			if err == nil {
				r.lastPass = r.tick
				clear(r.unsure) // the pass knows every process
				return changed, true
			}
			// The scanner closed its iterators, or the pass failed:
			// /proc from now on.
			r.counters = nil
		}
	}
	for i := range r.procFDs {
		if r.procFDs[i] == fdGone || r.last[i].State == "X" {
			continue
		}
		cg := r.cpuCg[i]
		var read bool
		switch {
		case first, r.last[i].State == "Z", i == r.self.idx && r.self.suppressed:
			read = true
		case cg >= 0 && !r.cg.own[cg] && !r.unsure[i]:
			// Nothing in its cgroup ran: neither did it.
			r.lastRead[i] = now
		case cg >= 0 && len(r.base.Cgroups[cg].Procs) <= smallCgroup, r.counters != nil && !deferred:
			// Few enough to read one by one (with the counter programs,
			// passWanted weighed them against a pass).
			read = true
		case deferred:
			// A member of a big cgroup that ran, between two passes: read
			// when it was busy, else left to the next pass.
			read = r.busy[i]
			r.unsure[i] = !read
		default:
			// A member of a big cgroup that ran, or of none with a CPU
			// counter, or one of those skipped before (unsure: it may
			// have run then, though its cgroup held still since).
			read = r.busy[i] || (i+r.tick)%pollEvery == 0
			r.unsure[i] = !read
		}
		if read {
			r.unsure[i] = false
			if r.readStat(snap, i, now, res) {
				changed = true
			}
		}
	}
	return changed, false
}

// passWanted reports whether more processes may have changed than are
// worth reading one by one: the counter iterator's pass then costs less.
func (r *Refresher) passWanted() bool {
	limit := max(64, len(r.procFDs)/8)
	n := 0
	for i, cg := range r.cpuCg {
		if r.last[i].State == "X" {
			continue
		}
		if cg < 0 || r.cg.own[cg] || r.unsure[i] {
			if n++; n > limit {
				return true
			}
		}
	}
	return false
}

// readStat reads process i's stat file into snap and reports whether
// its structure changed (it exited, or got another parent).
func (r *Refresher) readStat(snap *Snapshot, i int, now time.Time, res *RefreshResult) (changed bool) {
	fd, opened := r.procFDs[i], false
	if fd == fdUnopened {
		if fd = r.openStat(i); fd == fdUnopened {
			return false // out of file descriptors: another time
		}
		opened = true
	}
	r.stats.statReads++
	res.Read++
	var data []byte
	var err error = unix.ESRCH
	if fd >= 0 {
		data, err = r.pread(fd)
	}
	if err != nil || len(data) == 0 {
		// ESRCH or an empty read: the process is gone.
		return r.gone(snap, i)
	}
	st, err := ParseProcStat(data)
	if err != nil {
		return false
	}
	if opened && r.startTicks != nil && st.StartTime != r.startTicks[i] {
		// Opened after the process exited and its PID was reused.
		unix.Close(fd)
		r.procFDs[i] = fdGone
		return r.gone(snap, i)
	}
	return r.applyStat(snap, i, &st, now, res)
}

// gone marks process i as exited (state X).
func (r *Refresher) gone(snap *Snapshot, i int) (changed bool) {
	snap.Processes[i].State = "X"
	r.last[i].State = "X"
	r.dirtyProcess(i)
	r.busy[i] = false
	r.touchProcess(i)
	return true
}

// applyStat takes process i's fresh numbers into snap, computes its CPU%
// and reports whether it got another parent.
func (r *Refresher) applyStat(snap *Snapshot, i int, st *ProcStat, now time.Time, res *RefreshResult) (reparented bool) {
	p := &snap.Processes[i]
	old := *p
	p.State = stateString(st.State)
	p.UTimeUS = int64(st.UTime) * (1e6 / clockTicks)
	p.STimeUS = int64(st.STime) * (1e6 / clockTicks)
	p.Threads = st.Threads
	p.RSSBytes = st.RSSPages * r.pageSize
	used := p.CPUTimeUS() - old.CPUTimeUS()
	if wall := now.Sub(r.lastRead[i]); wall > 0 && used > 0 {
		res.ProcessCPU[p.PID] = float64(used) / float64(wall.Microseconds()) * 100
	}
	r.busy[i] = used > 0 || st.State == 'R' || st.State == 'D'
	r.lastRead[i] = now
	if used != 0 || p.State != old.State || p.Threads != old.Threads || p.RSSBytes != old.RSSBytes {
		r.touchProcess(i)
	}
	r.last[i] = *p
	r.dirtyProcess(i)
	return st.PPID != old.PPID
}

// touchProcess marks the cgroups of process i: it changed.
func (r *Refresher) touchProcess(i int) {
	for _, c := range r.procCgs[i] {
		r.cg.touch(c)
	}
}

// stateNames are the one-letter states, so that a refresh does not
// allocate one per process.
var stateNames = func() (names [256]string) {
	for c := range names {
		names[c] = string(rune(c))
	}
	return names
}()

// stateString returns the state letter as a string.
func stateString(c byte) string { return stateNames[c] }

// newProcesses reports whether /proc lists a PID the base does not have
// that the previous look already found.
func (r *Refresher) newProcesses() bool {
	f, err := os.Open(r.procRoot)
	if err != nil {
		return false
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return false
	}
	r.stats.listings++
	var fresh []int
	for _, n := range names {
		if n[0] < '0' || n[0] > '9' {
			continue
		}
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		if _, found := slices.BinarySearch(r.pids, pid); !found {
			fresh = append(fresh, pid)
		}
	}
	return r.sawNew(fresh)
}

// sawNew records the PIDs not in the base that a look found and reports
// whether one of them was there at the previous look too.
func (r *Refresher) sawNew(fresh []int) (confirmed bool) {
	for _, pid := range fresh {
		if r.newSeen[pid] {
			confirmed = true
		}
	}
	if r.newSeen == nil {
		r.newSeen = map[int]bool{}
	}
	clear(r.newSeen)
	for _, pid := range fresh {
		r.newSeen[pid] = true
	}
	return confirmed
}
