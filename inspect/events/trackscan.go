package events

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nscope/nscope/inspect"
)

// beginScan notes that a scan started: what changes from now on is newer
// than what the scan will say.
func (t *tracker) beginScan() {
	t.scanning = true
	t.bornDuring = map[int]bool{}
	t.exitedDuring = map[int]bool{}
	t.nsDuring = map[inspect.NSID]bool{}
	t.wantScan = false
}

// abortScan forgets a scan that failed.
func (t *tracker) abortScan() {
	t.scanning = false
	t.bornDuring, t.exitedDuring, t.nsDuring = nil, nil, nil
}

// applyScan makes the tracker agree with a scan (processes with their
// namespaces and cgroups, namespaces with their holders), keeping what
// records changed since the scan began. Unless initial, namespaces that
// appeared or vanished in between become NSNew and NSGone events.
func (t *tracker) applyScan(snap *inspect.Snapshot, when time.Time, initial bool, out []Event) []Event {
	if t.nsfsDev == 0 {
		t.nsfsDev = nsfsDevOf(snap)
	}
	procs := make(map[int]*procState, len(snap.Processes))
	for i := range snap.Processes {
		sp := &snap.Processes[i]
		if t.exitedDuring[sp.PID] {
			continue
		}
		if t.bornDuring[sp.PID] && t.procs[sp.PID] != nil {
			procs[sp.PID] = t.procs[sp.PID]
			continue
		}
		p := &procState{ppid: sp.PPID, innerPID: sp.InnerPID(), comm: sp.Comm, uid: unknownID, euid: sp.UID, cgroups: sp.Cgroups}
		if old := t.procs[sp.PID]; old != nil && old.comm == sp.Comm {
			// Records know the real UID; a scan only the effective one.
			p.uid = old.uid
		}
		for typ := range inspect.NumNSTypes {
			if id := sp.NS[typ]; id.Dev == t.nsfsDev {
				p.ns[typ] = uint32(id.Ino)
			}
		}
		procs[sp.PID] = p
	}
	for pid := range t.bornDuring {
		if procs[pid] == nil && t.procs[pid] != nil {
			procs[pid] = t.procs[pid]
		}
	}

	found := make(map[inspect.NSID]*nsState, len(snap.Namespaces))
	var watch []string
	for i := range snap.Namespaces {
		n := &snap.Namespaces[i]
		found[n.ID] = &nsState{typ: n.Type, holders: holderText(n.Holders)}
		for _, h := range n.Holders {
			if h.Kind == inspect.HeldByBindMount || h.Kind == inspect.HeldByNamedNetns {
				watch = append(watch, filepath.Dir(h.Path))
			}
		}
	}
	for id := range t.nsDuring {
		if found[id] == nil && t.ns[id] != nil {
			found[id] = t.ns[id]
		}
	}
	for _, p := range procs {
		for typ, ino := range p.ns {
			if ino == 0 {
				continue
			}
			id := t.nsid(ino)
			n := found[id]
			if n == nil {
				n = &nsState{typ: inspect.NSType(typ)}
				found[id] = n
			}
			n.members++
		}
	}

	if !initial {
		out = t.nsDiff(found, when, out)
	}
	t.procs, t.ns = procs, found
	t.candidates = map[inspect.NSID]bool{}
	t.holderPIDs = map[int]bool{}
	t.fdHeld = false
	for i := range snap.Namespaces {
		n := &snap.Namespaces[i]
		st := found[n.ID]
		if st.members > 0 {
			continue
		}
		for _, h := range n.Holders {
			if h.Kind == inspect.HeldByFD || h.Kind == inspect.HeldForChildren {
				t.holderPIDs[h.PID] = true
			}
			t.fdHeld = t.fdHeld || h.Kind == inspect.HeldByFD
		}
	}
	// A namespace the scan saw but that now has neither members nor
	// holders lost its last member during the scan: check again.
	for id, n := range found {
		if n.members == 0 && len(n.holders) == 0 {
			t.candidates[id] = true
		}
	}
	t.watchDirs = dedupe(watch)
	t.scanning = false
	t.bornDuring, t.exitedDuring, t.nsDuring = nil, nil, nil
	return out
}

