package tui

import (
	"strings"
	"time"

	"github.com/nscope/nscope/procview"
)

// renderCtx is what cells need to render: the indexed snapshot, the
// styles and the CPU history.
type renderCtx struct {
	ix   *procview.Index
	st   *Styles
	hist *procview.History
	// fresh are the rows that appeared lately, marked until a time
	// after now.
	fresh *freshMarks
	now   time.Time
}

// freshMark is the mark before the label of a row that appeared in the
// last seconds (freshFor): readable without colour.
const freshMark = "+ "

// isFresh reports whether the row with key k appeared lately.
func (rc *renderCtx) isFresh(k procview.Key) bool { return rc.fresh != nil && rc.fresh.is(k, rc.now) }

// column is one column of a tree view.
type column struct {
	title string
	// width is the fixed width; 0 makes the column flexible: it takes the
	// room the others leave, at least min cells.
	width, min int
	right      bool
	// prio 0 columns always show; higher numbers are dropped first when
	// the terminal is narrow.
	prio int
	// cell returns plain text and its role; the list fits it to the width.
	cell func(rc *renderCtx, r *procview.Row) (string, role)
	// draw, when set instead of cell, renders exactly w cells itself:
	// styled, or plain when plain is set (the selected row is one colour).
	draw func(rc *renderCtx, r *procview.Row, w int, plain bool) string
}

// layoutColumns picks the columns that fit in total cells (one space
// between columns), dropping the highest prio first, and sizes the
// flexible one.
func layoutColumns(cols []column, total int) []column {
	out := append([]column(nil), cols...)
	need := func(cs []column) int {
		n := len(cs) - 1
		for _, c := range cs {
			if c.width > 0 {
				n += c.width
			} else {
				n += c.min
			}
		}
		return n
	}
	for need(out) > total {
		worst := -1
		for i, c := range out {
			if c.prio > 0 && (worst < 0 || c.prio > out[worst].prio) {
				worst = i
			}
		}
		if worst < 0 {
			break
		}
		out = append(out[:worst], out[worst+1:]...)
	}
	rest := total - need(out)
	for i := range out {
		if out[i].width == 0 {
			out[i].width = out[i].min + max(0, rest)
			break
		}
	}
	return out
}

// renderHeader renders the column titles.
func renderHeader(cols []column, st *Styles, total int) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(fit(c.title, c.width, c.right))
	}
	return st.of(roleHeader).Render(fit(b.String(), total, false))
}

// renderRow renders one row across the columns, exactly total cells wide.
// A selected row (sel is not roleNormal) is drawn in one colour, sel.
func renderRow(cols []column, rc *renderCtx, r *procview.Row, total int, sel role) string {
	selected := sel != roleNormal
	var b strings.Builder
	b.Grow(total * 2)
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		if c.draw != nil {
			b.WriteString(c.draw(rc, r, c.width, selected))
			continue
		}
		text, ro := c.cell(rc, r)
		text = fit(text, c.width, c.right)
		if selected {
			b.WriteString(text)
		} else {
			b.WriteString(rc.st.of(ro).Render(text))
		}
	}
	line := b.String()
	if selected {
		return rc.st.of(sel).Render(fit(line, total, false))
	}
	return line
}

// treeLabel draws the tree guides, the expand marker and a label in w
// cells: "├─▾ dockerd", "│ └── nginx". Guides deeper than 12 levels are
// not drawn so names stay visible.
func treeLabel(rc *renderCtx, r *procview.Row, w int, plain bool, label string, ro role) string {
	prefix := r.TreePrefix(12)
	marker := ""
	switch {
	case r.HasChildren && r.Expanded:
		marker = "▾ "
	case r.HasChildren:
		marker = "▸ "
	case r.Depth > 0:
		marker = "─ "
	case prefix == "" && !r.HasChildren:
		marker = "  "
	}
	if r.Context {
		ro = roleContext
	}
	if rc.isFresh(r.Key) {
		label, ro = freshMark+label, roleFresh
	}
	lead := prefix + marker
	lw := width(lead)
	if lw >= w {
		return fit(lead, w, false)
	}
	text := fit(sanitize(label), w-lw, false)
	if plain {
		return lead + text
	}
	return rc.st.of(roleDim).Render(lead) + rc.st.of(ro).Render(text)
}
