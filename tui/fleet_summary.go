package tui

import (
	"sort"
	"strings"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// hostSummary is one row of the fleet view: what a host is and who on it
// is running away, from its last two snapshots.
type hostSummary struct {
	mode       string
	procs      int
	containers int
	// cpuCores is the CPU in use (the processes' CPU% summed); cpus the
	// host's CPUs. hasCPU once two snapshots are known.
	cpuCores float64
	hasCPU   bool
	cpus     int
	// rss is the processes' resident memory summed; memTotal the host's.
	rss, memTotal int64
	// throttled is the cgroup throttled in the largest share of its
	// periods over the last interval (thrPct), "" when none was.
	throttled string
	thrPct    float64
	// oom is the cgroup with the most OOM kills (oomKills), "" when none
	// has any.
	oom      string
	oomKills int64
}

// summarize sums up snap, with the rates since the snapshot before it
// (nil for the first).
func summarize(snap *inspect.Snapshot, rates *procview.Rates) hostSummary {
	s := hostSummary{mode: modeLabel(snap.CgroupMode), procs: len(snap.Processes), cpus: snap.Host.CPUs, memTotal: snap.Host.MemTotal}
	for i := range snap.Containers {
		if running(&snap.Containers[i]) {
			s.containers++
		}
	}
	for i := range snap.Processes {
		p := &snap.Processes[i]
		s.rss += p.RSSBytes
		if cpu, ok := rates.Process(p); ok {
			s.cpuCores += cpu / 100
			s.hasCPU = true
		}
	}
	for i := range snap.Cgroups {
		c := &snap.Cgroups[i]
		if c.Path == "/" {
			continue
		}
		if r := rates.Cgroup(c); r.HasThrottle && r.ThrottledPercent > 0 && (r.ThrottledPercent > s.thrPct || r.ThrottledPercent == s.thrPct && len(c.Path) > len(s.throttled)) {
			s.throttled, s.thrPct = c.Path, r.ThrottledPercent
		}
		if ev := c.Usage.MemoryEvents; ev != nil && ev.OOMKill > 0 && (ev.OOMKill > s.oomKills || ev.OOMKill == s.oomKills && len(c.Path) > len(s.oom)) {
			s.oom, s.oomKills = c.Path, ev.OOMKill
		}
	}
	return s
}

// running reports whether a container is up: it has an init, or its
// runtime says running or paused.
func running(c *inspect.Container) bool {
	return c.InitPID != 0 || c.State == "running" || c.State == "paused"
}

// fleetContainer is one row of the fleet's container list.
type fleetContainer struct {
	host    int // index of the host
	name    string
	runtime string
	state   string
	initPID int
	// cpu is cores over the last interval (hasCPU); quota its limit in
	// cores (0: none); thrPct the throttled share of periods.
	cpu      float64
	hasCPU   bool
	quota    float64
	thrPct   float64
	hasThr   bool
	mem      int64
	hasMem   bool
	memLimit int64
	oomKills int64
	pids     int64
}

// fleetContainers lists the running containers of one host's snapshot.
func fleetContainers(host int, snap *inspect.Snapshot, rates *procview.Rates) []fleetContainer {
	cg := func(c *inspect.Container, ctrl string) *inspect.Cgroup {
		if h := snap.HierarchyFor(ctrl); h != nil {
			return snap.ContainerCgroup(c, h.ID)
		}
		return nil
	}
	var out []fleetContainer
	for i := range snap.Containers {
		c := &snap.Containers[i]
		if !running(c) {
			continue
		}
		row := fleetContainer{host: host, name: c.Name, runtime: c.Runtime, state: c.State, initPID: c.InitPID}
		cpu, acct := cg(c, "cpu"), cg(c, "cpuacct")
		if acct == nil || acct.Usage.CPUUsageUS == nil {
			acct = cpu
		}
		if acct != nil {
			if r := rates.Cgroup(acct); r.HasCPU {
				row.cpu, row.hasCPU = r.CPUCores, true
			}
		}
		if cpu != nil {
			if q, p := cpu.Limits.CPUQuotaUS, cpu.Limits.CPUPeriodUS; q != nil && p != nil && *q > 0 && *p > 0 && *q != inspect.Unlimited {
				row.quota = float64(*q) / float64(*p)
			}
			if r := rates.Cgroup(cpu); r.HasThrottle {
				row.thrPct, row.hasThr = r.ThrottledPercent, true
			}
		}
		if mem := cg(c, "memory"); mem != nil {
			if m := mem.Usage.MemoryCurrent; m != nil {
				row.mem, row.hasMem = *m, true
			}
			if l := mem.Limits.MemoryMax; l != nil && *l != inspect.Unlimited {
				row.memLimit = *l
			}
			if ev := mem.Usage.MemoryEvents; ev != nil {
				row.oomKills = ev.OOMKill
			}
		}
		if pids := cg(c, "pids"); pids != nil && pids.Usage.PidsCurrent != nil {
			row.pids = *pids.Usage.PidsCurrent
		}
		out = append(out, row)
	}
	return out
}

// fleetSort is the order of the fleet's container list.
type fleetSort int

// The orders, in the order s steps through them: who is running away
// first.
const (
	fleetByCPU fleetSort = iota
	fleetByThrottled
	fleetByMemory
	fleetByOOM
	fleetByHost
	fleetByName
	numFleetSorts
)

func (s fleetSort) String() string {
	return [...]string{"CPU", "throttled", "memory", "OOM kills", "host", "name"}[s]
}

// sortContainers orders rows by s (largest first for the numbers), then
// host and name, so the order is stable between refreshes.
func sortContainers(rows []fleetContainer, s fleetSort, hostName func(int) string) {
	key := func(r *fleetContainer) float64 {
		switch s {
		case fleetByCPU:
			return r.cpu
		case fleetByThrottled:
			return r.thrPct
		case fleetByMemory:
			return float64(r.mem)
		case fleetByOOM:
			return float64(r.oomKills)
		}
		return 0
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := &rows[i], &rows[j]
		if ka, kb := key(a), key(b); ka != kb {
			return ka > kb
		}
		if s == fleetByName {
			if c := strings.Compare(a.name, b.name); c != 0 {
				return c < 0
			}
		}
		if ha, hb := hostName(a.host), hostName(b.host); ha != hb {
			return ha < hb
		}
		return a.name < b.name
	})
}
