package tui

import (
	"fmt"
	"strconv"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// namespaceDetail describes a namespace: type, ID, owner, parent, what
// holds it, its member processes with the PID each has inside, and the
// namespaces below it, every one a link.
func namespaceDetail(ix *procview.Index, n *inspect.Namespace) *detailBuilder {
	s := ix.Snap
	b := &detailBuilder{title: fmt.Sprintf("%s namespace %s", n.Type, n.ID)}
	kind := "created by a process (not the host's)"
	if n.Initial {
		kind = "the host's initial " + n.Type.String() + " namespace"
	}
	b.kv("type", seg{n.Type.String(), nsRole(n.Type)}, seg{"  " + kind, roleDim})
	b.kv("ID", seg{fmt.Sprintf("%s:[%d]", n.Type, n.ID.Ino), roleNormal}, seg{fmt.Sprintf("  nsfs dev %d", n.ID.Dev), roleDim})
	if n.Type == inspect.PIDNS || n.Type == inspect.UserNS {
		b.kv("level", seg{strconv.Itoa(n.Level), roleNormal}, seg{"  (0 = the outermost the scanner sees)", roleDim})
	}
	if n.Type == inspect.UserNS && n.OwnerUID >= 0 {
		b.kv("creator", seg{"uid " + strconv.Itoa(n.OwnerUID), roleNormal})
	}
	if o := s.Namespace(n.Owner); o != nil && o.ID != n.ID {
		b.addLink(procview.NamespaceKey(o.ID), seg{"owner  ", roleLabel}, seg{"user " + o.ID.String(), nsRole(inspect.UserNS)}, seg{ownerNote(o), roleDim})
	} else if n.Type != inspect.UserNS {
		b.kv("owner", seg{"not visible to the scanner", roleDim})
	}
	if pn := s.Namespace(n.Parent); pn != nil {
		b.addLink(procview.NamespaceKey(pn.ID), seg{"parent ", roleLabel}, seg{pn.Type.String() + " " + pn.ID.String(), nsRole(pn.Type)})
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
		text := "  " + procview.DescribeHolder(h)
		switch {
		case !h.Via.IsZero():
			if v := s.Namespace(h.Via); v != nil {
				b.addLink(procview.NamespaceKey(v.ID), seg{text, roleNormal})
				continue
			}
		case h.PID > 0:
			if p := s.Process(h.PID); p != nil {
				b.addLink(procview.ProcessKey(p), seg{procview.DescribeHolder(h), roleNormal}, seg{" " + p.Comm, roleDim})
				continue
			}
		}
		b.add(seg{text, roleNormal})
	}
	if len(n.Members) == 0 && len(n.Holders) == 0 {
		b.add(seg{"  nothing the scanner can see", roleDim})
	}

	kids := s.NamespaceChildren(n.ID)
	if len(kids) > 0 {
		title := "Nested namespaces"
		if n.Type == inspect.UserNS {
			title = "Owned and child namespaces"
		}
		b.heading(fmt.Sprintf("%s (%d)", title, len(kids)))
		for _, k := range kids {
			b.addLink(procview.NamespaceKey(k.ID), seg{fmt.Sprintf("%-6s", k.Type), nsRole(k.Type)}, seg{" " + k.ID.String(), roleNormal},
				seg{"  " + countOf(len(k.Members), "proc"), roleDim})
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
	b.add(seg{"  press i for what a " + n.Type.String() + " namespace isolates", roleDim})
	return b
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
