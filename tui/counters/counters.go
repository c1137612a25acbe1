package counters

import (
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

// Refresher keeps the counter files of one snapshot open and re-reads
// them. It is safe for use by one goroutine at a time; Refresh and Close
// lock.
type Refresher struct {
	mu       sync.Mutex
	base     *inspect.Snapshot
	procRoot string
	pageSize int64
	procFDs  []int // parallel to base.Processes; -1 when not open
	cgFiles  [][]cgFile
	loadavg  int
	lastPID  int
	pids     []int // base PIDs, ascending
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
	for i := range snap.Processes {
		r.procFDs[i] = -1
		r.pids[i] = snap.Processes[i].PID
	}
	slices.Sort(r.pids)
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

// Refresh re-reads every counter and returns a new snapshot: the base's
// structure with fresh process and cgroup counters, taken at now. The
// error is ErrStructureChanged when a full scan is due (the snapshot is
// still returned), or another error when the refresher is closed.
func (r *Refresher) Refresh(now time.Time) (*inspect.Snapshot, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, errors.New("refresh: the refresher is closed")
	}
	start := time.Now()
	// A copy of the snapshot value shares its (read-only) indexes, which
	// depend only on positions and identities; the counters live in the
	// new Processes and Cgroups slices.
	snap := *r.base
	snap.Time = now
	changed := false

	snap.Processes = make([]inspect.Process, len(r.base.Processes))
	copy(snap.Processes, r.base.Processes)
	for i, fd := range r.procFDs {
		p := &snap.Processes[i]
		if fd < 0 {
			continue
		}
		data, err := r.pread(fd)
		if err != nil || len(data) == 0 {
			// ESRCH or an empty read: the process is gone.
			p.State = "X"
			changed = true
			continue
		}
		st, err := parseStat(data)
		if err != nil {
			continue
		}
		if st.ppid != p.PPID {
			changed = true
		}
		p.State = string(st.state)
		p.UTimeUS = st.utime * (1e6 / clockTicks)
		p.STimeUS = st.stime * (1e6 / clockTicks)
		p.Threads = st.threads
		p.RSSBytes = st.rssPages * r.pageSize
	}

	snap.Cgroups = make([]inspect.Cgroup, len(r.base.Cgroups))
	copy(snap.Cgroups, r.base.Cgroups)
	for i, files := range r.cgFiles {
		if len(files) == 0 {
			continue
		}
		c := &snap.Cgroups[i]
		c.Usage = copyUsage(c.Usage)
		h := snap.Hierarchy(c.Hierarchy)
		for _, f := range files {
			data, err := r.pread(f.fd)
			if err != nil {
				// ENODEV: the cgroup was removed.
				changed = true
				continue
			}
			applyCounter(&c.Usage, f.name, h.Version, data)
		}
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
	if changed {
		return &snap, ErrStructureChanged
	}
	return &snap, nil
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
