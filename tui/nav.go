package tui

import (
	"github.com/nscope/nscope/procview"
)

// maxBack bounds the esc history.
const maxBack = 100

// follow jumps to the item k names, in its view: it opens the tree down
// to it (and clears a filter that hides it) and selects it. The place
// left is remembered for esc.
func (m *Model) follow(k procview.Key) {
	if m.ix == nil || m.ix.Lookup(k) == nil {
		m.flash = FlashMsg{Text: "that item is gone since the last refresh", Err: true}
		m.flashUntil = m.opts.Now().Add(flashFor)
		return
	}
	here := location{view: m.view, detailFocus: m.detailFocus, detailLink: m.detail.focus}
	if r := m.list().selected(); r != nil {
		here.key = r.Key
	}
	m.back = append(m.back, here)
	if len(m.back) > maxBack {
		m.back = m.back[1:]
	}
	m.show(k)
	m.detailFocus = false
}

// show selects k in its view, opening ancestors and clearing the
// filter if needed, and makes that view current.
func (m *Model) show(k procview.Key) bool {
	v := viewOf(k.Kind)
	l := m.lists[v]
	k = l.ownKey(m.ix, k)
	for _, a := range m.treeAncestors(k) {
		l.opt.Expansion[a] = true
	}
	l.rebuild(m.ix)
	if !l.selectKey(m.ix, k) && l.filter != "" {
		l.filter = ""
		l.rebuild(m.ix)
		l.selectKey(m.ix, k)
	}
	m.view = v
	m.refreshDetail()
	return l.selKey == k
}

// goBack returns to where the last followed link was; false when there
// is nowhere to go back to.
func (m *Model) goBack() bool {
	if len(m.back) == 0 {
		return false
	}
	loc := m.back[len(m.back)-1]
	m.back = m.back[:len(m.back)-1]
	if m.ix != nil && !loc.key.IsZero() && m.ix.Lookup(loc.key) != nil {
		m.show(loc.key)
	} else {
		m.view = loc.view
		m.ensureRows()
		m.refreshDetail()
	}
	m.view = loc.view
	m.detailFocus = loc.detailFocus && len(m.detail.links) > 0
	if m.detailFocus {
		m.detail.focus = min(loc.detailLink, len(m.detail.links)-1)
		m.detail.moveFocus(0)
	}
	return true
}
