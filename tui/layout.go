package tui

// layout is where each part of the screen goes, computed on resize.
//
//	row 0          tabs
//	list           header + rows          (left half when side by side)
//	detail         title bar + lines      (below, or at the right)
//	height-2       status line
//	height-1       footer: keys, filter input or a message
type layout struct {
	// side puts the detail pane right of the list (wide terminals).
	side bool
	// listY is the list's header line; listW its width; listRows the
	// number of row lines.
	listY, listW, listRows int
	detX, detY, detW, detH int
	statusY, footerY       int
	// lessonY and lessonH place the tour's lesson panel, above the
	// status line (lessonH 0: no tour).
	lessonY, lessonH int
	// timelineY and timelineH place a replay's timeline bar, right above
	// the status line (timelineH 0: no replay).
	timelineY, timelineH int
	// tooSmall is set when nothing useful fits.
	tooSmall bool
}

// Minimum terminal size; below it the app asks for more room.
const (
	minWidth  = 60
	minHeight = 14
	// sideWidth is the width from which the detail pane sits beside the
	// list instead of below it.
	sideWidth = 140
)

// computeLayout places the parts in a w×h terminal.
func computeLayout(w, h int) layout {
	var l layout
	if w < minWidth || h < minHeight {
		l.tooSmall = true
		return l
	}
	l.statusY, l.footerY = h-2, h-1
	avail := h - 3 // tabs, status, footer
	l.listY = 1
	if w >= sideWidth {
		l.side = true
		l.detW = min(max(w*2/5, 56), 90)
		l.listW = w - l.detW - 2
		l.listRows = avail - 1
		l.detX, l.detY, l.detH = l.listW+2, 1, avail
		return l
	}
	l.listW = w
	l.detW = w
	// Half the room: at 80×24 the details of a cgroup reach its limits.
	l.detH = max(6, avail/2)
	l.listRows = avail - l.detH - 1
	l.detY = l.listY + 1 + l.listRows
	return l
}

// setSize lays the screen out for a w×h terminal.
func (m *Model) setSize(w, h int) {
	m.width, m.height = w, h
	lh := m.lessonHeight(h)
	th := m.timelineHeight(h - lh)
	m.lay = computeLayout(w, h-lh-th)
	if m.lay.tooSmall {
		return
	}
	if lh > 0 {
		m.lay.lessonY, m.lay.lessonH = m.lay.statusY, lh
		m.lay.statusY += lh
		m.lay.footerY += lh
	}
	if th > 0 {
		m.lay.timelineY, m.lay.timelineH = m.lay.statusY, th
		m.lay.statusY += th
		m.lay.footerY += th
	}
	for _, l := range m.lists {
		l.setSize(m.lay.listW, m.lay.listRows)
	}
	m.detail.setSize(m.lay.detW, m.lay.detH)
	m.help.SetWidth(w)
}
