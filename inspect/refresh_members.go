package inspect

import (
	"bytes"
	"path/filepath"
	"slices"
	"strconv"
)

// maxMembersRead bounds the cgroups whose membership a refresh reads
// again: one with more members at the full scan (a host's or a big
// service's) waits for the next full scan instead of costing a large
// read at every refresh.
const maxMembersRead = 1024

// refreshMembers reads cgroup.procs again for every cgroup (other than a
// root) in which something ran in this refresh — its own CPU moved (or
// that of its twin at the same path in the CPU-accounting hierarchy), or
// a member changed — so that a process started in a cgroup, or moved
// into it, is counted at once instead of at the next full scan: a
// refresh keeps the snapshot's processes, but a cgroup's Procs is its
// own list. A cgroup in which nothing ran did not fork, and its members
// did not exit (exiting runs). It reports whether a process of the full
// scan joined or left a cgroup, which the full scan's picture of that
// process does not show.
func (r *Refresher) refreshMembers(snap *Snapshot) (changed bool) {
	cs := &r.cg
	for i := range snap.Cgroups {
		c := &snap.Cgroups[i]
		cc := &cs.list[i]
		ran := cs.own[i] || cs.member[i] || (cc.twin >= 0 && cs.own[cc.twin])
		if !ran || c.Path == "/" || len(r.base.Cgroups[i].Procs) > maxMembersRead {
			continue
		}
		h := snap.Hierarchy(c.Hierarchy)
		if h == nil {
			continue
		}
		r.stats.membersRead++
		pids, ok := r.readMembers(filepath.Join(h.Mount, c.Path, "cgroup.procs"))
		if !ok || slices.Equal(pids, c.Procs) {
			continue
		}
		if r.baseMoved(c.Procs, pids) {
			changed = true
		}
		c.Procs = pids
		r.lastCg[i].Procs = pids
		r.dirtyCgroup(i)
	}
	return changed
}

// readMembers reads and parses a cgroup.procs file; false when it cannot
// be read (the cgroup was removed: the CPU pass reports that).
func (r *Refresher) readMembers(path string) ([]int, bool) {
	data, err := r.readFile(path)
	if err != nil {
		return nil, false
	}
	return ParsePIDList(data)
}

// ParsePIDList parses cgroup.procs: one decimal PID a line, any order;
// the result is ascending. false on anything else.
func ParsePIDList(data []byte) ([]int, bool) {
	var out []int
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		pid, err := strconv.Atoi(string(line))
		if err != nil || pid <= 0 {
			return nil, false
		}
		out = append(out, pid)
	}
	slices.Sort(out)
	return out, true
}

// baseMoved reports whether a process of the full scan is in one of the
// two ascending lists and not the other.
func (r *Refresher) baseMoved(was, now []int) bool {
	inBase := func(pid int) bool {
		_, found := slices.BinarySearch(r.pids, pid)
		return found
	}
	for _, pid := range was {
		if _, found := slices.BinarySearch(now, pid); !found && inBase(pid) {
			return true
		}
	}
	for _, pid := range now {
		if _, found := slices.BinarySearch(was, pid); !found && inBase(pid) {
			return true
		}
	}
	return false
}
