package tui

import (
	"slices"
	"time"

	"github.com/nscope/nscope/inspect"
)

// ProcessReader reads single processes again, and lists the PIDs there
// are; *inspect.Scanner is one. Live mode needs it to patch a snapshot
// when events say a process started, exec'd or exited, instead of
// scanning the whole host again.
type ProcessReader interface {
	// ReadProcess reads process pid as a scan would, its container
	// found in snap; false when it is gone.
	ReadProcess(snap *inspect.Snapshot, pid int) (inspect.Process, bool)
	// PIDs lists the processes of the host, ascending.
	PIDs() ([]int, error)
}

// maxResyncReads bounds the processes a resync reads; the rest wait for
// the full scan a resync always asks for.
const maxResyncReads = 2048

// patchResult is a patch made off the UI goroutine: the new overlay
// and the snapshot it makes of raw.
type patchResult struct {
	snap *inspect.Snapshot
	ov   *overlay
	// full says a full scan is due: something the patch cannot show (a
	// new namespace or cgroup, lost events).
	full bool
	// pending is what the patch was made of, given back to the pending
	// set when the patch result is dropped (the user paused meanwhile).
	pending *livePending
	// unchanged says the events changed nothing on screen (the processes
	// they named came and went before they were read): snap is nil and
	// ov the overlay as it was.
	unchanged bool
	// cgroups says cgroup state changed (a freeze, an OOM count, a
	// cgroup gone): their rates are computed again.
	cgroups bool
}

// patch reads what the pending events name and applies the resulting
// overlay to raw (see makePatch); unknown namespaces or cgroups ask for
// a full scan.
func patch(rd ProcessReader, raw, shown *inspect.Snapshot, ov *overlay, p *livePending, now time.Time) patchResult {
	r := makePatch(rd, raw, shown, ov, p, now)
	if !r.unchanged {
		var unknown bool
		r.snap, unknown = r.ov.apply(raw)
		r.full = r.full || unknown
	}
	return r
}

// makePatch applies the pending changes to ov: it reads the processes
// the events named again, drops those that exited, and lists /proc on a
// resync. raw is the full scan or the last counter refresh of it;
// shown is the snapshot on screen, where the exited processes' children
// are found (their parent changed). The result's overlay is ov itself
// when nothing changed; it is not applied (see patch).
func makePatch(rd ProcessReader, raw, shown *inspect.Snapshot, ov *overlay, p *livePending, now time.Time) patchResult {
	res := patchResult{pending: p, full: p.full, ov: ov}
	next := ov.clone()
	reread := make(map[int]struct{}, len(p.reread))
	for pid := range p.reread {
		reread[pid] = struct{}{}
	}
	// changed says next differs from ov: most events on a busy host are
	// processes that came and went between two patches, which change
	// nothing and cost no new index.
	changed := false
	gone := func(pid int) {
		if _, ok := next.procs[pid]; ok {
			delete(next.procs, pid)
			changed = true
		}
		if _, ok := next.gone[pid]; !ok && raw.Process(pid) != nil {
			next.gone[pid] = struct{}{}
			changed = true
		}
	}
	exit := func(pid int) {
		gone(pid)
		// The children of an exited process were given to a subreaper
		// or init: read them again for their new parent.
		for _, c := range shown.ProcessChildren(pid) {
			reread[c.PID] = struct{}{}
		}
	}
	for pid := range p.exited {
		exit(pid)
	}
	if p.resync {
		if pids, err := rd.PIDs(); err == nil {
			for i := range shown.Processes {
				if _, found := slices.BinarySearch(pids, shown.Processes[i].PID); !found {
					exit(shown.Processes[i].PID)
				}
			}
			n := 0
			for _, pid := range pids {
				if shown.Process(pid) == nil && n < maxResyncReads {
					reread[pid] = struct{}{}
					n++
				}
			}
		} else {
			res.full = true
		}
	}
	for pid := range reread {
		q, ok := rd.ReadProcess(shown, pid)
		if !ok || q.State == "Z" || q.State == "X" {
			// Gone, or exited and not yet reaped: live mode drops a
			// process at its exit, and the exit event may have come
			// already (in this batch, or before a scan listed it).
			gone(pid)
			continue
		}
		if _, ok := next.gone[pid]; ok {
			delete(next.gone, pid)
			changed = true
		}
		base := raw.Process(pid)
		own := base == nil || !base.StartTime.Equal(q.StartTime)
		prev, had := next.procs[pid]
		switch {
		case !own && sameIdentity(base, &q):
			if had {
				delete(next.procs, pid)
				changed = true
			}
		case had && prev.own == own && prev.p.StartTime.Equal(q.StartTime) && sameIdentity(&prev.p, &q):
			// Read again, the same: the counters are refreshed elsewhere.
		default:
			op := ovProc{p: q, own: own, readAt: now}
			if had && own && prev.p.StartTime.Equal(q.StartTime) {
				op.cpu = prev.cpu
			}
			next.procs[pid] = op
			changed = true
		}
	}
	for r, frozen := range p.frozen {
		k, ok := cgroupKeyOf(raw, r)
		if !ok {
			res.full = true
			continue
		}
		if was, ok := next.frozen[k]; !ok || was != frozen {
			next.frozen[k] = frozen
			changed, res.cgroups = true, true
		}
	}
	for r, n := range p.oom {
		k, ok := cgroupKeyOf(raw, r)
		if !ok {
			res.full = true
			continue
		}
		var cur oomCount
		if c := shown.Cgroup(k.Hierarchy, k.Path); c != nil && c.Usage.MemoryEvents != nil {
			cur = oomCount{c.Usage.MemoryEvents.OOM, c.Usage.MemoryEvents.OOMKill}
		}
		next.oom[k] = oomCount{cur.oom + n.oom, cur.kill + n.kill}
		changed, res.cgroups = true, true
	}
	for id := range p.nsNew {
		if shown.Namespace(id) == nil {
			res.full = true
		}
	}
	for id := range p.nsGone {
		if _, ok := next.nsGone[id]; !ok {
			next.nsGone[id] = struct{}{}
			changed = true
		}
	}
	for r := range p.cgNew {
		if k, ok := cgroupKeyOf(raw, r); !ok || raw.Cgroup(k.Hierarchy, k.Path) == nil {
			res.full = true
		}
	}
	for r := range p.cgGone {
		if k, ok := cgroupKeyOf(raw, r); ok && !hasKey(next.cgGone, k) {
			next.cgGone[k] = struct{}{}
			changed, res.cgroups = true, true
		}
	}
	if next.size() > maxOverlay {
		res.full = true
	}
	if !changed {
		res.unchanged = true
		return res
	}
	res.ov = next
	return res
}

