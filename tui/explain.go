package tui

import (
	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/procview"
	"github.com/nscope/nscope/tui/dialog"
)

// explain opens the lesson about the selection (the selected row, or the
// link focused in the detail pane): for a namespace where it sits, its
// PIDs at every level, what keeps it and how to free it, then what its
// type isolates; for a process its PIDs and the namespaces it shares; for
// a cgroup what its limits and the numbers shown mean.
func (m *Model) explain() tea.Cmd {
	sel, ok := m.selection()
	if !ok {
		return Flash("i explains the selection: select a namespace, a process or a cgroup", false)
	}
	k := selectionKey(sel)
	lesson, ok := m.ix.ExplainItem(k)
	if !ok {
		return Flash("that item is gone since the last refresh", true)
	}
	paras := make([]string, 0, len(lesson.About)+4)
	for _, s := range lesson.About {
		paras = append(paras, sanitize(s))
	}
	if sel.Namespace != nil {
		if s := m.contentSummary(sel.Namespace.ID); s != "" {
			paras = append(paras, sanitize(s))
		}
	}
	if e := lesson.Type; e != nil {
		paras = append(paras, e.Isolates, e.Nesting, "See "+e.SeeAlso+" and namespaces(7).")
	}
	return m.dialogs.Push(&dialog.Text{
		Title:       sanitize(lesson.Title),
		Paragraphs:  paras,
		Footer:      "↑/↓ scroll · esc, enter or i closes",
		TitleStyle:  m.st.of(roleHeading).Render,
		FooterStyle: m.st.of(roleDim).Render,
		CloseKeys:   []string{"i"},
	})
}

// selectionKey is the key of the selected item.
func selectionKey(sel Selection) procview.Key {
	switch {
	case sel.Namespace != nil:
		return procview.NamespaceKey(sel.Namespace.ID)
	case sel.Process != nil:
		return procview.ProcessKey(sel.Process)
	case sel.Cgroup != nil:
		return procview.CgroupKey(sel.Cgroup)
	}
	return procview.Key{}
}
