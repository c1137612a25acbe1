package diagram

import (
	"fmt"
	"strings"
)

// Colours of the node kinds (fill, stroke), the same in DOT and SVG.
var kindColours = map[string][2]string{
	"user":    {"#fde2e4", "#b5179e"},
	"pid":     {"#e3f2e1", "#2b9348"},
	"net":     {"#dfe7fd", "#3a56d4"},
	"mnt":     {"#fff3c4", "#b08900"},
	"ipc":     {"#f1e4f3", "#7b2cbf"},
	"uts":     {"#e0f4f7", "#0f7c8c"},
	"cgroup":  {"#fde8d8", "#c2410c"},
	"time":    {"#ececec", "#555555"},
	"process": {"#ffffff", "#6c757d"},
	"more":    {"#f8f9fa", "#adb5bd"},
}

// edgeStyles are the SVG stroke styles of the edge kinds.
var edgeStyles = map[EdgeKind]string{
	EdgeNests:  `stroke="#222222" stroke-width="1.6"`,
	EdgeOwns:   `stroke="#b5179e" stroke-width="1.2" stroke-dasharray="6 4"`,
	EdgeMember: `stroke="#6c757d" stroke-width="1"`,
	EdgeVeth:   `stroke="#3a56d4" stroke-width="2.2" stroke-dasharray="2 3"`,
}

// legend names the edge kinds at the bottom of the drawing.
var legend = []struct {
	kind EdgeKind
	text string
}{
	{EdgeNests, "nests (parent → child)"},
	{EdgeOwns, "owns (user namespace)"},
	{EdgeMember, "process in pid ns"},
	{EdgeVeth, "veth pair"},
}

// SVG writes the diagram as a standalone SVG document, laid out as
// layered trees (see layout). Nodes are <g class="node KIND" id="ID">
// groups and edges <g class="edge KIND" data-from="ID" data-to="ID">
// groups, so scripts and tests can read the structure back. Every label
// passes visible() and the XML escapes.
func (g *Graph) SVG() string {
	boxes, w, h := g.layout()
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="%d">`+"\n", num(w), num(h), num(w), num(h), fontSize)
	b.WriteString("<title>nscope: namespaces</title>\n")
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444444"/></marker></defs>` + "\n")
	fmt.Fprintf(&b, `<rect class="background" x="0" y="0" width="%s" height="%s" fill="#ffffff"/>`+"\n", num(w), num(h))

	b.WriteString("<g class=\"edges\">\n")
	for _, e := range g.Edges {
		from, ok1 := boxes[e.From]
		to, ok2 := boxes[e.To]
		if !ok1 || !ok2 {
			continue
		}
		fmt.Fprintf(&b, `<g class="edge %s" data-from="%s" data-to="%s" data-kind="%s">`, e.Kind, e.From, e.To, e.Kind)
		d, mx, my := edgePath(from, to)
		marker := ` marker-end="url(#arrow)"`
		if e.Kind == EdgeVeth {
			marker = ""
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" %s%s/>`, d, edgeStyles[e.Kind], marker)
		if e.Label != "" {
			fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" fill="#3a56d4">%s</text>`, num(mx), num(my), xmlText(visible(e.Label)))
		}
		b.WriteString("</g>\n")
	}
	b.WriteString("</g>\n<g class=\"nodes\">\n")
	for _, n := range g.Nodes {
		bx := boxes[n.ID]
		c, ok := kindColours[n.Kind]
		if !ok {
			c = kindColours["time"]
		}
		stroke := "1.2"
		if n.Focus {
			stroke = "3"
		}
		fmt.Fprintf(&b, `<g class="node %s" id="%s">`, n.Kind, n.ID)
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" rx="6" fill="%s" stroke="%s" stroke-width="%s"/>`,
			num(bx.x), num(bx.y), num(bx.w), num(bx.h), c[0], c[1], stroke)
		fmt.Fprintf(&b, `<text x="%s" y="%s">`, num(bx.x+padX), num(bx.y+padY+lineH-4))
		for i, l := range n.Lines {
			weight := ""
			if i == 0 {
				weight = ` font-weight="bold"`
			}
			dy := "0"
			if i > 0 {
				dy = num(lineH)
			}
			fmt.Fprintf(&b, `<tspan x="%s" dy="%s"%s>%s</tspan>`, num(bx.x+padX), dy, weight, xmlText(visible(l)))
		}
		b.WriteString("</text></g>\n")
	}
	b.WriteString("</g>\n<g class=\"legend\">\n")
	x, y := float64(margin), h-margin
	for _, l := range legend {
		fmt.Fprintf(&b, `<path d="M%s,%s h28" fill="none" %s/>`, num(x), num(y-4), edgeStyles[l.kind])
		fmt.Fprintf(&b, `<text x="%s" y="%s" fill="#444444">%s</text>`, num(x+34), num(y), xmlText(l.text))
		x += legendEntryWidth(l.text)
	}
	b.WriteString("\n</g>\n</svg>\n")
	return b.String()
}

// legendEntryWidth is the width one legend entry takes.
func legendEntryWidth(text string) float64 { return 34 + float64(len([]rune(text)))*charW + 24 }

// legendWidth is the width of the whole legend.
func legendWidth() float64 {
	w := 0.0
	for _, l := range legend {
		w += legendEntryWidth(l.text)
	}
	return w
}

// edgePath is the curve from one box to another and the point where its
// label goes: from the bottom of the upper box to the top of the lower
// one, or, between boxes side by side, a loop below both.
func edgePath(from, to box) (d string, mx, my float64) {
	curve := func(x1, y1, c1, x2, y2, c2 float64) string {
		return fmt.Sprintf("M%s,%s C%s,%s %s,%s %s,%s", num(x1), num(y1), num(x1), num(c1), num(x2), num(c2), num(x2), num(y2))
	}
	switch {
	case to.y >= from.bottom():
		x1, y1, x2, y2 := from.cx(), from.bottom(), to.cx(), to.y
		c := min((y2-y1)/2, gapY)
		return curve(x1, y1, y1+c, x2, y2, y2-c), (x1 + x2) / 2, (y1 + y2) / 2
	case from.y >= to.bottom():
		x1, y1, x2, y2 := from.cx(), from.y, to.cx(), to.bottom()
		c := min((y1-y2)/2, gapY)
		return curve(x1, y1, y1-c, x2, y2, y2+c), (x1 + x2) / 2, (y1 + y2) / 2
	}
	x1, y1, x2, y2 := from.cx(), from.bottom(), to.cx(), to.bottom()
	low := max(y1, y2) + gapY*0.6
	return curve(x1, y1, low, x2, y2, low), (x1 + x2) / 2, low - 4
}

// num formats a coordinate with at most one decimal.
func num(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	return strings.TrimSuffix(s, ".0")
}
