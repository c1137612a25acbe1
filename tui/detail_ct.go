package tui

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// containerDetail describes a container: what its runtime's files say
// (name, image, pod, compose project, state, the limits it believes),
// what the kernel says (its usage and the limits in force), and links to
// its init, namespaces, cgroups and processes.
func containerDetail(ix *procview.Index, c *inspect.Container) *detailBuilder {
	s := ix.Snap
	b := &detailBuilder{title: "Container " + procview.ContainerLabel(c)}
	rt := c.Runtime
	if c.RuntimeNamespace != "" {
		rt += " (namespace " + c.RuntimeNamespace + ")"
	}
	b.kv("name", seg{c.Name, roleAccent}, seg{"  " + rt, roleDim})
	b.kv("id", seg{c.ID, roleNormal})
	if c.Image != "" {
		b.kv("image", seg{c.Image, roleNormal})
	}
	state, sr := containerState(ix, c)
	b.kv("state", seg{state, sr}, seg{"  " + stateNote(c, state), roleDim})
	if !c.Created.IsZero() {
		b.kv("created", seg{c.Created.Local().Format("2006-01-02 15:04:05"), roleNormal},
			seg{" (" + ago(s.Time.Sub(c.Created)) + " before the snapshot)", roleDim})
	}
	if p := c.Pod; p != nil {
		pod := procview.ContainerPodText(c)
		extra := ""
		switch {
		case p.UID != "":
			extra = "  uid " + p.UID
		case p.ID != "" && p.Name != "":
			extra = "  id " + shortID(p.ID)
		}
		if c.Infra {
			extra += "  (its infra container: it holds the pod's shared namespaces)"
		}
		b.kv("pod", seg{pod, roleAccent}, seg{extra, roleDim})
	}
	if cp := c.Compose; cp != nil {
		b.kv("compose", seg{"project " + cp.Project + ", service " + cp.Service, roleAccent})
	}
	b.kv("source", seg{c.Source, roleDim})
	if init := s.Process(c.InitPID); init != nil {
		b.addLink(procview.ProcessKey(init), seg{"init ", roleLabel}, seg{strconv.Itoa(init.PID) + " " + commandLine(init), roleNormal})
	} else if c.RuntimePID != 0 {
		b.add(seg{"  init        ", roleLabel}, seg{fmt.Sprintf("PID %d, the runtime says, is gone or another process now", c.RuntimePID), roleWarn})
	}

	cg := ix.ContainerCgroupsOf(c)
	containerUsage(b, ix, c, cg)
	containerLimits(b, c, cg)
	containerNamespaces(b, ix, c)

	b.heading("Cgroups")
	if len(c.Cgroups) == 0 {
		b.add(seg{"  none: it is not running", roleDim})
	}
	for _, pc := range cgroupsInOrder(s, &inspect.Process{Cgroups: c.Cgroups}) {
		label := fmt.Sprintf("%-9s", hierarchyLabel(s.Hierarchy(pc.Hierarchy), pc))
		if g := s.Cgroup(pc.Hierarchy, pc.Path); g != nil {
			b.addLink(procview.CgroupKey(g), seg{label, roleLabel}, seg{" " + g.Path, roleNormal}, seg{cgroupSummary(ix, g), roleDim})
		} else {
			b.add(seg{"  ", roleNormal}, seg{label, roleLabel}, seg{" " + pc.Path, roleNormal}, seg{" (gone)", roleDim})
		}
	}
	if c.Pod != nil && c.Pod.Cgroup != "" {
		if g := podCgroup(s, c.Pod.Cgroup); g != nil {
			b.addLink(procview.CgroupKey(g), seg{"pod      ", roleLabel}, seg{" " + g.Path, roleNormal}, seg{"  the pod's own cgroup", roleDim})
		}
	}

	procs := s.ContainerProcesses(c)
	b.heading(fmt.Sprintf("Processes (%d)", len(procs)))
	for i, p := range procs {
		if i == maxListed {
			b.add(seg{fmt.Sprintf("  … and %d more", len(procs)-maxListed), roleDim})
			break
		}
		b.addLink(procview.ProcessKey(p), seg{fmt.Sprintf("%-7d %s", p.PID, commandLine(p)), roleNormal})
	}
	if len(c.Labels) > 0 {
		b.heading(fmt.Sprintf("Labels (%d)", len(c.Labels)))
		keys := make([]string, 0, len(c.Labels))
		for k := range c.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b.add(seg{"  " + k + "=", roleDim}, seg{c.Labels[k], roleNormal})
		}
	}
	return b
}

