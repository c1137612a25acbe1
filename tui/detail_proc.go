package tui

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// processDetail describes a process: what it runs, its PID at every pid
// namespace level, each of its namespaces (the host's, its own, or shared)
// and its cgroups with their limits and usage, every one a link.
func processDetail(ix *procview.Index, p *inspect.Process) *detailBuilder {
	s := ix.Snap
	b := &detailBuilder{title: fmt.Sprintf("Process %d %s", p.PID, p.Comm)}
	b.kv("command", seg{commandLine(p), roleNormal})
	b.kv("user", seg{fmt.Sprintf("%s (uid %d)", p.User, p.UID), roleNormal},
		seg{"  state " + p.State + "  threads " + strconv.Itoa(p.Threads), roleNormal})
	if !p.StartTime.IsZero() {
		b.kv("started", seg{p.StartTime.Local().Format("2006-01-02 15:04:05"), roleNormal},
			seg{" (" + ago(s.Time.Sub(p.StartTime)) + " before the snapshot)", roleDim})
	}
	cpu := "-"
	if v, ok := ix.ProcessCPU(p); ok {
		cpu = formatCPUPercent(v) + "% of one core"
	}
	b.kv("usage", seg{"CPU " + cpu + "  RSS " + procview.FormatBytes(p.RSSBytes), roleNormal},
		seg{"  CPU time " + procview.FormatUS(p.CPUTimeUS()), roleDim})
	addContainerLink(b, ix, p.Container, ix.Container(p))
	if p.Kernel {
		b.kv("kernel", seg{"kernel thread: no memory of its own, always in the host's namespaces", roleDim})
	}
	if parent := s.Process(p.PPID); parent != nil && p.PPID != p.PID {
		b.addLink(procview.ProcessKey(parent), seg{"parent ", roleLabel}, seg{strconv.Itoa(parent.PID) + " " + parent.Comm, roleNormal})
	}

	b.heading("PID in each pid namespace (NSpid, outermost first)")
	chain := pidChain(s, p)
	for i, pid := range p.NSpid {
		label := seg{fmt.Sprintf("%-7d", pid), roleNormal}
		if i < len(chain) && chain[i] != nil {
			n := chain[i]
			where := "pid " + n.ID.String()
			if n.Initial {
				where += " (host)"
			}
			b.addLink(procview.NamespaceKey(n.ID), label, seg{" in ", roleDim}, seg{where, nsRole(inspect.PIDNS)})
		} else if p.NS[inspect.PIDNS].IsZero() {
			b.add(seg{"  ", roleNormal}, label, seg{" in a pid namespace whose link is not readable", roleDim})
		} else {
			b.add(seg{"  ", roleNormal}, label, seg{" in a pid namespace above the scanner's", roleDim})
		}
	}

	b.heading("Namespaces")
	for _, t := range inspect.AllNSTypes {
		rel, n := ix.Relation(p, t)
		name := seg{fmt.Sprintf("%-6s", t), nsRole(t)}
		switch {
		case rel == procview.NSUnknown:
			b.add(seg{"  ", roleNormal}, name, seg{" not readable", roleDim})
		case n == nil:
			b.add(seg{"  ", roleNormal}, name, seg{" " + p.NS[t].String(), roleNormal}, seg{" (not in the snapshot)", roleDim})
		default:
			b.addLink(procview.NamespaceKey(n.ID), name, seg{" " + fmt.Sprintf("%-11s", n.ID.String()), roleNormal}, relationSeg(rel, n))
		}
	}
	if !p.PIDForChildren.IsZero() && p.PIDForChildren != p.NS[inspect.PIDNS] {
		if n := s.Namespace(p.PIDForChildren); n != nil {
			b.addLink(procview.NamespaceKey(n.ID), seg{"pid_for_children ", nsRole(inspect.PIDNS)}, seg{n.ID.String(), roleNormal}, seg{" (unshared, children go here)", roleDim})
		}
	}

	b.heading("Cgroups")
	if len(p.Cgroups) == 0 {
		b.add(seg{"  none readable", roleDim})
	}
	for _, pc := range cgroupsInOrder(s, p) {
		h := s.Hierarchy(pc.Hierarchy)
		label := fmt.Sprintf("%-9s", hierarchyLabel(h, pc))
		c := s.Cgroup(pc.Hierarchy, pc.Path)
		if c == nil {
			b.add(seg{"  ", roleNormal}, seg{label, roleLabel}, seg{" " + pc.Path, roleNormal}, seg{" (gone)", roleDim})
			continue
		}
		b.addLink(procview.CgroupKey(c), seg{label, roleLabel}, seg{" " + c.Path, roleNormal}, seg{cgroupSummary(ix, c), roleDim})
	}

	kids := s.ProcessChildren(p.PID)
	if len(kids) > 0 {
		b.heading(fmt.Sprintf("Children (%d)", len(kids)))
		for i, k := range kids {
			if i == maxListed {
				b.add(seg{fmt.Sprintf("  … and %d more", len(kids)-maxListed), roleDim})
				break
			}
			b.addLink(procview.ProcessKey(k), seg{fmt.Sprintf("%-7d %s", k.PID, k.Comm), roleNormal})
		}
	}
	return b
}

