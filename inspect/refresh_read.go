package inspect

import (
	"bytes"
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

// Base returns the full scan the refresher derives from.
func (r *Refresher) Base() *Snapshot { return r.base }

// RefreshResult is one refresh: the snapshot with fresh counters, and the CPU%
// of every process (100 = one core) over the time since its last read.
type RefreshResult struct {
	Snapshot *Snapshot
	// ProcessCPU is keyed by PID; processes not read are 0.
	ProcessCPU map[int]float64
	// Read is how many processes were read.
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
	changed := false

	r.tick++
	// Cgroups: the CPU counters every time; the others (memory, pids,
	// OOM, pressure) when the cgroup's CPU moved (here or in the cpuacct
	// twin of a v1 cgroup with the same path), else every pollEvery
	// refreshes: an idle cgroup's memory hardly changes.
	snap.Cgroups = make([]Cgroup, len(r.lastCg))
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
				c.Usage = c.Usage.clone()
			} else if !moved[i] && !movedPath[c.Path] && (i+r.tick)%pollEvery != 0 {
				continue
			}
			h := snap.Hierarchy(c.Hierarchy)
			for _, f := range files {
				if f.cpu != (pass == 0) {
					continue
				}
				data, err := r.pread(f.fd)
				if err != nil {
					// ENODEV: the cgroup was removed.
					changed = true
					continue
				}
				applyUsageFile(&c.Usage, h.Version, f.name, bytes.TrimSpace(data))
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
	copy(r.lastCg, snap.Cgroups)
	if r.refreshMembers(&snap, moved, movedPath) {
		changed = true
	}

	res := RefreshResult{ProcessCPU: make(map[int]float64, len(r.procFDs)/8)}
	snap.Processes = make([]Process, len(r.last))
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
		st, err := ParseProcStat(data)
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
			if last, ok := parseLastPID(data); ok && (last != r.lastPID || len(r.newSeen) > 0) {
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
