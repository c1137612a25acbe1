package inspect

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// IDMapRange is one line of a uid_map or gid_map: Count IDs starting at
// Inside in the namespace are the IDs starting at Outside. See
// user_namespaces(7), "User and group ID mappings".
type IDMapRange struct {
	Inside  int64 `json:"inside"`
	Outside int64 `json:"outside"`
	Count   int64 `json:"count"`
}

// UserContent is what a user namespace holds: its ID maps.
type UserContent struct {
	// UIDMap and GIDMap are /proc/PID/uid_map and gid_map as the scanner
	// reads them: Outside is in the scanner's own user namespace (the
	// host's when it runs there), not necessarily the parent's, because
	// the kernel shows the maps relative to the reader. Empty when no map
	// has been written yet.
	UIDMap []IDMapRange `json:"uid_map"`
	GIDMap []IDMapRange `json:"gid_map"`
	// UIDMapToParent and GIDMapToParent are the maps to the parent user
	// namespace, worked out from the parent's maps when the parent is not
	// the scanner's own user namespace (they equal UIDMap and GIDMap
	// otherwise); nil when the parent's maps could not be read.
	UIDMapToParent []IDMapRange `json:"uid_map_to_parent,omitempty"`
	GIDMapToParent []IDMapRange `json:"gid_map_to_parent,omitempty"`
	// SetGroups is /proc/PID/setgroups: "allow" or "deny".
	SetGroups string `json:"setgroups"`
	// Summary says the maps in plain words: "uid 0 inside is uid 1000
	// on the host; gid 0 inside is gid 1000 on the host".
	Summary string `json:"summary"`
}

// maxIDMapLines is the most lines a map can have (since Linux 4.15).
const maxIDMapLines = 340

// ParseIDMap parses a uid_map or gid_map file: lines of three unsigned
// numbers, ID inside, ID outside, count. An empty file is an empty map.
func ParseIDMap(data []byte) ([]IDMapRange, error) {
	var out []IDMapRange
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		f := bytes.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("id map line %q: want 3 numbers", line)
		}
		var v [3]int64
		for i := range f {
			n, err := strconv.ParseUint(string(f[i]), 10, 32)
			if err != nil {
				return nil, fmt.Errorf("id map line %q: %w", line, err)
			}
			v[i] = int64(n)
		}
		if v[2] == 0 {
			return nil, fmt.Errorf("id map line %q: count is 0", line)
		}
		out = append(out, IDMapRange{Inside: v[0], Outside: v[1], Count: v[2]})
		if len(out) > maxIDMapLines {
			return nil, fmt.Errorf("id map has more than %d lines", maxIDMapLines)
		}
	}
	return out, nil
}

// ComposeToParent works out a child user namespace's map to its parent
// from two maps read from the same place: child (child IDs → reader IDs)
// and parent (parent IDs → reader IDs). Every child range is cut where it
// crosses parent ranges; reader IDs the parent does not map are dropped
// (the kernel would have refused such a child map).
func ComposeToParent(child, parent []IDMapRange) []IDMapRange {
	var out []IDMapRange
	for _, c := range child {
		lo, hi := c.Outside, c.Outside+c.Count
		for _, p := range parent {
			plo, phi := p.Outside, p.Outside+p.Count
			a, b := max(lo, plo), min(hi, phi)
			if a >= b {
				continue
			}
			out = append(out, IDMapRange{Inside: c.Inside + (a - lo), Outside: p.Inside + (a - plo), Count: b - a})
		}
	}
	return out
}

// fullIDMap is the map of the initial user namespace: every ID is itself.
var fullIDMap = IDMapRange{Inside: 0, Outside: 0, Count: 4294967295}

