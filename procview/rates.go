package procview

import (
	"time"

	"github.com/nscope/nscope/inspect"
)

// CgroupRate is what changed in a cgroup between two snapshots.
type CgroupRate struct {
	// CPUCores is the CPU time used per wall-clock second: 1.5 means one
	// and a half cores busy on average. Valid when HasCPU.
	CPUCores float64
	HasCPU   bool
	// QuotaPercent is CPUCores as a percentage of the CFS quota
	// (quota/period cores). Valid when HasQuota.
	QuotaPercent float64
	HasQuota     bool
	// ThrottledPercent is Δnr_throttled / Δnr_periods × 100: the share of
	// enforcement periods in which the cgroup ran out of quota. Valid when
	// HasThrottle (the cgroup had at least one period in the interval).
	ThrottledPercent float64
	HasThrottle      bool
	// NewOOMKills and NewMaxEvents are the increases of memory.events
	// oom_kill and max (v1: oom_control oom_kill and memory.failcnt).
	NewOOMKills  int64
	NewMaxEvents int64
}

// Rates are the per-second rates between two snapshots of the same host.
// The zero Rates (or a nil *Rates) knows no rates: the first snapshot has
// nothing to compare with.
type Rates struct {
	// Interval is the wall time between the two snapshots.
	Interval time.Duration
	procCPU  map[int]float64
	// procAll says a PID missing from procCPU is known to be at 0%.
	procAll bool
	cgroups map[inspect.CgroupKey]CgroupRate
}

// ComputeRates compares cur with prev and returns the rates: CPU% per
// process from utime+stime deltas over wall time (100% = one core), and
// per cgroup CPU cores, % of quota, throttled % and new memory events.
// Processes whose PID was reused (a different start time) and counters
// that went backwards (a cgroup removed and created again) get no rate.
// prev may be nil.
func ComputeRates(prev, cur *inspect.Snapshot) *Rates { return computeRates(prev, cur, true) }

// ComputeCgroupRates is ComputeRates without the per-process CPU%, for a
// caller that knows those otherwise (see Rates.WithProcessCPU).
func ComputeCgroupRates(prev, cur *inspect.Snapshot) *Rates { return computeRates(prev, cur, false) }

func computeRates(prev, cur *inspect.Snapshot, procs bool) *Rates {
	r := &Rates{}
	if prev == nil || cur == nil {
		return r
	}
	r.Interval = cur.Time.Sub(prev.Time)
	if r.Interval <= 0 {
		return r
	}
	wallUS := float64(r.Interval.Microseconds())
	if procs {
		r.procCPU = make(map[int]float64, len(cur.Processes))
	}
	for i := range cur.Processes {
		if !procs {
			break
		}
		p := &cur.Processes[i]
		old := prev.Process(p.PID)
		if old == nil || !old.StartTime.Equal(p.StartTime) {
			continue
		}
		d := p.CPUTimeUS() - old.CPUTimeUS()
		if d < 0 {
			continue
		}
		r.procCPU[p.PID] = float64(d) / wallUS * 100
	}
	r.cgroups = make(map[inspect.CgroupKey]CgroupRate, len(cur.Cgroups))
	// Refreshes of one full scan list the same cgroups in the same
	// order: the cgroup at the same index is the one, without a lookup.
	aligned := len(prev.Cgroups) == len(cur.Cgroups)
	for i := range cur.Cgroups {
		c := &cur.Cgroups[i]
		var old *inspect.Cgroup
		if aligned && prev.Cgroups[i].Hierarchy == c.Hierarchy && prev.Cgroups[i].Path == c.Path {
			old = &prev.Cgroups[i]
		} else if old = prev.Cgroup(c.Hierarchy, c.Path); old == nil {
			continue
		}
		r.cgroups[c.Key()] = cgroupRate(prev, cur, old, c, wallUS)
	}
	return r
}

