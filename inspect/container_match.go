package inspect

import (
	"errors"
	"path"
	"sort"
	"strconv"
	"time"

	"github.com/nscope/nscope/inspect/runtimes"
)

// UnreadableRuntime counts runtime state files that could not be read or
// understood.
const UnreadableRuntime = "container runtime files"

// errUnknownFormat is what the status line says of a runtime file that
// was read but not understood.
var errUnknownFormat = errors.New("unknown format")

// matcher turns what the runtimes' files say into the snapshot's
// containers, checked against the kernel: it finds each container's
// init, its cgroups and namespaces, and marks the processes, cgroups and
// namespaces that belong to it.
type matcher struct {
	snap    *Snapshot
	systemd bool
	hint    func(path string) (runtimes.CgroupHint, bool)
	byKey   map[string]*Container
	list    []*Container
	// host are the initial namespaces.
	host NSSet
	// ownCg are the containers' own cgroups.
	ownCg map[CgroupKey]ContainerRef
	// claimed are the PIDs already some container's init.
	claimed map[int]bool
}

// claimRank orders the runtimes' claims on an init PID: the low-level
// runtimes' state comes last.
var claimRank = map[string]int{runtimes.Runc: 1, runtimes.Crun: 1}

// containerKey is how a container found by a runtime file, a cgroup path
// and a process meet: OCI runtimes share IDs, LXC, machines and nscope
// launches have names.
func containerKey(runtime, id string) string {
	switch runtime {
	case runtimes.LXC, runtimes.Nspawn, runtimes.Nscope:
		return runtime + ":" + id
	}
	return "oci:" + id
}

// attachContainers adds the discovered containers to snap and marks
// what belongs to each. snap must be sorted and indexed.
func (s *Scanner) attachContainers(snap *Snapshot, res runtimes.Result, bad *unreadableCounter) {
	for _, e := range res.Errors {
		err := e.Err
		var fe *runtimes.FormatError
		if errors.As(err, &fe) {
			err = errUnknownFormat
		}
		bad.add(UnreadableRuntime, e.Path, err)
	}
	for _, src := range res.Sources {
		snap.ContainerSources = append(snap.ContainerSources, ContainerSource(src))
	}
	m := &matcher{snap: snap, systemd: snap.Host.Systemd, hint: s.cgroupHint, byKey: map[string]*Container{},
		host: snap.Host.InitNS, claimed: map[int]bool{}}
	// A process is the init of one container: the runtime that names
	// containers claims it before the runc or crun state beneath it (a
	// state left behind, a PID recorded twice).
	order := make([]int, len(res.Records))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		return claimRank[res.Records[order[i]].Runtime] < claimRank[res.Records[order[j]].Runtime]
	})
	for _, i := range order {
		m.addRecord(&res.Records[i])
	}
	m.fromProcesses()
	m.fromCgroups()
	m.finish()
}

// addRecord adds the container a runtime file describes.
func (m *matcher) addRecord(r *runtimes.Record) {
	c := &Container{
		Runtime: r.Runtime, RuntimeNamespace: r.RuntimeNamespace, ID: r.ID, Name: r.Name, Image: r.Image,
		Labels: r.Labels, Infra: r.Infra, State: r.State, Created: r.Created, UID: r.UID, Source: r.Source,
		Limits: ContainerLimits(r.Limits),
	}
	if r.Pod != nil {
		c.Pod = &ContainerPod{Name: r.Pod.Name, Namespace: r.Pod.Namespace, UID: r.Pod.UID, ID: r.Pod.ID}
	}
	if r.Compose != nil {
		c.Compose = &ContainerCompose{Project: r.Compose.Project, Service: r.Compose.Service}
	}
	if r.PID > 0 {
		if p := m.snap.Process(r.PID); p != nil && !m.claimed[r.PID] && m.plausible(p, r) {
			c.InitPID = r.PID
			m.claimed[r.PID] = true
		} else {
			c.RuntimePID = r.PID
		}
	}
	if c.InitPID == 0 && r.CgroupsPath != "" && r.Runtime == runtimes.LXC {
		m.claim(c, m.initIn(r.CgroupsPath))
	}
	m.add(c)
}

// claim makes pid c's init unless it is 0 or another container's.
func (m *matcher) claim(c *Container, pid int) bool {
	if pid == 0 || m.claimed[pid] {
		return false
	}
	c.InitPID = pid
	m.claimed[pid] = true
	return true
}