// nsDiff emits NSNew for namespaces found that the tracker did not know,
// and NSGone for those it knew that are no longer found, in a stable
// order.
func (t *tracker) nsDiff(found map[inspect.NSID]*nsState, when time.Time, out []Event) []Event {
	// An inode number found with another type than the tracker knew is
	// a namespace gone and another born: the kernel reuses the numbers.
	// So is a namespace without members that a scan finds held by other
	// mounts than before ("ip netns del a; ip netns add b" can give b
	// the inode a had).
	var born, gone []inspect.NSID
	for id, n := range found {
		if old := t.ns[id]; old == nil || old.typ != n.typ || remounted(old, n) {
			born = append(born, id)
		}
	}
	for id, n := range t.ns {
		if f := found[id]; f == nil || f.typ != n.typ || remounted(n, f) {
			gone = append(gone, id)
		}
	}
	sortNSIDs(born)
	sortNSIDs(gone)
	for _, id := range gone {
		n := t.ns[id]
		detail := "no member and nothing holds it"
		switch {
		case n.lastPID != 0:
			detail = fmt.Sprintf("last member %d exited and nothing holds it", n.lastPID)
		case len(n.holders) > 0:
			detail = "no longer held by " + strings.Join(n.holders, ", ")
		}
		out = append(out, t.goneEvent(id, n, when, SourceScan, detail))
	}
	for _, id := range born {
		n := found[id]
		ev := Event{Time: when, Kind: NSNew, Source: SourceScan, Namespace: &NamespaceRef{Type: n.typ, ID: id, Holders: n.holders}}
		ev.Detail = "found by a scan"
		if len(n.holders) > 0 {
			ev.Detail = "found by a scan, held by " + strings.Join(n.holders, ", ")
		}
		out = append(out, ev)
	}
	return out
}

// goneEvent is the NSGone event of a namespace the tracker knew, with
// its last member when one left it.
func (t *tracker) goneEvent(id inspect.NSID, n *nsState, when time.Time, src Source, detail string) Event {
	ev := Event{Time: when, Kind: NSGone, Source: src, Namespace: &NamespaceRef{Type: n.typ, ID: id, Holders: n.holders}, Detail: detail}
	if n.lastPID != 0 {
		ev.PID, ev.Comm = n.lastPID, n.lastComm
		ev.Cgroup, ev.Hierarchy = t.pick(n.lastCgroups)
		ev.procCgroups = n.lastCgroups
	}
	return ev
}

// remounted reports whether a namespace held only by mounts is now held
// only by other mounts: another namespace that was given the same inode
// number.
func remounted(old, cur *nsState) bool {
	if old.members > 0 || cur.members > 0 {
		return false
	}
	was, is := mountHolders(old.holders), mountHolders(cur.holders)
	if len(was) == 0 || len(is) == 0 {
		return false
	}
	for _, h := range is {
		if slices.Contains(was, h) {
			return false
		}
	}
	return true
}

// mountHolders picks the bind mounts and named netns out of holder texts.
func mountHolders(hs []string) []string {
	var out []string
	for _, h := range hs {
		if strings.HasPrefix(h, "bind-mount ") || strings.HasPrefix(h, "named-netns ") {
			out = append(out, h)
		}
	}
	return out
}

// holderText describes what holds a namespace, one short phrase each.
func holderText(hs []inspect.Holder) []string {
	var out []string
	for _, h := range hs {
		switch h.Kind {
		case inspect.HeldByFD:
			out = append(out, "fd "+strconv.Itoa(h.PID)+"/"+strconv.Itoa(h.FD))
		case inspect.HeldByBindMount:
			out = append(out, "bind-mount "+h.Path)
		case inspect.HeldByNamedNetns:
			out = append(out, "named-netns "+h.Name)
		case inspect.HeldForChildren:
			out = append(out, "for-children "+strconv.Itoa(h.PID))
		case inspect.HeldAsParent:
			out = append(out, "parent of "+h.Via.String())
		case inspect.HeldAsOwner:
			out = append(out, "owner of "+h.Via.String())
		}
	}
	return out
}

// nsfsDevOf returns the nsfs device of a snapshot's namespaces.
func nsfsDevOf(snap *inspect.Snapshot) uint64 {
	for i := range snap.Namespaces {
		if d := snap.Namespaces[i].ID.Dev; d != 0 {
			return d
		}
	}
	return 0
}

func sortNSIDs(ids []inspect.NSID) {
	sort.Slice(ids, func(i, j int) bool { return ids[i].Ino < ids[j].Ino })
}

func dedupe(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
