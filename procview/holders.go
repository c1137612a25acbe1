package procview

import (
	"fmt"
	"strings"

	"github.com/nscope/nscope/inspect"
)

// holderWords are the short names of holder kinds in a summary.
var holderWords = map[inspect.HolderKind]string{
	inspect.HeldByFD:         "fd",
	inspect.HeldByBindMount:  "bind",
	inspect.HeldByNamedNetns: "named",
	inspect.HeldForChildren:  "children",
	inspect.HeldAsParent:     "parent",
	inspect.HeldAsOwner:      "owner",
}

// HolderSummary says in a few words what keeps n alive: "procs" when it
// has member processes, then each kind of other holder once, in the
// order procs, fd, bind, named, children, parent, owner. A named netns
// shows its name ("named:blue"). "-" when nothing is known to hold it.
func HolderSummary(n *inspect.Namespace) string {
	var parts []string
	if len(n.Members) > 0 {
		parts = append(parts, "procs")
	}
	for _, k := range []inspect.HolderKind{inspect.HeldByFD, inspect.HeldByBindMount, inspect.HeldByNamedNetns, inspect.HeldForChildren, inspect.HeldAsParent, inspect.HeldAsOwner} {
		for _, h := range n.Holders {
			if h.Kind != k {
				continue
			}
			w := holderWords[k]
			if k == inspect.HeldByNamedNetns && h.Name != "" {
				w += ":" + h.Name
			}
			parts = append(parts, w)
			break
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}

// DescribeHolder renders one holder as a sentence fragment for the detail
// pane: "fd 5 of PID 1234", "bind mount /run/netns/blue (mnt 4026531841)".
// It knows only the holder; DescribeHolderIn says more from the snapshot.
func DescribeHolder(h inspect.Holder) string {
	switch h.Kind {
	case inspect.HeldByFD:
		return fmt.Sprintf("open fd %d of PID %d", h.FD, h.PID)
	case inspect.HeldByBindMount:
		if h.MountNS.IsZero() {
			return "bind mount " + h.Path
		}
		return fmt.Sprintf("bind mount %s (in mnt ns %s)", h.Path, h.MountNS)
	case inspect.HeldByNamedNetns:
		return fmt.Sprintf("named netns %q (%s)", h.Name, h.Path)
	case inspect.HeldForChildren:
		// True after unshare(2) with or without --fork and after setns(2)
		// into a pid namespace: the process stays where it is and only
		// its children start here. See DescribeHolderIn for the sentence
		// that says which.
		return fmt.Sprintf("children of PID %d start here (PID %d stays outside)", h.PID, h.PID)
	case inspect.HeldAsParent:
		return "parent of namespace " + h.Via.String()
	case inspect.HeldAsOwner:
		return "owner of namespace " + h.Via.String()
	}
	return string(h.Kind)
}

// NSRelation says how a process's namespace relates to the host's.
type NSRelation int

// The relations a process can have to one of its namespaces.
const (
	// NSUnknown: the scanner could not read the process's namespace link.
	NSUnknown NSRelation = iota
	// NSHost: it is the host's initial namespace of that type.
	NSHost
	// NSOwn: only this process is in it.
	NSOwn
	// NSShared: it is not the host's and has other members too.
	NSShared
)

// Relation returns how p's namespace of type t relates to the host: the
// host's, its own, or shared with other processes; and the namespace.
func (ix *Index) Relation(p *inspect.Process, t inspect.NSType) (NSRelation, *inspect.Namespace) {
	id := p.NS[t]
	if id.IsZero() {
		return NSUnknown, nil
	}
	n := ix.Snap.Namespace(id)
	switch {
	case id == ix.Snap.Host.InitNS[t]:
		return NSHost, n
	case n != nil && len(n.Members) > 1:
		return NSShared, n
	}
	return NSOwn, n
}

// DescribeHolderIn renders holder h of namespace n as a sentence, with
// what the snapshot tells about it. For a process whose pid_for_children
// (or time_for_children) points at n, the kernel facts are: the process
// itself stays in its own namespace, and only processes it forks later
// start in n; the first process forked into an empty pid namespace is its
// PID 1. So "without fork" is true only while n has no process at all,
// and when the holder's child is n's PID 1 the holder made n and forked,
// as unshare --fork does. See pid_namespaces(7), time_namespaces(7) and
// unshare(2).
func (ix *Index) DescribeHolderIn(n *inspect.Namespace, h inspect.Holder) string {
	if h.Kind != inspect.HeldForChildren || (n.Type != inspect.PIDNS && n.Type != inspect.TimeNS) {
		return DescribeHolder(h)
	}
	s := ix.Snap
	link := "pid_for_children"
	if n.Type == inspect.TimeNS {
		link = "time_for_children"
	}
	stays := fmt.Sprintf("PID %d stays in %s", h.PID, n.Type)
	if p := s.Process(h.PID); p != nil && !p.NS[n.Type].IsZero() {
		stays += " " + p.NS[n.Type].String()
	}
	head := fmt.Sprintf("children of PID %d start here (its %s); %s", h.PID, link, stays)
	if len(n.Members) == 0 {
		if n.Type == inspect.PIDNS {
			return head + "; no process is here yet: its next child becomes PID 1 here (as after unshare --pid without --fork)"
		}
		return head + "; no process is here yet (as after unshare --time without --fork)"
	}
	if n.Type == inspect.PIDNS {
		if init := ix.PIDNamespaceInit(n.ID); init != nil && init.PPID == h.PID {
			return fmt.Sprintf("%s; its child PID %d is PID 1 here (as after unshare --pid --fork)", head, init.PID)
		}
		return head + " (as after setns(2), which nsenter does)"
	}
	for _, pid := range n.Members {
		if c := s.Process(pid); c != nil && c.PPID == h.PID {
			return fmt.Sprintf("%s; its child PID %d is here (as after unshare --time --fork)", head, c.PID)
		}
	}
	return head
}
