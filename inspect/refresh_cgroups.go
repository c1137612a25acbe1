package inspect

import (
	"bytes"
	"errors"
	"path"
	"time"

	"golang.org/x/sys/unix"
)

// cgroupState is what a Refresher keeps per cgroup of its base, parallel
// to base.Cgroups, and the marks of the refresh under way.
type cgroupState struct {
	list []cgroupCounters
	// tops are the cgroups a refresh reads the CPU usage of first: those
	// with a usage counter whose parent has none (the roots).
	tops []int32
	// Marks of one refresh: moved (the usage moved), own (the usage less
	// the children's moved: a member ran), member (a member changed),
	// touched (a member, or a member of a descendant, changed), cloned
	// (snap's Usage is a copy that may be written).
	moved, own, member, touched, cloned []bool
	stack                               []int32
}

// cgroupCounters are the open counter files of one cgroup and what the
// last refreshes found in them.
type cgroupCounters struct {
	// parent is the index of the parent cgroup, -1 for a root or a
	// parent the base lacks.
	parent   int32
	children []int32
	// usage is the hierarchical CPU usage file (v2 cpu.stat, v1
	// cpuacct.usage; fd -1 when none); throttles says it also has
	// throttling counters (v2 cpu.stat).
	usage     openUsageFile
	throttles bool
	// throttle is v1 cpu.stat, which has the throttling counters only
	// (fd -1 when none).
	throttle openUsageFile
	gauges   []openUsageFile
	// twin is the cgroup at the same path with a usage counter, for one
	// without (a v1 cpu, memory or pids cgroup beside its cpuacct twin:
	// the tools that make cgroups make them in every hierarchy); -1.
	twin int32
	// quota: a v1 cpu cgroup with no twin had a CFS quota at the scan,
	// so its throttling counters can move (without one the period timer
	// does not run).
	quota bool
	// dir is the cgroup's directory, where its files are opened.
	dir string
	// lastUsage is the usage at the last read, in µs; movedAt is the
	// time of the refresh that last saw it move (zero: none did).
	lastUsage int64
	movedAt   time.Time
}

// open lists the counter files of snap's cgroups, to be opened when
// first read (a refresh reads a small part of them: after a full scan,
// opening all again would cost more than the refreshes that follow), and
// links each cgroup to its parent, children and twin.
func (cs *cgroupState) open(snap *Snapshot) {
	n := len(snap.Cgroups)
	cs.list = make([]cgroupCounters, n)
	cs.moved, cs.own = make([]bool, n), make([]bool, n)
	cs.member, cs.touched, cs.cloned = make([]bool, n), make([]bool, n), make([]bool, n)
	index := make(map[CgroupKey]int32, n)
	for i := range snap.Cgroups {
		index[snap.Cgroups[i].Key()] = int32(i)
		cs.list[i].usage.fd, cs.list[i].throttle.fd = fdAbsent, fdAbsent
		cs.list[i].parent, cs.list[i].twin = -1, -1
	}
	for i := range snap.Cgroups {
		c, cc := &snap.Cgroups[i], &cs.list[i]
		if c.Path != "/" {
			if p, ok := index[CgroupKey{Hierarchy: c.Hierarchy, Path: path.Dir(c.Path)}]; ok {
				cc.parent = p
				cs.list[p].children = append(cs.list[p].children, int32(i))
			}
		}
		if u := c.Usage.CPUUsageUS; u != nil {
			cc.lastUsage = *u
		}
		h := snap.Hierarchy(c.Hierarchy)
		if h == nil {
			continue
		}
		cc.dir = cgroupDir(snap, c)
		for _, f := range counterFiles(h, c) {
			of := openUsageFile{usageFile: f, fd: fdUnopened}
			switch {
			case f.cpu && c.Usage.CPUUsageUS != nil && (f.name == "cpuacct.usage" || h.Version == 2):
				cc.usage = of
				cc.throttles = h.Version == 2 && c.Usage.NrPeriods != nil
			case f.cpu:
				cc.throttle = of
			default:
				cc.gauges = append(cc.gauges, of)
			}
		}
	}
	// Twins: by path, in the hierarchy that accounts processes' CPU.
	byPath := map[string]int32{}
	for _, id := range cpuHierarchies(snap) {
		for i := range snap.Cgroups {
			if c := &snap.Cgroups[i]; c.Hierarchy == id && cs.hasUsage(i) {
				if _, ok := byPath[c.Path]; !ok {
					byPath[c.Path] = int32(i)
				}
			}
		}
	}
	for i := range cs.list {
		cc := &cs.list[i]
		if cs.hasUsage(i) {
			if cc.parent < 0 || !cs.hasUsage(int(cc.parent)) {
				cs.tops = append(cs.tops, int32(i))
			}
			continue
		}
		if t, ok := byPath[snap.Cgroups[i].Path]; ok {
			cc.twin = t
		} else if q := snap.Cgroups[i].Limits.CPUQuotaUS; q != nil && *q != Unlimited {
			cc.quota = true
		}
	}
}

