package inspect

// usageFile is a cgroup file that holds usage counters: the full scan reads
// it with the limits, and a Refresher re-reads it between scans.
type usageFile struct {
	name string
	// version is the cgroup version that has the file, 0 for both.
	version int
	// cpu marks the files that hold CPU usage: a refresh reads them every
	// time, and the others only when the cgroup's CPU moved.
	cpu bool
	// found reports whether a scan took a counter from the file into u, a
	// cgroup of h, so that a refresh reads nothing the scan did not.
	found func(h *Hierarchy, u *Usage) bool
}

// usageFiles are every usage file nscope reads, v1 and v2; applyUsageFile
// parses each. The scan reads a file by its name in any version (a v1
// hierarchy of a kernel booted with psi=1 has the pressure files too); a
// refresh re-reads those of the hierarchy's version.
var usageFiles = []usageFile{
	{name: "cpu.stat", version: 2, cpu: true, found: func(_ *Hierarchy, u *Usage) bool { return u.CPUUsageUS != nil || u.NrPeriods != nil }},
	{name: "memory.current", version: 2, found: func(_ *Hierarchy, u *Usage) bool { return u.MemoryCurrent != nil }},
	{name: "memory.events", version: 2, found: func(_ *Hierarchy, u *Usage) bool { return u.MemoryEvents != nil }},
	{name: "pids.current", version: 0, found: func(_ *Hierarchy, u *Usage) bool { return u.PidsCurrent != nil }},
	{name: "cpu.pressure", version: 2, found: func(_ *Hierarchy, u *Usage) bool { return u.PSI != nil && u.PSI.CPU != nil }},
	{name: "memory.pressure", version: 2, found: func(_ *Hierarchy, u *Usage) bool { return u.PSI != nil && u.PSI.Memory != nil }},
	{name: "io.pressure", version: 2, found: func(_ *Hierarchy, u *Usage) bool { return u.PSI != nil && u.PSI.IO != nil }},
	// v1: cpu.stat has the throttling counters only; the CPU time is
	// cpuacct.usage, in the cpuacct hierarchy.
	{name: "cpuacct.usage", version: 1, cpu: true, found: func(h *Hierarchy, u *Usage) bool { return u.CPUUsageUS != nil && h.Has("cpuacct") }},
	{name: "cpu.stat", version: 1, cpu: true, found: func(_ *Hierarchy, u *Usage) bool { return u.NrPeriods != nil }},
	{name: "memory.usage_in_bytes", version: 1, found: func(_ *Hierarchy, u *Usage) bool { return u.MemoryCurrent != nil }},
	{name: "memory.failcnt", version: 1, found: func(_ *Hierarchy, u *Usage) bool { return u.MemoryEvents != nil }},
	{name: "memory.oom_control", version: 1, found: func(_ *Hierarchy, u *Usage) bool { return u.MemoryEvents != nil }},
}

// limitFiles are the limit and state files nscope reads, v1 and v2.
var limitFiles = []string{
	"cgroup.controllers", "cgroup.freeze",
	"cpu.max", "cpu.weight", "memory.max", "memory.high", "memory.low",
	"pids.max", "io.max",
	"cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.shares",
	"memory.limit_in_bytes", "freezer.state",
}

// cgroupFiles are the files the scan reads, v1 and v2 together: a cgroup
// only has those of its version and controllers, which the directory
// listing tells.
var cgroupFiles = func() map[string]bool {
	m := make(map[string]bool, len(limitFiles)+len(usageFiles))
	for _, name := range limitFiles {
		m[name] = true
	}
	for _, f := range usageFiles {
		m[f.name] = true
	}
	return m
}()

// counterFiles lists the usage files of c, a cgroup of h, that held the
// counters a scan found, in usageFiles order.
func counterFiles(h *Hierarchy, c *Cgroup) []usageFile {
	var out []usageFile
	for _, f := range usageFiles {
		if (f.version == 0 || f.version == h.Version) && f.found(h, &c.Usage) {
			out = append(out, f)
		}
	}
	return out
}

// clone returns a copy of u that shares no pointers with it, so that a
// refresh never writes the snapshot it started from.
func (u Usage) clone() Usage {
	cp := func(p *int64) *int64 {
		if p == nil {
			return nil
		}
		v := *p
		return &v
	}
	out := Usage{
		CPUUsageUS: cp(u.CPUUsageUS), NrPeriods: cp(u.NrPeriods), NrThrottled: cp(u.NrThrottled),
		ThrottledUS: cp(u.ThrottledUS), MemoryCurrent: cp(u.MemoryCurrent), PidsCurrent: cp(u.PidsCurrent),
	}
	if u.MemoryEvents != nil {
		ev := *u.MemoryEvents
		out.MemoryEvents = &ev
	}
	if u.PSI != nil {
		psi := *u.PSI
		out.PSI = &psi
	}
	return out
}
