package inspect

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// MntContent is what a mount namespace holds: its mounts, how they
// propagate, and how they differ from the host's. See
// mount_namespaces(7) and proc(5), "/proc/pid/mountinfo".
type MntContent struct {
	// Mounts is the number of mounts a member sees.
	Mounts int `json:"mounts"`
	// Root is the mount at "/" as a member sees it (the topmost one).
	Root MountEntry `json:"root"`
	// Propagation counts the mounts by propagation type.
	Propagation MountPropagation `json:"propagation"`
	// ComparedWith is the mount namespace Added and Removed are relative
	// to: the host's. Zero when this is the host's own (or it could not
	// be read).
	ComparedWith NSID `json:"compared_with,omitzero"`
	// Added are mounts here that the host does not have (by mount point,
	// type, source and root), Removed the host's mounts missing here; at
	// most maxMountDiff of each, AddedCount and RemovedCount say how many
	// there are.
	Added        []MountEntry `json:"added,omitempty"`
	Removed      []MountEntry `json:"removed,omitempty"`
	AddedCount   int          `json:"added_count"`
	RemovedCount int          `json:"removed_count"`
}

// MountEntry is one mount, as mountinfo names it.
type MountEntry struct {
	MountPoint string `json:"mount_point"`
	FSType     string `json:"fstype"`
	Source     string `json:"source"`
	// Root is the directory of the file system mounted there ("/" for the
	// whole file system; a subdirectory for a bind mount).
	Root string `json:"root"`
	// Propagation is the optional fields of the line ("shared:5",
	// "master:1", "propagate_from:2", "unbindable"), "private" for none.
	Propagation string `json:"propagation"`
}

// MountPropagation counts mounts by propagation type: shared (in a peer
// group, events go both ways), slave (receives from a master group),
// both, private (neither) and unbindable. PeerGroups lists the shared
// peer group IDs, ascending.
type MountPropagation struct {
	Shared      int   `json:"shared"`
	Slave       int   `json:"slave"`
	SharedSlave int   `json:"shared_and_slave"`
	Private     int   `json:"private"`
	Unbindable  int   `json:"unbindable"`
	PeerGroups  []int `json:"peer_groups,omitempty"`
}

// maxMountDiff caps the added and removed mounts listed.
const maxMountDiff = 100

// ParseMountEntries parses a mountinfo file into entries that keep the
// optional (propagation) fields. It uses ParseMountInfo for the fields
// every line has.
func ParseMountEntries(data []byte) ([]MountEntry, error) {
	mounts, err := ParseMountInfo(data)
	if err != nil {
		return nil, err
	}
	out := make([]MountEntry, 0, len(mounts))
	i := 0
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		m := mounts[i]
		i++
		out = append(out, MountEntry{MountPoint: m.MountPoint, FSType: m.FSType, Source: m.Source, Root: m.Root, Propagation: optionalFields(line)})
	}
	return out, nil
}

// optionalFields returns the fields of a mountinfo line between the mount
// options (field 6) and the "-" separator, space-joined, or "private".
func optionalFields(line []byte) string {
	f := bytes.Fields(line)
	var opt []string
	for i := 6; i < len(f); i++ {
		if len(f[i]) == 1 && f[i][0] == '-' {
			break
		}
		opt = append(opt, string(f[i]))
	}
	if len(opt) == 0 {
		return "private"
	}
	return strings.Join(opt, " ")
}

// CountPropagation sorts mounts by propagation type.
func CountPropagation(mounts []MountEntry) MountPropagation {
	var p MountPropagation
	groups := map[int]bool{}
	for _, m := range mounts {
		shared, slave, unbindable := false, false, false
		for w := range strings.FieldsSeq(m.Propagation) {
			switch {
			case strings.HasPrefix(w, "shared:"):
				shared = true
				if g, err := strconv.Atoi(w[len("shared:"):]); err == nil {
					groups[g] = true
				}
			case strings.HasPrefix(w, "master:"):
				slave = true
			case w == "unbindable":
				unbindable = true
			}
		}
		switch {
		case unbindable:
			p.Unbindable++
		case shared && slave:
			p.SharedSlave++
		case shared:
			p.Shared++
		case slave:
			p.Slave++
		default:
			p.Private++
		}
	}
	for g := range groups {
		p.PeerGroups = append(p.PeerGroups, g)
	}
	sort.Ints(p.PeerGroups)
	return p
}

// DiffMounts returns the mounts of a that b lacks and those of b that a
// lacks, compared by mount point, type, source and root (mount IDs and
// peer groups differ between copies of a namespace and are ignored).
func DiffMounts(a, b []MountEntry) (added, removed []MountEntry) {
	key := func(m MountEntry) string {
		return m.MountPoint + "\x00" + m.FSType + "\x00" + m.Source + "\x00" + m.Root
	}
	count := func(list []MountEntry) map[string]int {
		c := make(map[string]int, len(list))
		for _, m := range list {
			c[key(m)]++
		}
		return c
	}
	inA, inB := count(a), count(b)
	for _, m := range a {
		if k := key(m); inB[k] > 0 {
			inB[k]--
		} else {
			added = append(added, m)
		}
	}
	for _, m := range b {
		if k := key(m); inA[k] > 0 {
			inA[k]--
		} else {
			removed = append(removed, m)
		}
	}
	return added, removed
}

// readMntContent reads a member's mountinfo and the host's, and compares.
func (s *Scanner) readMntContent(snap *Snapshot, r *nsReach) (*MntContent, error) {
	if r.pid == 0 {
		return nil, fmt.Errorf("the mount list can only be read through a process in the namespace, and it has none: %w", ErrUnreachable)
	}
	mounts, err := s.readMounts(r.pid, r.id)
	if err != nil {
		return nil, err
	}
	c := &MntContent{Mounts: len(mounts), Propagation: CountPropagation(mounts)}
	for _, m := range mounts {
		if m.MountPoint == "/" {
			c.Root = m
		}
	}
	hostID := snap.Host.InitNS[MntNS]
	if host := snap.Namespace(hostID); host != nil && hostID != r.id {
		for _, pid := range host.Members {
			hm, err := s.readMounts(pid, hostID)
			if err != nil {
				continue
			}
			c.ComparedWith = hostID
			added, removed := DiffMounts(mounts, hm)
			c.AddedCount, c.RemovedCount = len(added), len(removed)
			c.Added, c.Removed = added[:min(len(added), maxMountDiff)], removed[:min(len(removed), maxMountDiff)]
			break
		}
	}
	return c, nil
}

// readMounts reads /proc/PID/mountinfo, checking that pid is in mount
// namespace id before and after.
func (s *Scanner) readMounts(pid int, id NSID) ([]MountEntry, error) {
	if !s.inNamespace(pid, nsLinkNames[MntNS], id) {
		return nil, fmt.Errorf("process %d is no longer in mount namespace %s: %w", pid, id, ErrUnreachable)
	}
	data, err := s.readProcFile(pid, "mountinfo")
	if err != nil {
		return nil, err
	}
	if !s.inNamespace(pid, nsLinkNames[MntNS], id) {
		return nil, fmt.Errorf("process %d left mount namespace %s while it was read: %w", pid, id, ErrUnreachable)
	}
	mounts, err := ParseMountEntries(data)
	if err != nil {
		return nil, fmt.Errorf("/proc/%d/mountinfo: %w", pid, err)
	}
	return mounts, nil
}
