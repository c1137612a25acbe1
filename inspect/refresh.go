package inspect

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// ErrStructureChanged says that the host no longer has the snapshot's
// structure (a process started or exited, got a new parent, or a cgroup
// vanished): take a full scan. Refresh still returns the refreshed
// snapshot with it; processes that exited show state "X".
var ErrStructureChanged = errors.New("the host's processes or cgroups changed: a full scan is due")

// pollEvery is how often, in refreshes, a process that nothing says is
// idle is read anyway when the counter iterator is not there (see
// Refresher): one in a big cgroup whose CPU moved, or in none with a CPU
// counter.
const pollEvery = 4

// gaugeCycle is how often, in refreshes, the gauges of a cgroup that
// nothing touched (memory, pids, OOM events, pressure) are read anyway:
// memory can be reclaimed or charged (a socket's buffers) without the
// cgroup's processes running, and pressure averages decay. The reads are
// spread over the cycle.
const gaugeCycle = 30

// smallCgroup is the most members a cgroup may have for its members to
// be read one by one when its CPU moved and the counter iterator is not
// there: a counter that moved in the root cgroup of a host says nothing
// about which of its thousands of processes ran.
const smallCgroup = 64

// throttleTail is how long after a cgroup's CPU usage last moved its
// throttling counters can still move: the CFS bandwidth timer counts one
// more period (up to 1 s long) after the last period with runtime used,
// then stops (do_sched_cfs_period_timer in kernel/sched/fair.c).
const throttleTail = 2 * time.Second

// A Refresher refreshes the fast-changing numbers of a snapshot without
// scanning the host again: the CPU time, RSS, state and thread count of
// every process (/proc/PID/stat) and the CPU, throttling, memory, OOM,
// pids and pressure counters of every cgroup (usageFiles, the files the
// scan read them from). It opens those files when it first reads them,
// keeps them open and re-reads each with one pread.
//
// A refresh keeps the snapshot's structure: the same processes, the same
// namespaces, the same cgroups; but a cgroup that ran has its members
// read again (refreshMembers), so a process started in it counts at
// once. When the structure changed — a process started or exited, a
// process got a new parent, a cgroup vanished — it says so with
// ErrStructureChanged, and the caller takes a full scan. Changes it
// cannot see (a process joining another namespace or cgroup, a new
// cgroup without new processes, a limit changed by another tool) wait
// for the caller's periodic full scan.
//
// A Refresher is safe for use by one goroutine at a time; Refresh and
// Close lock. Scanner.Refresher opens one.
//
// A refresh reads only what may have changed, so that a quiet host
// costs little (see refreshCgroupCPU and refreshProcesses):
//
//   - Hierarchical CPU usage (v2 cpu.stat, v1 cpuacct.usage) is read top
//     down: a cgroup whose usage did not move had no descendant run, so
//     its subtree is skipped. Throttling counters are read while a
//     cgroup's usage moved within throttleTail.
//   - A process is read when its cgroup's own CPU (its usage less its
//     children's) moved: a process that did not run has the CPU times,
//     state and thread count of its last read. As root on a kernel with
//     BTF the counter programs (refresh_bpf.go) answer for every process
//     in one pass where that would be many reads, and say exactly which
//     processes changed. A big cgroup that runs at every refresh (a
//     host's root cgroup, where kernel threads run) gets a pass at most
//     every pollEvery refreshes: between two, its members busy at their
//     last read are read one by one, and one that starts running shows
//     at the next pass. Without them the members of a big cgroup, and
//     processes in no cgroup with a CPU counter, are read when busy at
//     their last read or every pollEvery refreshes: their RSS and a run
//     that did not keep them busy may show late.
//   - Gauges (memory, pids, OOM events, pressure) are read for the
//     cgroups of every process that changed and every cgroup whose CPU
//     moved, and otherwise every gaugeCycle refreshes.
//
// CPU% is computed per process over the time since its counters were
// last known (read, or known not to have moved), so a process read
// after a pause gets its true average.
type Refresher struct {
	mu       sync.Mutex
	base     *Snapshot
	procRoot string
	pageSize int64
	// procFDs are the processes' open stat files, parallel to
	// base.Processes, or fdUnopened or fdGone. Where the counter
	// programs answer for every process, a stat file is opened when
	// first needed (a kernel thread or zombie that changed), and its
	// process is checked to be the one of the base by its start time.
	procFDs []int
	// startTicks are the base processes' start times in clock ticks
	// after boot; nil when the base has no boot time.
	startTicks []uint64
	// Per process: its last values, when they were last known, whether
	// it was busy then, and the index of the cgroup whose CPU counter
	// covers it (-1).
	last     []Process
	lastRead []time.Time
	busy     []bool
	cpuCg    []int
	// unsure marks the processes that may have run but were not read
	// (without the counter programs, in a big cgroup: see pollEvery):
	// they are read in turn even when their cgroup holds still since.
	unsure []bool
	// procCgs are the indexes in base.Cgroups of each process's cgroups,
	// one per hierarchy, for the gauges a change of the process touches.
	procCgs [][]int32
	tick    int
	// lastPass is the tick of the last counter pass.
	lastPass int
	// limitTurn counts the CheckLimits calls.
	limitTurn int
	// lastRefresh is the time of the last refresh.
	lastRefresh time.Time
	cg          cgroupState
	// lastCg are the cgroups as last refreshed.
	lastCg  []Cgroup
	loadavg int
	lastPID int
	// pids are the base PIDs, ascending, and pidIndex[k] the index in
	// base.Processes of pids[k].
	pids     []int
	pidIndex []int32
	// newSeen are PIDs not in the base found by the last look at /proc
	// (or the counter iterator); a new process counts as a change once
	// it is still there at the next look, so short-lived ones (a compiler
	// run, a shell pipeline) do not cost a full scan each.
	newSeen map[int]bool
	// following: the caller learns of new processes from events (see
	// FollowEvents).
	following bool
	// self is this process's own CPU time (see refresh_self.go).
	self selfCPU
	// counters is the counter iterator's state; nil without it.
	// forcePass makes every refresh use it (tests on small hosts).
	counters  *counterPass
	forcePass bool
	recycle   recycler
	// stats count what refreshes read, for tests and the benchmark.
	stats  refreshStats
	closed bool
	buf    []byte
}