// hasUsage reports whether cgroup i has a CPU usage counter.
func (cs *cgroupState) hasUsage(i int) bool { return cs.list[i].usage.fd != fdAbsent }

// cpuHierarchies lists the IDs of the hierarchies whose CPU usage
// counter accounts processes' CPU, best first: v1 cpuacct, then v2.
func cpuHierarchies(snap *Snapshot) []int {
	var ids []int
	if h := snap.HierarchyFor("cpuacct"); h != nil && h.Version == 1 {
		ids = append(ids, h.ID)
	}
	for i := range snap.Hierarchies {
		if h := &snap.Hierarchies[i]; h.Version == 2 {
			ids = append(ids, h.ID)
		}
	}
	return ids
}

// hot reports whether cgroup i's usage moved recently enough that its
// throttling counters may still move in the refresh from prev to now.
func (cs *cgroupState) hot(i int32, prev time.Time) bool {
	m := cs.list[i].movedAt
	return !m.IsZero() && prev.Before(m.Add(throttleTail))
}

// close closes every file.
func (cs *cgroupState) close() {
	for i := range cs.list {
		cc := &cs.list[i]
		for _, fd := range []int{cc.usage.fd, cc.throttle.fd} {
			if fd >= 0 {
				unix.Close(fd)
			}
		}
		for _, f := range cc.gauges {
			if f.fd >= 0 {
				unix.Close(f.fd)
			}
		}
	}
}

// readCgroupFile reads f of cgroup i into snap, opening it first if need
// be, and copying the cgroup's Usage first when this refresh has not
// yet: the last snapshot shares it. read is false when the file could
// not be read, and gone says why: the cgroup was removed (ENOENT,
// ENODEV). A file that cannot be opened for another reason (out of file
// descriptors) keeps its last values; a gauge is not tried again.
func (r *Refresher) readCgroupFile(snap *Snapshot, i int, f *openUsageFile) (read, gone bool) {
	if f.fd == fdUnopened {
		fd, err := unix.Open(r.cg.list[i].dir+"/"+f.name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		switch {
		case err == nil:
			f.fd = fd
		case errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENODEV):
			return false, true
		case errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE) || f.cpu:
			return false, false // another time
		default:
			f.fd = fdAbsent
			return false, false
		}
	}
	if f.fd < 0 {
		return false, false
	}
	c := &snap.Cgroups[i]
	if !r.cg.cloned[i] {
		c.Usage = c.Usage.clone()
		r.cg.cloned[i] = true
	}
	r.stats.cgroupReads++
	data, err := r.pread(f.fd)
	if err != nil {
		return false, true
	}
	applyUsageFile(&c.Usage, snap.Hierarchy(c.Hierarchy).Version, f.name, bytes.TrimSpace(data))
	return true, false
}

