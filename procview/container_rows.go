package procview

import (
	"sort"

	"github.com/nscope/nscope/inspect"
)

// ContainerCgroups are the cgroups a container's figures come from: its
// init's cgroup in the hierarchy that carries each controller (one
// cgroup for all on cgroup v2). A field is nil when the container has no
// cgroup there (it is stopped, or the host has no such hierarchy).
type ContainerCgroups struct {
	// CPU holds the quota and throttling (with the rates, CPU use);
	// Memory memory.current and its limit; Pids the pids counter and
	// limit; Freezer the frozen state.
	CPU, Memory, Pids, Freezer *inspect.Cgroup
}

// containerFigures are the hierarchies each controller lives in, and
// every container's cgroups there, worked out once per snapshot.
type containerFigures struct {
	cgroups map[inspect.ContainerRef]ContainerCgroups
}

// ContainerCgroupsOf returns the cgroups c's figures come from.
func (ix *Index) ContainerCgroupsOf(c *inspect.Container) ContainerCgroups {
	if ix.ctr == nil {
		ix.ctr = ix.containerFigures()
	}
	return ix.ctr.cgroups[c.Ref()]
}

// containerFigures finds every container's cgroup for each controller.
func (ix *Index) containerFigures() *containerFigures {
	s := ix.Snap
	var v2 *inspect.Hierarchy
	for i := range s.Hierarchies {
		if s.Hierarchies[i].Version == 2 {
			v2 = &s.Hierarchies[i]
		}
	}
	// A controller's hierarchy; on a v2 host without it (not enabled) the
	// v2 tree still counts CPU time and freezes.
	hier := func(controller string) *inspect.Hierarchy {
		if h := s.HierarchyFor(controller); h != nil {
			return h
		}
		return v2
	}
	cpu, mem, pids, freezer := hier("cpu"), hier("memory"), hier("pids"), hier("freezer")
	at := func(c *inspect.Container, h *inspect.Hierarchy) *inspect.Cgroup {
		if h == nil {
			return nil
		}
		return s.ContainerCgroup(c, h.ID)
	}
	f := &containerFigures{cgroups: make(map[inspect.ContainerRef]ContainerCgroups, len(s.Containers))}
	for i := range s.Containers {
		c := &s.Containers[i]
		f.cgroups[c.Ref()] = ContainerCgroups{CPU: at(c, cpu), Memory: at(c, mem), Pids: at(c, pids), Freezer: at(c, freezer)}
	}
	return f
}

// ContainerCPU returns c's CPU use in cores since the previous snapshot,
// and whether it is known.
func (ix *Index) ContainerCPU(c *inspect.Container) (float64, bool) {
	cg := ix.ContainerCgroupsOf(c).CPU
	if cg == nil {
		return 0, false
	}
	r := ix.Rates.Cgroup(cg)
	return r.CPUCores, r.HasCPU
}

// ContainerMemory returns c's memory.current, or -1 when unknown.
func (ix *Index) ContainerMemory(c *inspect.Container) int64 {
	if cg := ix.ContainerCgroupsOf(c).Memory; cg != nil && cg.Usage.MemoryCurrent != nil {
		return *cg.Usage.MemoryCurrent
	}
	return -1
}

// ContainerRows lists the containers opt.Filter matches (see
// MatchContainer), sorted by opt.Sort: name, init PID, CPU or memory.
// Running and paused containers come first in every order; stopped ones
// (no init) after them. The list is flat: a pod's containers are beside
// each other when sorted by name (RUNTIME:NAME, pod/NS/POD/NAME).
func (ix *Index) ContainerRows(opt TreeOptions) []Row {
	s := ix.Snap
	list := make([]*inspect.Container, 0, len(s.Containers))
	for i := range s.Containers {
		if c := &s.Containers[i]; opt.Filter.MatchContainer(c) {
			list = append(list, c)
		}
	}
	byName := func(a, b *inspect.Container) bool {
		if la, lb := ContainerLabel(a), ContainerLabel(b); la != lb {
			return la < lb
		}
		return a.ID < b.ID
	}
	less := byName
	switch opt.Sort {
	case SortPID:
		less = func(a, b *inspect.Container) bool {
			if a.InitPID != b.InitPID {
				return a.InitPID < b.InitPID
			}
			return byName(a, b)
		}
	case SortCPU:
		less = func(a, b *inspect.Container) bool {
			ca, _ := ix.ContainerCPU(a)
			cb, _ := ix.ContainerCPU(b)
			if ca != cb {
				return ca > cb
			}
			return byName(a, b)
		}
	case SortMemory:
		less = func(a, b *inspect.Container) bool {
			if ma, mb := ix.ContainerMemory(a), ix.ContainerMemory(b); ma != mb {
				return ma > mb
			}
			return byName(a, b)
		}
	}
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if ra, rb := a.InitPID != 0, b.InitPID != 0; ra != rb {
			return ra
		}
		return less(a, b)
	})
	rows := make([]Row, len(list))
	for i, c := range list {
		rows[i] = Row{Key: ContainerKey(c), Container: c, Last: i == len(list)-1}
	}
	return rows
}