// refreshStats count the reads of a Refresher's refreshes.
type refreshStats struct {
	refreshes   int
	statReads   int // /proc/PID/stat preads
	cgroupReads int // cgroup file preads
	membersRead int // cgroup.procs files read (see refreshMembers)
	passes      int // counter iterator passes
	listings    int // looks at /proc for new processes
}

// The states of a process's stat file, or a cgroup's counter file, that
// are not open.
const (
	fdUnopened = -1 // not opened yet (or out of file descriptors when it was)
	fdGone     = -2 // a stat file that could not be opened: the process exited
	fdAbsent   = -3 // a counter file the cgroup does not have, or that cannot be read
)

// openUsageFile is one open usage file of a cgroup.
type openUsageFile struct {
	usageFile
	fd int
}

// Refresher opens the counter files of snap, a full scan s took: every
// process's stat and the usage files of every cgroup that had counters.
// Files that cannot be opened are left out: a process that exited
// meanwhile is reported by the first Refresh. It fails when the process
// runs out of file descriptors; the caller then keeps taking full scans.
// Close the Refresher when done with it; it may use the scanner's
// counter iterator until then, which Scanner.Close ends (its refreshes
// then read /proc).
func (s *Scanner) Refresher(snap *Snapshot) (*Refresher, error) {
	it := s.counterIter(snap)
	r, err := newRefresher(snap, s.cfg.procRoot, s.pageSize, it != nil)
	if err != nil {
		return nil, err
	}
	if it != nil {
		r.counters = newCounterPass(it, r)
	}
	return r, nil
}

