package inspect

// containerIndex finds a container and what belongs to it.
type containerIndex struct {
	byRef map[ContainerRef]int
	// procs, cgroups and namespaces hold indexes into the snapshot's
	// slices, in their order.
	procs      map[ContainerRef][]int
	cgroups    map[ContainerRef][]int
	namespaces map[ContainerRef][]int
}

// indexContainers builds the container lookups from the references on
// processes, cgroups and namespaces.
func (s *Snapshot) indexContainers() {
	x := containerIndex{byRef: make(map[ContainerRef]int, len(s.Containers))}
	for i := range s.Containers {
		x.byRef[s.Containers[i].Ref()] = i
	}
	if len(s.Containers) > 0 {
		x.procs, x.cgroups, x.namespaces = map[ContainerRef][]int{}, map[ContainerRef][]int{}, map[ContainerRef][]int{}
		for i := range s.Processes {
			if r := s.Processes[i].Container; !r.IsZero() {
				x.procs[r] = append(x.procs[r], i)
			}
		}
		for i := range s.Cgroups {
			if r := s.Cgroups[i].Container; !r.IsZero() {
				x.cgroups[r] = append(x.cgroups[r], i)
			}
		}
		for i := range s.Namespaces {
			if r := s.Namespaces[i].Container; !r.IsZero() {
				x.namespaces[r] = append(x.namespaces[r], i)
			}
		}
	}
	s.ctrIndex = x
}

// Container returns the container ref names, or nil.
func (s *Snapshot) Container(ref ContainerRef) *Container {
	if i, ok := s.ctrIndex.byRef[ref]; ok {
		return &s.Containers[i]
	}
	return nil
}

// ContainerOf returns the container the process with the PID belongs
// to, or nil.
func (s *Snapshot) ContainerOf(pid int) *Container {
	if p := s.Process(pid); p != nil && !p.Container.IsZero() {
		return s.Container(p.Container)
	}
	return nil
}

// ContainerProcesses returns the container's processes, by PID.
func (s *Snapshot) ContainerProcesses(c *Container) []*Process {
	idx := s.ctrIndex.procs[c.Ref()]
	out := make([]*Process, len(idx))
	for i, j := range idx {
		out[i] = &s.Processes[j]
	}
	return out
}

// ContainerCgroups returns the container's cgroups and the cgroups
// nested in them, in snapshot order.
func (s *Snapshot) ContainerCgroups(c *Container) []*Cgroup {
	idx := s.ctrIndex.cgroups[c.Ref()]
	out := make([]*Cgroup, len(idx))
	for i, j := range idx {
		out[i] = &s.Cgroups[j]
	}
	return out
}

// ContainerNamespaces returns the namespaces the container made (not the
// ones it shares with the host or borrows from another container), in
// snapshot order.
func (s *Snapshot) ContainerNamespaces(c *Container) []*Namespace {
	idx := s.ctrIndex.namespaces[c.Ref()]
	out := make([]*Namespace, len(idx))
	for i, j := range idx {
		out[i] = &s.Namespaces[j]
	}
	return out
}

// ContainerCgroup returns the container's own cgroup in the hierarchy
// with the given ID (the init's), or nil.
func (s *Snapshot) ContainerCgroup(c *Container, hierarchy int) *Cgroup {
	for _, pc := range c.Cgroups {
		if pc.Hierarchy == hierarchy {
			return s.Cgroup(pc.Hierarchy, pc.Path)
		}
	}
	return nil
}
