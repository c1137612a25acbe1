package tui

import (
	"path"
	"strconv"
	"strings"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// cgroupColumns are the columns of the Cgroups view. Every cell reads
// the row's Merged: a merged row takes each number from the hierarchy
// that carries it, a per-hierarchy row from its one cgroup.
func cgroupColumns(total int) []column {
	memW, sparkW := 17, 8
	if total >= 120 {
		memW, sparkW = 24, 16
	}
	return []column{
		{title: "CGROUP", min: 18, draw: func(rc *renderCtx, r *procview.Row, w int, plain bool) string {
			label := cgroupRowLabel(rc.ix.Snap, r)
			ro := roleNormal
			if r.Merged.Frozen() {
				label, ro = "FROZEN "+label, roleWarn
			}
			return treeLabel(rc, r, w, plain, label, ro)
		}},
		{title: "PROCS", width: 5, right: true, prio: 1, cell: func(_ *renderCtx, r *procview.Row) (string, role) {
			return strconv.Itoa(len(r.Merged.Procs)), roleNormal
		}},
		{title: "CPU", width: 5, right: true, cell: func(rc *renderCtx, r *procview.Row) (string, role) {
			cr := rc.ix.MergedRate(r.Merged)
			if !cr.HasCPU {
				return "-", roleDim
			}
			return procview.FormatCores(cr.CPUCores), roleNormal
		}},
		{title: "QUOTA", width: 5, right: true, prio: 2, cell: func(rc *renderCtx, r *procview.Row) (string, role) {
			cr := rc.ix.MergedRate(r.Merged)
			if !cr.HasQuota {
				return "-", roleDim
			}
			return procview.FormatPercent(cr.QuotaPercent), usageRole(cr.QuotaPercent)
		}},
		{title: "THR", width: 4, right: true, prio: 3, cell: func(rc *renderCtx, r *procview.Row) (string, role) {
			cr := rc.ix.MergedRate(r.Merged)
			if !cr.HasThrottle {
				return "-", roleDim
			}
			return procview.FormatPercent(cr.ThrottledPercent), throttleRole(cr.ThrottledPercent)
		}},
		{title: "MEMORY", width: memW, prio: 1, draw: memoryCell},
		{title: "OOM", width: 3, right: true, prio: 4, cell: func(rc *renderCtx, r *procview.Row) (string, role) {
			c := r.Merged.Memory
			if c == nil || c.Usage.MemoryEvents == nil {
				return "-", roleDim
			}
			ev := c.Usage.MemoryEvents
			if rc.ix.MergedRate(r.Merged).NewOOMKills > 0 {
				return strconv.FormatInt(ev.OOMKill, 10), roleCrit
			}
			if ev.OOMKill > 0 {
				return strconv.FormatInt(ev.OOMKill, 10), roleWarn
			}
			return "0", roleDim
		}},
		{title: "PIDS", width: 7, right: true, prio: 3, cell: pidsCell},
		{title: "PSI cpu/mem/io", width: 14, right: true, prio: 7, cell: psiCell},
		{title: "HISTORY", width: sparkW, prio: 2, draw: historyCell},
	}
}

// historyCell draws the CPU sparkline on a whole-core scale
// (procview.CPUScale: the quota does not rescale the past), the
// refreshes spent at the quota in the critical colour.
func historyCell(rc *renderCtx, r *procview.Row, w int, plain bool) string {
	src := rc.ix.CPUSource(r.Merged)
	samples, quotas := rc.hist.CPU(src), rc.hist.Quota(src)
	if len(samples) > w {
		cut := len(samples) - w
		samples = samples[cut:]
		if len(quotas) > cut {
			quotas = quotas[cut:]
		}
	}
	line := procview.Sparkline(samples, w, procview.CPUScale(samples, quotas, rc.ix.Snap.Host.CPUs))
	if plain {
		return line
	}
	cells := []rune(line)
	at := procview.AtQuota(samples, quotas)
	pad := len(cells) - len(samples)
	var b strings.Builder
	b.WriteString(string(cells[:pad]))
	for i, c := range cells[pad:] {
		ro := roleAccent
		if at[i] {
			ro = roleCrit
		}
		b.WriteString(rc.st.of(ro).Render(string(c)))
	}
	return b.String()
}

// cgroupRowLabel is the name a cgroup row shows: "/" for the merged
// root, else as cgroupLabel says.
func cgroupRowLabel(snap *inspect.Snapshot, r *procview.Row) string {
	if r.Key.IsMerged() {
		if r.Merged.Path == "/" {
			return "/"
		}
		return pathLabel(r.Merged.Path)
	}
	return cgroupLabel(snap, r.Cgroup)
}

// cgroupLabel is the name shown in the tree: the hierarchy for a root
// ("v2 /", "memory /"), a container name where a runtime's cgroup starts
// ("docker:3f4e5d6c7b8a"), else the last path component.
func cgroupLabel(snap *inspect.Snapshot, c *inspect.Cgroup) string {
	if c.Path == "/" {
		if h := snap.Hierarchy(c.Hierarchy); h != nil {
			return h.Label() + " /"
		}
		return "/"
	}
	return pathLabel(c.Path)
}

// pathLabel is a container name where a runtime's cgroup starts, else
// the last component of p.
func pathLabel(p string) string {
	if name := procview.ContainerFromCgroup(p); name != "" && name != procview.ContainerFromCgroup(path.Dir(p)) {
		return name
	}
	return path.Base(p)
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
	c := r.Merged.Memory
	if c == nil || c.Usage.MemoryCurrent == nil {
		return rc.paint(plain, roleDim, fit("-", w, false))
	}
	u, l := c.Usage.MemoryCurrent, c.Limits.MemoryMax
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
	c := r.Merged.Pids
	if c == nil || c.Usage.PidsCurrent == nil {
		return "-", roleDim
	}
	u, l := c.Usage.PidsCurrent, c.Limits.PidsMax
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
	if r.Merged.PSI == nil || r.Merged.PSI.Usage.PSI == nil {
		return "-", roleDim
	}
	psi := r.Merged.PSI.Usage.PSI
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