// add registers a container; false when one with its key is there.
func (m *matcher) add(c *Container) bool {
	k := containerKey(c.Runtime, c.ID)
	if m.byKey[k] != nil {
		return false
	}
	m.byKey[k] = c
	m.list = append(m.list, c)
	return true
}

// plausible reports whether p can be the init the runtime recorded: the
// start time runc and crun record must match; otherwise a container with
// an OCI ID has it in a cgroup path, or at least a namespace of its own
// (a PID recorded by a runtime that is gone may have been reused).
func (m *matcher) plausible(p *Process, r *runtimes.Record) bool {
	if p.Kernel {
		return false
	}
	if r.PIDStart != 0 {
		return p.StartTime.Equal(m.snap.Host.BootTime.Add(time.Duration(r.PIDStart) * (time.Second / clockTicks)))
	}
	if len(r.ID) < 12 || !isHexString(r.ID) || len(p.Cgroups) == 0 {
		return true
	}
	for _, c := range p.Cgroups {
		if containsID(c.Path, r.ID) {
			return true
		}
	}
	return p.NS[PIDNS] != m.host[PIDNS] || p.NS[MntNS] != m.host[MntNS]
}

// fromProcesses finds the containers only their processes show:
// systemd-nspawn run without machined, and nscope's own launches.
func (m *matcher) fromProcesses() {
	var children map[int][]int
	for i := range m.snap.Processes {
		p := &m.snap.Processes[i]
		switch {
		case p.Comm == "systemd-nspawn":
			name, root, ok := runtimes.NspawnMachine(p.Cmdline)
			if !ok || name == "" {
				continue
			}
			if children == nil {
				children = m.children()
			}
			init := 0
			for _, kid := range children[p.PID] {
				if k := m.snap.Process(kid); k != nil && k.NS[PIDNS] != p.NS[PIDNS] {
					init = kid
					break
				}
			}
			m.fromProcess(runtimes.Nspawn, name, root, init, p.PID, "systemd-nspawn")
		case len(p.Cmdline) > 0 && p.Cmdline[0] == "nscope-init":
			// Launched by "nscope run": the cgroup is named after the launch.
			name := ""
			for _, c := range p.Cgroups {
				if c.Path != "/" {
					name = path.Base(c.Path)
					break
				}
			}
			if name != "" {
				m.fromProcess(runtimes.Nscope, name, "", p.PID, p.PID, "nscope-init")
			}
		}
	}
}

// fromProcess adds or completes a container found by a process.
func (m *matcher) fromProcess(runtime, name, image string, init, by int, what string) {
	if c := m.byKey[containerKey(runtime, name)]; c != nil {
		if c.InitPID == 0 {
			m.claim(c, init)
		}
		return
	}
	if m.claimed[init] {
		return // a runtime's file named it already
	}
	c := &Container{Runtime: runtime, ID: name, Name: name, Image: image, Source: "process " + strconv.Itoa(by) + " (" + what + ")"}
	m.claim(c, init)
	m.add(c)
}

// children returns the PIDs of each process's children.
func (m *matcher) children() map[int][]int {
	out := map[int][]int{}
	for i := range m.snap.Processes {
		p := &m.snap.Processes[i]
		out[p.PPID] = append(out[p.PPID], p.PID)
	}
	return out
}

// fromCgroups finds the init of containers whose runtime recorded none
// (LXC, a stopped docker container's state) by their cgroup, and adds the
// containers only a cgroup path names (no runtime file readable).
func (m *matcher) fromCgroups() {
	seen := map[string]bool{}
	visit := func(cgPath string) {
		h, ok := m.hint(cgPath)
		if !ok || h.Runtime == "" {
			return
		}
		k := containerKey(h.Runtime, h.ID)
		if seen[k] {
			return
		}
		seen[k] = true
		c := m.byKey[k]
		if c != nil && c.InitPID != 0 {
			return
		}
		init := m.initIn(h.Path)
		if init == 0 || m.claimed[init] {
			return
		}
		if c != nil {
			m.claim(c, init)
			return
		}
		name := h.ID
		if len(name) == 64 {
			name = name[:12]
		}
		c = &Container{Runtime: h.Runtime, ID: h.ID, Name: name, Source: "cgroup path"}
		m.claim(c, init)
		if h.PodUID != "" || h.PodID != "" {
			c.Pod = &ContainerPod{UID: h.PodUID, ID: h.PodID}
		}
		m.add(c)
	}
	if len(m.snap.Cgroups) > 0 {
		for i := range m.snap.Cgroups {
			if len(m.snap.Cgroups[i].Procs) > 0 {
				visit(m.snap.Cgroups[i].Path)
			}
		}
		return
	}
	paths := map[string]bool{}
	for i := range m.snap.Processes {
		for _, c := range m.snap.Processes[i].Cgroups {
			if !paths[c.Path] {
				paths[c.Path] = true
				visit(c.Path)
			}
		}
	}
}

