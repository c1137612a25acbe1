package procview

import (
	"strings"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/inspect/runtimes"
)

// ContainerLabel is how rows and tables name a container: RUNTIME:NAME,
// or pod/NAMESPACE/POD/CONTAINER for a Kubernetes container (see
// inspect.ContainerTarget), a form every command takes as a target.
func ContainerLabel(c *inspect.Container) string { return inspect.ContainerTarget(c) }

// ContainerFromCgroup names the container a cgroup path stands for,
// "RUNTIME:ID" with docker's 12-character short ID ("docker:3f4e5d6c7b8a",
// "lxc:web01"), as runtimes.FromCgroupPath reads the path. It is the
// fallback for a snapshot without containers (saved before nscope read
// the runtimes' files, or a fixture); a scan's own references are better,
// as they come from the runtimes' state. A pod's own cgroup is no
// container: "" for it, and for a path that names none.
func ContainerFromCgroup(path string) string { return cgroupPathLabel(path, false) }

// cgroupPathLabel is ContainerFromCgroup where systemd says whether
// systemd is the service manager (only then does machine-NAME.scope name
// an nspawn machine).
func cgroupPathLabel(path string, systemd bool) string {
	h, ok := runtimes.FromCgroupPath(path, systemd)
	if !ok || h.Runtime == "" {
		return ""
	}
	return inspect.ContainerRef{Runtime: h.Runtime, ID: h.ID}.String()
}

// containerNames are the container names an Index shows, worked out once
// per full scan: from the snapshot's references when it has containers,
// else from cgroup paths.
type containerNames struct {
	// fromPaths says the snapshot has no containers: names come from
	// cgroup paths (ContainerFromCgroup).
	fromPaths bool
	systemd   bool
	// byRef labels each container; byPID each process in one.
	byRef map[inspect.ContainerRef]string
	byPID map[int]string
	// byPath caches the labels of cgroup paths, byNS those of namespaces
	// (fromPaths only).
	byPath map[string]string
	byNS   map[inspect.NSID]string
}

// newContainerNames names the containers of snap and of its processes.
func newContainerNames(snap *inspect.Snapshot) *containerNames {
	cn := &containerNames{
		fromPaths: len(snap.Containers) == 0,
		systemd:   snap.Host.Systemd,
		byPID:     make(map[int]string),
	}
	if !cn.fromPaths {
		cn.byRef = make(map[inspect.ContainerRef]string, len(snap.Containers))
		for i := range snap.Containers {
			c := &snap.Containers[i]
			cn.byRef[c.Ref()] = ContainerLabel(c)
		}
		for i := range snap.Processes {
			p := &snap.Processes[i]
			if name := cn.ref(p.Container); name != "" {
				cn.byPID[p.PID] = name
			}
		}
		return cn
	}
	cn.byPath = map[string]string{}
	v2 := -1
	for i := range snap.Hierarchies {
		if snap.Hierarchies[i].Version == 2 {
			v2 = snap.Hierarchies[i].ID
		}
	}
	for i := range snap.Processes {
		p := &snap.Processes[i]
		if name := cn.fromProcessPaths(p, v2); name != "" {
			cn.byPID[p.PID] = name
		}
	}
	return cn
}

// ref returns the label of the container ref names; "" for none. A
// reference to a container the snapshot does not list still has a name.
func (cn *containerNames) ref(r inspect.ContainerRef) string {
	if r.IsZero() {
		return ""
	}
	if name, ok := cn.byRef[r]; ok {
		return name
	}
	return r.String()
}

// path returns the label a cgroup path gives (fromPaths only), cached:
// most processes share a handful of paths.
func (cn *containerNames) path(p string) string {
	name, ok := cn.byPath[p]
	if !ok {
		name = cgroupPathLabel(p, cn.systemd)
		cn.byPath[p] = name
	}
	return name
}

// fromProcessPaths names p's container from its cgroup paths, the v2
// path first. A process in no container's cgroup is in none: a plain
// unshare's init is no container, whatever namespaces it made.
func (cn *containerNames) fromProcessPaths(p *inspect.Process, v2 int) string {
	for _, c := range p.Cgroups {
		if c.Hierarchy == v2 {
			if name := cn.path(c.Path); name != "" {
				return name
			}
		}
	}
	for _, c := range p.Cgroups {
		if c.Hierarchy != v2 {
			if name := cn.path(c.Path); name != "" {
				return name
			}
		}
	}
	return ""
}

// Container returns the name of p's container (ContainerLabel), "" when
// it is in none.
func (ix *Index) Container(p *inspect.Process) string { return ix.names.byPID[p.PID] }

// ContainerOf returns p's container, or nil (in none, or the snapshot
// has no containers).
func (ix *Index) ContainerOf(p *inspect.Process) *inspect.Container {
	return ix.Snap.Container(p.Container)
}

