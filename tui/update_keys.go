package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/procview"
)

// onKey handles a key press when no dialog is open.
func (m *Model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	if cmd, ok := m.onReplayKey(msg); ok {
		return cmd
	}
	if m.filtering {
		return m.onFilterKey(msg)
	}
	if m.showHelp {
		switch {
		case key.Matches(msg, k.Up):
			m.helpOffset = max(0, m.helpOffset-1)
		case key.Matches(msg, k.Down):
			m.helpOffset++
		case key.Matches(msg, k.Quit) && msg.String() == "q", key.Matches(msg, k.Help, k.Back):
			m.showHelp = false
		}
		return nil
	}
	if cmd, ok := m.onTourKey(msg); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		m.showHelp, m.helpOffset = true, 0
	case key.Matches(msg, k.NextView):
		m.switchView((m.view + 1) % numViews)
	case key.Matches(msg, k.PrevView):
		m.switchView((m.view + numViews - 1) % numViews)
	case key.Matches(msg, k.Namespaces):
		m.switchView(NamespacesView)
	case key.Matches(msg, k.Processes):
		m.switchView(ProcessesView)
	case key.Matches(msg, k.Cgrps):
		m.switchView(CgroupsView)
	case key.Matches(msg, k.Containers):
		m.switchView(ContainersView)
	case key.Matches(msg, k.Filter):
		m.filtering = true
		m.filterInput.SetValue(m.list().filter)
	case key.Matches(msg, k.Sort):
		return m.cycleSort()
	case key.Matches(msg, k.Hierarchies):
		return m.toggleHierarchies()
	case key.Matches(msg, k.Flatten) && m.view == ContainersView:
		return Flash("the Containers view is a list: s sorts it, / filters it", false)
	case key.Matches(msg, k.Flatten):
		l := m.list()
		l.opt.Flat = !l.opt.Flat
		m.rebuildList()
	case key.Matches(msg, k.Pause):
		return m.setPaused(!m.paused)
	case key.Matches(msg, k.Refresh):
		if !m.opts.live() {
			return Flash("a loaded snapshot does not refresh", false)
		}
		m.paused = false
		m.forceFull = true
		return m.startScan()
	case key.Matches(msg, k.Explain):
		return m.explain()
	case key.Matches(msg, k.Nesting):
		m.toggleNesting()
	case key.Matches(msg, k.Export, k.ExportAround):
		return m.export(key.Matches(msg, k.ExportAround))
	case m.detailFocus:
		return m.onDetailKey(msg)
	default:
		return m.onListKey(msg)
	}
	return nil
}

// onListKey handles movement and tree keys while the list has focus.
func (m *Model) onListKey(msg tea.KeyPressMsg) tea.Cmd {
	k, l := m.keys, m.list()
	before := l.cursor
	switch {
	case key.Matches(msg, k.Up):
		l.move(-1)
	case key.Matches(msg, k.Down):
		l.move(1)
	case key.Matches(msg, k.PageUp):
		l.move(-l.height)
	case key.Matches(msg, k.PageDown):
		l.move(l.height)
	case key.Matches(msg, k.Home):
		l.setCursor(0)
	case key.Matches(msg, k.End):
		l.setCursor(len(l.rows) - 1)
	case key.Matches(msg, k.Expand):
		m.expand()
	case key.Matches(msg, k.Collapse):
		m.collapse()
	case key.Matches(msg, k.ExpandAll):
		m.expandAll(true)
	case key.Matches(msg, k.CollapseAll):
		m.expandAll(false)
	case key.Matches(msg, k.Open):
		if len(m.detail.links) == 0 {
			return Flash("nothing to follow from here", false)
		}
		m.detailFocus = true
		m.detail.moveFocus(0)
	case key.Matches(msg, k.Back):
		if !m.goBack() && l.filter != "" {
			m.setFilter("")
		}
	default:
		return m.runAction(msg)
	}
	if l.cursor != before {
		m.refreshDetail()
	}
	return nil
}

