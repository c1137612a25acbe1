package inspect

import (
	"errors"
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// A caller that follows process events (a live TUI) learns of processes
// that start and exit between two full scans, and makes a snapshot that
// has them: the last refresh with those processes added, replaced and
// removed. Rebase makes that snapshot the refresher's base, so that the
// refreshes that follow count the new processes too and return what
// the caller shows, instead of the caller patching every refresh again
// until the next full scan. What the refresher knew of the processes it
// keeps (open stat files, last reads, what the last pass said) carries
// over; new processes are read at the next refresh.

// ErrRebaseCgroups says a snapshot handed to Rebase does not have the
// base's cgroups, in the same order: only a full scan can change them.
var ErrRebaseCgroups = errors.New("rebase: the snapshot's cgroups are not the refresher's")

// Rebase makes snap the base of the refreshes that follow: the processes
// of the current base and of the last refreshes, some gone, others new
// (identified by PID and start time), with the base's cgroups in the
// same order (their members may differ). snap must be indexed and is
// not modified, then or later. It returns ErrRebaseCgroups when the
// cgroups differ, and changes nothing then.
func (r *Refresher) Rebase(snap *Snapshot) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errors.New("rebase: the refresher is closed")
	}
	if len(snap.Cgroups) != len(r.base.Cgroups) {
		return ErrRebaseCgroups
	}
	for i := range snap.Cgroups {
		if snap.Cgroups[i].Hierarchy != r.base.Cgroups[i].Hierarchy || snap.Cgroups[i].Path != r.base.Cgroups[i].Path {
			return ErrRebaseCgroups
		}
	}
	n := len(snap.Processes)
	// from[j] is the index in the old base of snap's process j, or -1.
	from := make([]int32, n)
	kept := make([]bool, len(r.base.Processes))
	for j := range snap.Processes {
		p := &snap.Processes[j]
		from[j] = -1
		k, found := slices.BinarySearch(r.pids, p.PID)
		if !found {
			continue
		}
		i := r.pidIndex[k]
		if r.base.Processes[i].StartTime.Equal(p.StartTime) && r.last[i].State != "X" {
			from[j] = i
			kept[i] = true
		}
	}
	for i, fd := range r.procFDs {
		if !kept[i] && fd >= 0 {
			unix.Close(fd)
		}
	}

	procFDs := make([]int, n)
	last := make([]Process, n)
	lastRead := make([]time.Time, n)
	busy := make([]bool, n)
	unsure := make([]bool, n)
	var startTicks []uint64
	boot := snap.Host.BootTime
	if r.startTicks != nil && !boot.IsZero() {
		startTicks = make([]uint64, n)
	}
	for j := range snap.Processes {
		p := &snap.Processes[j]
		last[j] = *p
		if startTicks != nil {
			startTicks[j] = uint64(p.StartTime.Sub(boot) / (time.Second / clockTicks))
		}
		if i := from[j]; i >= 0 {
			procFDs[j], lastRead[j], busy[j], unsure[j] = r.procFDs[i], r.lastRead[i], r.busy[i], r.unsure[i]
			continue
		}
		// New: read at the next refresh, its CPU% over the time since
		// the snapshot's.
		procFDs[j], lastRead[j], busy[j] = fdUnopened, snap.Time, true
	}
	if c := r.counters; c != nil {
		sig, known := make([]procSig, n), make([]bool, n)
		for j, i := range from {
			if i >= 0 {
				sig[j], known[j] = c.sig[i], c.known[i]
			}
		}
		c.sig, c.known, c.acc = sig, known, make([]procAcc, n)
		c.follows, c.pid = nil, nil // decode lays them out again
	}
	r.base = snap
	r.procFDs, r.last, r.lastRead, r.busy, r.unsure, r.startTicks = procFDs, last, lastRead, busy, unsure, startTicks
	r.pids, r.pidIndex = make([]int, n), make([]int32, n)
	order := make([]int32, n)
	for j := range order {
		order[j] = int32(j)
	}
	slices.SortFunc(order, func(a, b int32) int { return snap.Processes[a].PID - snap.Processes[b].PID })
	for k, j := range order {
		r.pids[k], r.pidIndex[k] = snap.Processes[j].PID, j
	}
	r.lastCg = append(r.lastCg[:0], snap.Cgroups...)
	r.cpuCg, r.procCgs = processCgroups(snap, &r.cg)
	r.initSelf()
	clear(r.newSeen)
	// The slices of earlier refreshes have the old length: none is
	// written again.
	r.recycle = recycler{}
	return nil
}