// stateNote says whose word the state is, and where the kernel disagrees.
func stateNote(c *inspect.Container, shown string) string {
	switch {
	case shown == "frozen":
		return c.Runtime + " says running; its cgroup is frozen (nscope freeze or a direct write, which " + c.Runtime + " does not see)"
	case c.InitPID == 0:
		return "no process: " + c.Runtime + "'s files name it, the kernel has nothing of it"
	}
	return "as " + c.Runtime + " says"
}

// containerUsage is the usage section: CPU, quota, throttling, memory
// and pids from the cgroup of each controller.
func containerUsage(b *detailBuilder, ix *procview.Index, c *inspect.Container, cg procview.ContainerCgroups) {
	if c.InitPID == 0 {
		return
	}
	b.heading("Usage")
	if cg.CPU != nil {
		cr := ix.Rates.Cgroup(cg.CPU)
		cpu := "-"
		if cr.HasCPU {
			cpu = procview.FormatCores(cr.CPUCores) + " cores"
		}
		extra := ""
		if cr.HasQuota {
			extra += "  " + procview.FormatPercent(cr.QuotaPercent) + " of its quota"
		}
		if cr.HasThrottle {
			extra += "  throttled in " + procview.FormatPercent(cr.ThrottledPercent) + " of the periods"
		}
		b.kv("CPU", seg{cpu, roleNormal}, seg{extra, roleDim})
	}
	if m := cg.Memory; m != nil && m.Usage.MemoryCurrent != nil {
		text := procview.FormatBytes(*m.Usage.MemoryCurrent)
		if l := m.Limits.MemoryMax; l != nil && *l != inspect.Unlimited {
			text += " of " + procview.FormatBytes(*l)
		}
		extra := ""
		if ev := m.Usage.MemoryEvents; ev != nil && ev.OOMKill > 0 {
			extra = fmt.Sprintf("  %d OOM kills", ev.OOMKill)
		}
		b.kv("memory", seg{text, roleNormal}, seg{extra, roleWarn})
	}
	if p := cg.Pids; p != nil && p.Usage.PidsCurrent != nil {
		b.kv("pids", seg{strconv.FormatInt(*p.Usage.PidsCurrent, 10) + " of " + procview.FormatLimit(p.Limits.PidsMax), roleNormal})
	}
}

// containerLimits sets the limits the runtime believes beside those in
// force in the cgroup files; a difference is a write the runtime did not
// make (nscope set, a direct write), which its own update command would
// overwrite.
func containerLimits(b *detailBuilder, c *inspect.Container, cg procview.ContainerCgroups) {
	if c.Limits.IsZero() && c.InitPID == 0 {
		return
	}
	b.heading("Limits: " + c.Runtime + "'s view · in force")
	rl := c.Limits
	differs := false
	row := func(label, believed, inForce string) {
		r := roleNormal
		if believed != inForce && inForce != "-" {
			r, differs = roleWarn, true
		}
		b.kv(label, seg{believed, roleNormal}, seg{" · ", roleDim}, seg{inForce, r})
	}
	cpu := func(q, p *int64) string {
		if q == nil {
			return "unlimited"
		}
		period := int64(100000)
		if p != nil {
			period = *p
		}
		return procview.FormatCPUQuota(*q, period)
	}
	bytes := func(v *int64) string {
		if v == nil || *v <= 0 || *v == inspect.Unlimited {
			return "unlimited"
		}
		return procview.FormatBytes(*v)
	}
	count := func(v *int64) string {
		if v == nil || *v <= 0 || *v == inspect.Unlimited {
			return "unlimited"
		}
		return strconv.FormatInt(*v, 10)
	}
	forced := func(g *inspect.Cgroup, f func(l *inspect.Limits) string) string {
		if g == nil {
			return "-"
		}
		return f(&g.Limits)
	}
	row("cpu", cpu(rl.CPUQuotaUS, rl.CPUPeriodUS), forced(cg.CPU, func(l *inspect.Limits) string {
		if l.CPUQuotaUS == nil {
			return "-"
		}
		return cpu(l.CPUQuotaUS, l.CPUPeriodUS)
	}))
	row("memory", bytes(rl.MemoryMax), forced(cg.Memory, func(l *inspect.Limits) string {
		if l.MemoryMax == nil {
			return "-"
		}
		return bytes(l.MemoryMax)
	}))
	row("pids", count(rl.PidsMax), forced(cg.Pids, func(l *inspect.Limits) string {
		if l.PidsMax == nil {
			return "-"
		}
		return count(l.PidsMax)
	}))
	if differs {
		note := c.Runtime + " does not see a direct write to its cgroup"
		switch c.Runtime {
		case "docker", "podman":
			note += `; "` + c.Runtime + ` update" would set its own value again`
		}
		b.add(seg{"  " + note, roleDim})
	}
}

