package tui

import (
	"path"
	"strconv"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// cgroupColumns are the columns of the Cgroups view.
func cgroupColumns(total int) []column {
	memW, sparkW := 18, 8
	if total >= 120 {
		memW, sparkW = 24, 16
	}
	return []column{
		{title: "CGROUP", min: 18, draw: func(rc *renderCtx, r *procview.Row, w int, plain bool) string {
			return treeLabel(rc, r, w, plain, cgroupLabel(rc.ix, r.Cgroup), cgroupRole(r.Cgroup))
		}},
		{title: "PROCS", width: 5, right: true, prio: 6, cell: func(_ *renderCtx, r *procview.Row) (string, role) {
			return strconv.Itoa(len(r.Cgroup.Procs)), roleNormal
		}},
		{title: "CPU", width: 5, right: true, cell: func(rc *renderCtx, r *procview.Row) (string, role) {
			cr := rc.ix.Rates.Cgroup(r.Cgroup)
			if !cr.HasCPU {
				return "-", roleDim
			}
			return procview.FormatCores(cr.CPUCores), roleNormal
		}},
		{title: "QUOTA", width: 5, right: true, prio: 2, cell: func(rc *renderCtx, r *procview.Row) (string, role) {
			cr := rc.ix.Rates.Cgroup(r.Cgroup)
			if !cr.HasQuota {
				return "-", roleDim
			}
			return procview.FormatPercent(cr.QuotaPercent), usageRole(cr.QuotaPercent)
		}},
		{title: "THR", width: 4, right: true, prio: 3, cell: func(rc *renderCtx, r *procview.Row) (string, role) {
			cr := rc.ix.Rates.Cgroup(r.Cgroup)
			if !cr.HasThrottle {
				return "-", roleDim
			}
			return procview.FormatPercent(cr.ThrottledPercent), throttleRole(cr.ThrottledPercent)
		}},
		{title: "MEMORY", width: memW, prio: 1, draw: memoryCell},
		{title: "OOM", width: 3, right: true, prio: 4, cell: func(rc *renderCtx, r *procview.Row) (string, role) {
			ev := r.Cgroup.Usage.MemoryEvents
			if ev == nil {
				return "-", roleDim
			}
			if rc.ix.Rates.Cgroup(r.Cgroup).NewOOMKills > 0 {
				return strconv.FormatInt(ev.OOMKill, 10), roleCrit
			}
			if ev.OOMKill > 0 {
				return strconv.FormatInt(ev.OOMKill, 10), roleWarn
			}
			return "0", roleDim
		}},
		{title: "PIDS", width: 7, right: true, prio: 3, cell: pidsCell},
		{title: "PSI cpu/mem/io", width: 14, right: true, prio: 7, cell: psiCell},
		containerColumn(8, cgroupContainerCell),
		{title: "HISTORY", width: sparkW, prio: 2, cell: func(rc *renderCtx, r *procview.Row) (string, role) {
			samples := rc.hist.CPU(r.Cgroup)
			return procview.Sparkline(samples, sparkW, sparkScale(rc.ix.Snap, r.Cgroup)), roleAccent
		}},
	}
}

// sparkScale is what a full sparkline bar stands for: the cgroup's CPU
// quota in cores, else all the host's CPUs (0, auto, when unknown).
func sparkScale(s *inspect.Snapshot, c *inspect.Cgroup) float64 {
	if q, ok := procview.QuotaCores(s, c); ok {
		return q
	}
	return float64(s.Host.CPUs)
}

// cgroupLabel is the name shown in the tree: the hierarchy for a root
// ("v2 /", "memory /"), a container name where a runtime's cgroup starts
// ("docker:3f4e5d6c7b8a"), else the last path component.
func cgroupLabel(ix *procview.Index, c *inspect.Cgroup) string {
	if c.Path == "/" {
		if h := ix.Snap.Hierarchy(c.Hierarchy); h != nil {
			return h.Label() + " /"
		}
		return "/"
	}
	if name, starts := ix.CgroupStartsContainer(c); starts {
		return name
	}
	return path.Base(c.Path)
}

// cgroupRole marks frozen cgroups.
func cgroupRole(c *inspect.Cgroup) role {
	if c.Limits.Frozen != nil && *c.Limits.Frozen {
		return roleWarn
	}
	return roleNormal
}

// throttleRole colours throttling: any is worth a look, a quarter of the
// periods is a problem.
func throttleRole(p float64) role {
	switch {
	case p >= 25:
		return roleCrit
	case p > 0:
		return roleWarn
	}
	return roleDim
}

// memoryCell draws "current/limit" and a usage bar coloured at 70% and
// 90% of the limit; without a limit only the current size.
func memoryCell(rc *renderCtx, r *procview.Row, w int, plain bool) string {
	u, l := r.Cgroup.Usage.MemoryCurrent, r.Cgroup.Limits.MemoryMax
	if u == nil {
		return rc.paint(plain, roleDim, fit("-", w, false))
	}
	cur := procview.FormatBytesShort(*u)
	if l == nil || *l == inspect.Unlimited || *l <= 0 {
		return rc.paint(plain, roleNormal, fit(cur, w, false))
	}
	text := cur + "/" + procview.FormatBytesShort(*l)
	barW := w - 10
	if barW < 3 {
		return rc.paint(plain, roleNormal, fit(text, w, false))
	}
	pct := float64(*u) / float64(*l) * 100
	filled, empty := bar(pct, barW)
	if plain {
		return fit(text, 10, false) + filled + empty
	}
	return fit(text, 10, false) + rc.st.of(usageRole(pct)).Render(filled) + rc.st.of(roleBarEmpty).Render(empty)
}

// paint renders text in role unless the row is drawn plain (selected).
func (rc *renderCtx) paint(plain bool, ro role, text string) string {
	if plain {
		return text
	}
	return rc.st.of(ro).Render(text)
}

// pidsCell shows "current/max" or the current count.
func pidsCell(_ *renderCtx, r *procview.Row) (string, role) {
	u, l := r.Cgroup.Usage.PidsCurrent, r.Cgroup.Limits.PidsMax
	if u == nil {
		return "-", roleDim
	}
	if l == nil || *l == inspect.Unlimited || *l <= 0 {
		return strconv.FormatInt(*u, 10), roleNormal
	}
	return strconv.FormatInt(*u, 10) + "/" + strconv.FormatInt(*l, 10), usageRole(float64(*u) / float64(*l) * 100)
}

// psiCell shows the "some" avg10 stall percentages of cpu, memory and io,
// "-" for each the kernel does not provide.
func psiCell(_ *renderCtx, r *procview.Row) (string, role) {
	psi := r.Cgroup.Usage.PSI
	if psi == nil {
		return "-", roleDim
	}
	f := func(p *inspect.Pressure) string {
		if p == nil {
			return "-"
		}
		return strconv.FormatFloat(p.Some.Avg10, 'f', 1, 64)
	}
	worst := 0.0
	for _, p := range []*inspect.Pressure{psi.CPU, psi.Memory, psi.IO} {
		if p != nil {
			worst = max(worst, p.Some.Avg10)
		}
	}
	ro := roleNormal
	if worst >= 10 {
		ro = usageRole(worst * 3)
	}
	return f(psi.CPU) + "/" + f(psi.Memory) + "/" + f(psi.IO), ro
}
