package procview

import (
	"path"
	"sort"
	"strings"

	"github.com/nscope/nscope/inspect"
)

// MergedHierarchy is the Hierarchy of a merged cgroup's key (see
// MergedKey): the cgroup with one path in every hierarchy that has it.
const MergedHierarchy = -1

// MergedCgroup is one cgroup path across the hierarchies that have it:
// on a hybrid or v1 host the controllers live in separate hierarchies,
// and the numbers of /a come from /a in each of them (the quota from the
// cpu hierarchy, the memory from the memory hierarchy, ...). On a
// unified host a path has one cgroup and every field is that cgroup.
// "nscope cg" prints one line per MergedCgroup and the Cgroups view one
// row.
type MergedCgroup struct {
	Path string
	// Cgroups are the cgroups with this path, in the snapshot's order.
	Cgroups []*inspect.Cgroup
	// CPU holds the CPU limits and the throttling counters (cpu.max or
	// cpu.cfs_quota_us, cpu.weight or cpu.shares, cpu.stat nr_periods);
	// CPUUsage the CPU time used (v2 cpu.stat usage_usec, v1
	// cpuacct.usage); Memory, Pids, Freezer, PSI and IO theirs. Each is
	// nil when no hierarchy has it at this path.
	CPU, CPUUsage, Memory, Pids, Freezer, PSI, IO *inspect.Cgroup
	// Procs are the PIDs that are in this path in any hierarchy,
	// ascending.
	Procs []int
}

// Primary returns the cgroup that stands for m where one must be picked
// (the selection an explanation describes): the CPU one, else the one
// with the CPU usage, else memory, else the first.
func (m *MergedCgroup) Primary() *inspect.Cgroup {
	for _, c := range []*inspect.Cgroup{m.CPU, m.CPUUsage, m.Memory} {
		if c != nil {
			return c
		}
	}
	if len(m.Cgroups) > 0 {
		return m.Cgroups[0]
	}
	return nil
}

// Frozen reports whether the freezer that the cgroup has says frozen.
func (m *MergedCgroup) Frozen() bool {
	return m.Freezer != nil && m.Freezer.Limits.Frozen != nil && *m.Freezer.Limits.Frozen
}

// SingleCgroup returns c as a MergedCgroup of its own, every field c:
// a row of the per-hierarchy tree, drawn by the same cells as a merged
// one (a field whose numbers c lacks shows none either way).
func SingleCgroup(c *inspect.Cgroup) *MergedCgroup {
	return &MergedCgroup{Path: c.Path, Cgroups: []*inspect.Cgroup{c}, CPU: c, CPUUsage: c, Memory: c, Pids: c, Freezer: c, PSI: c, IO: c, Procs: c.Procs}
}

// MergeCgroups returns one MergedCgroup per cgroup path of snap, parents
// first and each parent's children right after it, by name. With only
// set, it returns the cgroups of that hierarchy alone, each on its own.
func MergeCgroups(snap *inspect.Snapshot, only *inspect.Hierarchy) []*MergedCgroup {
	var out []*MergedCgroup
	if only != nil {
		for i := range snap.Cgroups {
			if c := &snap.Cgroups[i]; c.Hierarchy == only.ID {
				out = append(out, SingleCgroup(c))
			}
		}
	} else {
		for _, m := range mergeByPath(snap) {
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return PathLess(out[i].Path, out[j].Path) })
	return out
}

// mergeByPath groups snap's cgroups by path and picks, for each kind of
// number, the cgroup that carries it.
func mergeByPath(snap *inspect.Snapshot) map[string]*MergedCgroup {
	byPath := make(map[string]*MergedCgroup, len(snap.Cgroups)/max(1, len(snap.Hierarchies)))
	for i := range snap.Cgroups {
		c := &snap.Cgroups[i]
		h := snap.Hierarchy(c.Hierarchy)
		if h == nil {
			continue
		}
		m := byPath[c.Path]
		if m == nil {
			m = &MergedCgroup{Path: c.Path}
			byPath[c.Path] = m
		}
		m.Cgroups = append(m.Cgroups, c)
		m.take(h, c)
	}
	for _, m := range byPath {
		m.Procs = unionProcs(m.Cgroups)
	}
	return byPath
}

// take makes c the source of what it carries, by these rules: a CPU
// cgroup with a quota beats one without (v1 cpu mounted apart from
// cpuacct); the CPU usage comes from v2, else from the cpuacct
// hierarchy; the v1 freezer beats the v2 one, as control's freeze
// prefers it; PSI and io.max come from v2.
func (m *MergedCgroup) take(h *inspect.Hierarchy, c *inspect.Cgroup) {
	l, u := &c.Limits, &c.Usage
	if l.CPUQuotaUS != nil || u.NrPeriods != nil || l.CPUWeight != nil || l.CPUShares != nil {
		if m.CPU == nil || (m.CPU.Limits.CPUQuotaUS == nil && l.CPUQuotaUS != nil) {
			m.CPU = c
		}
	}
	if u.CPUUsageUS != nil && (m.CPUUsage == nil || h.Version == 2 || h.Has("cpuacct")) {
		m.CPUUsage = c
	}
	if l.MemoryMax != nil || u.MemoryCurrent != nil {
		m.Memory = c
	}
	if l.PidsMax != nil || u.PidsCurrent != nil {
		m.Pids = c
	}
	if l.Frozen != nil && (m.Freezer == nil || h.Version == 1) {
		m.Freezer = c
	}
	if u.PSI != nil && (m.PSI == nil || h.Version == 2) {
		m.PSI = c
	}
	if h.Version == 2 {
		m.IO = c
	}
}