// cgroupsInOrder returns p's cgroup lines in the snapshot's hierarchy
// order (the Cgroups view's order), not /proc/PID/cgroup's.
func cgroupsInOrder(s *inspect.Snapshot, p *inspect.Process) []inspect.ProcCgroup {
	out := append([]inspect.ProcCgroup(nil), p.Cgroups...)
	order := func(id int) int {
		for i := range s.Hierarchies {
			if s.Hierarchies[i].ID == id {
				return i
			}
		}
		return len(s.Hierarchies)
	}
	sort.SliceStable(out, func(i, j int) bool { return order(out[i].Hierarchy) < order(out[j].Hierarchy) })
	return out
}

// pidChain returns the pid namespace for each NSpid entry, outermost
// first; nil where the scanner cannot see it.
func pidChain(s *inspect.Snapshot, p *inspect.Process) []*inspect.Namespace {
	out := make([]*inspect.Namespace, len(p.NSpid))
	n := s.Namespace(p.NS[inspect.PIDNS])
	for i := len(p.NSpid) - 1; i >= 0 && n != nil; i-- {
		out[i] = n
		if n.Parent.IsZero() {
			break
		}
		n = s.Namespace(n.Parent)
	}
	return out
}

// relationSeg says whether a namespace is the host's, the process's own
// or shared.
func relationSeg(rel procview.NSRelation, n *inspect.Namespace) seg {
	switch rel {
	case procview.NSHost:
		return seg{"host", roleDim}
	case procview.NSShared:
		others := len(n.Members) - 1
		if others == 1 {
			return seg{"shared with 1 other process", roleAccent}
		}
		return seg{fmt.Sprintf("shared with %d other processes", others), roleAccent}
	}
	return seg{"own", roleAccent}
}

// hierarchyLabel names the hierarchy of a /proc/PID/cgroup line.
func hierarchyLabel(h *inspect.Hierarchy, pc inspect.ProcCgroup) string {
	if h != nil {
		return h.Label()
	}
	if pc.Controllers == "" {
		return "v2"
	}
	return pc.Controllers
}

// cgroupSummary is the one-line usage and limits shown after a cgroup
// link: what the hierarchy's controllers say.
func cgroupSummary(ix *procview.Index, c *inspect.Cgroup) string {
	out := ""
	if q, ok := procview.QuotaCores(ix.Snap, c); ok {
		out += "  cpu max " + procview.FormatCores(q)
	}
	if cr := ix.Rates.Cgroup(c); cr.HasCPU {
		out += "  cpu " + procview.FormatCores(cr.CPUCores) + " cores"
	}
	if u := c.Usage.MemoryCurrent; u != nil {
		out += "  mem " + procview.FormatBytesShort(*u)
		if l := c.Limits.MemoryMax; l != nil && *l != inspect.Unlimited {
			out += "/" + procview.FormatBytesShort(*l)
		}
	}
	if u := c.Usage.PidsCurrent; u != nil {
		out += "  pids " + strconv.FormatInt(*u, 10)
		if l := c.Limits.PidsMax; l != nil && *l != inspect.Unlimited {
			out += "/" + strconv.FormatInt(*l, 10)
		}
	}
	return out
}

// ago renders a duration the way people say it: "45s", "12m", "3h",
// "2d".
func ago(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + "h"
	}
	return strconv.Itoa(int(d.Hours()/24)) + "d"
}