// containerNamespaces lists the container's namespaces, each a link, and
// whether it is its own, the host's or another container's.
func containerNamespaces(b *detailBuilder, ix *procview.Index, c *inspect.Container) {
	if c.InitPID == 0 {
		return
	}
	s := ix.Snap
	b.heading("Namespaces")
	shared := map[inspect.NSType]inspect.SharedNamespace{}
	for _, sh := range c.Shared {
		shared[sh.Type] = sh
	}
	for _, t := range inspect.AllNSTypes {
		id := c.Namespaces[t]
		name := seg{fmt.Sprintf("%-6s", t), nsRole(t)}
		n := s.Namespace(id)
		if id.IsZero() || n == nil {
			b.add(seg{"  ", roleNormal}, name, seg{" not readable", roleDim})
			continue
		}
		rel := seg{"own", roleAccent}
		if sh, ok := shared[t]; ok {
			rel = seg{"shared with " + procview.SharedWith(ix.Snap, sh), roleWarn}
			if sh.With == inspect.SharedWithHost {
				rel = seg{"host's", roleDim}
			}
		}
		b.addLink(procview.NamespaceKey(n.ID), name, seg{" " + fmt.Sprintf("%-11s ", n.ID.String()), roleNormal}, rel)
	}
}

// podCgroup returns the pod's cgroup in the v2 hierarchy, else in the
// first hierarchy that has it.
func podCgroup(s *inspect.Snapshot, path string) *inspect.Cgroup {
	var found *inspect.Cgroup
	for i := range s.Hierarchies {
		h := &s.Hierarchies[i]
		if g := s.Cgroup(h.ID, path); g != nil && (found == nil || h.Version == 2 && s.CgroupMode == inspect.CgroupUnified) {
			found = g
		}
	}
	return found
}

// addContainerLink adds a link to the container ref names, as the
// process, cgroup and namespace details show where an item belongs.
func addContainerLink(b *detailBuilder, ix *procview.Index, ref inspect.ContainerRef, fallback string) {
	c := ix.Snap.Container(ref)
	if c == nil {
		if fallback != "" {
			b.kv("container", seg{fallback, roleAccent}, seg{"  (named by its cgroup path)", roleDim})
		}
		return
	}
	extra := "  " + c.Runtime
	if c.Image != "" {
		extra += "  " + c.Image
	}
	if pod := procview.ContainerPodText(c); pod != "-" {
		extra += "  " + pod
	}
	b.addLink(procview.ContainerKey(c), seg{"container ", roleLabel}, seg{c.Name, roleAccent}, seg{extra, roleDim})
}

// addMergedContainerLink adds the link to the container the cgroups of m
// belong to (see addContainerLink).
func addMergedContainerLink(b *detailBuilder, ix *procview.Index, m *procview.MergedCgroup) {
	if c := ix.MergedContainer(m); c != nil {
		addContainerLink(b, ix, c.Ref(), "")
		return
	}
	if p := m.Primary(); p != nil {
		addContainerLink(b, ix, inspect.ContainerRef{}, ix.CgroupContainer(p))
	}
}