// unionProcs merges the ascending member lists of cs.
func unionProcs(cs []*inspect.Cgroup) []int {
	switch len(cs) {
	case 0:
		return nil
	case 1:
		return cs[0].Procs
	}
	n := 0
	for _, c := range cs {
		n = max(n, len(c.Procs))
	}
	seen := make(map[int]bool, n)
	out := make([]int, 0, n)
	for _, c := range cs {
		for _, pid := range c.Procs {
			if !seen[pid] {
				seen[pid] = true
				out = append(out, pid)
			}
		}
	}
	sort.Ints(out)
	return out
}

// PathLess orders cgroup paths parents first, each parent's children
// right after it, by name.
func PathLess(a, b string) bool {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if as[i] != bs[i] {
			return as[i] < bs[i]
		}
	}
	return len(as) < len(bs)
}

// MergedKey returns the key of the merged cgroup with path p.
func MergedKey(p string) Key {
	return Key{Kind: KindCgroup, Cgroup: inspect.CgroupKey{Hierarchy: MergedHierarchy, Path: p}}
}

// IsMerged reports whether k is a merged cgroup's key.
func (k Key) IsMerged() bool {
	return k.Kind == KindCgroup && k.Cgroup.Hierarchy == MergedHierarchy
}

// mergedTree is the merged cgroups of one snapshot as a tree.
type mergedTree struct {
	byPath map[string]*MergedCgroup
	roots  []*MergedCgroup
	kids   map[string][]*MergedCgroup
}

// merged builds (once per Index) the tree of merged cgroups.
func (ix *Index) merged() *mergedTree {
	if ix.mtree != nil {
		return ix.mtree
	}
	t := &mergedTree{byPath: mergeByPath(ix.Snap), kids: map[string][]*MergedCgroup{}}
	for p, m := range t.byPath {
		if p == "/" {
			t.roots = append(t.roots, m)
			continue
		}
		parent := path.Dir(p)
		if _, ok := t.byPath[parent]; !ok {
			// Not reachable from a root: shown at the top rather than lost.
			t.roots = append(t.roots, m)
			continue
		}
		t.kids[parent] = append(t.kids[parent], m)
	}
	byName := func(ms []*MergedCgroup) {
		sort.Slice(ms, func(i, j int) bool { return ms[i].Path < ms[j].Path })
	}
	byName(t.roots)
	for _, ks := range t.kids {
		byName(ks)
	}
	ix.mtree = t
	return t
}

// MergedCgroup returns the merged cgroup with path p, or nil.
func (ix *Index) MergedCgroup(p string) *MergedCgroup { return ix.merged().byPath[p] }

// MergedChildren returns the merged cgroups directly below m, by name.
func (ix *Index) MergedChildren(m *MergedCgroup) []*MergedCgroup { return ix.merged().kids[m.Path] }

// MergedRate returns m's rates: CPU cores and the share of the quota
// from its CPU cgroup (whose rate already counts a v1 cpuacct twin's
// usage), else from the cgroup with the CPU usage; throttling from the
// CPU cgroup; memory events from the memory cgroup.
func (ix *Index) MergedRate(m *MergedCgroup) CgroupRate {
	var r CgroupRate
	if m.CPU != nil {
		r = ix.Rates.Cgroup(m.CPU)
	}
	if !r.HasCPU && m.CPUUsage != nil {
		u := ix.Rates.Cgroup(m.CPUUsage)
		r.CPUCores, r.HasCPU = u.CPUCores, u.HasCPU
	}
	r.NewOOMKills, r.NewMaxEvents = 0, 0
	if m.Memory != nil {
		mr := ix.Rates.Cgroup(m.Memory)
		r.NewOOMKills, r.NewMaxEvents = mr.NewOOMKills, mr.NewMaxEvents
	}
	return r
}

// CPUSource returns the cgroup whose CPU samples stand for m in a
// History: the CPU cgroup when its rates have the usage, else the one
// with the usage counter; nil when m has neither.
func (ix *Index) CPUSource(m *MergedCgroup) *inspect.Cgroup {
	if m.CPU != nil && ix.Rates.Cgroup(m.CPU).HasCPU {
		return m.CPU
	}
	if m.CPUUsage != nil {
		return m.CPUUsage
	}
	return m.CPU
}

// QuotaCoresOf returns m's CPU quota in cores, as QuotaCores does for
// its CPU cgroup.
func (ix *Index) QuotaCoresOf(m *MergedCgroup) (float64, bool) {
	if m.CPU == nil {
		return 0, false
	}
	return QuotaCores(ix.Snap, m.CPU)
}
