package procview

import (
	"path"

	"github.com/nscope/nscope/inspect"
)

// Index is everything the views derive from one snapshot (and the rates
// since the previous one) that is costly to recompute per frame: container
// names, the init of every pid namespace, per-namespace CPU and memory.
// Build it once per snapshot with NewIndex; it is read-only afterwards.
type Index struct {
	Snap  *inspect.Snapshot
	Rates *Rates

	container map[int]string
	initOf    map[inspect.NSID]int
	// nsCPU and nsRSS are summed on first use: only the Namespaces view
	// needs them, and a host has thousands of processes times 8 types.
	nsCPU map[inspect.NSID]float64
	nsRSS map[inspect.NSID]int64
	// mtree is the tree of merged cgroups, built on first use.
	mtree *mergedTree
}

// NewIndex indexes snap. rates may be nil (no previous snapshot). An
// Index is meant for one goroutine (the UI's): some sums are computed on
// first use.
func NewIndex(snap *inspect.Snapshot, rates *Rates) *Index {
	ix := &Index{
		Snap:      snap,
		Rates:     rates,
		container: make(map[int]string),
		initOf:    map[inspect.NSID]int{},
	}
	for i := range snap.Processes {
		p := &snap.Processes[i]
		if pidns := p.NS[inspect.PIDNS]; !pidns.IsZero() && p.InnerPID() == 1 && pidns != snap.Host.InitNS[inspect.PIDNS] {
			ix.initOf[pidns] = p.PID
		}
	}
	// Most processes share a handful of cgroup paths; name each path once.
	byPath := map[string]string{}
	named := func(path string) string {
		name, ok := byPath[path]
		if !ok {
			name = ContainerFromCgroup(path)
			byPath[path] = name
		}
		return name
	}
	v2 := -1
	for i := range snap.Hierarchies {
		if snap.Hierarchies[i].Version == 2 {
			v2 = snap.Hierarchies[i].ID
		}
	}
	for i := range snap.Processes {
		p := &snap.Processes[i]
		if name := ix.containerOf(p, v2, named); name != "" {
			ix.container[p.PID] = name
		}
	}
	return ix
}

// containerOf names p's container from its cgroup paths (the v2 path
// first), else from the command of the init of its pid namespace when
// that is not the host's.
func (ix *Index) containerOf(p *inspect.Process, v2 int, named func(string) string) string {
	for _, c := range p.Cgroups {
		if c.Hierarchy == v2 {
			if name := named(c.Path); name != "" {
				return name
			}
		}
	}
	for _, c := range p.Cgroups {
		if c.Hierarchy != v2 {
			if name := named(c.Path); name != "" {
				return name
			}
		}
	}
	if init := ix.Snap.Process(ix.initOf[p.NS[inspect.PIDNS]]); init != nil {
		return init.Comm
	}
	return ""
}

// Refreshed returns an index of snap, a snapshot with the same structure
// as ix.Snap (the same processes, namespaces and cgroups in the same
// order, newer counters: a counter refresh of it), with rates. What
// depends only on the structure (container names, pid namespace inits)
// is reused, which makes it much cheaper than NewIndex.
func (ix *Index) Refreshed(snap *inspect.Snapshot, rates *Rates) *Index {
	return &Index{Snap: snap, Rates: rates, container: ix.container, initOf: ix.initOf}
}

// sumNamespaces adds up the members' CPU% and RSS per namespace.
func (ix *Index) sumNamespaces() {
	if ix.nsCPU != nil {
		return
	}
	ix.nsCPU = make(map[inspect.NSID]float64, len(ix.Snap.Namespaces))
	ix.nsRSS = make(map[inspect.NSID]int64, len(ix.Snap.Namespaces))
	for i := range ix.Snap.Processes {
		p := &ix.Snap.Processes[i]
		cpu, _ := ix.Rates.Process(p)
		for _, id := range p.NS {
			if !id.IsZero() {
				ix.nsCPU[id] += cpu
				ix.nsRSS[id] += p.RSSBytes
			}
		}
	}
}

// Container returns the container name of p, "" when it is in none.
func (ix *Index) Container(p *inspect.Process) string { return ix.container[p.PID] }

// PIDNamespaceInit returns the process that is PID 1 of the pid
// namespace id, or nil (the host's, or not seen).
func (ix *Index) PIDNamespaceInit(id inspect.NSID) *inspect.Process {
	if pid, ok := ix.initOf[id]; ok {
		return ix.Snap.Process(pid)
	}
	return nil
}

// Where returns the short answer to "where does p run": its container
// name, else its most specific cgroup path.
func (ix *Index) Where(p *inspect.Process) string {
	if c := ix.container[p.PID]; c != "" {
		return c
	}
	return PrimaryCgroup(ix.Snap, p)
}

