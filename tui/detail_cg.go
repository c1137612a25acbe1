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

// cgroupDetail describes a cgroup: its hierarchy, limits, usage and rates
// (CPU, throttling, memory, OOM kills, pids, PSI), its processes and
// children, every one a link.
func cgroupDetail(ix *procview.Index, hist *procview.History, c *inspect.Cgroup) *detailBuilder {
	s := ix.Snap
	h := s.Hierarchy(c.Hierarchy)
	b := &detailBuilder{title: "cgroup " + c.Path}
	v2 := h != nil && h.Version == 2
	if h != nil {
		ctrl := strings.Join(h.Controllers, " ")
		if ctrl == "" {
			ctrl = "no controllers"
		}
		b.kv("hierarchy", seg{h.Label(), roleNormal}, seg{"  (" + ctrl + ") at " + h.Mount, roleDim})
	}
	b.kv("path", seg{c.Path, roleNormal})
	if name := procview.ContainerFromCgroup(c.Path); name != "" {
		b.kv("container", seg{name, roleAccent})
	}
	drift := ownerDetail(b, s, c)
	if c.Path != "/" {
		if p := s.Cgroup(c.Hierarchy, path.Dir(c.Path)); p != nil {
			b.addLink(procview.CgroupKey(p), seg{"parent ", roleLabel}, seg{p.Path, roleNormal})
		}
	}

	l := &c.Limits
	limits := &detailBuilder{}
	name := func(v2name, v1name string) string {
		if v2 {
			return v2name
		}
		return v1name
	}
	if l.CPUQuotaUS != nil && l.CPUPeriodUS != nil {
		raw := procview.FormatLimit(l.CPUQuotaUS) + " " + strconv.FormatInt(*l.CPUPeriodUS, 10)
		limits.kv(name("cpu.max", "cfs quota"), seg{raw, roleNormal}, seg{"  = " + procview.FormatCPUQuota(*l.CPUQuotaUS, *l.CPUPeriodUS), roleDim}, drift("cpu"))
	}
	if l.CPUWeight != nil {
		limits.kv("cpu.weight", seg{strconv.FormatInt(*l.CPUWeight, 10), roleNormal}, seg{"  (1-10000, default 100)", roleDim}, drift("cpu weight"))
	}
	if l.CPUShares != nil {
		limits.kv("cpu.shares", seg{strconv.FormatInt(*l.CPUShares, 10), roleNormal}, seg{"  (default 1024)", roleDim}, drift("cpu shares"))
	}
	if l.MemoryMax != nil {
		limits.kv(name("memory.max", "mem limit"), seg{procview.FormatBytes(*l.MemoryMax), roleNormal}, drift("memory"))
	}
	if l.MemoryHigh != nil {
		limits.kv("memory.high", seg{procview.FormatBytes(*l.MemoryHigh), roleNormal})
	}
	if l.MemoryLow != nil {
		limits.kv("memory.low", seg{procview.FormatBytes(*l.MemoryLow), roleNormal})
	}
	if l.PidsMax != nil {
		limits.kv("pids.max", seg{procview.FormatLimit(l.PidsMax), roleNormal}, drift("pids"))
	}
	for _, io := range l.IOMax {
		limits.kv("io.max", seg{control.IOMaxLine(io), roleNormal})
	}
	if l.Frozen != nil {
		f := seg{"no", roleNormal}
		if *l.Frozen {
			f = seg{"yes: its processes are stopped", roleWarn}
		}
		limits.kv("frozen", f)
	}
	if len(limits.lines) > 0 {
		b.heading("Limits")
		b.lines = append(b.lines, limits.lines...)
	}

	usage := &detailBuilder{}
	cr := ix.Rates.Cgroup(c)
	if u := procview.CPUUsageOf(s, c); u != nil {
		segs := []seg{{"total " + procview.FormatUS(*u), roleNormal}}
		if cr.HasCPU {
			segs = append(segs, seg{"  now " + procview.FormatCores(cr.CPUCores) + " cores", roleNormal})
		}
		if cr.HasQuota {
			segs = append(segs, seg{" = " + procview.FormatPercent(cr.QuotaPercent) + " of quota", usageRole(cr.QuotaPercent)})
		}
		usage.kv("CPU", segs...)
		if samples := hist.CPU(c); len(samples) > 0 {
			scale := sparkScale(s, c)
			usage.kv("CPU history", seg{procview.Sparkline(samples, min(40, len(samples)), scale), roleAccent}, seg{fmt.Sprintf("  one bar per refresh, newest right, full = %s", sparkScaleText(scale)), roleDim})
		}
	}
	if cr.HasThrottle {
		t := procview.FormatPercent(cr.ThrottledPercent) + " of periods since the last refresh"
		usage.kv("throttled", seg{t, throttleRole(cr.ThrottledPercent)})
	}
	if u := c.Usage.ThrottledUS; u != nil && *u > 0 {
		usage.kv("throttled", seg{"total " + procview.FormatUS(*u), roleNormal}, seg{"  in " + procview.FormatLimit(c.Usage.NrThrottled) + " periods", roleDim})
	}
	if u := c.Usage.MemoryCurrent; u != nil {
		segs := []seg{{procview.FormatBytes(*u), roleNormal}}
		if m := l.MemoryMax; m != nil && *m != inspect.Unlimited && *m > 0 {
			pct := float64(*u) / float64(*m) * 100
			filled, empty := bar(pct, 20)
			segs = append(segs, seg{" of " + procview.FormatBytes(*m) + " (" + procview.FormatPercent(pct) + ") ", roleNormal},
				seg{filled, usageRole(pct)}, seg{empty, roleBarEmpty})
		}
		usage.kv("memory", segs...)
	}
	if ev := c.Usage.MemoryEvents; ev != nil {
		ro := roleNormal
		note := ""
		if cr.NewOOMKills > 0 {
			ro, note = roleCrit, fmt.Sprintf(" (+%d since the last refresh)", cr.NewOOMKills)
		}
		usage.kv("OOM kills", seg{strconv.FormatInt(ev.OOMKill, 10) + note, ro},
			seg{fmt.Sprintf("  hit the limit %d times, oom %d", ev.Max, ev.OOM), roleDim})
	}
	if u := c.Usage.PidsCurrent; u != nil {
		usage.kv("pids", seg{strconv.FormatInt(*u, 10), roleNormal}, seg{" of " + procview.FormatLimit(l.PidsMax), roleDim})
	}
	if psi := c.Usage.PSI; psi != nil {
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
	if len(usage.lines) > 0 {
		b.heading("Usage")
		b.lines = append(b.lines, usage.lines...)
	}

	if len(c.Procs) > 0 {
		b.heading(fmt.Sprintf("Processes (%d)", len(c.Procs)))
		for i, pid := range c.Procs {
			if i == maxListed {
				b.add(seg{fmt.Sprintf("  … and %d more", len(c.Procs)-maxListed), roleDim})
				break
			}
			if p := s.Process(pid); p != nil {
				b.addLink(procview.ProcessKey(p), seg{fmt.Sprintf("%-7d ", p.PID), roleNormal}, seg{commandLine(p), roleDim})
			}
		}
	}
	kids := s.CgroupChildren(c)
	if len(kids) > 0 {
		b.heading(fmt.Sprintf("Child cgroups (%d)", len(kids)))
		for i, k := range kids {
			if i == maxListed {
				b.add(seg{fmt.Sprintf("  … and %d more", len(kids)-maxListed), roleDim})
				break
			}
			b.addLink(procview.CgroupKey(k), seg{path.Base(k.Path), roleNormal}, seg{cgroupSummary(ix, k), roleDim})
		}
	}
	return b
}

// sparkScaleText says what a full sparkline bar means.
func sparkScaleText(scale float64) string {
	if scale <= 0 {
		return "the busiest refresh shown"
	}
	return procview.FormatCores(scale) + " cores (the quota, or all CPUs)"
}