// initIn returns the init of the container whose cgroup is cgPath (in
// any hierarchy): of the processes in it or beneath it whose parent is
// not, the one that is PID 1 in its pid namespace, else the earliest
// started. 0 when it has no process.
func (m *matcher) initIn(cgPath string) int {
	under := func(p *Process) bool {
		for _, c := range p.Cgroups {
			if c.Path == cgPath || (len(c.Path) > len(cgPath) && c.Path[:len(cgPath)] == cgPath && c.Path[len(cgPath)] == '/') {
				return true
			}
		}
		return false
	}
	var best *Process
	for i := range m.snap.Processes {
		p := &m.snap.Processes[i]
		if p.Kernel || !under(p) {
			continue
		}
		if parent := m.snap.Process(p.PPID); parent != nil && under(parent) {
			continue
		}
		switch {
		case best == nil:
			best = p
		case (p.InnerPID() == 1) != (best.InnerPID() == 1):
			if p.InnerPID() == 1 {
				best = p
			}
		case p.StartTime.Before(best.StartTime):
			best = p
		}
	}
	if best == nil {
		return 0
	}
	return best.PID
}

// finish fills each container from its init, marks what belongs to it
// and puts the containers in the snapshot.
func (m *matcher) finish() {
	snap := m.snap
	for _, c := range m.list {
		p := snap.Process(c.InitPID)
		if p == nil {
			c.InitPID = 0
			continue
		}
		c.Cgroups = append([]ProcCgroup(nil), p.Cgroups...)
		c.Namespaces = p.NS
	}
	m.markCgroups()
	m.markProcesses()
	m.markNamespaces()
	for _, c := range m.list {
		m.state(c)
		m.podCgroup(c)
	}
	sort.Slice(m.list, func(i, j int) bool {
		a, b := m.list[i], m.list[j]
		if a.Runtime != b.Runtime {
			return a.Runtime < b.Runtime
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	snap.Containers = make([]Container, len(m.list))
	for i, c := range m.list {
		snap.Containers[i] = *c
	}
	snap.indexContainers()
}

// ownCgroups returns the cgroups that are the container's own: its
// init's, except the root and those its init shares with its parent (a
// runtime that gave it no cgroup of its own in that hierarchy, as
// systemd-nspawn without systemd leaves the v1 controllers).
func (m *matcher) ownCgroups(c *Container) []CgroupKey {
	p := m.snap.Process(c.InitPID)
	if p == nil {
		return nil
	}
	parent := m.snap.Process(p.PPID)
	var out []CgroupKey
	for _, pc := range p.Cgroups {
		if pc.Path == "/" {
			continue
		}
		if parent != nil {
			if pp, ok := parent.CgroupPath(pc.Hierarchy); ok && pp == pc.Path {
				continue
			}
		}
		out = append(out, CgroupKey{pc.Hierarchy, pc.Path})
	}
	return out
}

// markCgroups gives each container's cgroups, and those nested in them,
// the container's reference (the innermost container's, for a container
// inside another's cgroup).
func (m *matcher) markCgroups() {
	own := map[CgroupKey]ContainerRef{}
	for _, c := range m.list {
		for _, k := range m.ownCgroups(c) {
			own[k] = c.Ref()
		}
	}
	if len(own) == 0 {
		return
	}
	cgs := m.snap.Cgroups
	marked := map[CgroupKey]ContainerRef{}
	for i := range cgs { // parents come before their children
		k := cgs[i].Key()
		ref, ok := own[k]
		if !ok && k.Path != "/" {
			ref, ok = marked[CgroupKey{k.Hierarchy, path.Dir(k.Path)}]
		}
		if ok {
			cgs[i].Container = ref
			marked[k] = ref
		}
	}
	m.ownCg = own
}
