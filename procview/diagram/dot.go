package diagram

import (
	"fmt"
	"strings"
)

// dotEdgeAttrs are the DOT attributes of the edge kinds. Only the edges
// of the layout tree constrain the ranks, so dot draws the same trees as
// the SVG.
var dotEdgeAttrs = map[EdgeKind]string{
	EdgeNests:  `color="#222222", penwidth=1.6`,
	EdgeOwns:   `color="#b5179e", style=dashed`,
	EdgeMember: `color="#6c757d"`,
	EdgeVeth:   `color="#3a56d4", style=dotted, penwidth=2.2, dir=none`,
}

// DOT writes the diagram in the Graphviz language ("dot -Tpng" lays it
// out). Node IDs are the graph's; every label passes visible() and the
// DOT string escapes, so host text cannot end a string or insert a DOT
// escape sequence.
func (g *Graph) DOT() string {
	var b strings.Builder
	b.WriteString("digraph nscope {\n")
	b.WriteString("\tgraph [rankdir=TB, fontname=\"monospace\", nodesep=0.3, ranksep=0.6];\n")
	b.WriteString("\tnode [shape=box, style=\"rounded,filled\", fontname=\"monospace\", fontsize=10];\n")
	b.WriteString("\tedge [fontname=\"monospace\", fontsize=9];\n")
	parent := map[string]string{}
	for _, n := range g.Nodes {
		parent[n.ID] = n.Parent
		c, ok := kindColours[n.Kind]
		if !ok {
			c = kindColours["time"]
		}
		lines := make([]string, len(n.Lines))
		for i, l := range n.Lines {
			lines[i] = visible(l)
		}
		// Lines are joined with a real escape (\n) after each line was
		// escaped on its own, so a backslash from the host stays text.
		label := dotString(strings.Join(lines, "\x00"))
		label = strings.ReplaceAll(label, "\x00", `\n`)
		pen := "1"
		if n.Focus {
			pen = "3"
		}
		fmt.Fprintf(&b, "\t%s [label=%s, class=%s, fillcolor=%s, color=%s, penwidth=%s];\n",
			dotString(n.ID), label, dotString(n.Kind), dotString(c[0]), dotString(c[1]), pen)
	}
	for _, e := range g.Edges {
		attrs := dotEdgeAttrs[e.Kind] + ", class=" + dotString(string(e.Kind))
		if parent[e.To] != e.From {
			attrs += ", constraint=false"
		}
		if e.Label != "" {
			attrs += ", label=" + dotString(visible(e.Label))
		}
		fmt.Fprintf(&b, "\t%s -> %s [%s];\n", dotString(e.From), dotString(e.To), attrs)
	}
	b.WriteString("}\n")
	return b.String()
}
