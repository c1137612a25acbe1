package procview

import (
	"strconv"
	"strings"

	"github.com/nscope/nscope/inspect"
)

// Filter is a parsed filter query. Text matches, case-insensitively, a
// process's command name, command line, user, cgroup paths and container
// name, a namespace's type and holder paths and names, and a cgroup's
// path and container name. A number matches only IDs: a PID (or a PID
// inside a pid namespace) exactly, and a namespace ID that ends in it
// (at least 4 digits: "4026532201", "2201"); "net:[4026532201]" is
// accepted as a namespace ID. The zero Filter matches everything.
type Filter struct {
	text  string
	num   int
	isNum bool
	// nsID is the digits the query gives for a namespace ID, if any.
	nsID string
}

// ParseFilter parses a filter query; surrounding spaces are ignored.
func ParseFilter(query string) Filter {
	q := strings.ToLower(strings.TrimSpace(query))
	f := Filter{text: q}
	digits := q
	if i := strings.Index(q, ":["); i >= 0 && strings.HasSuffix(q, "]") {
		digits = q[i+2 : len(q)-1]
	}
	if n, err := strconv.Atoi(digits); err == nil && n >= 0 {
		if digits == q {
			f.num, f.isNum = n, true
		}
		if len(digits) >= 4 {
			f.nsID = digits
		}
	}
	return f
}

// Empty reports whether the filter matches everything.
func (f Filter) Empty() bool { return f.text == "" }

// String returns the query as typed (lower-cased, trimmed).
func (f Filter) String() string { return f.text }

func (f Filter) contains(s string) bool {
	return s != "" && strings.Contains(strings.ToLower(s), f.text)
}

func (f Filter) matchNSID(id inspect.NSID) bool {
	return f.nsID != "" && !id.IsZero() && strings.HasSuffix(strconv.FormatUint(id.Ino, 10), f.nsID)
}

// MatchProcess reports whether p matches; container is its container
// name (may be "").
func (f Filter) MatchProcess(p *inspect.Process, container string) bool {
	if f.Empty() {
		return true
	}
	for _, id := range p.NS {
		if f.matchNSID(id) {
			return true
		}
	}
	if f.isNum {
		if p.PID == f.num {
			return true
		}
		for _, n := range p.NSpid {
			if n == f.num {
				return true
			}
		}
		return false
	}
	if f.contains(p.Comm) || f.contains(p.User) || f.contains(container) {
		return true
	}
	for _, a := range p.Cmdline {
		if f.contains(a) {
			return true
		}
	}
	// A query with a space, such as "sleep 600", is looked for in the
	// command line as it is shown: the arguments joined with spaces.
	if len(p.Cmdline) > 1 && strings.IndexByte(f.text, ' ') >= 0 && f.contains(strings.Join(p.Cmdline, " ")) {
		return true
	}
	for _, c := range p.Cgroups {
		if c.Path != "/" && f.contains(c.Path) {
			return true
		}
	}
	return false
}

// MatchNamespace reports whether n matches: its ID, its type, a member
// PID, or a holder's path or name.
func (f Filter) MatchNamespace(n *inspect.Namespace) bool {
	if f.Empty() {
		return true
	}
	if f.matchNSID(n.ID) || f.text == n.Type.String() {
		return true
	}
	if f.isNum {
		for _, pid := range n.Members {
			if pid == f.num {
				return true
			}
		}
		for _, h := range n.Holders {
			if h.PID == f.num && (h.Kind == inspect.HeldByFD || h.Kind == inspect.HeldForChildren) {
				return true
			}
		}
		return false
	}
	for _, h := range n.Holders {
		if f.contains(h.Path) || f.contains(h.Name) {
			return true
		}
	}
	return false
}

// MatchCgroup reports whether c matches: its path, its container name, or
// a member PID.
func (f Filter) MatchCgroup(c *inspect.Cgroup) bool {
	if f.Empty() {
		return true
	}
	if f.isNum {
		for _, pid := range c.Procs {
			if pid == f.num {
				return true
			}
		}
		return false
	}
	return f.contains(c.Path) || f.contains(ContainerFromCgroup(c.Path))
}

// MatchMerged reports whether the merged cgroup m matches: its path, its
// container name, or a member PID in any hierarchy.
func (f Filter) MatchMerged(m *MergedCgroup) bool {
	if f.Empty() {
		return true
	}
	if f.isNum {
		for _, pid := range m.Procs {
			if pid == f.num {
				return true
			}
		}
		return false
	}
	return f.contains(m.Path) || f.contains(ContainerFromCgroup(m.Path))
}
