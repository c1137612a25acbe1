package tui

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// cgroupDetail describes a cgroup: where it is, its limits, usage and
// rates (CPU with its history, throttling, memory, OOM kills, pids, PSI),
// its processes and children, every one a link. m is a row of the merged
// tree (merged set: each number from the hierarchy that carries it, each
// v1 file named with its hierarchy) or one cgroup on its own.
func cgroupDetail(ix *procview.Index, hist *procview.History, m *procview.MergedCgroup, merged bool) *detailBuilder {
	s := ix.Snap
	b := &detailBuilder{title: "cgroup " + m.Path}
	if merged {
		b.kv("hierarchies", seg{hierarchyList(s, m), roleNormal})
	} else if c := m.Primary(); c != nil {
		if h := s.Hierarchy(c.Hierarchy); h != nil {
			ctrl := strings.Join(h.Controllers, " ")
			if ctrl == "" {
				ctrl = "no controllers"
			}
			b.kv("hierarchy", seg{h.Label(), roleNormal}, seg{"  (" + ctrl + ") at " + h.Mount, roleDim})
		}
	}
	b.kv("path", seg{m.Path, roleNormal})
	if name := procview.ContainerFromCgroup(m.Path); name != "" {
		b.kv("container", seg{name, roleAccent})
	}
	if unit := control.SystemdUnit(m.Path); unit != "" {
		b.kv("systemd", seg{unit, roleWarn}, seg{"  direct writes are undone by systemd on daemon-reload", roleDim})
	}
	if m.Path != "/" {
		parent := path.Dir(m.Path)
		switch {
		case merged && ix.MergedCgroup(parent) != nil:
			b.addLink(procview.MergedKey(parent), seg{"parent ", roleLabel}, seg{parent, roleNormal})
		case !merged:
			if p := s.Cgroup(m.Primary().Hierarchy, parent); p != nil {
				b.addLink(procview.CgroupKey(p), seg{"parent ", roleLabel}, seg{p.Path, roleNormal})
			}
		}
	}
	cr := ix.MergedRate(m)
	if lines := cgroupLimits(s, m, merged); len(lines.lines) > 0 {
		b.heading("Limits")
		b.lines = append(b.lines, lines.lines...)
	}
	if lines := cgroupUsage(ix, hist, m, cr); len(lines.lines) > 0 {
		b.heading("Usage")
		b.lines = append(b.lines, lines.lines...)
	}

	if len(m.Procs) > 0 {
		b.heading(fmt.Sprintf("Processes (%d)", len(m.Procs)))
		for i, pid := range m.Procs {
			if i == maxListed {
				b.add(seg{fmt.Sprintf("  … and %d more", len(m.Procs)-maxListed), roleDim})
				break
			}
			if p := s.Process(pid); p != nil {
				b.addLink(procview.ProcessKey(p), seg{fmt.Sprintf("%-7d ", p.PID), roleNormal}, seg{commandLine(p), roleDim})
			}
		}
	}
	type child struct {
		key     procview.Key
		name    string
		summary string
	}
	var kids []child
	if merged {
		for _, k := range ix.MergedChildren(m) {
			kids = append(kids, child{procview.MergedKey(k.Path), path.Base(k.Path), mergedSummary(ix, k)})
		}
	} else {
		for _, k := range s.CgroupChildren(m.Primary()) {
			kids = append(kids, child{procview.CgroupKey(k), path.Base(k.Path), cgroupSummary(ix, k)})
		}
	}
	if len(kids) > 0 {
		b.heading(fmt.Sprintf("Child cgroups (%d)", len(kids)))
		for i, k := range kids {
			if i == maxListed {
				b.add(seg{fmt.Sprintf("  … and %d more", len(kids)-maxListed), roleDim})
				break
			}
			b.addLink(k.key, seg{k.name, roleNormal}, seg{k.summary, roleDim})
		}
	}
	return b
}

// hierarchyList names the hierarchies a merged cgroup's path is in.
func hierarchyList(s *inspect.Snapshot, m *procview.MergedCgroup) string {
	var names []string
	for _, c := range m.Cgroups {
		if h := s.Hierarchy(c.Hierarchy); h != nil {
			names = append(names, h.Label())
		}
	}
	return strings.Join(names, " · ")
}

// limitKV adds a limit line: label (the v2 file name, or the v1 one),
// the value, and on a merged row of a v1 host the hierarchy it is from.
func limitKV(b *detailBuilder, s *inspect.Snapshot, c *inspect.Cgroup, merged bool, v2name, v1name string, value ...seg) {
	h := s.Hierarchy(c.Hierarchy)
	label := v2name
	if h != nil && h.Version == 1 {
		label = v1name
		if merged {
			value = append(value, seg{"  [" + h.Label() + "]", roleDim})
		}
	}
	b.kv(label, value...)
}

