package tui

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/nscope/nscope/inspect"
)

// overlay is what events changed since the last full scan: the counter
// refresher keeps the full scan's structure, so every refresh gets the
// overlay applied on top until the next full scan replaces both. An
// overlay is never changed once made (a patch makes a new one), so a
// scan command can apply it off the UI goroutine.
type overlay struct {
	// procs are processes read again since the full scan, by PID.
	procs map[int]ovProc
	// gone are processes of the full scan that exited.
	gone map[int]struct{}
	// frozen overrides the freezer state of cgroups; oom holds the least
	// OOM counts of cgroups (the refresher's may still be older).
	frozen map[inspect.CgroupKey]bool
	oom    map[inspect.CgroupKey]oomCount
	// nsGone and cgGone are namespaces and cgroups the kernel freed.
	nsGone map[inspect.NSID]struct{}
	cgGone map[inspect.CgroupKey]struct{}
}

// ovProc is one process read again.
type ovProc struct {
	p inspect.Process
	// own says the full scan does not have this process (it is new, or
	// its PID was reused): its counters come from its own reads, not
	// from the refresher's.
	own bool
	// cpu is its CPU% between its last two reads (own only).
	cpu    float64
	readAt time.Time
}

// maxOverlay bounds the processes an overlay follows; past it a full
// scan is due.
const maxOverlay = 4096

// empty reports whether o changes nothing (a nil overlay is empty).
func (o *overlay) empty() bool {
	return o == nil || len(o.procs)+len(o.gone)+len(o.frozen)+len(o.oom)+len(o.nsGone)+len(o.cgGone) == 0
}

// size is how many processes the overlay follows.
func (o *overlay) size() int {
	if o == nil {
		return 0
	}
	return len(o.procs) + len(o.gone)
}

// clone returns a copy that shares nothing mutable with o.
func (o *overlay) clone() *overlay {
	n := &overlay{
		procs: map[int]ovProc{}, gone: map[int]struct{}{}, frozen: map[inspect.CgroupKey]bool{},
		oom: map[inspect.CgroupKey]oomCount{}, nsGone: map[inspect.NSID]struct{}{}, cgGone: map[inspect.CgroupKey]struct{}{},
	}
	if o != nil {
		maps.Copy(n.procs, o.procs)
		maps.Copy(n.gone, o.gone)
		maps.Copy(n.frozen, o.frozen)
		maps.Copy(n.oom, o.oom)
		maps.Copy(n.nsGone, o.nsGone)
		maps.Copy(n.cgGone, o.cgGone)
	}
	return n
}

// apply returns raw (the full scan, or a counter refresh of it) with the
// overlay's changes: processes added, replaced and removed, with the
// members of their namespaces and cgroups; cgroups frozen or thawed and
// their OOM counts; namespaces and cgroups gone. unknown reports a
// process in a namespace or cgroup raw does not have: only a full scan
// can show those. raw is not modified.
func (o *overlay) apply(raw *inspect.Snapshot) (snap *inspect.Snapshot, unknown bool) {
	if o.empty() {
		return raw, false
	}
	s := *raw
	a := applier{s: &s}
	s.Processes = make([]inspect.Process, 0, len(raw.Processes)+len(o.procs))
	type change struct {
		old *inspect.Process // in raw; nil for a new process
		new int              // index in s.Processes; -1 when it exited
	}
	var changes []change
	// New processes, by PID, are merged in order: the snapshot stays
	// sorted and needs no sort (ReindexInOrder).
	var added []int
	for pid := range o.procs {
		if raw.Process(pid) == nil {
			added = append(added, pid)
		}
	}
	slices.Sort(added)
	addUpTo := func(pid int) {
		for len(added) > 0 && added[0] < pid {
			s.Processes = append(s.Processes, o.procs[added[0]].p)
			changes = append(changes, change{nil, len(s.Processes) - 1})
			added = added[1:]
		}
	}
	for i := range raw.Processes {
		p := &raw.Processes[i]
		addUpTo(p.PID)
		if op, ok := o.procs[p.PID]; ok {
			np := op.p
			if !op.own && np.StartTime.Equal(p.StartTime) {
				// The same process: its counters are the refresher's.
				np.State, np.UTimeUS, np.STimeUS, np.Threads, np.RSSBytes = p.State, p.UTimeUS, p.STimeUS, p.Threads, p.RSSBytes
			}
			s.Processes = append(s.Processes, np)
			changes = append(changes, change{p, len(s.Processes) - 1})
			continue
		}
		if _, gone := o.gone[p.PID]; gone {
			changes = append(changes, change{p, -1})
			continue
		}
		s.Processes = append(s.Processes, *p)
	}
	addUpTo(int(^uint(0) >> 1))
	if len(changes) > 0 {
		s.Namespaces = slices.Clone(raw.Namespaces)
		s.Cgroups = slices.Clone(raw.Cgroups)
		a.copied = true
	}
	for _, c := range changes {
		var np *inspect.Process
		if c.new >= 0 {
			np = &s.Processes[c.new]
		}
		if a.moveProcess(c.old, np) {
			unknown = true
		}
	}
	a.cgroupState(o)
	a.dropGone(o)
	s.ReindexInOrder()
	return &s, unknown
}

