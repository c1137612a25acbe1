package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nscope/nscope/record"
)

// flashMarks says in the status line what the record shown marks: OOM
// kills, throttling, namespaces created or destroyed, limit changes and
// nscope's own changes, the first few in full.
func (m *Model) flashMarks(x *record.Extras) {
	rp := m.replay
	if x == nil {
		return
	}
	var parts []string
	for _, mk := range x.Marks {
		if mk.Kind&replayMarkKinds == 0 || (mk.Kind == record.MarkThrottle && mk.Throttled < replayThrottle) {
			continue
		}
		if mk.Kind == record.MarkJournal {
			continue // described by its entries below
		}
		parts = append(parts, m.describeMark(mk))
	}
	for _, e := range x.Journal {
		if e.Result == "" {
			continue // the entry before a write; its result follows
		}
		parts = append(parts, fmt.Sprintf("nscope %s %s:%s %s %s → %s (%s)", e.Action, e.Hierarchy, e.Cgroup, e.File, e.Old, e.New, e.Result))
	}
	if len(parts) == 0 {
		return
	}
	const most = 3
	text := strings.Join(parts[:min(len(parts), most)], " · ")
	if len(parts) > most {
		text += fmt.Sprintf(" · and %d more", len(parts)-most)
	}
	m.flashNow(rp.stamp(rp.entries[rp.cur].Time)+": "+text, false)
	rp.markFlash = true
}

// describeMark says what one mark is, in words.
func (m *Model) describeMark(mk record.Mark) string {
	cg := m.markCgroup(mk)
	switch mk.Kind {
	case record.MarkOOMKill:
		n := "an OOM kill"
		if mk.Count > 1 {
			n = strconv.FormatInt(mk.Count, 10) + " OOM kills"
		}
		return n + " in " + cg
	case record.MarkThrottle:
		return fmt.Sprintf("%s throttled in %.0f%% of its periods", cg, mk.Throttled*100)
	case record.MarkNSCreated:
		return mk.NSType + " namespace " + mk.NS.String() + " created"
	case record.MarkNSDestroyed:
		return mk.NSType + " namespace " + mk.NS.String() + " destroyed"
	case record.MarkLimitChange:
		return fmt.Sprintf("%s %s %s → %s", cg, mk.Limit, markValue(mk.Old), markValue(mk.New))
	}
	return mk.Kind.String() + " " + cg
}

// markCgroup names a mark's cgroup: its path, with the hierarchy's label
// on a v1 host.
func (m *Model) markCgroup(mk record.Mark) string {
	if mk.Cgroup == "" {
		return "?"
	}
	if m.snap != nil {
		if h := m.snap.Hierarchy(mk.Hierarchy); h != nil && h.Version == 1 {
			return h.Label() + ":" + mk.Cgroup
		}
	}
	return mk.Cgroup
}

// markValue shows a limit value of a mark ("" is a file that was not
// there).
func markValue(v string) string {
	if v == "" {
		return "none"
	}
	return v
}
