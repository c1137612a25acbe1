package inspect

// A refresh returns a new snapshot, whose Processes and Cgroups are new
// slices: the caller may keep earlier snapshots (to compute rates, to
// diff), and a snapshot never changes once returned. On a 4,000-process
// host that is 2 MB a second to allocate, clear and copy, as much CPU as
// the rest of a quiet refresh. A caller that is done with a refreshed
// snapshot may hand it back with Recycle: a later refresh then writes
// into its slices, bringing them up to date by the processes and cgroups
// that changed since (a few dozen on a quiet host) instead of copying
// all of them.

// recycleDepth is how many refreshes back a recycled snapshot may be
// from: the refresher remembers what changed in that many.
const recycleDepth = 4

// issuedSlices are the slices of a snapshot a refresh returned.
type issuedSlices struct {
	procs   []Process
	cgroups []Cgroup
	tick    int // the refresh's
}

// recycler is a Refresher's record of what its refreshes changed and
// the slices handed back.
type recycler struct {
	issued []issuedSlices // the last recycleDepth refreshes'
	free   []issuedSlices // handed back, at most two
	// dirtyProcs and dirtyCgroups list, by tick modulo recycleDepth, the
	// indexes of the processes and cgroups each refresh wrote.
	dirtyProcs, dirtyCgroups [recycleDepth][]int32
}

// Recycle hands back snap, a snapshot this refresher's Refresh returned
// that the caller (and whatever it gave the snapshot to) will no longer
// read: a later refresh may write into its slices. Snapshots it did not
// return, or returned too long ago, are ignored.
func (r *Refresher) Recycle(snap *Snapshot) {
	if snap == nil || len(snap.Processes) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rc := &r.recycle
	for k, is := range rc.issued {
		if len(is.procs) == len(snap.Processes) && &is.procs[0] == &snap.Processes[0] &&
			len(is.cgroups) == len(snap.Cgroups) && (len(is.cgroups) == 0 || &is.cgroups[0] == &snap.Cgroups[0]) {
			rc.issued = append(rc.issued[:k], rc.issued[k+1:]...)
			if len(rc.free) < 2 {
				rc.free = append(rc.free, is)
			}
			return
		}
	}
}

// slices returns the Processes and Cgroups of the refresh under way
// (tick r.tick), holding the last refresh's values: handed-back slices
// brought up to date, or copies.
func (r *Refresher) slices() ([]Process, []Cgroup) {
	rc := &r.recycle
	rc.dirtyProcs[r.tick%recycleDepth] = rc.dirtyProcs[r.tick%recycleDepth][:0]
	rc.dirtyCgroups[r.tick%recycleDepth] = rc.dirtyCgroups[r.tick%recycleDepth][:0]
	for len(rc.free) > 0 {
		b := rc.free[len(rc.free)-1]
		rc.free = rc.free[:len(rc.free)-1]
		// It holds refresh b.tick's values; refreshes b.tick+1 up to the
		// last changed what their dirty lists say.
		if r.tick-1-b.tick >= recycleDepth {
			continue
		}
		for t := b.tick + 1; t < r.tick; t++ {
			for _, i := range rc.dirtyProcs[t%recycleDepth] {
				b.procs[i] = r.last[i]
			}
			for _, i := range rc.dirtyCgroups[t%recycleDepth] {
				b.cgroups[i] = r.lastCg[i]
			}
		}
		return b.procs, b.cgroups
	}
	procs := make([]Process, len(r.last))
	copy(procs, r.last)
	cgroups := make([]Cgroup, len(r.lastCg))
	copy(cgroups, r.lastCg)
	return procs, cgroups
}

// issue records the slices of the snapshot the refresh under way returns.
func (r *Refresher) issue(snap *Snapshot) {
	rc := &r.recycle
	if len(rc.issued) == recycleDepth {
		rc.issued = append(rc.issued[:0], rc.issued[1:]...)
	}
	rc.issued = append(rc.issued, issuedSlices{procs: snap.Processes, cgroups: snap.Cgroups, tick: r.tick})
}

// dirtyProcess records that the refresh under way wrote process i.
func (r *Refresher) dirtyProcess(i int) {
	d := &r.recycle.dirtyProcs[r.tick%recycleDepth]
	*d = append(*d, int32(i))
}

// dirtyCgroup records that the refresh under way wrote cgroup i.
func (r *Refresher) dirtyCgroup(i int) {
	d := &r.recycle.dirtyCgroups[r.tick%recycleDepth]
	*d = append(*d, int32(i))
}