// onDetailKey handles keys while the detail pane has focus: moving
// between links, following one, returning to the list.
func (m *Model) onDetailKey(msg tea.KeyPressMsg) tea.Cmd {
	k, d := m.keys, &m.detail
	switch {
	case key.Matches(msg, k.Up):
		d.moveFocus(-1)
	case key.Matches(msg, k.Down):
		d.moveFocus(1)
	case key.Matches(msg, k.PageUp):
		d.scrollBy(-d.bodyHeight())
	case key.Matches(msg, k.PageDown):
		d.scrollBy(d.bodyHeight())
	case key.Matches(msg, k.Home):
		d.moveFocus(-len(d.links))
	case key.Matches(msg, k.End):
		d.moveFocus(len(d.links))
	case key.Matches(msg, k.Open):
		if link := d.focusedLink(); !link.IsZero() {
			m.follow(link)
		}
	case key.Matches(msg, k.Back), key.Matches(msg, k.Collapse):
		m.detailFocus = false
	default:
		return m.runAction(msg)
	}
	return nil
}

// onFilterKey edits the filter; the list follows every keystroke.
func (m *Model) onFilterKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "enter":
		m.filtering = false
	case "esc":
		m.filtering = false
		m.setFilter("")
	case "up", "down", "pgup", "pgdown":
		// Move in the filtered list without leaving the filter.
		m.onListKey(msg)
	default:
		if m.filterInput.Update(msg) {
			m.setFilter(m.filterInput.Value())
		}
	}
	return nil
}

// setFilter filters the current view and puts the cursor on the first
// match: whatever was selected before may be someone else's item that
// the next action key would act on.
func (m *Model) setFilter(f string) {
	l := m.list()
	changed := l.filter != f
	l.filter = f
	if m.ix == nil {
		return
	}
	l.rebuild(m.ix)
	if changed && f != "" {
		l.selectFirstMatch()
	}
	m.refreshDetail()
}

// rebuildList recomputes the current list's rows and the detail pane.
func (m *Model) rebuildList() {
	if m.ix == nil {
		return
	}
	m.list().rebuild(m.ix)
	m.refreshDetail()
}

// expand opens the selected item, or steps to its first child when it
// is already open.
func (m *Model) expand() {
	l := m.list()
	r := l.selected()
	if r == nil || !r.HasChildren || l.opt.Flat {
		return
	}
	if r.Expanded {
		l.move(1)
		return
	}
	l.opt.Expansion[r.Key] = true
	m.rebuildList()
}

// collapse closes the selected item, or steps to its parent when it is
// closed (or has no children).
func (m *Model) collapse() {
	l := m.list()
	r := l.selected()
	if r == nil || l.opt.Flat {
		return
	}
	if r.HasChildren && r.Expanded && l.filter == "" {
		l.opt.Expansion[r.Key] = false
		m.rebuildList()
		return
	}
	for i := l.cursor - 1; i >= 0; i-- {
		if l.rows[i].Depth < r.Depth {
			l.setCursor(i)
			return
		}
	}
}

// expandAll opens or closes every item of the current view. Closing
// keeps the selection on the top-level item above it.
func (m *Model) expandAll(open bool) {
	if m.ix == nil {
		return
	}
	l := m.list()
	s := m.ix.Snap
	set := func(k procview.Key) { l.opt.Expansion[k] = open }
	switch l.id {
	case NamespacesView:
		for i := range s.Namespaces {
			set(procview.NamespaceKey(s.Namespaces[i].ID))
		}
	case ProcessesView:
		for i := range s.Processes {
			set(procview.ProcessKey(&s.Processes[i]))
		}
	case CgroupsView:
		for i := range s.Cgroups {
			set(l.ownKey(m.ix, procview.CgroupKey(&s.Cgroups[i])))
		}
	}
	if !open {
		if r := l.selected(); r != nil {
			if anc := m.treeAncestors(r.Key); len(anc) > 0 {
				l.selKey = anc[len(anc)-1]
			}
		}
	}
	m.rebuildList()
}

// runAction runs the action bound to msg, if any.
func (m *Model) runAction(msg tea.KeyPressMsg) tea.Cmd {
	for _, a := range m.opts.Actions {
		if !key.Matches(msg, a.Key) {
			continue
		}
		sel, ok := m.selection()
		if !ok || (a.Applies != nil && !a.Applies(sel)) {
			text := a.NotApplicable
			if text == "" {
				text = a.Key.Help().Desc + ": not possible on this item"
			}
			return Flash(text, true)
		}
		if a.Mutates {
			if why := m.readOnlyReason(); why != "" {
				return Flash(why, true)
			}
		}
		d, cmd := a.Run(ActionEnv{Selection: sel, Styles: &m.st, Width: m.width, Height: m.height, Editor: m.opts.Editor, launched: m.launched, host: m.host, readOnly: m.readOnlyReason()})
		if d != nil {
			cmd = tea.Batch(m.dialogs.Push(d), cmd)
		}
		return cmd
	}
	return nil
}