// PrimaryCgroup returns p's most telling cgroup path: its v2 path on a
// unified host, otherwise the longest of its v1 paths (then its v2 path);
// "-" when it has none.
func PrimaryCgroup(snap *inspect.Snapshot, p *inspect.Process) string {
	best, v2 := "", ""
	for _, pc := range p.Cgroups {
		h := snap.Hierarchy(pc.Hierarchy)
		if h == nil {
			continue
		}
		if h.Version == 2 {
			if snap.CgroupMode == inspect.CgroupUnified {
				return pc.Path
			}
			v2 = pc.Path
			continue
		}
		if len(pc.Path) > len(best) {
			best = pc.Path
		}
	}
	switch {
	case best != "":
		return best
	case v2 != "":
		return v2
	}
	return "-"
}

// ProcessCPU returns p's CPU% (100 = one core) and whether it is known.
func (ix *Index) ProcessCPU(p *inspect.Process) (float64, bool) { return ix.Rates.Process(p) }

// NamespaceCPU returns the summed CPU% of n's member processes, and
// whether rates are known at all.
func (ix *Index) NamespaceCPU(n *inspect.Namespace) (float64, bool) {
	ix.sumNamespaces()
	return ix.nsCPU[n.ID], ix.Rates != nil && ix.Rates.Interval > 0
}

// NamespaceRSS returns the summed resident memory of n's members.
func (ix *Index) NamespaceRSS(n *inspect.Namespace) int64 {
	ix.sumNamespaces()
	return ix.nsRSS[n.ID]
}

// InNamespacePID returns the PID p has as seen from inside the pid
// namespace n, using p's NSpid chain, or 0 when p is not visible there
// (n is not p's pid namespace or an ancestor of it). For other namespace
// types it returns the PID inside p's own pid namespace.
func (ix *Index) InNamespacePID(p *inspect.Process, n *inspect.Namespace) int {
	if n.Type != inspect.PIDNS {
		return p.InnerPID()
	}
	own := ix.Snap.Namespace(p.NS[inspect.PIDNS])
	if own == nil || len(p.NSpid) == 0 {
		return 0
	}
	// Walk up from p's own pid namespace; each step up is one entry
	// further out in NSpid.
	steps := 0
	for ns := own; ns != nil; ns = ix.Snap.Namespace(ns.Parent) {
		if ns.ID == n.ID {
			i := len(p.NSpid) - 1 - steps
			if i < 0 {
				return 0
			}
			return p.NSpid[i]
		}
		steps++
		if ns.Parent.IsZero() || steps > len(p.NSpid) {
			break
		}
	}
	return 0
}

// Lookup returns the item k names in this snapshot: a *inspect.Namespace,
// *inspect.Process, *inspect.Cgroup or, for a merged key (MergedKey), a
// *MergedCgroup; or nil when it is gone (a process
// key whose PID now belongs to a newer process is gone too).
func (ix *Index) Lookup(k Key) any {
	switch k.Kind {
	case KindNamespace:
		if n := ix.Snap.Namespace(k.NS); n != nil {
			return n
		}
	case KindProcess:
		if p := ix.Snap.Process(k.PID); p != nil && p.StartTime.UnixNano() == k.Start {
			return p
		}
	case KindCgroup:
		if k.IsMerged() {
			if m := ix.MergedCgroup(k.Cgroup.Path); m != nil {
				return m
			}
			return nil
		}
		if c := ix.Snap.Cgroup(k.Cgroup.Hierarchy, k.Cgroup.Path); c != nil {
			return c
		}
	}
	return nil
}

// Ancestors returns the keys of the items above k in its tree, nearest
// first: what must be expanded to show k.
func (ix *Index) Ancestors(k Key) []Key {
	var out []Key
	switch k.Kind {
	case KindNamespace:
		n := ix.Snap.Namespace(k.NS)
		for i := 0; n != nil && i < maxTreeDepth; i++ {
			if n = ix.Snap.NamespaceTreeParent(n); n != nil {
				out = append(out, NamespaceKey(n.ID))
			}
		}
	case KindProcess:
		p := ix.Snap.Process(k.PID)
		for i := 0; p != nil && i < maxTreeDepth; i++ {
			if p.PPID == p.PID {
				break
			}
			if p = ix.Snap.Process(p.PPID); p != nil {
				out = append(out, ProcessKey(p))
			}
		}
	case KindCgroup:
		for p := k.Cgroup.Path; p != "/" && p != "." && p != ""; {
			p = path.Dir(p)
			if k.IsMerged() {
				if ix.MergedCgroup(p) != nil {
					out = append(out, MergedKey(p))
				}
				continue
			}
			if c := ix.Snap.Cgroup(k.Cgroup.Hierarchy, p); c != nil {
				out = append(out, CgroupKey(c))
			}
		}
	}
	return out
}
