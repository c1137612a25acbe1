package tui

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/nscope/nscope/record"
)

// flashMarks says in the status line what the record shown marks, the
// most telling first (the timeline's order: OOM kills, limit changes,
// nscope's own changes, namespaces destroyed and created, throttling); a
// limit change nscope's journal explains is said once, as the journal
// says it. The first few are said in full.
func (m *Model) flashMarks(x *record.Extras) {
	rp := m.replay
	if x == nil {
		return
	}
	type part struct {
		rank int
		text string
	}
	var parts []part
	journaled := map[string]bool{}
	for _, e := range x.Journal {
		if e.Result == "" {
			continue // the entry before a write; its result follows
		}
		journaled[e.Cgroup] = true
		parts = append(parts, part{markRank(record.MarkJournal),
			fmt.Sprintf("nscope %s %s:%s %s %s → %s (%s)", e.Action, e.Hierarchy, e.Cgroup, e.File, e.Old, e.New, e.Result)})
	}
	for _, mk := range x.Marks {
		switch {
		case mk.Kind&replayMarkKinds == 0, mk.Kind == record.MarkJournal:
			// The journal's entries say what it marks.
		case mk.Kind == record.MarkThrottle && mk.Throttled < replayThrottle:
		case mk.Kind == record.MarkLimitChange && journaled[mk.Cgroup]:
		default:
			parts = append(parts, part{markRank(mk.Kind), m.describeMark(mk)})
		}
	}
	if len(parts) == 0 {
		return
	}
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].rank < parts[j].rank })
	const most = 3
	var texts []string
	for _, p := range parts[:min(len(parts), most)] {
		texts = append(texts, p.text)
	}
	text := strings.Join(texts, " · ")
	if len(parts) > most {
		text += fmt.Sprintf(" · and %d more", len(parts)-most)
	}
	m.flashNow(rp.stamp(rp.entries[rp.cur].Time)+": "+text, false)
	rp.markFlash = true
}

// markRank is the place of a mark kind in the timeline's order.
func markRank(k record.MarkKind) int {
	for i, tm := range timelineMarks {
		if k&tm.kind != 0 {
			return i
		}
	}
	return len(timelineMarks)
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
