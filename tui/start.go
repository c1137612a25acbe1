package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// Start is where the app opens, for a presentation that must land on the
// right screen: a view, a filter in it, an item to select. The zero Start
// opens the Processes view as usual.
type Start struct {
	// View is the view to open when HasView is set (see ParseView).
	View    ViewID
	HasView bool
	// Filter is typed into the filter of the view that opens.
	Filter string
	// Select names the item to select, in its own view (see ParseSelect).
	Select *SelectTarget
}

// SelectTarget names an item to select: a process by PID, a namespace by
// inode (and type), or a cgroup by path (and hierarchy).
type SelectTarget struct {
	// Text is the target as given, for messages.
	Text string
	PID  int
	// NSIno is a namespace's inode; NSType its type when given.
	NSIno   uint64
	NSType  inspect.NSType
	HasType bool
	// CgroupPath is a cgroup's path; Hierarchy names its hierarchy (a
	// controller such as "memory", or "unified") when given.
	CgroupPath string
	Hierarchy  string
}

// pidMaxLimit is the largest PID Linux can give (PID_MAX_LIMIT, 2^22);
// namespace inode numbers are far above it.
const pidMaxLimit = 1 << 22

// viewNames are the names ParseView accepts.
var viewNames = map[string]ViewID{
	"ns": NamespacesView, "namespaces": NamespacesView,
	"ps": ProcessesView, "processes": ProcessesView,
	"cg": CgroupsView, "cgroups": CgroupsView,
}

// ParseView reads a view name: ns, ps or cg (or namespaces, processes,
// cgroups).
func ParseView(s string) (ViewID, error) {
	if v, ok := viewNames[strings.ToLower(s)]; ok {
		return v, nil
	}
	return 0, fmt.Errorf("%q: want ns, ps or cg", s)
}

// ParseSelect reads what to select: a PID ("812"), a namespace inode
// ("4026532254", "net:[4026532254]" or "net:4026532254"), or a cgroup path
// ("/nscope/demo", or "memory:/nscope/demo" for one hierarchy).
func ParseSelect(s string) (*SelectTarget, error) {
	t := &SelectTarget{Text: s}
	want := "want a PID (812), a namespace inode (4026532254 or net:[4026532254]) or a cgroup path (/nscope/demo or memory:/nscope/demo)"
	switch {
	case s == "":
		return nil, fmt.Errorf("empty: %s", want)
	case strings.HasPrefix(s, "/"):
		t.CgroupPath = cleanCgroupPath(s)
		return t, nil
	}
	if i := strings.IndexByte(s, ':'); i > 0 {
		head, rest := s[:i], s[i+1:]
		if strings.HasPrefix(rest, "/") {
			t.Hierarchy, t.CgroupPath = head, cleanCgroupPath(rest)
			return t, nil
		}
		typ, err := inspect.ParseNSType(head)
		if err != nil {
			return nil, fmt.Errorf("%q: %w; %s", s, err, want)
		}
		rest = strings.TrimSuffix(strings.TrimPrefix(rest, "["), "]")
		ino, err := strconv.ParseUint(rest, 10, 64)
		if err != nil || ino == 0 {
			return nil, fmt.Errorf("%q: %q is not a namespace inode number; %s", s, rest, want)
		}
		t.NSIno, t.NSType, t.HasType = ino, typ, true
		return t, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v == 0 {
		return nil, fmt.Errorf("%q: %s", s, want)
	}
	if v <= pidMaxLimit {
		t.PID = int(v)
	} else {
		t.NSIno = v
	}
	return t, nil
}

// cleanCgroupPath drops a trailing slash: "/a/b/" is "/a/b".
func cleanCgroupPath(p string) string {
	if len(p) > 1 {
		p = strings.TrimRight(p, "/")
	}
	if p == "" {
		return "/"
	}
	return p
}

// ViewOf returns the view that shows what t selects.
func (t *SelectTarget) ViewOf() ViewID {
	switch {
	case t.PID > 0:
		return ProcessesView
	case t.CgroupPath != "":
		return CgroupsView
	}
	return NamespacesView
}

// find returns the key of the item t names in s.
func (t *SelectTarget) find(s *inspect.Snapshot) (procview.Key, error) {
	switch {
	case t.PID > 0:
		if p := s.Process(t.PID); p != nil {
			return procview.ProcessKey(p), nil
		}
		return procview.Key{}, fmt.Errorf("no process %d in the scan", t.PID)
	case t.CgroupPath != "":
		var found *inspect.Cgroup
		for i := range s.Cgroups {
			c := &s.Cgroups[i]
			if c.Path != t.CgroupPath {
				continue
			}
			h := s.Hierarchy(c.Hierarchy)
			if t.Hierarchy != "" && (h == nil || !hierarchyNamed(h, t.Hierarchy)) {
				continue
			}
			// The unified hierarchy first: it has every controller.
			if found == nil || (h != nil && h.Version == 2) {
				found = c
			}
		}
		if found == nil {
			return procview.Key{}, fmt.Errorf("no cgroup %s in the scan", t.Text)
		}
		return procview.CgroupKey(found), nil
	}
	for i := range s.Namespaces {
		n := &s.Namespaces[i]
		if n.ID.Ino == t.NSIno && (!t.HasType || n.Type == t.NSType) {
			return procview.NamespaceKey(n.ID), nil
		}
	}
	return procview.Key{}, fmt.Errorf("no namespace %s in the scan", t.Text)
}

// hierarchyNamed reports whether name names hierarchy h: one of its
// controllers, its label, or "unified" for cgroup v2.
func hierarchyNamed(h *inspect.Hierarchy, name string) bool {
	if (name == "unified" || name == "v2") && h.Version == 2 {
		return true
	}
	return h.Label() == name || h.Has(name)
}

// startState remembers whether the start options were applied.
type startState struct{ done bool }

// applyStart applies Options.Start once, when the first snapshot is shown:
// the view, then the item to select (in its view), then the filter there.
// What cannot be done is said in the status line.
func (m *Model) applyStart() {
	st := m.opts.Start
	if m.start.done || m.ix == nil {
		return
	}
	m.start.done = true
	if st.HasView {
		m.switchView(st.View)
	}
	v := m.view
	if st.Select != nil {
		v = st.Select.ViewOf()
	}
	if st.Filter != "" {
		m.lists[v].filter = st.Filter
		m.lists[v].dirty = true
	}
	if st.Select == nil {
		m.switchView(v)
		return
	}
	k, err := st.Select.find(m.snap)
	if err != nil {
		m.switchView(v)
		m.flashNow("--select "+err.Error(), true)
		return
	}
	m.show(k)
	if st.Filter != "" && m.lists[v].filter == "" {
		m.flashNow("--select "+st.Select.Text+" does not match --filter "+st.Filter+": the filter was cleared to show it", true)
	}
}

// flashNow shows text (host text is escaped) in the status line now, from
// inside Update.
func (m *Model) flashNow(text string, isErr bool) {
	m.flash = FlashMsg{Text: sanitize(text), Err: isErr}
	m.flashUntil = m.opts.Now().Add(flashFor)
}
