package procview

import (
	"sort"

	"github.com/nscope/nscope/inspect"
)

// Two trees relate namespaces, and they are different trees:
//
//   - Ownership: every namespace belongs to the user namespace its creator
//     was in (NS_GET_USERNS), and a child user namespace to its parent.
//     The Namespaces view's default tree (inspect.Snapshot.NamespaceChildren)
//     shows this, with a pid namespace drawn under its parent pid namespace
//     only when both have the same owner.
//   - Nesting: a pid namespace is inside its parent pid namespace
//     (NS_GET_PARENT) and a user namespace inside its parent user
//     namespace, whatever owns them. This is the tree NSpid follows.
//
// When each level of nested pid namespaces has its own user namespace
// (unshare --user --pid --fork, twice), the two trees disagree: the inner
// pid namespace belongs to the inner user namespace but nests in the outer
// pid namespace. The nesting tree below puts every pid namespace under its
// parent pid namespace and every user namespace under its parent; the
// types that do not nest (mnt, net, ipc, uts, cgroup, time) have no parent
// and stay under the user namespace that owns them, the one relation they
// have. See pid_namespaces(7), user_namespaces(7) and ioctl_ns(2).

// NestingParent returns the namespace n sits under in the nesting tree:
// the parent of a pid or user namespace, the owner of a namespace of a
// type that does not nest; nil for a root (the initial namespaces, or one
// whose parent the scanner cannot see).
func NestingParent(s *inspect.Snapshot, n *inspect.Namespace) *inspect.Namespace {
	var up inspect.NSID
	switch n.Type {
	case inspect.PIDNS, inspect.UserNS:
		up = n.Parent
	default:
		up = n.Owner
	}
	if up == n.ID {
		return nil
	}
	return s.Namespace(up)
}

// nestingTree is the nesting tree of one snapshot, children in tree order.
type nestingTree struct {
	roots []*inspect.Namespace
	kids  map[inspect.NSID][]*inspect.Namespace
}

// buildNestingTree builds the nesting tree in one pass over the snapshot.
// A namespace on a parent loop (only a corrupt --load file has one) is
// made a root so that no namespace is lost.
func buildNestingTree(s *inspect.Snapshot) nestingTree {
	t := nestingTree{kids: make(map[inspect.NSID][]*inspect.Namespace)}
	for i := range s.Namespaces {
		n := &s.Namespaces[i]
		if p := NestingParent(s, n); p != nil && !nestingLoop(s, n) {
			t.kids[p.ID] = append(t.kids[p.ID], n)
		} else {
			t.roots = append(t.roots, n)
		}
	}
	t.roots = userFirst(t.roots)
	for id, k := range t.kids {
		t.kids[id] = userFirst(k)
	}
	return t
}

// nestingLoop reports whether following n's nesting parents comes back to n.
func nestingLoop(s *inspect.Snapshot, n *inspect.Namespace) bool {
	p := NestingParent(s, n)
	for i := 0; p != nil && i < maxTreeDepth; i++ {
		if p.ID == n.ID {
			return true
		}
		p = NestingParent(s, p)
	}
	return p != nil
}

// userFirst orders user namespaces before the rest and otherwise keeps the
// snapshot order (type, level, ID), as the ownership tree does.
func userFirst(list []*inspect.Namespace) []*inspect.Namespace {
	sort.SliceStable(list, func(i, j int) bool {
		return list[i].Type == inspect.UserNS && list[j].Type != inspect.UserNS
	})
	return list
}

func (t nestingTree) children(n *inspect.Namespace) []*inspect.Namespace { return t.kids[n.ID] }

// NestingAncestors returns the keys of the namespaces above id in the
// nesting tree, nearest first: what must be expanded to show it there.
func (ix *Index) NestingAncestors(id inspect.NSID) []Key {
	var out []Key
	n := ix.Snap.Namespace(id)
	if n == nil || nestingLoop(ix.Snap, n) {
		return nil
	}
	for i := 0; i < maxTreeDepth; i++ {
		if n = NestingParent(ix.Snap, n); n == nil {
			break
		}
		out = append(out, NamespaceKey(n.ID))
	}
	return out
}

// NamespaceLinks are all the namespaces directly related to one namespace,
// each list complete (not only what one tree draws under it).
type NamespaceLinks struct {
	// Owner is the user namespace that owns it (for a user namespace, its
	// parent); nil for the initial user namespace or when not visible.
	Owner *inspect.Namespace
	// Parent is the parent of a pid or user namespace; nil otherwise.
	Parent *inspect.Namespace
	// Nested are the pid or user namespaces whose parent this one is, in
	// snapshot order (type, level, ID).
	Nested []*inspect.Namespace
	// Owned are the namespaces this user namespace owns, child user
	// namespaces included, user namespaces first, then snapshot order.
	Owned []*inspect.Namespace
}

// NamespaceLinks returns every namespace directly related to id: its owner
// and parent, the namespaces nested in it and those it owns. It scans the
// snapshot once; call it for one selected namespace, not per row.
func (ix *Index) NamespaceLinks(id inspect.NSID) NamespaceLinks {
	s := ix.Snap
	n := s.Namespace(id)
	if n == nil {
		return NamespaceLinks{}
	}
	var l NamespaceLinks
	if n.Owner != n.ID {
		l.Owner = s.Namespace(n.Owner)
	}
	if n.Parent != n.ID {
		l.Parent = s.Namespace(n.Parent)
	}
	for i := range s.Namespaces {
		o := &s.Namespaces[i]
		if o.ID == id {
			continue
		}
		if o.Parent == id {
			l.Nested = append(l.Nested, o)
		}
		if o.Owner == id {
			l.Owned = append(l.Owned, o)
		}
	}
	l.Owned = userFirst(l.Owned)
	return l
}