// refreshCgroupCPU reads the CPU usage counters top down: the roots',
// then the children of every cgroup whose usage moved. A cgroup whose
// usage held still had no descendant run, so a subtree below one is
// not read: its counters are those of the last read. A cgroup whose
// usage moved within throttleTail is read again for its throttling
// counters. It sets cs.moved and cs.own and reports whether a cgroup
// vanished.
func (r *Refresher) refreshCgroupCPU(snap *Snapshot, now, prev time.Time) (vanished bool) {
	cs := &r.cg
	r.readSelf()
	clear(cs.moved)
	clear(cs.own)
	clear(cs.member)
	clear(cs.touched)
	clear(cs.cloned)
	// unknown marks a cgroup whose usage could not be read: its members
	// and children are looked at as if it moved.
	unknown := false
	read := func(i int32) (moved bool) {
		cc := &cs.list[i]
		ok, gone := r.readCgroupFile(snap, int(i), &cc.usage)
		if gone {
			vanished = true
		}
		if !ok {
			unknown = !gone
			return false
		}
		u := snap.Cgroups[i].Usage.CPUUsageUS
		if u == nil || *u == cc.lastUsage {
			return false
		}
		return true
	}
	stack := append(cs.stack[:0], cs.tops...)
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		unknown = false
		if !read(i) {
			if !unknown {
				continue
			}
			cs.own[i] = true
		} else {
			cs.moved[i] = true
		}
		for _, ch := range cs.list[i].children {
			if cs.hasUsage(int(ch)) {
				stack = append(stack, ch)
			}
		}
	}
	cs.stack = stack
	// Throttling counters move for a while after the usage stopped.
	for i := range cs.list {
		if cc := &cs.list[i]; cc.throttles && !cs.cloned[i] && cs.hot(int32(i), prev) {
			if read(int32(i)) {
				cs.moved[i] = true // a child that ran, seen from here: the parent's CPU did not move
			}
		}
	}
	// A cgroup's own CPU is its usage less its children's: a process in
	// it ran when that moved. The kernel charges a task's runtime to its
	// cgroup and every ancestor alike, so the difference is exact but for
	// the µs rounding of each counter (a false move reads more, never
	// less) and for a child that ran between its parent's read and its
	// own (seen at the next refresh). A v2 root's usage is the host's CPU
	// time from the tick counts, not its children's sum: its own is taken
	// to move with it.
	for i := range cs.list {
		if !cs.moved[i] {
			continue
		}
		cc := &cs.list[i]
		delta := *snap.Cgroups[i].Usage.CPUUsageUS - cc.lastUsage
		for _, ch := range cc.children {
			if cs.moved[ch] {
				delta -= *snap.Cgroups[ch].Usage.CPUUsageUS - cs.list[ch].lastUsage
			}
		}
		cs.own[i] = r.ownMoved(i, delta) || (cc.usage.name == "cpu.stat" && snap.Cgroups[i].Path == "/")
	}
	for i := range cs.list {
		if cs.moved[i] {
			cc := &cs.list[i]
			cc.lastUsage = *snap.Cgroups[i].Usage.CPUUsageUS
			cc.movedAt = now
		}
	}
	return vanished
}

// touch marks cgroup i, in which a member changed, and its ancestors:
// their gauges (hierarchical, as memory.current is) may have changed.
func (cs *cgroupState) touch(i int32) {
	cs.member[i] = true
	for ; i >= 0 && !cs.touched[i]; i = cs.list[i].parent {
		cs.touched[i] = true
	}
}

// refreshCgroupRest reads the throttling counters and gauges that may
// have moved (see Refresher) and reports whether a cgroup vanished.
func (r *Refresher) refreshCgroupRest(snap *Snapshot, prev time.Time) (vanished bool) {
	cs := &r.cg
	for i := range cs.list {
		cc := &cs.list[i]
		poll := (i+r.tick)%gaugeCycle == 0
		recent := cs.moved[i] || cs.hot(int32(i), prev) || (cc.twin >= 0 && (cs.moved[cc.twin] || cs.hot(cc.twin, prev)))
		if cc.throttle.fd != fdAbsent && (recent || cc.quota || poll) {
			if _, gone := r.readCgroupFile(snap, i, &cc.throttle); gone {
				vanished = true
			}
		}
		if len(cc.gauges) == 0 || !(recent || cs.touched[i] || poll) {
			continue
		}
		for k := range cc.gauges {
			if _, gone := r.readCgroupFile(snap, i, &cc.gauges[k]); gone {
				vanished = true
			}
		}
	}
	for i := range cs.list {
		if cs.cloned[i] {
			r.lastCg[i].Usage = snap.Cgroups[i].Usage
			r.dirtyCgroup(i)
		}
	}
	return vanished
}