// CgroupContainer returns the name of the container whose cgroup c is (or
// is nested in), "" for none.
func (ix *Index) CgroupContainer(c *inspect.Cgroup) string {
	if ix.names.fromPaths {
		return ix.names.path(c.Path)
	}
	return ix.names.ref(c.Container)
}

// CgroupStartsContainer reports whether c is where a container's cgroups
// begin: it belongs to a container its parent does not belong to.
func (ix *Index) CgroupStartsContainer(c *inspect.Cgroup) (string, bool) {
	name := ix.CgroupContainer(c)
	if name == "" || c.Path == "/" {
		return "", false
	}
	if ix.names.fromPaths {
		return name, name != ix.names.path(parentPath(c.Path))
	}
	parent := ix.Snap.Cgroup(c.Hierarchy, parentPath(c.Path))
	return name, parent == nil || parent.Container != c.Container
}

// MatchProcess reports whether f matches p or, by its name, image, pod or
// compose project, the container p belongs to.
func (ix *Index) MatchProcess(f Filter, p *inspect.Process) bool {
	return f.MatchProcess(p, ix.Container(p)) || f.matchContainerText(ix.ContainerOf(p))
}

// MergedContainer returns the container one of m's cgroups belongs to,
// or nil.
func (ix *Index) MergedContainer(m *MergedCgroup) *inspect.Container {
	for _, c := range m.Cgroups {
		if !c.Container.IsZero() {
			return ix.Snap.Container(c.Container)
		}
	}
	return nil
}

// NamespaceContainer returns the name of the container that made n, ""
// for none (a namespace a container shares with the host or borrows from
// another container is not its own; see inspect.Namespace.Container). In
// a snapshot without containers, a namespace that is not the host's
// belongs to a container when all its processes do.
func (ix *Index) NamespaceContainer(n *inspect.Namespace) string {
	if !ix.names.fromPaths {
		return ix.names.ref(n.Container)
	}
	if n.Initial || len(n.Members) == 0 {
		return ""
	}
	cn := ix.names
	if name, ok := cn.byNS[n.ID]; ok {
		return name
	}
	name := cn.byPID[n.Members[0]]
	for _, pid := range n.Members[1:] {
		if cn.byPID[pid] != name {
			name = ""
			break
		}
	}
	if cn.byNS == nil {
		cn.byNS = map[inspect.NSID]string{}
	}
	cn.byNS[n.ID] = name
	return name
}

// ContainerName returns the label of the container ref names, "" for
// the zero reference.
func (ix *Index) ContainerName(ref inspect.ContainerRef) string { return ix.names.ref(ref) }

// parentPath is path.Dir for cgroup paths ("/a/b" → "/a", "/a" → "/").
func parentPath(p string) string {
	for i := len(p) - 1; i > 0; i-- {
		if p[i] == '/' {
			return p[:i]
		}
	}
	return "/"
}

// ContainerPodText names what groups a container: NAMESPACE/POD for a
// Kubernetes pod, the podman pod's name ("pod ID12" when it has none),
// or compose:PROJECT; "-" for none.
func ContainerPodText(c *inspect.Container) string {
	switch {
	case c.Pod != nil && c.Pod.Namespace != "":
		return c.Pod.Namespace + "/" + c.Pod.Name
	case c.Pod != nil && c.Pod.Name != "":
		return c.Pod.Name
	case c.Pod != nil && c.Pod.ID != "":
		return "pod " + shortContainerID(c.Pod.ID)
	case c.Compose != nil && c.Compose.Project != "":
		return "compose:" + c.Compose.Project
	}
	return "-"
}

// sharedTypes are the namespaces ContainerSharedText reports: those whose
// sharing changes what a container sees or reaches (the JSON and the
// details have every type).
var sharedTypes = map[inspect.NSType]bool{
	inspect.NetNS: true, inspect.PIDNS: true, inspect.IPCNS: true, inspect.UTSNS: true, inspect.MntNS: true,
}

// ContainerSharedText lists the namespaces c shares with the host or
// another container: "net=host,pid=host", "net=web-infra"; "-" for none.
func ContainerSharedText(snap *inspect.Snapshot, c *inspect.Container) string {
	var parts []string
	for _, s := range c.Shared {
		if sharedTypes[s.Type] {
			parts = append(parts, s.Type.String()+"="+SharedWith(snap, s))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}

// SharedWith names what a shared namespace is shared with: "host", or
// the name of the container that made it.
func SharedWith(snap *inspect.Snapshot, s inspect.SharedNamespace) string {
	if s.Container == nil {
		return s.With
	}
	if o := snap.Container(*s.Container); o != nil {
		return o.Name
	}
	return s.Container.String()
}

// shortContainerID is the 12-character form docker ps shows.
func shortContainerID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