// cgroupRate computes one cgroup's rates. On v1 hosts CPU usage (cpuacct)
// and the quota and throttling counters (cpu) live in different
// hierarchies when the two controllers are mounted apart; the cgroup with
// the same path in the other hierarchy fills in what this one lacks.
func cgroupRate(prev, cur *inspect.Snapshot, old, c *inspect.Cgroup, wallUS float64) CgroupRate {
	var cr CgroupRate
	nowU, oldU := CPUUsageOf(cur, c), CPUUsageOf(prev, old)
	if nowU != nil && oldU != nil && *nowU >= *oldU {
		cr.CPUCores = float64(*nowU-*oldU) / wallUS
		cr.HasCPU = true
		if q, ok := QuotaCores(cur, c); ok && q > 0 {
			cr.QuotaPercent = cr.CPUCores / q * 100
			cr.HasQuota = true
		}
	}
	nowT, oldT := throttleOf(cur, c), throttleOf(prev, old)
	if nowT != nil && oldT != nil {
		dp := *nowT.NrPeriods - *oldT.NrPeriods
		dt := *nowT.NrThrottled - *oldT.NrThrottled
		if dp > 0 && dt >= 0 {
			cr.ThrottledPercent = float64(dt) / float64(dp) * 100
			cr.HasThrottle = true
		}
	}
	if now, was := c.Usage.MemoryEvents, old.Usage.MemoryEvents; now != nil && was != nil {
		cr.NewOOMKills = max(0, now.OOMKill-was.OOMKill)
		cr.NewMaxEvents = max(0, now.Max-was.Max)
	}
	return cr
}

// Process returns the CPU% of p (100 = one core) and whether it is known.
func (r *Rates) Process(p *inspect.Process) (float64, bool) {
	if r == nil {
		return 0, false
	}
	v, ok := r.procCPU[p.PID]
	return v, ok || r.procAll
}

// WithProcessCPU returns a copy of r whose process CPU% are cpu, by PID,
// instead of those computed from the two snapshots' deltas; a PID missing
// from cpu is at 0%. A counter refresh that reads each process at its own
// pace (see inspect.Refresher) knows each rate over that process's own
// interval, which the snapshot deltas do not.
func (r *Rates) WithProcessCPU(cpu map[int]float64) *Rates {
	out := &Rates{procCPU: cpu, procAll: true}
	if r != nil {
		out.Interval, out.cgroups = r.Interval, r.cgroups
	}
	return out
}

// Cgroup returns the rates of c; the zero CgroupRate when unknown.
func (r *Rates) Cgroup(c *inspect.Cgroup) CgroupRate {
	if r == nil {
		return CgroupRate{}
	}
	return r.cgroups[c.Key()]
}

// CPUUsageOf returns the cgroup's total CPU usage in microseconds: its own
// counter, or on v1 the counter of the same path in the cpuacct hierarchy.
// Nil when neither exists.
func CPUUsageOf(snap *inspect.Snapshot, c *inspect.Cgroup) *int64 {
	if c.Usage.CPUUsageUS != nil {
		return c.Usage.CPUUsageUS
	}
	if o := twin(snap, c, "cpuacct"); o != nil {
		return o.Usage.CPUUsageUS
	}
	return nil
}

// QuotaCores returns the cgroup's CFS quota in cores (quota / period) and
// true, or false when it has no quota (unlimited, or no cpu controller).
// On v1 a cgroup in a cpuacct-only hierarchy uses the quota of the same
// path in the cpu hierarchy.
func QuotaCores(snap *inspect.Snapshot, c *inspect.Cgroup) (float64, bool) {
	l := &c.Limits
	if l.CPUQuotaUS == nil {
		if o := twin(snap, c, "cpu"); o != nil {
			l = &o.Limits
		}
	}
	if l.CPUQuotaUS == nil || l.CPUPeriodUS == nil || *l.CPUQuotaUS == inspect.Unlimited || *l.CPUPeriodUS <= 0 {
		return 0, false
	}
	return float64(*l.CPUQuotaUS) / float64(*l.CPUPeriodUS), true
}

// throttleOf returns the usage holding nr_periods and nr_throttled for c
// (its own or its v1 cpu twin's), or nil.
func throttleOf(snap *inspect.Snapshot, c *inspect.Cgroup) *inspect.Usage {
	u := &c.Usage
	if u.NrPeriods == nil {
		if o := twin(snap, c, "cpu"); o != nil {
			u = &o.Usage
		}
	}
	if u.NrPeriods == nil || u.NrThrottled == nil {
		return nil
	}
	return u
}

// twin returns the cgroup with c's path in the v1 hierarchy that carries
// controller, when c itself is in a v1 cpu or cpuacct hierarchy mounted
// apart from that one; nil otherwise. Other hierarchies are never paired:
// a memory cgroup /a and a cpuacct cgroup /a are different cgroups.
func twin(snap *inspect.Snapshot, c *inspect.Cgroup, controller string) *inspect.Cgroup {
	if snap == nil {
		return nil
	}
	own := snap.Hierarchy(c.Hierarchy)
	if own == nil || own.Version != 1 || !(own.Has("cpu") || own.Has("cpuacct")) {
		return nil
	}
	h := snap.HierarchyFor(controller)
	if h == nil || h.ID == c.Hierarchy || h.Version != 1 {
		return nil
	}
	return snap.Cgroup(h.ID, c.Path)
}
