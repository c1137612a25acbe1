package inspect

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// cgJob is one cgroup directory to read.
type cgJob struct {
	hier *Hierarchy
	rel  string // "/" or "/a/b"
}

// cgQueue is a work queue for the parallel cgroup walk: workers take
// directories and push the subdirectories they find.
type cgQueue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	jobs    []cgJob
	active  int
	stopped bool
}

func newCGQueue() *cgQueue {
	q := &cgQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *cgQueue) push(j cgJob) {
	q.mu.Lock()
	q.jobs = append(q.jobs, j)
	q.mu.Unlock()
	q.cond.Signal()
}

// pop returns the next job, waiting while other workers may still push
// more; ok is false when the walk is over.
func (q *cgQueue) pop() (cgJob, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.jobs) == 0 && q.active > 0 && !q.stopped {
		q.cond.Wait()
	}
	if len(q.jobs) == 0 || q.stopped {
		return cgJob{}, false
	}
	j := q.jobs[len(q.jobs)-1]
	q.jobs = q.jobs[:len(q.jobs)-1]
	q.active++
	return j, true
}

// done marks a popped job finished.
func (q *cgQueue) done() {
	q.mu.Lock()
	q.active--
	last := q.active == 0 && len(q.jobs) == 0
	q.mu.Unlock()
	if last {
		q.cond.Broadcast()
	}
}

func (q *cgQueue) stop() {
	q.mu.Lock()
	q.stopped = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

// walkCgroups walks every hierarchy in parallel, reading the limit and
// usage files each cgroup has. Membership is attached afterwards by
// attachMembers, so the walk can run while /proc is read.
func (s *Scanner) walkCgroups(ctx context.Context, hierarchies []Hierarchy, bad *unreadableCounter) []Cgroup {
	q := newCGQueue()
	for i := range hierarchies {
		q.push(cgJob{hier: &hierarchies[i], rel: "/"})
	}
	var mu sync.Mutex
	var all []Cgroup
	stop := context.AfterFunc(ctx, q.stop)
	defer stop()
	s.parallel(func() {
		r := &cgReader{s: s, bad: bad, buf: make([]byte, 0, 4096), dirent: make([]byte, 16384)}
		var mine []Cgroup
		for {
			j, ok := q.pop()
			if !ok {
				break
			}
			if cg, ok := r.read(j, q); ok {
				mine = append(mine, cg)
			}
			q.done()
		}
		mu.Lock()
		all = append(all, mine...)
		mu.Unlock()
	})
	return all
}

// attachMembers sets every cgroup's Procs from the processes'
// /proc/PID/cgroup.
func attachMembers(snap *Snapshot, all []Cgroup) {
	// Processes read with the BPF iterator share one Cgroups slice per
	// css_set: add each set's PIDs at once.
	type group struct {
		cgs  []ProcCgroup
		pids []int
	}
	groups := make(map[*ProcCgroup]*group, 512)
	var order []*group
	for i := range snap.Processes {
		p := &snap.Processes[i]
		if len(p.Cgroups) == 0 {
			continue
		}
		g := groups[&p.Cgroups[0]]
		if g == nil {
			g = &group{cgs: p.Cgroups}
			groups[&p.Cgroups[0]] = g
			order = append(order, g)
		}
		g.pids = append(g.pids, p.PID)
	}
	members := make(map[CgroupKey][]int, len(all))
	for _, g := range order {
		for _, pc := range g.cgs {
			k := CgroupKey{pc.Hierarchy, pc.Path}
			members[k] = append(members[k], g.pids...)
		}
	}
	for i := range all {
		procs := members[all[i].Key()]
		slices.Sort(procs) // several sets may share a cgroup
		all[i].Procs = procs
	}
}

// cgReader reads cgroup directories; one per worker.
type cgReader struct {
	s      *Scanner
	bad    *unreadableCounter
	buf    []byte
	dirent []byte
	files  map[string]bool
}

// read lists one cgroup directory, queues its children and reads its data.
func (r *cgReader) read(j cgJob, q *cgQueue) (Cgroup, bool) {
	cg := Cgroup{Hierarchy: j.hier.ID, Path: j.rel}
	dirPath := j.hier.Mount
	if j.rel != "/" {
		dirPath += j.rel
	}
	dirfd, err := unix.Open(dirPath, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if !vanished(err) {
			r.bad.add(UnreadableCgroupDir, dirPath, err)
		}
		return cg, false
	}
	defer unix.Close(dirfd)
	if r.files == nil {
		r.files = map[string]bool{}
	}
	clear(r.files)
	err = readDirents(dirfd, r.dirent, func(namez []byte, typ uint8) {
		name := direntName(namez)
		switch typ {
		case unix.DT_DIR:
			if string(name) == "." || string(name) == ".." {
				return
			}
			child := j.rel + "/" + string(name)
			if j.rel == "/" {
				child = "/" + string(name)
			}
			q.push(cgJob{hier: j.hier, rel: child})
		case unix.DT_REG:
			if wantedCgroupFile(name) {
				r.files[string(name)] = true
			}
		}
	})
	if err != nil {
		if !vanished(err) {
			r.bad.add(UnreadableCgroupDir, dirPath, err)
		}
		return cg, false
	}
	if r.s.cfg.cgroupData {
		r.readData(dirfd, dirPath, j.hier, &cg)
	}
	return cg, true
}

func wantedCgroupFile(name []byte) bool { return cgroupFiles[string(name)] }

// readData reads the limit and usage files present in the directory.
func (r *cgReader) readData(dirfd int, dirPath string, h *Hierarchy, cg *Cgroup) {
	if len(r.files) == 0 {
		return
	}
	cg.Raw = make(map[string]string, len(r.files))
	l, u := &cg.Limits, &cg.Usage
	// Sorted for a deterministic Raw and error example.
	names := make([]string, 0, len(r.files))
	for n := range r.files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		data, err := readAt(dirfd, name, &r.buf)
		if err != nil {
			switch {
			case vanished(err), errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.ENODEV):
			default:
				r.bad.add(UnreadableCgroup, dirPath+"/"+name, err)
			}
			continue
		}
		data = bytes.TrimSpace(data)
		cg.Raw[name] = string(data)
		switch name {
		case "cgroup.controllers":
			cg.Controllers = strings.Fields(string(data))
		case "cgroup.freeze":
			l.Frozen = boolPtr(string(data) == "1")
		case "freezer.state":
			l.Frozen = boolPtr(string(data) == "FROZEN")
		case "cpu.max":
			if q, p, err := ParseCPUMax(data); err == nil {
				l.CPUQuotaUS, l.CPUPeriodUS = &q, &p
			}
		case "cpu.cfs_quota_us":
			l.CPUQuotaUS = limitPtr(data)
		case "cpu.cfs_period_us":
			l.CPUPeriodUS = limitPtr(data)
		case "cpu.weight":
			l.CPUWeight = limitPtr(data)
		case "cpu.shares":
			l.CPUShares = limitPtr(data)
		case "memory.max", "memory.limit_in_bytes":
			l.MemoryMax = limitPtr(data)
		case "memory.high":
			l.MemoryHigh = limitPtr(data)
		case "memory.low":
			l.MemoryLow = limitPtr(data)
		case "pids.max":
			l.PidsMax = limitPtr(data)
		case "io.max":
			if m, err := ParseIOMax(data); err == nil {
				l.IOMax = m
			}
		default:
			applyUsageFile(u, h.Version, name, data)
		}
	}
}

