package diagram

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// EdgeKind says what an edge means.
type EdgeKind string

// The relations a diagram draws.
const (
	// EdgeNests goes from a pid or user namespace to one nested in it
	// (its parent, NS_GET_PARENT).
	EdgeNests EdgeKind = "nests"
	// EdgeOwns goes from a user namespace to a namespace it owns
	// (NS_GET_USERNS).
	EdgeOwns EdgeKind = "owns"
	// EdgeMember goes from a pid namespace to a process in it (and, around
	// one process, from each of its other namespaces drawn).
	EdgeMember EdgeKind = "member"
	// EdgeVeth joins two network namespaces that the two ends of a veth
	// pair are in; it has no direction.
	EdgeVeth EdgeKind = "veth"
)

// Node is one box of the diagram.
type Node struct {
	// ID is unique in the graph and safe in DOT, XML and CSS:
	// "ns-4-4026531837", "proc-812", "more-4-4026532254".
	ID string
	// Kind is the namespace type ("user", "pid", "net", ...), "process",
	// or "more" (the processes not drawn).
	Kind string
	// Lines are the label, first line first; they hold host text and are
	// escaped only when written.
	Lines []string
	// Parent is the ID of the node it is drawn under, "" for a root.
	Parent string
	// Focus marks the item a neighbourhood diagram is about.
	Focus bool
}

// Edge is one line between two nodes.
type Edge struct {
	From, To string
	Kind     EdgeKind
	// Label is drawn beside the edge (host text: interface names).
	Label string
}

// Graph is a diagram: nodes in drawing order (every parent before its
// children) and edges.
type Graph struct {
	Nodes []Node
	Edges []Edge
}

// Options say what to draw.
type Options struct {
	// Types are the namespace types drawn; nil means user, pid and net.
	Types []inspect.NSType
	// Veth are the veth links between network namespaces (see VethLinks).
	Veth []VethLink
	// MaxProcesses is how many processes are drawn per pid namespace
	// (lowest PIDs first; the rest become one "… N more" node); 0 means
	// 6. The initial pid namespace's processes are counted, not drawn.
	MaxProcesses int
	// Around, when set, draws only the neighbourhood of that item: its
	// ancestors, its children, and what it is linked to.
	Around *procview.Key
}

// DefaultTypes are the namespace types drawn when Options.Types is nil.
var DefaultTypes = []inspect.NSType{inspect.UserNS, inspect.PIDNS, inspect.NetNS}

// nsNodeID is the node ID of a namespace.
func nsNodeID(id inspect.NSID) string {
	return "ns-" + strconv.FormatUint(id.Dev, 10) + "-" + strconv.FormatUint(id.Ino, 10)
}

// procNodeID is the node ID of a process.
func procNodeID(pid int) string { return "proc-" + strconv.Itoa(pid) }

