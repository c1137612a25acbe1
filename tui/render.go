package tui

import (
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/termtext"
)

// View renders the whole screen: tabs, list, detail pane, status line and
// footer, with the help or a dialog on top when open.
func (m *Model) View() tea.View {
	if m.last.valid && m.last.reuse {
		// Once: a View without a message between draws anew.
		m.last.reuse = false
		return m.last.view
	}
	// Every cell escapes its host text; the frame is checked once more,
	// so nothing but nscope's own styling reaches the terminal.
	v := tea.NewView(termtext.EscapeStyled(m.render()))
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = windowTitle(m.snap)
	m.last = lastView{view: v, state: m.screen(), valid: true, renders: m.last.renders + 1}
	return v
}

// maxTitleHost caps the hostname in the window title (a UTS hostname has
// at most 64 bytes; a loaded snapshot can say anything).
const maxTitleHost = 64

// windowTitle is the terminal window's title: "nscope — HOST". The
// hostname is host text, and the title goes out inside an OSC sequence,
// where a BEL or ESC would end it and start the sender's own (OSC 52
// writes the clipboard): escaped and capped.
func windowTitle(snap *inspect.Snapshot) string {
	if snap == nil || snap.Host.Hostname == "" {
		return "nscope"
	}
	return "nscope — " + termtext.Cell(snap.Host.Hostname, maxTitleHost)
}

// render returns the screen as text; tests compare it with golden files.
func (m *Model) render() string {
	if m.lay.tooSmall {
		msg := "nscope needs at least " + itoa(minWidth) + "×" + itoa(minHeight) + " cells; this terminal is " +
			itoa(m.width) + "×" + itoa(m.height) + ". Make it larger, or press q to quit."
		return strings.Join(wrapPlain(msg, max(10, m.width)), "\n")
	}
	var b strings.Builder
	b.Grow(m.width * m.height * 2)
	b.WriteString(m.renderTabs())
	b.WriteByte('\n')
	if m.showHelp {
		b.WriteString(m.renderHelp(m.height - 3 - m.lay.lessonH - m.lay.timelineH))
	} else {
		rc := &renderCtx{ix: m.ix, st: &m.st, hist: m.hist, fresh: &m.fresh, now: m.opts.Now()}
		empty := "scanning…"
		if m.ix != nil {
			empty = "nothing matches the filter"
			if m.list().filter == "" {
				empty = "nothing to show"
			}
			if m.view == ContainersView && m.list().filter == "" {
				empty = noContainersText(m.snap)
			}
		}
		list := m.list().render(rc, !m.detailFocus, empty)
		detail := m.detail.render(&m.st, m.detailFocus)
		if m.lay.side {
			sep := m.st.of(roleDim).Render("│") + " "
			ll, dl := strings.Split(list, "\n"), strings.Split(detail, "\n")
			for i := range dl {
				if i > 0 {
					b.WriteByte('\n')
				}
				left := strings.Repeat(" ", m.lay.listW)
				if i < len(ll) {
					left = ll[i]
				}
				b.WriteString(left + sep + dl[i])
			}
		} else {
			b.WriteString(list)
			b.WriteByte('\n')
			b.WriteString(detail)
		}
	}
	if m.lay.lessonH > 0 {
		b.WriteByte('\n')
		b.WriteString(m.renderLesson())
	}
	if m.lay.timelineH > 0 {
		b.WriteByte('\n')
		b.WriteString(m.renderTimeline())
	}
	b.WriteByte('\n')
	b.WriteString(m.renderStatus())
	b.WriteByte('\n')
	b.WriteString(m.renderFooter())
	return m.dialogs.Overlay(b.String(), m.width, m.height, m.st.Box)
}

// tabLabels are the tab titles, in view order; shortTabLabels those of
// a terminal narrower than fullTabsWidth, where the full ones would leave
// the tab line no room for the position, filter and order: the CLI's
// command names.
var (
	tabLabels      = [numViews]string{" 1 Namespaces ", " 2 Processes ", " 3 Cgroups ", " 4 Containers "}
	shortTabLabels = [numViews]string{" 1 ns ", " 2 ps ", " 3 cg ", " 4 containers "}
)

// fullTabsWidth is the terminal width from which the tabs have their full
// titles.
const fullTabsWidth = 100