// sameIdentity reports whether a process read again is what the full
// scan had, apart from the counters the refresher keeps.
func sameIdentity(a, b *inspect.Process) bool {
	return a.PPID == b.PPID && a.Comm == b.Comm && a.UID == b.UID && a.NS == b.NS &&
		a.PIDForChildren == b.PIDForChildren && a.TimeForChildren == b.TimeForChildren &&
		slices.Equal(a.Cmdline, b.Cmdline) && slices.Equal(a.Cgroups, b.Cgroups) && slices.Equal(a.NSpid, b.NSpid)
}

// cgroupKeyOf finds the hierarchy an event names by its label.
func cgroupKeyOf(s *inspect.Snapshot, r cgRef) (inspect.CgroupKey, bool) {
	for i := range s.Hierarchies {
		if h := &s.Hierarchies[i]; h.Label() == r.hierarchy {
			return inspect.CgroupKey{Hierarchy: h.ID, Path: r.path}, true
		}
	}
	return inspect.CgroupKey{}, false
}

// refreshOwn reads the overlay's own processes (those the refresher does
// not know) again for their counters, and returns the overlay with them
// and their CPU% added to cpu. Processes that are gone are left for
// their exit event. At most maxOwnRefresh are read.
func (o *overlay) refreshOwn(rd ProcessReader, shown *inspect.Snapshot, now time.Time, cpu map[int]float64) *overlay {
	if o == nil || rd == nil {
		return o
	}
	n := 0
	var next *overlay
	for pid, op := range o.procs {
		if !op.own {
			continue
		}
		if n++; n > maxOwnRefresh {
			break
		}
		q, ok := rd.ReadProcess(shown, pid)
		if !ok || !q.StartTime.Equal(op.p.StartTime) {
			continue
		}
		if next == nil {
			next = o.clone()
		}
		np := ovProc{p: q, own: true, readAt: now, cpu: op.cpu}
		if wall := now.Sub(op.readAt); wall > 0 {
			np.cpu = float64(q.CPUTimeUS()-op.p.CPUTimeUS()) / float64(wall.Microseconds()) * 100
		}
		next.procs[pid] = np
	}
	if next == nil {
		next = o
	}
	if cpu != nil {
		for pid, op := range next.procs {
			if op.own {
				cpu[pid] = op.cpu
			}
		}
	}
	return next
}

// maxOwnRefresh bounds the reads of a counter refresh with an overlay.
const maxOwnRefresh = 256
