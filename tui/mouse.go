package tui

import (
	tea "charm.land/bubbletea/v2"
)

// wheelStep is how many rows one wheel notch scrolls.
const wheelStep = 3

// onWheel scrolls the list or the detail pane under the pointer.
func (m *Model) onWheel(msg tea.MouseWheelMsg) {
	if m.lay.tooSmall || m.showHelp {
		if m.showHelp {
			if msg.Button == tea.MouseWheelUp {
				m.helpOffset = max(0, m.helpOffset-wheelStep)
			} else {
				m.helpOffset += wheelStep
			}
		}
		return
	}
	delta := wheelStep
	if msg.Button == tea.MouseWheelUp {
		delta = -wheelStep
	} else if msg.Button != tea.MouseWheelDown {
		return
	}
	if m.inDetail(msg.X, msg.Y) {
		m.detail.scrollBy(delta)
		return
	}
	l := m.list()
	before := l.cursor
	l.scroll(delta)
	if l.cursor != before {
		m.refreshDetail()
	}
}

// onClick selects what was clicked: a tab, a row (a second click on the
// selected row's marker opens or closes it), or a link in the details.
func (m *Model) onClick(msg tea.MouseClickMsg) tea.Cmd {
	if m.lay.tooSmall || msg.Button != tea.MouseLeft {
		return nil
	}
	if m.showHelp {
		m.showHelp = false
		return nil
	}
	x, y := msg.X, msg.Y
	if y == 0 {
		for v, r := range m.tabRanges() {
			if x >= r[0] && x < r[1] {
				m.switchView(ViewID(v))
			}
		}
		return nil
	}
	if m.inDetail(x, y) {
		if li, ok := m.detail.linkAt(y - m.lay.detY); ok {
			m.detail.focus = li
			m.follow(m.detail.focusedLink())
		}
		return nil
	}
	l := m.list()
	row := l.offset + y - m.lay.listY - 1
	if x >= m.lay.listW || y <= m.lay.listY || row >= len(l.rows) || row >= l.offset+l.height {
		return nil
	}
	m.detailFocus = false
	if row == l.cursor && m.onMarker(x, row) {
		r := &l.rows[row]
		l.opt.Expansion[r.Key] = !r.Expanded
		m.rebuildList()
		return nil
	}
	l.setCursor(row)
	m.refreshDetail()
	return nil
}

// onMarker reports whether column x of a row is on its expand marker.
func (m *Model) onMarker(x, row int) bool {
	l := m.list()
	r := &l.rows[row]
	if !r.HasChildren || l.opt.Flat {
		return false
	}
	start := 0
	for _, c := range l.cols {
		if c.draw != nil && (c.title == "COMMAND" || c.title == "NAMESPACE" || c.title == "CGROUP") {
			break
		}
		start += c.width + 1
	}
	at := start + width(r.TreePrefix(12))
	return x >= at && x <= at+1
}

// inDetail reports whether a cell is in the detail pane.
func (m *Model) inDetail(x, y int) bool {
	d := m.lay
	return x >= d.detX && x < d.detX+d.detW && y >= d.detY && y < d.detY+d.detH
}