// applier changes the copied snapshot s: its namespace and cgroup
// slices are copies once copied is set, and a Members or Procs list is
// copied before its first change.
type applier struct {
	s      *inspect.Snapshot
	copied bool
	nsIdx  map[inspect.NSID]int
	cgIdx  map[inspect.CgroupKey]int
	// ownNS and ownCg are the lists already copied.
	ownNS map[int]bool
	ownCg map[int]bool
}

func (a *applier) copySlices() {
	if !a.copied {
		a.s.Namespaces = slices.Clone(a.s.Namespaces)
		a.s.Cgroups = slices.Clone(a.s.Cgroups)
		a.copied = true
	}
}

func (a *applier) ns(id inspect.NSID) int {
	if a.nsIdx == nil {
		a.nsIdx = make(map[inspect.NSID]int, len(a.s.Namespaces))
		for i := range a.s.Namespaces {
			a.nsIdx[a.s.Namespaces[i].ID] = i
		}
		a.ownNS = map[int]bool{}
	}
	if i, ok := a.nsIdx[id]; ok {
		return i
	}
	return -1
}

func (a *applier) cg(k inspect.CgroupKey) int {
	if a.cgIdx == nil {
		a.cgIdx = make(map[inspect.CgroupKey]int, len(a.s.Cgroups))
		for i := range a.s.Cgroups {
			a.cgIdx[a.s.Cgroups[i].Key()] = i
		}
		a.ownCg = map[int]bool{}
	}
	if i, ok := a.cgIdx[k]; ok {
		return i
	}
	return -1
}

// moveProcess moves a process's memberships from what old had to what
// np has (either may be nil); it reports a namespace or cgroup s does
// not have.
func (a *applier) moveProcess(old, np *inspect.Process) (unknown bool) {
	pid := 0
	var was, now inspect.NSSet
	if old != nil {
		pid, was = old.PID, old.NS
	}
	if np != nil {
		pid, now = np.PID, np.NS
	}
	samePID := old != nil && np != nil && old.PID == np.PID
	for t := range inspect.NumNSTypes {
		if samePID && was[t] == now[t] {
			continue
		}
		if id := was[t]; !id.IsZero() {
			if i := a.ns(id); i >= 0 {
				a.members(i, func(l []int) []int { return removeSorted(l, old.PID) })
			}
		}
		if id := now[t]; !id.IsZero() {
			i := a.ns(id)
			if i < 0 {
				unknown = true
				continue
			}
			a.members(i, func(l []int) []int { return insertSorted(l, pid) })
		}
	}
	var wasCg, nowCg []inspect.ProcCgroup
	if old != nil {
		wasCg = old.Cgroups
	}
	if np != nil {
		nowCg = np.Cgroups
	}
	for _, pc := range wasCg {
		if samePID && slices.Contains(nowCg, pc) {
			continue
		}
		if i := a.cg(inspect.CgroupKey{Hierarchy: pc.Hierarchy, Path: pc.Path}); i >= 0 {
			a.procs(i, func(l []int) []int { return removeSorted(l, old.PID) })
		}
	}
	for _, pc := range nowCg {
		if samePID && slices.Contains(wasCg, pc) {
			continue
		}
		if a.s.Hierarchy(pc.Hierarchy) == nil {
			// A hierarchy the snapshot does not walk (a named one
			// mounted since, or none at all): nothing to count in.
			continue
		}
		i := a.cg(inspect.CgroupKey{Hierarchy: pc.Hierarchy, Path: pc.Path})
		if i < 0 {
			unknown = true
			continue
		}
		a.procs(i, func(l []int) []int { return insertSorted(l, pid) })
	}
	return unknown
}