// Build makes the diagram of snap. The layout tree is the nesting tree:
// a user namespace under its parent, a pid namespace under its parent pid
// namespace, a namespace of another type under the user namespace that
// owns it, a process under its pid namespace (see procview.NestingParent).
// A pid namespace owned by another user namespace than its parent pid
// namespace is gets an extra "owns" edge from its owner: that is where
// ownership and nesting part (unshare --user --pid, nested); where they
// agree, the edge would only repeat its parent's.
func Build(snap *inspect.Snapshot, opt Options) (*Graph, error) {
	types := opt.Types
	if types == nil {
		types = DefaultTypes
	}
	maxProcs := opt.MaxProcesses
	if maxProcs <= 0 {
		maxProcs = 6
	}
	shown := func(n *inspect.Namespace) bool { return n != nil && slices.Contains(types, n.Type) }
	ix := procview.NewIndex(snap, nil)
	g := &Graph{}
	add := func(n Node) { g.Nodes = append(g.Nodes, n) }

	// Namespaces, in nesting-tree order so that parents come first.
	for _, r := range ix.NamespaceRows(procview.TreeOptions{Nesting: true, Sort: procview.SortName}) {
		n := r.Namespace
		if !shown(n) {
			continue
		}
		node := Node{ID: nsNodeID(n.ID), Kind: n.Type.String(), Lines: nsLines(ix, n)}
		// The nearest drawn ancestor in the nesting tree.
		for p := procview.NestingParent(snap, n); p != nil; p = procview.NestingParent(snap, p) {
			if shown(p) {
				node.Parent = nsNodeID(p.ID)
				kind := EdgeOwns
				if n.Type == p.Type && (n.Type == inspect.PIDNS || n.Type == inspect.UserNS) {
					kind = EdgeNests
				}
				g.Edges = append(g.Edges, Edge{From: node.Parent, To: node.ID, Kind: kind})
				break
			}
		}
		if o := snap.Namespace(n.Owner); n.Type == inspect.PIDNS && shown(o) && o.ID != n.ID && !sameOwnerAsParent(snap, n) {
			g.Edges = append(g.Edges, Edge{From: nsNodeID(o.ID), To: node.ID, Kind: EdgeOwns})
		}
		add(node)
		if n.Type != inspect.PIDNS || n.Initial {
			continue
		}
		for i, pid := range n.Members {
			if i == maxProcs {
				add(Node{ID: "more-" + node.ID[len("ns-"):], Kind: "more", Parent: node.ID,
					Lines: []string{fmt.Sprintf("… %d more", len(n.Members)-maxProcs)}})
				g.Edges = append(g.Edges, Edge{From: node.ID, To: "more-" + node.ID[len("ns-"):], Kind: EdgeMember})
				break
			}
			if p := snap.Process(pid); p != nil {
				add(procNode(p, node.ID))
				g.Edges = append(g.Edges, Edge{From: node.ID, To: procNodeID(pid), Kind: EdgeMember})
			}
		}
	}
	ids := map[string]bool{}
	for _, n := range g.Nodes {
		ids[n.ID] = true
	}
	seen := map[[2]string]bool{}
	for _, v := range opt.Veth {
		a, b := nsNodeID(v.A), nsNodeID(v.B)
		if !ids[a] || !ids[b] || a == b || seen[[2]string{a, b}] {
			continue
		}
		seen[[2]string{a, b}] = true
		g.Edges = append(g.Edges, Edge{From: a, To: b, Kind: EdgeVeth, Label: v.AName + " ↔ " + v.BName})
	}
	if opt.Around != nil {
		return g.around(snap, *opt.Around)
	}
	return g, nil
}

// sameOwnerAsParent reports whether a pid namespace has the owner of its
// parent pid namespace (or has no parent in the snapshot).
func sameOwnerAsParent(snap *inspect.Snapshot, n *inspect.Namespace) bool {
	p := snap.Namespace(n.Parent)
	return p == nil || p.Owner == n.Owner
}

// nsLines labels a namespace: "pid 4026532254", then what a reader needs
// to place it.
func nsLines(ix *procview.Index, n *inspect.Namespace) []string {
	lines := []string{n.Type.String() + " " + n.ID.String()}
	var second string
	switch n.Type {
	case inspect.UserNS:
		second = "level " + strconv.Itoa(n.Level)
		if n.OwnerUID >= 0 && !n.Initial {
			second += ", made by uid " + strconv.Itoa(n.OwnerUID)
		}
	case inspect.PIDNS:
		second = "level " + strconv.Itoa(n.Level)
		if init := ix.PIDNamespaceInit(n.ID); init != nil {
			second += ", init " + strconv.Itoa(init.PID) + " " + init.Comm
		}
	}
	if n.Initial {
		if second != "" {
			second += ", "
		}
		second += "the host's"
	}
	if second != "" {
		lines = append(lines, second)
	}
	switch {
	case len(n.Members) == 1:
		lines = append(lines, "1 proc")
	case len(n.Members) > 1:
		lines = append(lines, fmt.Sprintf("%d procs", len(n.Members)))
	case n.HasHolder(inspect.HeldByNamedNetns):
		lines = append(lines, "no process") // the name follows
	default:
		lines = append(lines, "no process; held by "+procview.HolderSummary(n))
	}
	for _, h := range n.Holders {
		if h.Kind == inspect.HeldByNamedNetns {
			lines = append(lines, "netns "+h.Name)
			break
		}
	}
	return lines
}

