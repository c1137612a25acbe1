package counters

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
)

// ErrStructureChanged says that the host no longer has the snapshot's
// structure (a process started or exited, got a new parent, or a cgroup
// vanished): take a full scan. Refresh still returns the refreshed
// snapshot with it; processes that exited show state "X".
var ErrStructureChanged = errors.New("the host's processes or cgroups changed: a full scan is due")

// clockTicks is USER_HZ, the unit of times in /proc/PID/stat; it is 100 on
// every Linux the kernel's ABI allows.
const clockTicks = 100

// pollEvery is how often, in refreshes, a process that looked idle is
// read anyway. Busy processes, and processes in a small cgroup whose CPU
// counter moved, are read at every refresh.
const pollEvery = 4

// smallCgroup is the most members a cgroup may have for its CPU counter to
// decide which processes to read: a counter that moved in the root cgroup
// of a host says nothing about which of its thousands of processes ran.
const smallCgroup = 64

// Refresher keeps the counter files of one snapshot open and re-reads
// them. It is safe for use by one goroutine at a time; Refresh and Close
// lock.
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
	base     *inspect.Snapshot
	procRoot string
	pageSize int64
	procFDs  []int // parallel to base.Processes; -1 when not open
	// Per process: its last read values, when it was read, whether it
	// was busy then, and the index of its CPU-accounting cgroup (-1).
	last     []inspect.Process
	lastRead []time.Time
	busy     []bool
	cpuCg    []int
	tick     int
	// Per cgroup: its CPU counter and its values at the last refresh.
	cgCPU   []int64
	lastCg  []inspect.Cgroup
	cgFiles [][]cgFile
	loadavg int
	lastPID int
	pids    []int // base PIDs, ascending
	// newSeen are PIDs not in the base found by the last look at /proc;
	// a new process counts as a change once it is still there at the next
	// refresh, so short-lived ones (a compiler run, a shell pipeline) do
	// not cost a full scan each.
	newSeen map[int]bool
	closed  bool
	buf     []byte
}

// cgFile is one open counter file of a cgroup.
type cgFile struct {
	fd   int
	name string
}

// New opens the counter files of snap, a full scan of the host under
// procRoot (usually /proc). Files that cannot be opened are left out: a
// process that exited meanwhile is reported by the first Refresh. It
// fails when the process runs out of file descriptors; the caller then
// keeps taking full scans.
func New(snap *inspect.Snapshot, procRoot string) (*Refresher, error) {
	r := &Refresher{
		base:     snap,
		procRoot: procRoot,
		pageSize: int64(os.Getpagesize()),
		procFDs:  make([]int, len(snap.Processes)),
		cgFiles:  make([][]cgFile, len(snap.Cgroups)),
		loadavg:  -1,
		buf:      make([]byte, 4096),
		pids:     make([]int, len(snap.Processes)),
	}
	r.last = append([]inspect.Process(nil), snap.Processes...)
	r.lastRead = make([]time.Time, len(snap.Processes))
	r.busy = make([]bool, len(snap.Processes))
	r.cgCPU = make([]int64, len(snap.Cgroups))
	r.lastCg = append([]inspect.Cgroup(nil), snap.Cgroups...)
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
		for _, name := range counterFiles(h, c) {
			fd, err := unix.Open(dir+"/"+name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			switch {
			case err == nil:
				r.cgFiles[i] = append(r.cgFiles[i], cgFile{fd: fd, name: name})
			case errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE):
				return fail(err)
			}
		}
	}
	if fd, err := unix.Open(procRoot+"/loadavg", unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
		r.loadavg = fd
		if data, err := r.pread(fd); err == nil {
			r.lastPID, _ = lastPID(data)
		}
	}
	return r, nil
}

// cpuCgroups returns, for each process, the index in snap.Cgroups of the
// cgroup that accounts its CPU time (v2, or the v1 cpuacct hierarchy) when
// that cgroup is small enough to tell its members' activity; -1 otherwise.
func cpuCgroups(snap *inspect.Snapshot) []int {
	out := make([]int, len(snap.Processes))
	h := snap.HierarchyFor("cpuacct")
	if h == nil {
		h = snap.HierarchyFor("cpu")
	}
	index := make(map[inspect.CgroupKey]int, len(snap.Cgroups))
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
		if j, ok := index[inspect.CgroupKey{Hierarchy: h.ID, Path: path}]; ok && len(snap.Cgroups[j].Procs) <= smallCgroup && snap.Cgroups[j].Usage.CPUUsageUS != nil {
			out[i] = j
		}
	}
	return out
}

// counterFiles lists the files that hold the counters the scan found in
// c: only those, so a refresh reads nothing the scan did not.
func counterFiles(h *inspect.Hierarchy, c *inspect.Cgroup) []string {
	u := &c.Usage
	var out []string
	if h.Version == 2 {
		if u.CPUUsageUS != nil || u.NrPeriods != nil {
			out = append(out, "cpu.stat")
		}
		if u.MemoryCurrent != nil {
			out = append(out, "memory.current")
		}
		if u.MemoryEvents != nil {
			out = append(out, "memory.events")
		}
		if u.PidsCurrent != nil {
			out = append(out, "pids.current")
		}
		if u.PSI != nil {
			if u.PSI.CPU != nil {
				out = append(out, "cpu.pressure")
			}
			if u.PSI.Memory != nil {
				out = append(out, "memory.pressure")
			}
			if u.PSI.IO != nil {
				out = append(out, "io.pressure")
			}
		}
		return out
	}
	if u.CPUUsageUS != nil && h.Has("cpuacct") {
		out = append(out, "cpuacct.usage")
	}
	if u.NrPeriods != nil {
		out = append(out, "cpu.stat")
	}
	if u.MemoryCurrent != nil {
		out = append(out, "memory.usage_in_bytes")
	}
	if u.MemoryEvents != nil {
		out = append(out, "memory.failcnt", "memory.oom_control")
	}
	if u.PidsCurrent != nil {
		out = append(out, "pids.current")
	}
	return out
}