func (a *applier) members(i int, f func([]int) []int) {
	n := &a.s.Namespaces[i]
	if !a.ownNS[i] {
		n.Members = slices.Clone(n.Members)
		a.ownNS[i] = true
	}
	n.Members = f(n.Members)
}

func (a *applier) procs(i int, f func([]int) []int) {
	c := &a.s.Cgroups[i]
	if !a.ownCg[i] {
		c.Procs = slices.Clone(c.Procs)
		a.ownCg[i] = true
	}
	c.Procs = f(c.Procs)
}

// cgroupState sets the freezer states and OOM counts the events told.
func (a *applier) cgroupState(o *overlay) {
	if len(o.frozen)+len(o.oom) == 0 {
		return
	}
	a.copySlices()
	for k, frozen := range o.frozen {
		i := a.cg(k)
		if i < 0 {
			continue
		}
		c := &a.s.Cgroups[i]
		f := frozen
		c.Limits.Frozen = &f
		file, text := "cgroup.freeze", map[bool]string{true: "1", false: "0"}[frozen]
		if h := a.s.Hierarchy(k.Hierarchy); h != nil && h.Version == 1 {
			file, text = "freezer.state", map[bool]string{true: "FROZEN", false: "THAWED"}[frozen]
		}
		if _, ok := c.Raw[file]; ok {
			c.Raw = maps.Clone(c.Raw)
			c.Raw[file] = text
		}
	}
	for k, n := range o.oom {
		i := a.cg(k)
		if i < 0 || a.s.Cgroups[i].Usage.MemoryEvents == nil {
			continue
		}
		c := &a.s.Cgroups[i]
		ev := *c.Usage.MemoryEvents
		ev.OOM, ev.OOMKill = max(ev.OOM, n.oom), max(ev.OOMKill, n.kill)
		c.Usage.MemoryEvents = &ev
	}
}

// dropGone removes the namespaces and cgroups the kernel freed, unless
// the snapshot still has a reason to show them: members, or a namespace
// or cgroup beneath them (the next full scan decides then).
func (a *applier) dropGone(o *overlay) {
	if len(o.nsGone)+len(o.cgGone) == 0 {
		return
	}
	a.copySlices()
	if len(o.nsGone) > 0 {
		referenced := map[inspect.NSID]bool{}
		for i := range a.s.Namespaces {
			n := &a.s.Namespaces[i]
			referenced[n.Parent], referenced[n.Owner] = true, true
		}
		a.s.Namespaces = slices.DeleteFunc(a.s.Namespaces, func(n inspect.Namespace) bool {
			_, gone := o.nsGone[n.ID]
			return gone && len(n.Members) == 0 && !referenced[n.ID]
		})
	}
	if len(o.cgGone) > 0 {
		drop := map[inspect.CgroupKey]bool{}
		for k := range o.cgGone {
			if i := a.cg(k); i >= 0 && len(a.s.Cgroups[i].Procs) == 0 {
				drop[k] = true
			}
		}
		// A cgroup with a child left is not gone (rmdir refuses it).
		for j := range a.s.Cgroups {
			d := &a.s.Cgroups[j]
			for k := range drop {
				if d.Hierarchy == k.Hierarchy && strings.HasPrefix(d.Path, strings.TrimSuffix(k.Path, "/")+"/") {
					delete(drop, k)
				}
			}
		}
		a.s.Cgroups = slices.DeleteFunc(a.s.Cgroups, func(c inspect.Cgroup) bool { return drop[c.Key()] })
	}
	a.nsIdx, a.cgIdx = nil, nil
}

// insertSorted adds v to the ascending list l unless it is there.
func insertSorted(l []int, v int) []int {
	i, found := slices.BinarySearch(l, v)
	if found {
		return l
	}
	return slices.Insert(l, i, v)
}

// removeSorted removes v from the ascending list l.
func removeSorted(l []int, v int) []int {
	i, found := slices.BinarySearch(l, v)
	if !found {
		return l
	}
	return slices.Delete(l, i, i+1)
}
