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

// pollEvery is how often, in refreshes, a process that looked idle is
// read anyway. Busy processes, and processes in a small cgroup whose CPU
// counter moved, are read at every refresh.
const pollEvery = 4

// smallCgroup is the most members a cgroup may have for its CPU counter to
// decide which processes to read: a counter that moved in the root cgroup
// of a host says nothing about which of its thousands of processes ran.
const smallCgroup = 64

// A Refresher refreshes the fast-changing numbers of a snapshot without
// scanning the host again: the CPU time, RSS, state and thread count of
// every process (/proc/PID/stat) and the CPU, throttling, memory, OOM,
// pids and pressure counters of every cgroup (usageFiles, the files the
// scan read them from). It keeps those files open and re-reads each with
// one pread, so a refresh of a 4,000-process host costs a few tens of
// milliseconds of CPU where a full scan (every process's status,
// namespaces, cgroups and fds, every cgroup's limits) costs over half a
// second.
//
// A refresh keeps the snapshot's structure: the same processes, the same
// namespaces, the same cgroups; but a cgroup that ran has its members
// read again (refreshMembers), so a process started in it counts at once. When the structure changed — a process
// started or exited, a process got a new parent, a cgroup vanished — it
// says so with ErrStructureChanged, and the caller takes a full scan.
// Changes it cannot see (a process joining another namespace or cgroup, a
// new cgroup without new processes, a limit changed by another tool) wait
// for the caller's periodic full scan.
//
// A Refresher is safe for use by one goroutine at a time; Refresh and
// Close lock. Scanner.Refresher opens one.
//
// Reading every process's stat is most of a refresh's cost, so a refresh
// reads a process only when it may have run: it was busy at its last
// read, its (small) cgroup's CPU counter moved, or it has not been read
// for pollEvery refreshes. A process that was not read used no CPU as far
// as anyone can tell; its CPU% is 0 and its other numbers are those of its
// last read. CPU% is computed per process over the time since its own last
// read, so a process read after a pause gets its true average.
type Refresher struct {
	mu       sync.Mutex
	base     *Snapshot
	procRoot string
	pageSize int64
	procFDs  []int // parallel to base.Processes; -1 when not open
	// Per process: its last read values, when it was read, whether it
	// was busy then, and the index of its CPU-accounting cgroup (-1).
	last     []Process
	lastRead []time.Time
	busy     []bool
	cpuCg    []int
	tick     int
	// Per cgroup: its CPU counter and its values at the last refresh.
	cgCPU   []int64
	lastCg  []Cgroup
	cgFiles [][]openUsageFile
	loadavg int
	lastPID int
	pids    []int // base PIDs, ascending
	// newSeen are PIDs not in the base found by the last look at /proc;
	// a new process counts as a change once it is still there at the next
	// refresh, so short-lived ones (a compiler run, a shell pipeline) do
	// not cost a full scan each.
	newSeen map[int]bool
	// membersRead counts the cgroup.procs files refreshes read (see
	// refreshMembers), for the benchmark.
	membersRead int
	closed      bool
	buf         []byte
}

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
// Close the Refresher when done with it.
func (s *Scanner) Refresher(snap *Snapshot) (*Refresher, error) {
	return newRefresher(snap, s.cfg.procRoot, s.pageSize)
}

func newRefresher(snap *Snapshot, procRoot string, pageSize int) (*Refresher, error) {
	r := &Refresher{
		base:     snap,
		procRoot: procRoot,
		pageSize: int64(pageSize),
		procFDs:  make([]int, len(snap.Processes)),
		cgFiles:  make([][]openUsageFile, len(snap.Cgroups)),
		loadavg:  -1,
		buf:      make([]byte, 4096),
		pids:     make([]int, len(snap.Processes)),
	}
	r.last = append([]Process(nil), snap.Processes...)
	r.lastRead = make([]time.Time, len(snap.Processes))
	r.busy = make([]bool, len(snap.Processes))
	r.cgCPU = make([]int64, len(snap.Cgroups))
	r.lastCg = append([]Cgroup(nil), snap.Cgroups...)
	for i := range snap.Processes {
		r.procFDs[i] = -1
		r.pids[i] = snap.Processes[i].PID
		r.lastRead[i] = snap.Time
		r.busy[i] = true // read everyone at the first refresh
	}
	slices.Sort(r.pids)
	r.cpuCg = cpuCgroups(snap)
	for i := range snap.Cgroups {
		if u := snap.Cgroups[i].Usage.CPUUsageUS; u != nil {
			r.cgCPU[i] = *u
		}
	}
	fail := func(err error) (*Refresher, error) {
		r.Close()
		return nil, fmt.Errorf("open counter files: %w", err)
	}
	for i := range snap.Processes {
		fd, err := unix.Open(procRoot+"/"+strconv.Itoa(snap.Processes[i].PID)+"/stat", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		switch {
		case err == nil:
			r.procFDs[i] = fd
		case errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE):
			return fail(err)
		}
	}
	for i := range snap.Cgroups {
		c := &snap.Cgroups[i]
		h := snap.Hierarchy(c.Hierarchy)
		if h == nil {
			continue
		}
		dir := filepath.Join(h.Mount, c.Path)
		for _, f := range counterFiles(h, c) {
			fd, err := unix.Open(dir+"/"+f.name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			switch {
			case err == nil:
				r.cgFiles[i] = append(r.cgFiles[i], openUsageFile{usageFile: f, fd: fd})
			case errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE):
				return fail(err)
			}
		}
	}
	if fd, err := unix.Open(procRoot+"/loadavg", unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
		r.loadavg = fd
		if data, err := r.pread(fd); err == nil {
			r.lastPID, _ = parseLastPID(data)
		}
	}
	return r, nil
}

// cpuCgroups returns, for each process, the index in snap.Cgroups of the
// cgroup that accounts its CPU time (v2, or the v1 cpuacct hierarchy) when
// that cgroup is small enough to tell its members' activity; -1 otherwise.
func cpuCgroups(snap *Snapshot) []int {
	out := make([]int, len(snap.Processes))
	h := snap.HierarchyFor("cpuacct")
	if h == nil {
		h = snap.HierarchyFor("cpu")
	}
	index := make(map[CgroupKey]int, len(snap.Cgroups))
	for i := range snap.Cgroups {
		index[snap.Cgroups[i].Key()] = i
	}
	for i := range snap.Processes {
		out[i] = -1
		if h == nil {
			continue
		}
		path, ok := snap.Processes[i].CgroupPath(h.ID)
		if !ok {
			continue
		}
		if j, ok := index[CgroupKey{Hierarchy: h.ID, Path: path}]; ok && len(snap.Cgroups[j].Procs) <= smallCgroup && snap.Cgroups[j].Usage.CPUUsageUS != nil {
			out[i] = j
		}
	}
	return out
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
	for _, files := range r.cgFiles {
		for _, f := range files {
			unix.Close(f.fd)
		}
	}
	if r.loadavg >= 0 {
		unix.Close(r.loadavg)
	}
}