// isCPUFile says whether a counter file holds CPU usage, read at every
// refresh.
func isCPUFile(name string) bool { return name == "cpu.stat" || name == "cpuacct.usage" }

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

// Base returns the full scan the refresher derives from.
func (r *Refresher) Base() *inspect.Snapshot { return r.base }

// Result is one refresh: the snapshot with fresh counters, and the CPU%
// of every process (100 = one core) over the time since its last read.
type Result struct {
	Snapshot *inspect.Snapshot
	// ProcessCPU is keyed by PID; processes not read are 0.
	ProcessCPU map[int]float64
	// Read is how many processes were read.
	Read int
}

// Refresh re-reads the counters and returns a new snapshot: the base's
// structure with fresh process and cgroup counters, taken at now. The
// error is ErrStructureChanged when a full scan is due (the result is
// still complete), or another error when the refresher is closed.
func (r *Refresher) Refresh(now time.Time) (Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return Result{}, errors.New("refresh: the refresher is closed")
	}
	start := time.Now()
	// A copy of the snapshot value shares its (read-only) indexes, which
	// depend only on positions and identities; the counters live in the
	// new Processes and Cgroups slices.
	snap := *r.base
	snap.Time = now
	changed := false

	r.tick++
	// Cgroups: the CPU counters every time; the others (memory, pids,
	// OOM, pressure) when the cgroup's CPU moved (here or in the cpuacct
	// twin of a v1 cgroup with the same path), else every pollEvery
	// refreshes: an idle cgroup's memory hardly changes.
	snap.Cgroups = make([]inspect.Cgroup, len(r.lastCg))
	copy(snap.Cgroups, r.lastCg)
	moved := make([]bool, len(snap.Cgroups))
	movedPath := map[string]bool{}
	for pass := 0; pass < 2; pass++ {
		for i, files := range r.cgFiles {
			if len(files) == 0 {
				continue
			}
			c := &snap.Cgroups[i]
			if pass == 0 {
				c.Usage = copyUsage(c.Usage)
			} else if !moved[i] && !movedPath[c.Path] && (i+r.tick)%pollEvery != 0 {
				continue
			}
			h := snap.Hierarchy(c.Hierarchy)
			for _, f := range files {
				if isCPUFile(f.name) != (pass == 0) {
					continue
				}
				data, err := r.pread(f.fd)
				if err != nil {
					// ENODEV: the cgroup was removed.
					changed = true
					continue
				}
				inspect.ApplyUsageFile(&c.Usage, h.Version, f.name, bytes.TrimSpace(data))
			}
			if pass == 0 {
				if u := c.Usage.CPUUsageUS; u != nil {
					moved[i] = *u != r.cgCPU[i]
					r.cgCPU[i] = *u
					if moved[i] {
						movedPath[c.Path] = true
					}
				}
			} else {
				r.lastCg[i] = *c
			}
		}
	}
	for i := range snap.Cgroups {
		r.lastCg[i] = snap.Cgroups[i]
	}

	res := Result{ProcessCPU: make(map[int]float64, len(r.procFDs)/8)}
	snap.Processes = make([]inspect.Process, len(r.last))
	copy(snap.Processes, r.last)
	for i, fd := range r.procFDs {
		if fd < 0 {
			continue
		}
		cg := r.cpuCg[i]
		if !r.busy[i] && (i+r.tick)%pollEvery != 0 && (cg < 0 || !moved[cg]) {
			continue
		}
		p := &snap.Processes[i]
		data, err := r.pread(fd)
		res.Read++
		if err != nil || len(data) == 0 {
			// ESRCH or an empty read: the process is gone.
			p.State = "X"
			r.last[i].State = "X"
			r.busy[i] = false
			changed = true
			continue
		}
		st, err := inspect.ParseProcStat(data)
		if err != nil {
			continue
		}
		if st.PPID != p.PPID {
			changed = true
		}
		before := p.CPUTimeUS()
		p.State = string(st.State)
		p.UTimeUS = int64(st.UTime) * (1e6 / clockTicks)
		p.STimeUS = int64(st.STime) * (1e6 / clockTicks)
		p.Threads = st.Threads
		p.RSSBytes = st.RSSPages * r.pageSize
		used := p.CPUTimeUS() - before
		if wall := now.Sub(r.lastRead[i]); wall > 0 && used > 0 {
			res.ProcessCPU[p.PID] = float64(used) / float64(wall.Microseconds()) * 100
		}
		r.busy[i] = used > 0 || st.State == 'R' || st.State == 'D'
		r.lastRead[i] = now
		r.last[i] = *p
	}

	if r.loadavg >= 0 {
		if data, err := r.pread(r.loadavg); err == nil {
			if last, ok := lastPID(data); ok && (last != r.lastPID || len(r.newSeen) > 0) {
				// Something forked (maybe only a thread), or new processes
				// wait to be confirmed: look at /proc.
				r.lastPID = last
				if r.newProcesses() {
					changed = true
				}
			}
		}
	}
	snap.ScanDuration = time.Since(start)
	res.Snapshot = &snap
	if changed {
		return res, ErrStructureChanged
	}
	return res, nil
}

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
	seen := map[int]bool{}
	confirmed := false
	for _, n := range names {
		if n[0] < '0' || n[0] > '9' {
			continue
		}
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		if _, found := slices.BinarySearch(r.pids, pid); !found {
			seen[pid] = true
			if r.newSeen[pid] {
				confirmed = true
			}
		}
	}
	r.newSeen = seen
	return confirmed
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
