package inspect

import (
	"path"
	"sort"
)

// The snapshot's three trees, as parent → children relations built once by
// index():
//
//   - Namespaces: a user namespace sits under its parent user namespace; a
//     pid namespace under its parent pid namespace when both have the same
//     owner, otherwise under its owning user namespace; every other
//     namespace under its owning user namespace. So the tree shows user
//     namespace ownership with pid nesting inside it. See user_namespaces(7)
//     and pid_namespaces(7).
//   - Processes: by PPID. A process whose parent is not in the snapshot is a
//     root (PID 1, kthreadd, and orphans of a racing scan).
//   - Cgroups: by path within each hierarchy.

type treeIndex struct {
	nsRoots    []int
	nsChildren map[NSID][]int
	procRoots  []int
	procKids   map[int][]int
	cgRoots    []int
	cgKids     map[CgroupKey][]int
}

// NamespaceTreeParent returns the namespace n hangs under in the tree, or
// nil for a root.
func (s *Snapshot) NamespaceTreeParent(n *Namespace) *Namespace {
	switch n.Type {
	case UserNS:
		return s.Namespace(n.Parent)
	case PIDNS:
		if p := s.Namespace(n.Parent); p != nil && (p.Owner == n.Owner || n.Owner.IsZero()) {
			return p
		}
	}
	if n.Owner == n.ID {
		return nil
	}
	return s.Namespace(n.Owner)
}

func (s *Snapshot) buildTrees() {
	t := &s.trees
	t.nsChildren = map[NSID][]int{}
	for i := range s.Namespaces {
		n := &s.Namespaces[i]
		if p := s.NamespaceTreeParent(n); p != nil {
			t.nsChildren[p.ID] = append(t.nsChildren[p.ID], i)
		} else {
			t.nsRoots = append(t.nsRoots, i)
		}
	}
	t.procKids = map[int][]int{}
	for i := range s.Processes {
		p := &s.Processes[i]
		if _, ok := s.procIndex[p.PPID]; ok && p.PPID != p.PID {
			t.procKids[p.PPID] = append(t.procKids[p.PPID], i)
		} else {
			t.procRoots = append(t.procRoots, i)
		}
	}
	t.cgKids = map[CgroupKey][]int{}
	for i := range s.Cgroups {
		c := &s.Cgroups[i]
		if c.Path != "/" {
			pk := CgroupKey{c.Hierarchy, path.Dir(c.Path)}
			if _, ok := s.cgIndex[pk]; ok {
				t.cgKids[pk] = append(t.cgKids[pk], i)
				continue
			}
		}
		t.cgRoots = append(t.cgRoots, i)
	}
}

// NamespaceRoots returns the namespaces at the top of the namespace tree:
// the initial user namespace, and any namespace whose owner the scanner
// could not see.
func (s *Snapshot) NamespaceRoots() []*Namespace { return s.nsList(s.trees.nsRoots) }

// NamespaceChildren returns the namespaces directly under id in the tree:
// user namespaces first, then by type, level and ID.
func (s *Snapshot) NamespaceChildren(id NSID) []*Namespace {
	return s.nsList(s.trees.nsChildren[id])
}

func (s *Snapshot) nsList(idx []int) []*Namespace {
	out := make([]*Namespace, len(idx))
	for i, j := range idx {
		out[i] = &s.Namespaces[j]
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.Type == UserNS) != (b.Type == UserNS) {
			return a.Type == UserNS
		}
		return false // keep snapshot order: type, level, ID
	})
	return out
}

// ProcessRoots returns the processes without a parent in the snapshot.
func (s *Snapshot) ProcessRoots() []*Process {
	out := make([]*Process, len(s.trees.procRoots))
	for i, j := range s.trees.procRoots {
		out[i] = &s.Processes[j]
	}
	return out
}

// ProcessChildren returns the children of pid, by PID.
func (s *Snapshot) ProcessChildren(pid int) []*Process {
	idx := s.trees.procKids[pid]
	out := make([]*Process, len(idx))
	for i, j := range idx {
		out[i] = &s.Processes[j]
	}
	return out
}

// CgroupRoots returns the root cgroup of every hierarchy, in hierarchy
// order.
func (s *Snapshot) CgroupRoots() []*Cgroup {
	out := make([]*Cgroup, len(s.trees.cgRoots))
	for i, j := range s.trees.cgRoots {
		out[i] = &s.Cgroups[j]
	}
	return out
}

// CgroupChildren returns the child cgroups of c, by name.
func (s *Snapshot) CgroupChildren(c *Cgroup) []*Cgroup {
	idx := s.trees.cgKids[c.Key()]
	out := make([]*Cgroup, len(idx))
	for i, j := range idx {
		out[i] = &s.Cgroups[j]
	}
	return out
}