// IDMapSentence says one map in plain words: "uid 0 inside is uid 1000
// on the host", "uids 0-65535 inside are uids 100000-165535 on the host".
// kind is "uid" or "gid"; where names the other side ("on the host",
// "in its parent user namespace").
func IDMapSentence(kind string, m []IDMapRange, where string) string {
	switch {
	case len(m) == 0:
		return fmt.Sprintf("no %s_map is written yet: no %s inside stands for one %s (unmapped IDs show as 65534)", kind, kind, where)
	case len(m) == 1 && m[0] == fullIDMap:
		return fmt.Sprintf("every %s inside is the same %s %s", kind, kind, where)
	}
	var parts []string
	for i, r := range m {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more ranges", len(m)-3))
			break
		}
		if r.Count == 1 {
			parts = append(parts, fmt.Sprintf("%s %d inside is %s %d %s", kind, r.Inside, kind, r.Outside, where))
			continue
		}
		parts = append(parts, fmt.Sprintf("%ss %d-%d inside are %ss %d-%d %s", kind, r.Inside, r.Inside+r.Count-1, kind, r.Outside, r.Outside+r.Count-1, where))
	}
	return strings.Join(parts, ", ")
}

// readUserContent reads the maps of the user namespace through a member.
func (s *Scanner) readUserContent(snap *Snapshot, r *nsReach) (*UserContent, error) {
	if r.pid == 0 {
		return nil, fmt.Errorf("the ID maps can only be read through a process in the namespace, and it has none: %w", ErrUnreachable)
	}
	u, err := s.readIDMaps(r.pid)
	if err != nil {
		return nil, err
	}
	if !s.inNamespace(r.pid, nsLinkNames[UserNS], r.id) {
		return nil, fmt.Errorf("process %d left the namespace while it was read: %w", r.pid, ErrUnreachable)
	}
	where := "outside"
	if self := snap.Host.SelfNS[UserNS]; !self.IsZero() && self == snap.Host.InitNS[UserNS] {
		where = "on the host"
	}
	summary := IDMapSentence("uid", u.UIDMap, where) + "; " + IDMapSentence("gid", u.GIDMap, where)
	// The maps to the parent, when the parent is not the reader's own.
	if n := snap.Namespace(r.id); n != nil && !n.Parent.IsZero() && n.Parent != snap.Host.SelfNS[UserNS] {
		if p := snap.Namespace(n.Parent); p != nil {
			for _, pid := range p.Members {
				pu, err := s.readIDMaps(pid)
				if err != nil || !s.inNamespace(pid, nsLinkNames[UserNS], p.ID) {
					continue
				}
				u.UIDMapToParent = ComposeToParent(u.UIDMap, pu.UIDMap)
				u.GIDMapToParent = ComposeToParent(u.GIDMap, pu.GIDMap)
				summary = IDMapSentence("uid", u.UIDMapToParent, "in its parent user namespace") + "; " + summary
				break
			}
		}
	} else {
		u.UIDMapToParent, u.GIDMapToParent = u.UIDMap, u.GIDMap
	}
	u.Summary = summary
	return u, nil
}

// readIDMaps reads uid_map, gid_map and setgroups of one process.
func (s *Scanner) readIDMaps(pid int) (*UserContent, error) {
	u := &UserContent{}
	for _, f := range []struct {
		name string
		dst  *[]IDMapRange
	}{{"uid_map", &u.UIDMap}, {"gid_map", &u.GIDMap}} {
		data, err := s.readProcFile(pid, f.name)
		if err != nil {
			return nil, err
		}
		if *f.dst, err = ParseIDMap(data); err != nil {
			return nil, fmt.Errorf("/proc/%d/%s: %w", pid, f.name, err)
		}
	}
	data, err := s.readProcFile(pid, "setgroups")
	if err != nil {
		return nil, err
	}
	u.SetGroups = string(bytes.TrimSpace(data))
	return u, nil
}

// readProcFile reads /proc/PID/name (under the scanner's proc root) whole,
// up to the cap every /proc read has.
func (s *Scanner) readProcFile(pid int, name string) ([]byte, error) {
	var buf []byte
	return s.readFileCapped(s.cfg.procRoot+"/"+strconv.Itoa(pid)+"/"+name, &buf)
}

// readFileCapped reads a whole file into *buf, up to maxProcFile.
func (s *Scanner) readFileCapped(path string, buf *[]byte) ([]byte, error) {
	fd, err := openAt(unix.AT_FDCWD, path, unix.O_RDONLY)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer unix.Close(fd)
	data, err := readAll(fd, buf, false)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}