// cgroupLimits lists m's limits, each from the cgroup that carries it.
func cgroupLimits(s *inspect.Snapshot, m *procview.MergedCgroup, merged bool) *detailBuilder {
	out := &detailBuilder{}
	if c := m.CPU; c != nil {
		l := &c.Limits
		if l.CPUQuotaUS != nil && l.CPUPeriodUS != nil {
			raw := procview.FormatLimit(l.CPUQuotaUS) + " " + strconv.FormatInt(*l.CPUPeriodUS, 10)
			limitKV(out, s, c, merged, "cpu.max", "cfs quota", seg{raw, roleNormal}, seg{"  = " + procview.FormatCPUQuota(*l.CPUQuotaUS, *l.CPUPeriodUS), roleDim})
		}
		if l.CPUWeight != nil {
			out.kv("cpu.weight", seg{strconv.FormatInt(*l.CPUWeight, 10), roleNormal}, seg{"  (1-10000, default 100)", roleDim})
		}
		if l.CPUShares != nil {
			limitKV(out, s, c, merged, "cpu.shares", "cpu.shares", seg{strconv.FormatInt(*l.CPUShares, 10), roleNormal}, seg{"  (default 1024)", roleDim})
		}
	}
	if c := m.Memory; c != nil {
		l := &c.Limits
		if l.MemoryMax != nil {
			limitKV(out, s, c, merged, "memory.max", "mem limit", seg{procview.FormatBytes(*l.MemoryMax), roleNormal})
		}
		if l.MemoryHigh != nil {
			out.kv("memory.high", seg{procview.FormatBytes(*l.MemoryHigh), roleNormal})
		}
		if l.MemoryLow != nil {
			out.kv("memory.low", seg{procview.FormatBytes(*l.MemoryLow), roleNormal})
		}
	}
	if c := m.Pids; c != nil && c.Limits.PidsMax != nil {
		limitKV(out, s, c, merged, "pids.max", "pids.max", seg{procview.FormatLimit(c.Limits.PidsMax), roleNormal})
	}
	if c := m.IO; c != nil {
		for _, io := range c.Limits.IOMax {
			out.kv("io.max", seg{control.IOMaxLine(io), roleNormal})
		}
	}
	if c := m.Freezer; c != nil && c.Limits.Frozen != nil {
		f := seg{"no", roleNormal}
		if *c.Limits.Frozen {
			f = seg{"yes: its processes are stopped (f thaws)", roleWarn}
		}
		limitKV(out, s, c, merged, "frozen", "frozen", f)
	}
	return out
}

// cgroupUsage lists what m uses now and used so far, and the CPU chart.
func cgroupUsage(ix *procview.Index, hist *procview.History, m *procview.MergedCgroup, cr procview.CgroupRate) *detailBuilder {
	s := ix.Snap
	usage := &detailBuilder{}
	if c := m.CPUUsage; c != nil {
		if u := procview.CPUUsageOf(s, c); u != nil {
			segs := []seg{{"total " + procview.FormatUS(*u), roleNormal}}
			if cr.HasCPU {
				segs = append(segs, seg{"  now " + procview.FormatCores(cr.CPUCores) + " cores", roleNormal})
			}
			if cr.HasQuota {
				segs = append(segs, seg{" = " + procview.FormatPercent(cr.QuotaPercent) + " of quota", usageRole(cr.QuotaPercent)})
			}
			usage.kv("CPU", segs...)
		}
	}
	if src := ix.CPUSource(m); src != nil {
		if samples := hist.CPU(src); len(samples) > 0 {
			usage.lines = append(usage.lines, cpuChart(samples, hist.Quota(src), s.Host.CPUs)...)
		}
	}
	if cr.HasThrottle {
		t := procview.FormatPercent(cr.ThrottledPercent) + " of periods since the last refresh"
		usage.kv("throttled", seg{t, throttleRole(cr.ThrottledPercent)})
	}
	if c := m.CPU; c != nil {
		if u := c.Usage.ThrottledUS; u != nil && *u > 0 {
			usage.kv("throttled", seg{"total " + procview.FormatUS(*u), roleNormal}, seg{"  in " + procview.FormatLimit(c.Usage.NrThrottled) + " periods", roleDim})
		}
	}
	if c := m.Memory; c != nil {
		if u := c.Usage.MemoryCurrent; u != nil {
			segs := []seg{{procview.FormatBytes(*u), roleNormal}}
			if mx := c.Limits.MemoryMax; mx != nil && *mx != inspect.Unlimited && *mx > 0 {
				pct := float64(*u) / float64(*mx) * 100
				filled, empty := bar(pct, 20)
				segs = append(segs, seg{" of " + procview.FormatBytes(*mx) + " (" + procview.FormatPercent(pct) + ") ", roleNormal},
					seg{filled, usageRole(pct)}, seg{empty, roleBarEmpty})
			}
			usage.kv("memory", segs...)
		}
		if ev := c.Usage.MemoryEvents; ev != nil {
			ro, note := roleNormal, ""
			if cr.NewOOMKills > 0 {
				ro, note = roleCrit, fmt.Sprintf(" (+%d since the last refresh)", cr.NewOOMKills)
			}
			usage.kv("OOM kills", seg{strconv.FormatInt(ev.OOMKill, 10) + note, ro},
				seg{fmt.Sprintf("  hit the limit %d times, oom %d", ev.Max, ev.OOM), roleDim})
		}
	}
	if c := m.Pids; c != nil {
		if u := c.Usage.PidsCurrent; u != nil {
			usage.kv("pids", seg{strconv.FormatInt(*u, 10), roleNormal}, seg{" of " + procview.FormatLimit(c.Limits.PidsMax), roleDim})
		}
	}
	if c := m.PSI; c != nil && c.Usage.PSI != nil {
		psi := c.Usage.PSI
		for _, p := range []struct {
			name string
			pr   *inspect.Pressure
		}{{"cpu", psi.CPU}, {"memory", psi.Memory}, {"io", psi.IO}} {
			if p.pr == nil {
				continue
			}
			text := fmt.Sprintf("some %.1f%% %.1f%% %.1f%%", p.pr.Some.Avg10, p.pr.Some.Avg60, p.pr.Some.Avg300)
			if p.pr.Full != nil {
				text += fmt.Sprintf("  full %.1f%% %.1f%% %.1f%%", p.pr.Full.Avg10, p.pr.Full.Avg60, p.pr.Full.Avg300)
			}
			usage.kv("PSI "+p.name, seg{text, roleNormal}, seg{"  (avg 10s 60s 300s)", roleDim})
		}
	}
	return usage
}