// procNode labels a process with its PID at every level: "PID 812 sleep",
// "NSpid 812 → 2 → 1".
func procNode(p *inspect.Process, parent string) Node {
	lines := []string{"PID " + strconv.Itoa(p.PID) + " " + p.Comm}
	if len(p.NSpid) > 1 {
		s := "NSpid"
		for i, v := range p.NSpid {
			if i > 0 {
				s += " →"
			}
			s += " " + strconv.Itoa(v)
		}
		lines = append(lines, s)
	}
	return Node{ID: procNodeID(p.PID), Kind: "process", Lines: lines, Parent: parent}
}

// around keeps the neighbourhood of k: the item, the chain of nodes above
// it, its children, and the nodes an edge joins it to (with their chains,
// so that every kept node hangs where it does in the whole diagram).
func (g *Graph) around(snap *inspect.Snapshot, k procview.Key) (*Graph, error) {
	var focus string
	switch k.Kind {
	case procview.KindNamespace:
		focus = nsNodeID(k.NS)
	case procview.KindProcess:
		focus = procNodeID(k.PID)
		if !g.has(focus) {
			// A process of the host's pid namespace (not drawn in the
			// whole diagram): draw it under that namespace.
			p := snap.Process(k.PID)
			if p == nil {
				return nil, fmt.Errorf("process %d is not in the snapshot", k.PID)
			}
			pidns := nsNodeID(p.NS[inspect.PIDNS])
			if !g.has(pidns) {
				pidns = ""
			}
			g.Nodes = append(g.Nodes, procNode(p, pidns))
			if pidns != "" {
				g.Edges = append(g.Edges, Edge{From: pidns, To: focus, Kind: EdgeMember})
			}
		}
	default:
		return nil, fmt.Errorf("a diagram shows namespaces and processes, not a %s", k.Kind)
	}
	if !g.has(focus) {
		return nil, fmt.Errorf("%s is not drawn with these types", k)
	}
	parent := map[string]string{}
	for _, n := range g.Nodes {
		parent[n.ID] = n.Parent
	}
	keep := map[string]bool{}
	withChain := func(id string) {
		for i := 0; id != "" && !keep[id] && i < 1024; i++ {
			keep[id] = true
			id = parent[id]
		}
	}
	withChain(focus)
	if k.Kind == procview.KindProcess {
		// A process is in a namespace of every type: draw the ones shown,
		// each with an edge to it.
		if p := snap.Process(k.PID); p != nil {
			for t, id := range p.NS {
				if nid := nsNodeID(id); inspect.NSType(t) != inspect.PIDNS && !id.IsZero() && g.has(nid) {
					withChain(nid)
					g.Edges = append(g.Edges, Edge{From: nid, To: focus, Kind: EdgeMember})
				}
			}
		}
	}
	for _, n := range g.Nodes {
		if n.Parent == focus {
			keep[n.ID] = true
		}
	}
	for _, e := range g.Edges {
		switch focus {
		case e.From:
			withChain(e.To)
		case e.To:
			withChain(e.From)
		}
	}
	out := &Graph{}
	for _, n := range g.Nodes {
		if keep[n.ID] {
			n.Focus = n.ID == focus
			out.Nodes = append(out.Nodes, n)
		}
	}
	for _, e := range g.Edges {
		if keep[e.From] && keep[e.To] {
			out.Edges = append(out.Edges, e)
		}
	}
	return out, nil
}

func (g *Graph) has(id string) bool {
	for _, n := range g.Nodes {
		if n.ID == id {
			return true
		}
	}
	return false
}
