package tui

import (
	"strings"

	"github.com/nscope/nscope/procview"
)

// seg is a piece of a detail line with its role.
type seg struct {
	text string
	role role
}

// dline is one line of the detail pane; a line with a link can be focused
// and followed with enter.
type dline struct {
	segs []seg
	link procview.Key
}

// detailBuilder collects the lines of a detail pane.
type detailBuilder struct {
	lines []dline
	title string
}

func (b *detailBuilder) add(segs ...seg) { b.lines = append(b.lines, dline{segs: segs}) }

func (b *detailBuilder) addLink(k procview.Key, segs ...seg) {
	b.lines = append(b.lines, dline{segs: append([]seg{{"▸ ", roleLink}}, segs...), link: k})
}

// heading starts a section.
func (b *detailBuilder) heading(text string) {
	if len(b.lines) > 0 {
		b.add()
	}
	b.add(seg{text, roleHeading})
}

// kv adds an indented "label  value" line; the label column is 11 wide.
func (b *detailBuilder) kv(label string, value ...seg) {
	b.add(append([]seg{{"  " + fit(label, 11, false) + " ", roleLabel}}, value...)...)
}

// maxListed caps long member lists; the rest is counted.
const maxListed = 200

// detailPane shows the selected item with links to everything related.
// When focused, the cursor moves between links.
type detailPane struct {
	key    procview.Key
	title  string
	lines  []dline
	links  []int
	focus  int
	offset int
	width  int
	height int
}

// set replaces the content; the focus and scroll are kept when the item
// is the same (a refresh), reset otherwise.
func (d *detailPane) set(k procview.Key, b *detailBuilder) {
	same := k == d.key
	d.key, d.title, d.lines = k, b.title, b.lines
	d.links = d.links[:0]
	for i, l := range d.lines {
		if !l.link.IsZero() {
			d.links = append(d.links, i)
		}
	}
	if !same {
		d.focus, d.offset = 0, 0
	}
	d.focus = min(d.focus, max(0, len(d.links)-1))
	d.clampOffset()
}

func (d *detailPane) setSize(w, h int) {
	d.width, d.height = w, max(1, h)
	d.clampOffset()
}

// focusedLink returns the key of the focused link, or the zero Key.
func (d *detailPane) focusedLink() procview.Key {
	if d.focus < 0 || d.focus >= len(d.links) {
		return procview.Key{}
	}
	return d.lines[d.links[d.focus]].link
}

// moveFocus moves the link focus by delta and scrolls to it.
func (d *detailPane) moveFocus(delta int) {
	if len(d.links) == 0 {
		d.scrollBy(delta)
		return
	}
	d.focus = min(max(d.focus+delta, 0), len(d.links)-1)
	line := d.links[d.focus]
	if line < d.offset {
		d.offset = line
	}
	if line >= d.offset+d.bodyHeight() {
		d.offset = line - d.bodyHeight() + 1
	}
	d.clampOffset()
}

// scrollBy scrolls the text without moving the focus.
func (d *detailPane) scrollBy(delta int) {
	d.offset += delta
	d.clampOffset()
}

// bodyHeight is the number of content lines below the title bar.
func (d *detailPane) bodyHeight() int { return max(1, d.height-1) }

func (d *detailPane) clampOffset() {
	d.offset = min(max(d.offset, 0), max(0, len(d.lines)-d.bodyHeight()))
}

// linkAt returns the link on screen line y of the pane (0 = title bar).
func (d *detailPane) linkAt(y int) (int, bool) {
	i := d.offset + y - 1
	if y < 1 || i >= len(d.lines) {
		return 0, false
	}
	for li, line := range d.links {
		if line == i {
			return li, true
		}
	}
	return 0, false
}

// render draws the title bar and the visible lines, exactly d.height
// lines of d.width cells.
func (d *detailPane) render(st *Styles, focused bool) string {
	var b strings.Builder
	title := "─ " + d.title + " "
	if len(d.lines) > d.bodyHeight() {
		title += "(" + itoa(d.offset+1) + "-" + itoa(min(len(d.lines), d.offset+d.bodyHeight())) + " of " + itoa(len(d.lines)) + ") "
	}
	if focused {
		title += "─ enter follows a link, esc returns "
	}
	tw := width(title)
	if tw < d.width {
		title += strings.Repeat("─", d.width-tw)
	}
	b.WriteString(st.of(roleTitle).Render(fit(title, d.width, false)))
	end := min(len(d.lines), d.offset+d.bodyHeight())
	for i := d.offset; i < end; i++ {
		b.WriteByte('\n')
		sel := focused && len(d.links) > 0 && d.links[d.focus] == i
		segs := d.lines[i].segs
		if sel {
			// The focused link is marked in the text too, so it shows
			// without colour.
			segs = append([]seg{{"▶ ", roleLink}}, segs[1:]...)
		}
		b.WriteString(renderSegs(st, segs, d.width, sel))
	}
	for i := end - d.offset; i < d.bodyHeight(); i++ {
		b.WriteByte('\n')
		b.WriteString(strings.Repeat(" ", d.width))
	}
	return b.String()
}

// renderSegs draws a line of segments in exactly w cells; a selected
// line is drawn plain in the selection colour.
func renderSegs(st *Styles, segs []seg, w int, selected bool) string {
	var b strings.Builder
	used := 0
	for _, s := range segs {
		if used >= w {
			break
		}
		text := sanitize(s.text)
		tw := width(text)
		if used+tw > w {
			text = fit(text, w-used, false)
			tw = w - used
		}
		used += tw
		if selected {
			b.WriteString(text)
		} else {
			b.WriteString(st.of(s.role).Render(text))
		}
	}
	pad := ""
	if used < w {
		pad = strings.Repeat(" ", w-used)
	}
	if selected {
		return st.of(roleSelected).Render(b.String() + pad)
	}
	return b.String() + pad
}