// applyUsageFile parses one of usageFiles (cpu.stat, cpuacct.usage,
// memory.current, memory.usage_in_bytes, pids.current, memory.events,
// memory.failcnt, memory.oom_control, *.pressure) into u. version is the
// hierarchy's cgroup version; data is the file's trimmed text. It reports
// whether name is a usage file. The scan and a Refresher both read usage
// files with it.
func applyUsageFile(u *Usage, version int, name string, data []byte) bool {
	switch name {
	case "cpu.stat":
		parseCPUStat(data, version, u)
	case "cpuacct.usage":
		if v, err := parseCounter(data); err == nil {
			us := v / 1000
			u.CPUUsageUS = &us
		}
	case "memory.current", "memory.usage_in_bytes":
		u.MemoryCurrent = counterPtr(data)
	case "pids.current":
		u.PidsCurrent = counterPtr(data)
	case "memory.events":
		ev := memEvents(u)
		ParseKeyed(data, func(k string, v int64) {
			switch k {
			case "low":
				ev.Low = v
			case "high":
				ev.High = v
			case "max":
				ev.Max = v
			case "oom":
				ev.OOM = v
			case "oom_kill":
				ev.OOMKill = v
			}
		})
	case "memory.failcnt":
		if v, err := parseCounter(data); err == nil {
			memEvents(u).Max = v
		}
	case "memory.oom_control":
		ParseKeyed(data, func(k string, v int64) {
			if k == "oom_kill" {
				memEvents(u).OOMKill = v
			}
		})
	case "cpu.pressure", "memory.pressure", "io.pressure":
		p, err := ParsePressure(data)
		if err != nil {
			return true
		}
		if u.PSI == nil {
			u.PSI = &PSI{}
		}
		switch name {
		case "cpu.pressure":
			u.PSI.CPU = p
		case "memory.pressure":
			u.PSI.Memory = p
		default:
			u.PSI.IO = p
		}
	default:
		return false
	}
	return true
}

// parseCPUStat reads cpu.stat: v2 has usage_usec and throttled_usec; v1
// has throttled_time in nanoseconds.
func parseCPUStat(data []byte, version int, u *Usage) {
	ParseKeyed(data, func(k string, v int64) {
		switch k {
		case "usage_usec":
			u.CPUUsageUS = int64Ptr(v)
		case "nr_periods":
			u.NrPeriods = int64Ptr(v)
		case "nr_throttled":
			u.NrThrottled = int64Ptr(v)
		case "throttled_usec":
			u.ThrottledUS = int64Ptr(v)
		case "throttled_time":
			if version == 1 {
				u.ThrottledUS = int64Ptr(v / 1000)
			}
		}
	})
}

func memEvents(u *Usage) *MemoryEvents {
	if u.MemoryEvents == nil {
		u.MemoryEvents = &MemoryEvents{}
	}
	return u.MemoryEvents
}

func int64Ptr(v int64) *int64 { return &v }
func boolPtr(v bool) *bool    { return &v }

func limitPtr(data []byte) *int64 {
	v, err := ParseLimitValue(data)
	if err != nil {
		return nil
	}
	return &v
}

func counterPtr(data []byte) *int64 {
	v, err := parseCounter(data)
	if err != nil {
		return nil
	}
	return &v
}

// forEachDirent calls fn with the NUL-terminated name and the d_type of
// each linux_dirent64 record in buf. See getdents64(2).
func forEachDirent(buf []byte, fn func(namez []byte, typ uint8)) {
	for len(buf) >= 19 {
		reclen := int(binary.NativeEndian.Uint16(buf[16:18]))
		if reclen < 19 || reclen > len(buf) {
			return
		}
		fn(buf[19:reclen], buf[18])
		buf = buf[reclen:]
	}
}
