package inspect

import (
	"path"

	"github.com/nscope/nscope/inspect/runtimes"
)

// markProcesses gives each process the reference of the container whose
// cgroup it is in; a container's init, and the processes in a
// container's own pid namespace that no cgroup placed (a runtime that
// made no cgroup of its own), get it too.
func (m *matcher) markProcesses() {
	snap := m.snap
	if len(snap.Cgroups) > 0 {
		for i := range snap.Cgroups {
			cg := &snap.Cgroups[i]
			if cg.Container.IsZero() {
				continue
			}
			for _, pid := range cg.Procs {
				if p := snap.Process(pid); p != nil && p.Container.IsZero() {
					p.Container = cg.Container
				}
			}
		}
	} else if len(m.ownCg) > 0 {
		m.markProcessesByPath()
	}
	pidns := map[NSID]ContainerRef{}
	for _, c := range m.list {
		p := snap.Process(c.InitPID)
		if p == nil {
			continue
		}
		p.Container = c.Ref()
		if id := p.NS[PIDNS]; p.InnerPID() == 1 && !id.IsZero() && id != m.host[PIDNS] {
			if _, dup := pidns[id]; !dup {
				pidns[id] = c.Ref()
			}
		}
	}
	if len(pidns) == 0 {
		return
	}
	for i := range snap.Processes {
		p := &snap.Processes[i]
		if ref, ok := pidns[p.NS[PIDNS]]; ok && p.Container.IsZero() {
			p.Container = ref
		}
	}
}

// markProcessesByPath places processes by their /proc cgroup paths, for
// a snapshot taken without the cgroup walk.
func (m *matcher) markProcessesByPath() {
	memo := map[CgroupKey]ContainerRef{}
	var lookup func(k CgroupKey) ContainerRef
	lookup = func(k CgroupKey) ContainerRef {
		if ref, ok := memo[k]; ok {
			return ref
		}
		ref, ok := m.ownCg[k]
		if !ok && k.Path != "/" && k.Path != "" && k.Path != "." {
			ref = lookup(CgroupKey{k.Hierarchy, path.Dir(k.Path)})
		}
		memo[k] = ref
		return ref
	}
	for i := range m.snap.Processes {
		p := &m.snap.Processes[i]
		for _, pc := range p.Cgroups {
			if ref := lookup(CgroupKey{pc.Hierarchy, pc.Path}); !ref.IsZero() {
				p.Container = ref
				break
			}
		}
	}
}

// markNamespaces says which namespaces each container shares and gives
// every namespace a container made that container's reference. Of the
// containers whose inits share a namespace, the one whose init started
// first made it (a pod's infra container, the target of --network
// container:X). A namespace no init is in belongs to a container when
// all its processes do (one made inside the container).
func (m *matcher) markNamespaces() {
	snap := m.snap
	owner := map[NSID]*Container{}
	first := func(a, b *Container) bool {
		pa, pb := snap.Process(a.InitPID), snap.Process(b.InitPID)
		if !pa.StartTime.Equal(pb.StartTime) {
			return pa.StartTime.Before(pb.StartTime)
		}
		return pa.PID < pb.PID
	}
	for _, c := range m.list {
		if c.InitPID == 0 {
			continue
		}
		for t := range NumNSTypes {
			id := c.Namespaces[t]
			if id.IsZero() || id == m.host[t] {
				continue
			}
			if o := owner[id]; o == nil || first(c, o) {
				owner[id] = c
			}
		}
	}
	for _, c := range m.list {
		if c.InitPID == 0 {
			continue
		}
		for t := range NumNSTypes {
			id := c.Namespaces[t]
			switch {
			case id.IsZero():
			case id == m.host[t]:
				c.Shared = append(c.Shared, SharedNamespace{Type: NSType(t), With: SharedWithHost})
			case owner[id] != c:
				ref := owner[id].Ref()
				c.Shared = append(c.Shared, SharedNamespace{Type: NSType(t), With: SharedWithContainer, Container: &ref})
			}
		}
	}
	for i := range snap.Namespaces {
		n := &snap.Namespaces[i]
		if n.Initial {
			continue
		}
		if o := owner[n.ID]; o != nil {
			n.Container = o.Ref()
			continue
		}
		var ref ContainerRef
		for _, pid := range n.Members {
			p := snap.Process(pid)
			if p == nil || p.Container.IsZero() || (!ref.IsZero() && ref != p.Container) {
				ref = ContainerRef{}
				break
			}
			ref = p.Container
		}
		n.Container = ref
	}
}

// stateFromKernel lists the runtimes that keep no state word of their
// own (or only "created"): the kernel says running, paused or stopped.
var stateFromKernel = map[string]bool{
	runtimes.Runc: true, runtimes.Crun: true, runtimes.Containerd: true, runtimes.CRIO: true,
	runtimes.LXC: true, runtimes.Nspawn: true, runtimes.Nscope: true, runtimes.K8s: true,
}

// state sets the state of a container whose runtime keeps none.
func (m *matcher) state(c *Container) {
	if c.State != "" && !stateFromKernel[c.Runtime] {
		return
	}
	switch {
	case c.InitPID == 0:
		c.State = "stopped"
	case c.State == "created":
	case m.frozen(c):
		c.State = "paused"
	default:
		c.State = "running"
	}
}

// frozen reports whether one of the container's own cgroups is frozen.
func (m *matcher) frozen(c *Container) bool {
	for _, pc := range c.Cgroups {
		if cg := m.snap.Cgroup(pc.Hierarchy, pc.Path); cg != nil && cg.Limits.Frozen != nil && *cg.Limits.Frozen {
			return true
		}
	}
	return false
}

// podCgroup fills in the pod's cgroup from the container's cgroup path.
func (m *matcher) podCgroup(c *Container) {
	if len(c.Cgroups) == 0 {
		return
	}
	for _, pc := range c.Cgroups {
		h, ok := m.hint(pc.Path)
		if !ok || h.PodPath == "" {
			continue
		}
		if c.Pod == nil {
			c.Pod = &ContainerPod{}
		}
		if c.Pod.UID == "" {
			c.Pod.UID = h.PodUID
		}
		if c.Pod.ID == "" {
			c.Pod.ID = h.PodID
		}
		c.Pod.Cgroup = h.PodPath
		return
	}
}
