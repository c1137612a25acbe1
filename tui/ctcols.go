package tui

import (
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// containerColumns are the columns of the Containers view, as k9s and
// ctop show containers: NAME, RUNTIME, IMAGE, POD (or compose project),
// CPU in cores, QUOTA (CPU use as a share of the quota), THR (throttled
// periods), MEMORY against its limit, PIDS, STATE and the namespaces it
// SHARES. The figures are those of the container's cgroup in the
// hierarchy of each controller.
func containerColumns(total int) []column {
	memW := 18
	if total >= 120 {
		memW = 24
	}
	return []column{
		{title: "NAME", min: 12, cell: func(rc *renderCtx, r *procview.Row) (string, role) {
			c := r.Container
			if rc.isFresh(r.Key) {
				return freshMark + c.Name, roleFresh
			}
			if c.Infra || c.InitPID == 0 {
				return c.Name, roleDim
			}
			return c.Name, roleNormal
		}},
		{title: "RUNTIME", width: 10, prio: 3, cell: func(_ *renderCtx, r *procview.Row) (string, role) {
			return r.Container.Runtime, roleDim
		}},
		{title: "IMAGE", width: 14, prio: 4, cell: func(_ *renderCtx, r *procview.Row) (string, role) {
			return orDash(r.Container.Image), roleNormal
		}},
		{title: "POD", width: 14, prio: 5, cell: func(_ *renderCtx, r *procview.Row) (string, role) {
			return procview.ContainerPodText(r.Container), roleAccent
		}},
		{title: "CPU", width: 5, right: true, cell: func(rc *renderCtx, r *procview.Row) (string, role) {
			cores, ok := rc.ix.ContainerCPU(r.Container)
			if !ok {
				return "-", roleDim
			}
			return procview.FormatCores(cores), roleNormal
		}},
		{title: "QUOTA", width: 5, right: true, prio: 2, cell: func(rc *renderCtx, r *procview.Row) (string, role) {
			cr, ok := containerRate(rc, r.Container)
			if !ok || !cr.HasQuota {
				return "-", roleDim
			}
			return procview.FormatPercent(cr.QuotaPercent), usageRole(cr.QuotaPercent)
		}},
		{title: "THR", width: 4, right: true, prio: 6, cell: func(rc *renderCtx, r *procview.Row) (string, role) {
			cr, ok := containerRate(rc, r.Container)
			if !ok || !cr.HasThrottle {
				return "-", roleDim
			}
			return procview.FormatPercent(cr.ThrottledPercent), throttleRole(cr.ThrottledPercent)
		}},
		{title: "MEMORY", width: memW, prio: 1, draw: func(rc *renderCtx, r *procview.Row, w int, plain bool) string {
			cg := rc.ix.ContainerCgroupsOf(r.Container).Memory
			if cg == nil {
				return rc.paint(plain, roleDim, fit("-", w, false))
			}
			return memoryCell(rc, &procview.Row{Cgroup: cg, Merged: procview.SingleCgroup(cg)}, w, plain)
		}},
		{title: "PIDS", width: 7, right: true, prio: 7, cell: func(rc *renderCtx, r *procview.Row) (string, role) {
			cg := rc.ix.ContainerCgroupsOf(r.Container).Pids
			if cg == nil {
				return "-", roleDim
			}
			return pidsCell(rc, &procview.Row{Cgroup: cg, Merged: procview.SingleCgroup(cg)})
		}},
		{title: "STATE", width: 7, cell: func(rc *renderCtx, r *procview.Row) (string, role) {
			return containerState(rc.ix, r.Container)
		}},
		{title: "SHARED", width: 14, prio: 8, cell: func(rc *renderCtx, r *procview.Row) (string, role) {
			return procview.ContainerSharedText(rc.ix.Snap, r.Container), roleNormal
		}},
	}
}

// containerRate returns the rates of the container's CPU cgroup.
func containerRate(rc *renderCtx, c *inspect.Container) (procview.CgroupRate, bool) {
	cg := rc.ix.ContainerCgroupsOf(c).CPU
	if cg == nil {
		return procview.CgroupRate{}, false
	}
	return rc.ix.Rates.Cgroup(cg), true
}

// containerColumn is the CONTAINER column of the Namespaces and Cgroups
// views: the name of the container an item belongs to. prio says when it
// gives way on a narrow terminal (see column).
func containerColumn(prio int, name func(ix *procview.Index, r *procview.Row) string) column {
	return column{title: "CONTAINER", width: 16, prio: prio, cell: func(rc *renderCtx, r *procview.Row) (string, role) {
		if s := name(rc.ix, r); s != "" {
			return s, roleAccent
		}
		return "", roleDim
	}}
}

// namespaceContainerCell names the container that made a namespace.
func namespaceContainerCell(ix *procview.Index, r *procview.Row) string {
	return ix.NamespaceContainer(r.Namespace)
}

// cgroupContainerCell names the container a cgroup belongs to.
func cgroupContainerCell(ix *procview.Index, r *procview.Row) string {
	return ix.CgroupContainer(r.Cgroup)
}
