package tui

import (
	"github.com/nscope/nscope/procview"
)

// toggleNesting switches the Namespaces view between the ownership tree
// (every namespace under the user namespace that owns it) and the nesting
// tree (every pid namespace under its parent pid namespace and every user
// namespace under its parent, whatever owns them; see
// procview.NestingParent). The selection stays, opened in the new tree.
func (m *Model) toggleNesting() {
	if m.view != NamespacesView {
		m.flashNow("o switches the Namespaces view between ownership and nesting: press 1 first", false)
		return
	}
	m.setNesting(!m.lists[NamespacesView].opt.Nesting)
	if m.lists[NamespacesView].opt.Nesting {
		m.flashNow("nesting tree: pid and user namespaces under their parents, whatever owns them (OWNER column; accented where it differs from the parent's)", false)
		return
	}
	m.flashNow("ownership tree: every namespace under the user namespace that owns it", false)
}

// setNesting shows the Namespaces view as the nesting tree (on) or the
// ownership tree, keeping the selected namespace visible.
func (m *Model) setNesting(on bool) {
	l := m.lists[NamespacesView]
	l.opt.Nesting = on
	if m.ix == nil {
		return
	}
	if !l.selKey.IsZero() {
		for _, a := range m.treeAncestors(l.selKey) {
			l.opt.Expansion[a] = true
		}
	}
	l.rebuild(m.ix)
	if m.view == NamespacesView {
		m.refreshDetail()
	}
}

// treeAncestors returns the items above k in the tree its view draws now,
// nearest first: the nesting tree's for a namespace when the Namespaces
// view shows nesting.
func (m *Model) treeAncestors(k procview.Key) []procview.Key {
	if k.Kind == procview.KindNamespace && m.lists[NamespacesView].opt.Nesting {
		return m.ix.NestingAncestors(k.NS)
	}
	return m.ix.Ancestors(k)
}

// treeName names the tree a list draws, for the tab line.
func treeName(l *listView) string {
	if l.id == NamespacesView && l.opt.Nesting {
		return "nesting tree"
	}
	if l.id == NamespacesView {
		return "ownership tree"
	}
	return "tree"
}