// chartRows and chartWidth size the CPU chart of the detail pane.
const (
	chartRows  = 3
	chartWidth = 30
)

// cpuChart draws the CPU history chartRows high on a whole-core scale
// (procview.CPUScale), the quota as a dotted line, with the scale and
// the latest quota named beside the rows they are on.
func cpuChart(samples, quotas []float64, hostCPUs int) []dline {
	n := min(chartWidth, len(samples))
	shown, shownQ := samples[len(samples)-n:], quotas
	if len(quotas) >= n {
		shownQ = quotas[len(quotas)-n:]
	}
	scale := procview.CPUScale(shown, shownQ, hostCPUs)
	rows := procview.SparkChart(shown, shownQ, chartWidth, chartRows, scale)
	notes := make([]string, len(rows))
	notes[0] = coresText(scale)
	notes[len(rows)-1] = "0 (one bar a refresh, newest right)"
	if len(shownQ) > 0 {
		if q := shownQ[len(shownQ)-1]; q > 0 && q < scale {
			r := len(rows) - 1 - int(q/scale*float64(8*chartRows))/8
			// The quota first: a long note is cut at the pane's edge.
			notes[r] = strings.TrimSuffix("┈ quota "+procview.FormatCores(q)+" · "+notes[r], " · ")
		}
	}
	out := make([]dline, 0, len(rows))
	for i, r := range rows {
		label := ""
		if i == 0 {
			label = "CPU history"
		}
		out = append(out, dline{segs: []seg{{"  " + fit(label, 11, false) + " ", roleLabel}, {r, roleAccent}, {" " + notes[i], roleDim}}})
	}
	return out
}

// coresText is "1 core", "4 cores".
func coresText(c float64) string {
	if c == 1 {
		return "1 core"
	}
	return strconv.FormatFloat(c, 'f', -1, 64) + " cores"
}

// mergedSummary is the one-line usage and limits shown after a child
// link in the merged tree, as cgroupSummary is for one hierarchy.
func mergedSummary(ix *procview.Index, m *procview.MergedCgroup) string {
	out := ""
	if q, ok := ix.QuotaCoresOf(m); ok {
		out += "  cpu max " + procview.FormatCores(q)
	}
	if cr := ix.MergedRate(m); cr.HasCPU {
		out += "  cpu " + procview.FormatCores(cr.CPUCores) + " cores"
	}
	if c := m.Memory; c != nil && c.Usage.MemoryCurrent != nil {
		out += "  mem " + procview.FormatBytesShort(*c.Usage.MemoryCurrent)
		if l := c.Limits.MemoryMax; l != nil && *l != inspect.Unlimited {
			out += "/" + procview.FormatBytesShort(*l)
		}
	}
	if c := m.Pids; c != nil && c.Usage.PidsCurrent != nil {
		out += "  pids " + strconv.FormatInt(*c.Usage.PidsCurrent, 10)
		if l := c.Limits.PidsMax; l != nil && *l != inspect.Unlimited {
			out += "/" + strconv.FormatInt(*l, 10)
		}
	}
	if m.Frozen() {
		out += "  frozen"
	}
	return out
}