// tabTitles returns the tab titles for the terminal's width.
func (m *Model) tabTitles() [numViews]string {
	if m.width < fullTabsWidth {
		return shortTabLabels
	}
	return tabLabels
}

// tabStart is where the first tab begins, after the app's name.
const tabStart = len(" nscope ") + 1

// tabRanges returns the [start, end) cells of each tab.
func (m *Model) tabRanges() [numViews][2]int {
	var r [numViews][2]int
	x := tabStart
	for i, t := range m.tabTitles() {
		r[i] = [2]int{x, x + len(t)}
		x += len(t) + 1
	}
	return r
}

// renderTabs draws the first line: the app's name, the views, and the
// current view's sort, mode and filter at the right.
func (m *Model) renderTabs() string {
	var b strings.Builder
	b.WriteString(m.st.of(roleTitle).Render(" nscope "))
	b.WriteByte(' ')
	used := tabStart
	for i, t := range m.tabTitles() {
		r := roleTabInactive
		if ViewID(i) == m.view {
			r = roleTabActive
		}
		b.WriteString(m.st.of(r).Render(t))
		b.WriteByte(' ')
		used += len(t) + 1
	}
	l := m.list()
	// From the most to the least detail; the first that fits wins. The
	// position ("12/340") and the sort order always show.
	shape, tree := "tree", treeName(l)+" · "
	if l.opt.Flat {
		shape, tree = "flat", "flat · "
	}
	cg := ""
	if l.id == CgroupsView {
		if l.perHierarchy {
			cg = "per hierarchy · "
		} else if m.snap != nil && m.snap.CgroupMode != inspect.CgroupUnified {
			cg = "merged · "
		}
	}
	filter := ""
	if l.filter != "" {
		filter = "filter “" + l.filter + "” · "
	}
	pos, sortBy := l.position()+" · ", "sort "+l.opt.Sort.String()+" "
	// "merged" is the default and goes first; a filter and "per
	// hierarchy" change what the list holds and stay longest.
	odd := cg
	if !l.perHierarchy {
		odd = ""
	}
	// Flat and the nesting tree are not the defaults: they stay too.
	oddTree := ""
	if shape == "flat" || (l.id == NamespacesView && l.opt.Nesting) {
		oddTree = tree
	}
	candidates := []string{
		pos + filter + cg + tree + sortBy,
		pos + filter + cg + oddTree + sortBy,
		pos + filter + odd + oddTree + sortBy,
		strings.TrimSuffix(pos+filter+odd+oddTree, " · ") + " ",
	}
	room := m.width - used
	info := candidates[len(candidates)-1]
	for _, c := range candidates {
		if width(c) <= room {
			info = c
			break
		}
	}
	if room > 4 {
		info = fit(info, room, true)
		b.WriteString(m.st.of(roleDim).Render(info))
	} else {
		b.WriteString(strings.Repeat(" ", max(0, room)))
	}
	return b.String()
}

// renderFooter draws the last line: the filter being typed, a message,
// or the main keys.
func (m *Model) renderFooter() string {
	switch {
	case m.replayPrompting():
		return m.renderReplayPrompt()
	case m.filtering:
		prompt := m.st.of(roleHelpKey).Render("/")
		hint := "  enter keeps · esc clears"
		w := m.width - 1 - len(hint)
		return prompt + padRight(m.filterInput.render(w, m.st.of(roleSelected)), w) + m.st.of(roleDim).Render(hint)
	case m.flash.Text != "" && m.opts.Now().Before(m.flashUntil):
		r := roleAccent
		if m.flash.Err {
			r = roleError
		}
		return m.st.of(r).Render(fit(" "+m.flash.Text, m.width, false))
	case m.showHelp:
		return m.st.of(roleHelpDesc).Render(fit(" ↑/↓ scroll · esc, ? or q closes the help", m.width, false))
	case m.detailFocus:
		return m.st.of(roleHelpDesc).Render(fit(" ↑/↓ choose a link · enter follows it · esc back to the list · i explains it", m.width, false))
	}
	if bar, ok := m.actionBar(); ok {
		return bar
	}
	return padRight(truncateStyled(" "+m.help.ShortHelpView(m.keys.ShortHelp()), m.width), m.width)
}
