package tui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
	"github.com/nscope/nscope/tui/dialog"
)

// explain opens the lesson about the selected namespace's type (or the
// namespace link focused in the detail pane).
func (m *Model) explain() tea.Cmd {
	sel, ok := m.selection()
	if !ok || sel.Namespace == nil {
		return Flash("i explains a namespace: select one in the Namespaces view or in the details", false)
	}
	n := sel.Namespace
	e := procview.Explain(n.Type)
	this := fmt.Sprintf("This one, %s:[%d], has %d member process%s", n.Type, n.ID.Ino, len(n.Members), plural(len(n.Members)))
	if n.Initial {
		this += " and is the host's own."
	} else if o := m.snap.Namespace(n.Owner); o != nil {
		this += fmt.Sprintf(" and is owned by user namespace %s.", o.ID)
	} else {
		this += "."
	}
	if n.Type == inspect.PIDNS || n.Type == inspect.UserNS {
		this += fmt.Sprintf(" It is at nesting level %d.", n.Level)
	}
	title := m.st.of(roleHeading)
	dim := m.st.of(roleDim)
	return m.dialogs.Push(&dialog.Text{
		Title:       e.Title,
		Paragraphs:  []string{e.Isolates, e.Nesting, this, "See " + e.SeeAlso + " and namespaces(7)."},
		Footer:      "esc, enter or i closes",
		TitleStyle:  title.Render,
		FooterStyle: dim.Render,
		CloseKeys:   []string{"i"},
	})
}
