package tui

import (
	"fmt"
	"strconv"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// namespaceDetail describes a namespace: type, ID, owner, parent, what
// it holds (v, read from the kernel), what holds it, the namespaces nested
// in it and those it owns (every one, not only what the tree draws under
// it), and its member processes with the PID each has inside; every
// related item is a link. Lines longer than w cells are wrapped.
func namespaceDetail(ix *procview.Index, n *inspect.Namespace, v nsContentView, w int) *detailBuilder {
	s := ix.Snap
	links := ix.NamespaceLinks(n.ID)
	b := &detailBuilder{title: fmt.Sprintf("%s namespace %s", n.Type, n.ID)}
	kind := "created by a process (not the host's)"
	if n.Initial {
		kind = "the host's initial " + n.Type.String() + " namespace"
	}
	b.kv("ID", seg{fmt.Sprintf("%s:[%d]", n.Type, n.ID.Ino), nsRole(n.Type)}, seg{fmt.Sprintf("  nsfs dev %d, %s", n.ID.Dev, kind), roleDim})
	if n.Type == inspect.PIDNS || n.Type == inspect.UserNS {
		level := []seg{{strconv.Itoa(n.Level), roleNormal}, {"  (0 = the outermost the scanner sees)", roleDim}}
		if n.Type == inspect.UserNS && n.OwnerUID >= 0 {
			level = append(level[:1], seg{"  created by ", roleDim}, seg{"uid " + strconv.Itoa(n.OwnerUID), roleNormal})
		}
		b.kv("level", level...)
	}

	addHolds(b, ix, n, v, w)
	b.add()

	if o := links.Owner; o != nil {
		b.addLink(procview.NamespaceKey(o.ID), seg{"owner  ", roleLabel}, seg{"user " + o.ID.String(), nsRole(inspect.UserNS)}, seg{ownerNote(o), roleDim})
	} else if n.Type != inspect.UserNS {
		b.kv("owner", seg{"not visible to the scanner", roleDim})
	}
	if pn := links.Parent; pn != nil {
		note := ""
		if n.Type == inspect.PIDNS && links.Owner != nil && pn.Owner != n.Owner {
			// Ownership and nesting part here.
			note = "  owned by user " + pn.Owner.String()
		}
		b.addLink(procview.NamespaceKey(pn.ID), seg{"parent ", roleLabel}, seg{pn.Type.String() + " " + pn.ID.String(), nsRole(pn.Type)}, seg{note, roleAccent})
	}
	if n.Type == inspect.PIDNS {
		if init := ix.PIDNamespaceInit(n.ID); init != nil {
			b.addLink(procview.ProcessKey(init), seg{"init   ", roleLabel}, seg{fmt.Sprintf("%d %s", init.PID, init.Comm), roleNormal}, seg{"  (PID 1 inside)", roleDim})
		}
	}

	b.heading("Held by")
	if len(n.Members) > 0 {
		b.add(seg{fmt.Sprintf("  %d member process", len(n.Members)) + plural(len(n.Members)), roleNormal})
	}
	for _, h := range n.Holders {
		text := ix.DescribeHolderIn(n, h)
		switch {
		case !h.Via.IsZero():
			if v := s.Namespace(h.Via); v != nil {
				b.addWrappedLink(procview.NamespaceKey(v.ID), text, roleNormal, w)
				continue
			}
		case h.PID > 0:
			if p := s.Process(h.PID); p != nil {
				b.addWrappedLink(procview.ProcessKey(p), text+" ("+p.Comm+")", roleNormal, w)
				continue
			}
		}
		b.addWrapped("  ", text, roleNormal, w)
	}
	if len(n.Members) == 0 && len(n.Holders) == 0 {
		b.add(seg{"  nothing the scanner can see", roleDim})
	}

	if len(links.Nested) > 0 {
		b.heading(fmt.Sprintf("Nested namespaces (%d)", len(links.Nested)))
		for _, k := range links.Nested {
			// A nested pid namespace with an owner of its own is where
			// ownership and nesting part.
			addNSLink(b, k, k.Owner != n.Owner && k.Owner != n.ID)
		}
	}
	if len(links.Owned) > 0 {
		b.heading(fmt.Sprintf("Owned namespaces (%d)", len(links.Owned)))
		for _, k := range links.Owned {
			addNSLink(b, k, false)
		}
	}

	if len(n.Members) > 0 {
		inside := "PID inside"
		if n.Type != inspect.PIDNS {
			inside = "PID in its pid ns"
		}
		b.heading(fmt.Sprintf("Members (%d): PID → %s", len(n.Members), inside))
		for i, pid := range n.Members {
			if i == maxListed {
				b.add(seg{fmt.Sprintf("  … and %d more (filter the Processes view by %s to see all)", len(n.Members)-maxListed, n.ID), roleDim})
				break
			}
			p := s.Process(pid)
			if p == nil {
				continue
			}
			in := ix.InNamespacePID(p, n)
			b.addLink(procview.ProcessKey(p), seg{fmt.Sprintf("%-7d→ %-6s", p.PID, pidOrDash(in)), roleNormal}, seg{" " + commandLine(p), roleDim})
		}
	}
	b.add()
	b.add(seg{"  press i to explain this namespace", roleDim})
	return b
}

// addNSLink adds a link to namespace k: type, ID, member count and, when
// showOwner is set, its owner.
func addNSLink(b *detailBuilder, k *inspect.Namespace, showOwner bool) {
	segs := []seg{{fmt.Sprintf("%-6s", k.Type), nsRole(k.Type)}, {" " + k.ID.String(), roleNormal},
		{"  " + countOf(len(k.Members), "proc"), roleDim}}
	if showOwner {
		segs = append(segs, seg{"  owner user " + k.Owner.String(), roleAccent})
	}
	b.addLink(procview.NamespaceKey(k.ID), segs...)
}

// ownerNote describes an owning user namespace in a few words.
func ownerNote(o *inspect.Namespace) string {
	note := ""
	if o.Initial {
		note = "  (the host's)"
	}
	if o.OwnerUID >= 0 && !o.Initial {
		note += "  created by uid " + strconv.Itoa(o.OwnerUID)
	}
	return note
}

// countOf renders "1 proc", "3 procs".
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "es"
}

func pidOrDash(pid int) string {
	if pid <= 0 {
		return "-"
	}
	return strconv.Itoa(pid)
}
