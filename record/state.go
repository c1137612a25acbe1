package record

import (
	"fmt"
	"maps"
	"time"

	"github.com/nscope/nscope/inspect"
)

// state is the host as a replay rebuilds it: a full snapshot with the
// deltas after it applied. Values are replaced, never changed in place,
// so snapshots already made from it stay as they were.
type state struct {
	head  inspect.Snapshot // the scalar fields; the slices are in the maps
	procs map[int]inspect.Process
	ns    map[inspect.NSID]inspect.Namespace
	cgs   map[CgroupRef]inspect.Cgroup
}

// newState starts a state from a full snapshot.
func newState(s *inspect.Snapshot) *state {
	st := &state{
		head:  *s,
		procs: make(map[int]inspect.Process, len(s.Processes)),
		ns:    make(map[inspect.NSID]inspect.Namespace, len(s.Namespaces)),
		cgs:   make(map[CgroupRef]inspect.Cgroup, len(s.Cgroups)),
	}
	// The head keeps the scalar and unknown fields; the slices live in
	// the maps.
	st.head.Processes, st.head.Namespaces, st.head.Cgroups = nil, nil, nil
	for _, p := range s.Processes {
		st.procs[p.PID] = p
	}
	for _, n := range s.Namespaces {
		st.ns[n.ID] = n
	}
	for _, c := range s.Cgroups {
		st.cgs[CgroupRef{c.Hierarchy, c.Path}] = c
	}
	return st
}

// apply applies a delta. A delta that does not fit the state (counters of
// a process it lacks, a change to a cgroup it lacks) is damage: the state
// is then partly changed and must be dropped.
func (st *state) apply(d *Delta) error {
	h := &st.head
	h.Time, h.ScanDuration = d.Time, time.Duration(d.ScanDuration)
	if d.ScanMethod != nil {
		h.ScanMethod = *d.ScanMethod
	}
	if d.Host != nil {
		h.Host = *d.Host
	}
	if d.CgroupMode != nil {
		h.CgroupMode = *d.CgroupMode
	}
	if d.Hierarchies != nil {
		h.Hierarchies = *d.Hierarchies
	}
	if d.Unreadable != nil {
		h.Unreadable = *d.Unreadable
		if len(h.Unreadable) == 0 {
			h.Unreadable = nil
		}
	}
	if err := applyOther(h, d.Other); err != nil {
		return err
	}
	for _, pid := range d.Exited {
		delete(st.procs, pid)
	}
	for _, p := range d.Processes {
		st.procs[p.PID] = p
	}
	if err := st.applyCounters(d.Counters); err != nil {
		return err
	}
	for _, id := range d.NSGone {
		delete(st.ns, id)
	}
	for _, ch := range d.Namespaces {
		old, ok := st.ns[ch.ID]
		n := old
		if ch.Namespace != nil {
			n = *ch.Namespace
			n.ID, n.Members = ch.ID, old.Members
		} else if !ok {
			return fmt.Errorf("%w: delta changes namespace %s, which the state lacks", ErrDamaged, ch.ID)
		}
		n.Members = applySet(n.Members, ch.Added, ch.Removed)
		st.ns[ch.ID] = n
	}
	for _, ref := range d.CgroupsGone {
		delete(st.cgs, ref)
	}
	for i := range d.Cgroups {
		if err := st.applyCgroup(&d.Cgroups[i]); err != nil {
			return err
		}
	}
	return nil
}

// applyCounters applies the counters of processes that changed nothing
// else.
func (st *state) applyCounters(pc *ProcCounters) error {
	if pc == nil {
		return nil
	}
	n := len(pc.PID)
	if len(pc.State) != n || len(pc.Threads) != n || len(pc.UTimeUS) != n || len(pc.STimeUS) != n || len(pc.RSS) != n {
		return fmt.Errorf("%w: counter columns of different lengths", ErrDamaged)
	}
	pid := 0
	for i := range n {
		pid += pc.PID[i]
		p, ok := st.procs[pid]
		if !ok {
			return fmt.Errorf("%w: delta has counters of process %d, which the state lacks", ErrDamaged, pid)
		}
		p.State = pc.State[i]
		p.Threads += pc.Threads[i]
		p.UTimeUS += pc.UTimeUS[i]
		p.STimeUS += pc.STimeUS[i]
		p.RSSBytes += pc.RSS[i]
		st.procs[pid] = p
	}
	return nil
}

// applyCgroup applies one cgroup change.
func (st *state) applyCgroup(ch *CgroupChange) error {
	c, ok := st.cgs[ch.CgroupRef]
	switch {
	case ch.New:
		c = inspect.Cgroup{Hierarchy: ch.Hierarchy, Path: ch.Path}
	case !ok:
		return fmt.Errorf("%w: delta changes cgroup %s in hierarchy %d, which the state lacks", ErrDamaged, ch.Path, ch.Hierarchy)
	}
	if ch.Container != nil {
		c.Container = *ch.Container
	}
	if ch.Controllers != nil {
		c.Controllers = *ch.Controllers
	}
	if ch.Limits != nil {
		c.Limits = *ch.Limits
	}
	if ch.Usage != nil {
		c.Usage = *ch.Usage
	}
	if ch.RawSet != nil || ch.RawDel != nil {
		raw := maps.Clone(c.Raw)
		if raw == nil {
			raw = map[string]string{}
		}
		maps.Copy(raw, ch.RawSet)
		for _, k := range ch.RawDel {
			delete(raw, k)
		}
		c.Raw = raw
	}
	c.Procs = applySet(c.Procs, ch.ProcsAdded, ch.ProcsRemoved)
	st.cgs[ch.CgroupRef] = c
	return nil
}

// applySet returns the ascending set old with added and without removed,
// as a new slice (nil when empty); old itself is not changed.
func applySet(old, added, removed []int) []int {
	if len(added) == 0 && len(removed) == 0 {
		return old
	}
	out := make([]int, 0, len(old)+len(added))
	i, j, k := 0, 0, 0
	for i < len(old) || j < len(added) {
		var v int
		if j == len(added) || (i < len(old) && old[i] < added[j]) {
			v = old[i]
			i++
		} else {
			v = added[j]
			j++
		}
		for k < len(removed) && removed[k] < v {
			k++
		}
		if k < len(removed) && removed[k] == v {
			continue
		}
		if len(out) > 0 && out[len(out)-1] == v {
			continue
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// snapshot returns the state as a new, indexed snapshot.
func (st *state) snapshot() *inspect.Snapshot {
	s := st.head
	s.Processes = make([]inspect.Process, 0, len(st.procs))
	for _, p := range st.procs {
		s.Processes = append(s.Processes, p)
	}
	s.Namespaces = make([]inspect.Namespace, 0, len(st.ns))
	for _, n := range st.ns {
		s.Namespaces = append(s.Namespaces, n)
	}
	s.Cgroups = make([]inspect.Cgroup, 0, len(st.cgs))
	for _, c := range st.cgs {
		s.Cgroups = append(s.Cgroups, c)
	}
	out := &s
	out.Reindex()
	return out
}
