package procview

import (
	"github.com/nscope/nscope/inspect"
)

// NamespaceRows flattens the namespace tree: user namespaces with the
// namespaces they own below them, pid namespaces nested in their parents
// (see inspect.Snapshot.NamespaceTreeParent); with opt.Nesting, the
// nesting tree (see NestingParent).
func (ix *Index) NamespaceRows(opt TreeOptions) []Row {
	s := ix.Snap
	if opt.Sort == SortCPU || opt.Sort == SortMemory {
		ix.sumNamespaces()
	}
	roots, children := s.NamespaceRoots(), func(n *inspect.Namespace) []*inspect.Namespace { return s.NamespaceChildren(n.ID) }
	if opt.Nesting {
		t := buildNestingTree(s)
		roots, children = t.roots, t.children
	}
	spec := treeSpec[*inspect.Namespace]{
		roots:             roots,
		children:          children,
		key:               func(n *inspect.Namespace) Key { return NamespaceKey(n.ID) },
		match:             opt.Filter.MatchNamespace,
		expandedByDefault: func(*inspect.Namespace) bool { return true },
		fill:              func(r *Row, n *inspect.Namespace) { r.Namespace = n },
		sortRoots:         true,
		size:              len(s.Namespaces),
	}
	switch opt.Sort {
	case SortCPU:
		spec.less = func(a, b *inspect.Namespace) bool {
			ca, cb := ix.nsCPU[a.ID], ix.nsCPU[b.ID]
			if ca != cb {
				return ca > cb
			}
			return nsNameLess(a, b)
		}
	case SortMemory:
		spec.less = func(a, b *inspect.Namespace) bool {
			ma, mb := ix.nsRSS[a.ID], ix.nsRSS[b.ID]
			if ma != mb {
				return ma > mb
			}
			return nsNameLess(a, b)
		}
	case SortPID:
		spec.less = func(a, b *inspect.Namespace) bool {
			pa, pb := lowestPID(a.Members), lowestPID(b.Members)
			if pa != pb {
				return pa < pb
			}
			return nsNameLess(a, b)
		}
	case SortName:
		if opt.Flat {
			spec.less = nsNameLess
		}
		// In the tree the snapshot order already is by name: user
		// namespaces first, then type, level and ID.
	}
	return flatten(spec, opt)
}

func nsNameLess(a, b *inspect.Namespace) bool {
	if a.Type != b.Type {
		return a.Type < b.Type
	}
	if a.Level != b.Level {
		return a.Level < b.Level
	}
	return a.ID.Ino < b.ID.Ino
}

// lowestPID returns the first (lowest) PID of an ascending list, or a
// large number for an empty one so that memberless items sort last.
func lowestPID(pids []int) int {
	if len(pids) == 0 {
		return int(^uint(0) >> 1)
	}
	return pids[0]
}

// ProcessRows flattens the process tree (by parent PID). Kernel threads
// start collapsed, so kthreadd's hundred workers stay out of the way
// until opened.
func (ix *Index) ProcessRows(opt TreeOptions) []Row {
	s := ix.Snap
	spec := treeSpec[*inspect.Process]{
		roots:             s.ProcessRoots(),
		children:          func(p *inspect.Process) []*inspect.Process { return s.ProcessChildren(p.PID) },
		key:               ProcessKey,
		match:             func(p *inspect.Process) bool { return opt.Filter.MatchProcess(p, ix.container[p.PID]) },
		expandedByDefault: func(p *inspect.Process) bool { return !p.Kernel },
		fill:              func(r *Row, p *inspect.Process) { r.Process = p },
		sortRoots:         true,
		size:              len(s.Processes),
	}
	switch opt.Sort {
	case SortCPU:
		spec.less = func(a, b *inspect.Process) bool {
			ca, _ := ix.Rates.Process(a)
			cb, _ := ix.Rates.Process(b)
			if ca != cb {
				return ca > cb
			}
			return a.PID < b.PID
		}
	case SortMemory:
		spec.less = func(a, b *inspect.Process) bool {
			if a.RSSBytes != b.RSSBytes {
				return a.RSSBytes > b.RSSBytes
			}
			return a.PID < b.PID
		}
	case SortName:
		spec.less = func(a, b *inspect.Process) bool {
			if a.Comm != b.Comm {
				return a.Comm < b.Comm
			}
			return a.PID < b.PID
		}
	case SortPID:
		if opt.Flat {
			spec.less = func(a, b *inspect.Process) bool { return a.PID < b.PID }
		}
		// In the tree, children already come by PID.
	}
	return flatten(spec, opt)
}

