package diagram

import "unicode/utf8"

// Sizes of the SVG drawing, in pixels, for a 12 px monospace font.
const (
	fontSize = 12
	charW    = 7.3
	lineH    = 16
	padX     = 10
	padY     = 8
	gapX     = 22
	gapY     = 54
	margin   = 20
	// legendH is the height kept at the bottom for the legend.
	legendH = 40
	// maxRow is the most children (or roots) put side by side; more wrap
	// into further rows, so a host with hundreds of containers gives a
	// tall drawing rather than one a hundred screens wide.
	maxRow = 8
)

// box is where a node is drawn.
type box struct {
	x, y, w, h float64
}

func (b box) cx() float64     { return b.x + b.w/2 }
func (b box) bottom() float64 { return b.y + b.h }

// size is the extent of a subtree.
type size struct{ w, h float64 }

// layout places the nodes as trees: a node on top of its subtree, its
// children in rows of at most maxRow below it, each row centred, the
// roots likewise in rows. It returns the boxes by node ID and the
// drawing's size.
func (g *Graph) layout() (map[string]box, float64, float64) {
	kids := map[string][]string{}
	var roots []string
	boxes := make(map[string]box, len(g.Nodes))
	for _, n := range g.Nodes {
		w := 0
		for _, l := range n.Lines {
			w = max(w, utf8.RuneCountInString(visible(l)))
		}
		boxes[n.ID] = box{w: float64(w)*charW + 2*padX, h: float64(len(n.Lines))*lineH + 2*padY}
		if _, ok := boxes[n.Parent]; n.Parent != "" && ok {
			kids[n.Parent] = append(kids[n.Parent], n.ID)
		} else {
			roots = append(roots, n.ID)
		}
	}
	sizes := map[string]size{}
	var measure func(id string) size
	measure = func(id string) size {
		rw, rh := measureRows(kids[id], measure)
		b := boxes[id]
		s := size{w: max(b.w, rw), h: b.h}
		if len(kids[id]) > 0 {
			s.h += gapY + rh
		}
		sizes[id] = s
		return s
	}
	var place func(id string, left, top float64)
	place = func(id string, left, top float64) {
		b := boxes[id]
		s := sizes[id]
		b.x, b.y = left+(s.w-b.w)/2, top
		boxes[id] = b
		placeRows(kids[id], sizes, left, s.w, top+b.h+gapY, place)
	}
	w, h := measureRows(roots, measure)
	placeRows(roots, sizes, margin, w, margin, place)
	return boxes, max(w, legendWidth()) + 2*margin, h + 2*margin + legendH
}

// rowsOf cuts ids into rows of at most maxRow.
func rowsOf(ids []string) [][]string {
	var rows [][]string
	for len(ids) > maxRow {
		rows = append(rows, ids[:maxRow])
		ids = ids[maxRow:]
	}
	if len(ids) > 0 {
		rows = append(rows, ids)
	}
	return rows
}

// measureRows returns the width and height of ids laid out in rows.
func measureRows(ids []string, measure func(string) size) (w, h float64) {
	for i, row := range rowsOf(ids) {
		rw, rh := 0.0, 0.0
		for j, id := range row {
			s := measure(id)
			if j > 0 {
				rw += gapX
			}
			rw += s.w
			rh = max(rh, s.h)
		}
		if i > 0 {
			h += gapY
		}
		w, h = max(w, rw), h+rh
	}
	return w, h
}

// placeRows places ids in rows, each centred in [left, left+width],
// starting at top.
func placeRows(ids []string, sizes map[string]size, left, width, top float64, place func(string, float64, float64)) {
	y := top
	for _, row := range rowsOf(ids) {
		rw, rh := 0.0, 0.0
		for j, id := range row {
			if j > 0 {
				rw += gapX
			}
			rw += sizes[id].w
			rh = max(rh, sizes[id].h)
		}
		x := left + (width-rw)/2
		for _, id := range row {
			place(id, x, y)
			x += sizes[id].w + gapX
		}
		y += rh + gapY
	}
}
