package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/nscope/nscope/procview"
)

// Tour is a guided walk through the app: at each step the app opens a
// view, selects and opens the step's item, and a lesson panel says what to
// look at, why it is so, and which command would make the same thing.
// n or → goes to the next step, p or ← back, q ends.
type Tour struct {
	// Title names the tour in the lesson panel.
	Title string
	Steps []TourStep
}

// TourStep is one step of a tour.
type TourStep struct {
	// Title is the step's heading.
	Title string
	// Look says what to look at, Why why it is so, Try the command (from
	// the articles the tour follows) that makes the same thing.
	Look, Why, Try string
	// View is the view the step shows; Nesting shows the Namespaces view
	// as the nesting tree.
	View    ViewID
	Nesting bool
	// Target finds the item to select in the current snapshot; nil selects
	// nothing. The step waits (and says so) until a scan has it.
	Target func(ix *procview.Index) (procview.Key, bool)
	// Expand opens the target's own children too.
	Expand bool
	// Focus moves the keys to the detail pane, on its first link.
	Focus bool
}

// tourState is where a running tour is.
type tourState struct {
	tour *Tour
	step int
	// applied is the step last shown; -1 before the first.
	applied int
	// waiting is set while the step's target is not in the scan yet.
	waiting bool
}

// newTourState starts t at its first step.
func newTourState(t *Tour) *tourState {
	if t == nil || len(t.Steps) == 0 {
		return nil
	}
	return &tourState{tour: t, applied: -1}
}

// onTourKey handles the tour's keys; false when the key is not one.
func (m *Model) onTourKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	ts := m.tour
	if ts == nil {
		return nil, false
	}
	switch msg.String() {
	case "n", "right":
		if ts.step == len(ts.tour.Steps)-1 {
			m.flashNow("this is the last step: q ends the tour and removes everything it made", false)
			return nil, true
		}
		ts.step++
	case "p", "left":
		if ts.step == 0 {
			m.flashNow("this is the first step: n or → goes on", false)
			return nil, true
		}
		ts.step--
	default:
		return nil, false
	}
	m.syncTour()
	return nil, true
}

// syncTour shows the current step when it is not shown yet: its view and
// tree, its item selected and opened. A step whose item is not in the
// scan yet is retried after the next one.
func (m *Model) syncTour() {
	ts := m.tour
	if ts == nil || m.ix == nil || (ts.applied == ts.step && !ts.waiting) {
		return
	}
	st := ts.tour.Steps[ts.step]
	ts.applied = ts.step
	ts.waiting = false
	for m.dialogs.Len() > 0 {
		m.dialogs.Pop()
	}
	m.showHelp = false
	m.detailFocus = false
	if m.lists[NamespacesView].opt.Nesting != st.Nesting {
		m.setNesting(st.Nesting)
	}
	m.switchView(st.View)
	if st.Target == nil {
		return
	}
	k, ok := st.Target(m.ix)
	if !ok || m.ix.Lookup(k) == nil {
		ts.waiting = true
		return
	}
	l := m.lists[viewOf(k.Kind)]
	l.filter = ""
	if st.Expand {
		l.opt.Expansion[k] = true
	}
	m.show(k)
	// Centre the item, so that what is around it shows too.
	if l := m.list(); l.height > 2 {
		l.offset = l.cursor - l.height/2
		l.scrollToCursor()
	}
	if st.Focus && len(m.detail.links) > 0 {
		m.detailFocus = true
		m.detail.focus = 0
		m.detail.moveFocus(0)
	}
}

// lessonHeight is the number of lines the lesson panel takes in an h-line
// terminal: what the longest step needs at this width (the layout stays
// put from step to step), at most two fifths of the terminal; 0 without a
// tour.
func (m *Model) lessonHeight(h int) int {
	if m.tour == nil {
		return 0
	}
	need := 0
	for _, st := range m.tour.tour.Steps {
		need = max(need, len(lessonLines(st, m.width)))
	}
	// The title bar, and a line for "waiting for the next scan".
	lh := min(need+2, max(h*2/5, 4))
	if h-lh < minHeight {
		lh = max(0, h-minHeight)
	}
	return lh
}

// lessonLine is one wrapped line of a lesson: the paragraph's label on
// its first line ("" on the others), the text, and whether it is the
// command to try.
type lessonLine struct {
	label, text string
	try         bool
}

// lessonLines wraps a step's paragraphs to width w.
func lessonLines(st TourStep, w int) []lessonLine {
	var out []lessonLine
	for _, p := range []struct{ label, text string }{{"Look:", st.Look}, {"Why:", st.Why}, {"Try:", st.Try}} {
		if p.text == "" {
			continue
		}
		for i, l := range wrapPlain(p.label+" "+sanitize(p.text), max(10, w-2)) {
			line := lessonLine{text: l, try: p.label == "Try:"}
			if i == 0 {
				line.label, line.text = p.label, l[len(p.label):]
			}
			out = append(out, line)
		}
	}
	return out
}

// renderLesson draws the lesson panel: a title bar with the step and the
// keys, then what to look at, why, and the command to try, wrapped to the
// width, in exactly m.lay.lessonH lines.
func (m *Model) renderLesson() string {
	ts := m.tour
	st := ts.tour.Steps[ts.step]
	w, h := m.width, m.lay.lessonH
	title := sanitize(fmt.Sprintf("─ %s %d/%d: %s ", ts.tour.Title, ts.step+1, len(ts.tour.Steps), st.Title))
	keys := " n/→ next · p/← back · q ends ─"
	if fill := w - width(title) - width(keys); fill > 0 {
		title += strings.Repeat("─", fill) + keys
	}
	lines := []string{m.st.of(roleTitle).Render(fit(title, w, false))}
	if ts.waiting {
		lines = append(lines, " "+m.st.of(roleWarn).Render(fit("waiting for the next scan to show this step's item…", w-1, false)))
	}
	for _, l := range lessonLines(st, w) {
		r := roleNormal
		if l.try {
			r = roleAccent
		}
		lines = append(lines, " "+m.st.of(roleHeading).Render(l.label)+m.st.of(r).Render(l.text))
	}
	if len(lines) > h {
		lines = lines[:h]
		last := ansi.Strip(lines[h-1])
		lines[h-1] = m.st.of(roleDim).Render(fit(last+" …", w, false))
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i := range lines {
		lines[i] = padRight(truncateStyled(lines[i], w), w)
	}
	return strings.Join(lines, "\n")
}