// newRefresher opens a Refresher on snap; lazy leaves the stat files to
// be opened when first read.
func newRefresher(snap *Snapshot, procRoot string, pageSize int, lazy bool) (*Refresher, error) {
	r := &Refresher{
		base:     snap,
		procRoot: procRoot,
		pageSize: int64(pageSize),
		procFDs:  make([]int, len(snap.Processes)),
		loadavg:  -1,
		buf:      make([]byte, 4096),
		pids:     make([]int, len(snap.Processes)),
		pidIndex: make([]int32, len(snap.Processes)),
	}
	r.last = append([]Process(nil), snap.Processes...)
	r.lastRead = make([]time.Time, len(snap.Processes))
	r.busy = make([]bool, len(snap.Processes))
	r.unsure = make([]bool, len(snap.Processes))
	r.lastCg = append([]Cgroup(nil), snap.Cgroups...)
	order := make([]int32, len(snap.Processes))
	if boot := snap.Host.BootTime; !boot.IsZero() {
		r.startTicks = make([]uint64, len(snap.Processes))
		for i := range snap.Processes {
			r.startTicks[i] = uint64(snap.Processes[i].StartTime.Sub(boot) / (time.Second / clockTicks))
		}
	}
	for i := range snap.Processes {
		r.procFDs[i] = fdUnopened
		order[i] = int32(i)
		r.lastRead[i] = snap.Time
		r.busy[i] = true // read everyone at the first refresh
	}
	slices.SortFunc(order, func(a, b int32) int { return snap.Processes[a].PID - snap.Processes[b].PID })
	for k, i := range order {
		r.pids[k], r.pidIndex[k] = snap.Processes[i].PID, i
	}
	fail := func(err error) (*Refresher, error) {
		r.Close()
		return nil, fmt.Errorf("open counter files: %w", err)
	}
	for i := range snap.Processes {
		if lazy {
			break
		}
		if r.openStat(i) == fdUnopened {
			return fail(unix.EMFILE)
		}
	}
	r.cg.open(snap)
	r.cpuCg, r.procCgs = processCgroups(snap, &r.cg)
	r.initSelf()
	if fd, err := unix.Open(procRoot+"/loadavg", unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
		r.loadavg = fd
		if data, err := r.pread(fd); err == nil {
			r.lastPID, _ = parseLastPID(data)
		}
	}
	return r, nil
}

// openStat opens process i's stat file and returns the descriptor, or
// fdGone when the process exited, or fdUnopened when out of file
// descriptors.
func (r *Refresher) openStat(i int) int {
	fd, err := unix.Open(r.procRoot+"/"+strconv.Itoa(r.base.Processes[i].PID)+"/stat", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	switch {
	case err == nil:
		r.procFDs[i] = fd
	case errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE):
		return fdUnopened
	default:
		r.procFDs[i] = fdGone
	}
	return r.procFDs[i]
}

// processCgroups returns, for each process of snap, the index in
// snap.Cgroups of the cgroup whose CPU usage counter accounts its CPU
// time (the v1 cpuacct hierarchy's, else the v2 hierarchy's; -1 when
// neither has one open), and the indexes of all its cgroups.
func processCgroups(snap *Snapshot, cg *cgroupState) (cpu []int, all [][]int32) {
	cpu = make([]int, len(snap.Processes))
	all = make([][]int32, len(snap.Processes))
	order := cpuHierarchies(snap)
	index := make(map[CgroupKey]int, len(snap.Cgroups))
	for i := range snap.Cgroups {
		index[snap.Cgroups[i].Key()] = i
	}
	// Processes share few distinct cgroup lists: one slice each.
	shared := map[string][]int32{}
	var key []byte
	for i := range snap.Processes {
		p := &snap.Processes[i]
		cpu[i] = -1
		for _, id := range order {
			path, ok := p.CgroupPath(id)
			if !ok {
				continue
			}
			if j, ok := index[CgroupKey{Hierarchy: id, Path: path}]; ok && cg.hasUsage(j) {
				cpu[i] = j
				break
			}
		}
		key = key[:0]
		for _, c := range p.Cgroups {
			key = strconv.AppendInt(key, int64(c.Hierarchy), 10)
			key = append(key, ':')
			key = append(key, c.Path...)
			key = append(key, 0)
		}
		if list, ok := shared[string(key)]; ok {
			all[i] = list
			continue
		}
		var list []int32
		for _, c := range p.Cgroups {
			if j, ok := index[CgroupKey{Hierarchy: c.Hierarchy, Path: c.Path}]; ok {
				list = append(list, int32(j))
			}
		}
		shared[string(key)] = list
		all[i] = list
	}
	return cpu, all
}

// cgroupDir is the directory of a cgroup of snap; "" when its hierarchy
// is unknown.
func cgroupDir(snap *Snapshot, c *Cgroup) string {
	h := snap.Hierarchy(c.Hierarchy)
	if h == nil {
		return ""
	}
	return filepath.Join(h.Mount, c.Path)
}

// Close closes every file. The snapshots already returned stay valid.
func (r *Refresher) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	for _, fd := range r.procFDs {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	r.cg.close()
	if r.loadavg >= 0 {
		unix.Close(r.loadavg)
	}
}
