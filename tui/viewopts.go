package tui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/procview"
)

// cycleSort sorts the current view by its next order and shows the top
// of the list: the busiest or largest row is what a new order is for.
func (m *Model) cycleSort() tea.Cmd {
	l := m.list()
	l.opt.Sort = l.opt.Sort.NextFor(kindOf(l.id))
	if m.ix != nil {
		l.rebuild(m.ix)
		l.setCursor(0)
		m.refreshDetail()
	}
	return Flash("sorted by "+l.opt.Sort.String()+"; the top row is selected", false)
}

// toggleHierarchies switches the Cgroups view between the merged tree
// and one tree per hierarchy, keeping the selected path.
func (m *Model) toggleHierarchies() tea.Cmd {
	l := m.lists[CgroupsView]
	l.perHierarchy = !l.perHierarchy
	m.view = CgroupsView
	m.detailFocus = false
	if m.ix != nil {
		l.rebuild(m.ix)
		m.refreshDetail()
	}
	if l.perHierarchy {
		return Flash("cgroups: one tree per hierarchy (v merges them by path)", false)
	}
	return Flash("cgroups: one row per path, each number from the hierarchy that has it (v shows each hierarchy)", false)
}

// kindOf is the kind of item view v lists.
func kindOf(v ViewID) procview.Kind {
	switch v {
	case ProcessesView:
		return procview.KindProcess
	case CgroupsView:
		return procview.KindCgroup
	}
	return procview.KindNamespace
}