// CgroupRows flattens the cgroup tree of every hierarchy: one root row
// per hierarchy, in the snapshot's hierarchy order, children by path.
// Every row's Merged is its cgroup on its own (SingleCgroup).
func (ix *Index) CgroupRows(opt TreeOptions) []Row {
	s := ix.Snap
	spec := treeSpec[*inspect.Cgroup]{
		roots:             s.CgroupRoots(),
		children:          s.CgroupChildren,
		key:               CgroupKey,
		match:             opt.Filter.MatchCgroup,
		expandedByDefault: func(*inspect.Cgroup) bool { return true },
		fill:              func(r *Row, c *inspect.Cgroup) { r.Cgroup, r.Merged = c, SingleCgroup(c) },
		size:              len(s.Cgroups),
	}
	cores := func(c *inspect.Cgroup) float64 { return ix.Rates.Cgroup(c).CPUCores }
	switch opt.Sort {
	case SortCPU:
		spec.less = func(a, b *inspect.Cgroup) bool {
			if ca, cb := cores(a), cores(b); ca != cb {
				return ca > cb
			}
			return cgNameLess(a, b)
		}
	case SortMemory:
		spec.less = func(a, b *inspect.Cgroup) bool {
			if ma, mb := memoryOf(a), memoryOf(b); ma != mb {
				return ma > mb
			}
			return cgNameLess(a, b)
		}
	default:
		if opt.Flat {
			spec.less = cgNameLess
		}
	}
	return flatten(spec, opt)
}

// MergedCgroupRows flattens the merged cgroup tree: one row per path
// (see MergedCgroup), "/" at the top, children by name. Keys are
// MergedKeys; each row's Cgroup is its merged cgroup's Primary.
func (ix *Index) MergedCgroupRows(opt TreeOptions) []Row {
	t := ix.merged()
	spec := treeSpec[*MergedCgroup]{
		roots:             t.roots,
		children:          func(m *MergedCgroup) []*MergedCgroup { return t.kids[m.Path] },
		key:               func(m *MergedCgroup) Key { return MergedKey(m.Path) },
		match:             opt.Filter.MatchMerged,
		expandedByDefault: func(*MergedCgroup) bool { return true },
		fill:              func(r *Row, m *MergedCgroup) { r.Cgroup, r.Merged = m.Primary(), m },
		size:              len(t.byPath),
	}
	byName := func(a, b *MergedCgroup) bool { return a.Path < b.Path }
	switch opt.Sort {
	case SortCPU:
		spec.less = func(a, b *MergedCgroup) bool {
			if ca, cb := ix.MergedRate(a).CPUCores, ix.MergedRate(b).CPUCores; ca != cb {
				return ca > cb
			}
			return byName(a, b)
		}
	case SortMemory:
		spec.less = func(a, b *MergedCgroup) bool {
			if ma, mb := memoryOf(a.Memory), memoryOf(b.Memory); ma != mb {
				return ma > mb
			}
			return byName(a, b)
		}
	default:
		if opt.Flat {
			spec.less = byName
		}
	}
	return flatten(spec, opt)
}

// memoryOf is c's memory use, -1 when unknown (sorted last).
func memoryOf(c *inspect.Cgroup) int64 {
	if c == nil || c.Usage.MemoryCurrent == nil {
		return -1
	}
	return *c.Usage.MemoryCurrent
}

func cgNameLess(a, b *inspect.Cgroup) bool {
	if a.Path != b.Path {
		return a.Path < b.Path
	}
	return a.Hierarchy < b.Hierarchy
}
