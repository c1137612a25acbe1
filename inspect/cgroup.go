package inspect

// CgroupMode is how the host mounts cgroups, detected once per scanner.
// See cgroups(7) and Documentation/admin-guide/cgroup-v2.rst.
type CgroupMode string

// The three cgroup layouts.
const (
	// CgroupUnified: /sys/fs/cgroup is cgroup2 and holds every controller.
	CgroupUnified CgroupMode = "unified"
	// CgroupHybrid: v1 controller hierarchies plus a cgroup2 mount at
	// /sys/fs/cgroup/unified that has no controllers.
	CgroupHybrid CgroupMode = "hybrid"
	// CgroupLegacy: v1 hierarchies only.
	CgroupLegacy CgroupMode = "legacy"
	// CgroupNone: no cgroup filesystem was found.
	CgroupNone CgroupMode = "none"
)

// Unlimited is the value of a limit that is "max" (v2) or has no limit set
// (v1 -1, or the v1 memory sentinel 9223372036854771712).
const Unlimited int64 = -1

// Hierarchy is one mounted cgroup hierarchy.
type Hierarchy struct {
	// ID is the hierarchy number used in /proc/PID/cgroup (0 for cgroup2).
	ID int `json:"id"`
	// Version is 1 or 2.
	Version int `json:"version"`
	// Controllers are the v1 controllers bound to it, or the controllers
	// available at the v2 root (cgroup.controllers).
	Controllers []string `json:"controllers,omitempty"`
	// Name is the v1 name= option (e.g. "systemd"), if any.
	Name string `json:"name,omitempty"`
	// Mount is the absolute path where the scanner found it mounted.
	Mount string `json:"mount"`
}

// Label returns a short human name: "v2", "cpu,cpuacct", "name=systemd".
func (h *Hierarchy) Label() string {
	if h.Version == 2 {
		return "v2"
	}
	if h.Name != "" && len(h.Controllers) == 0 {
		return "name=" + h.Name
	}
	s := ""
	for i, c := range h.Controllers {
		if i > 0 {
			s += ","
		}
		s += c
	}
	return s
}

// Has reports whether the hierarchy has the given controller.
func (h *Hierarchy) Has(controller string) bool {
	for _, c := range h.Controllers {
		if c == controller {
			return true
		}
	}
	return false
}

// Cgroup is one cgroup directory in one hierarchy.
type Cgroup struct {
	// Hierarchy is the Hierarchy.ID this cgroup belongs to.
	Hierarchy int `json:"hierarchy"`
	// Path is the path inside the hierarchy, "/" for the root, as
	// /proc/PID/cgroup prints it.
	Path string `json:"path"`
	// Procs are the PIDs of member processes, ascending.
	Procs []int `json:"procs,omitempty"`
	// Controllers are the v2 controllers enabled for this cgroup
	// (cgroup.controllers); empty for v1.
	Controllers []string `json:"controllers,omitempty"`
	Limits      Limits   `json:"limits"`
	Usage       Usage    `json:"usage"`
	// Raw holds the trimmed text of every limit and usage file read, by
	// file name, for display.
	Raw map[string]string `json:"raw,omitempty"`
	// Container is the container whose cgroup this is, or that it is
	// nested in.
	Container ContainerRef `json:"container,omitzero"`
}

// Limits are a cgroup's resource limits, normalised: CPU times in
// microseconds, memory in bytes, Unlimited for "max". A nil field means the
// file does not exist in this cgroup (or could not be read).
type Limits struct {
	// CPUQuotaUS and CPUPeriodUS come from cpu.max (v2) or
	// cpu.cfs_quota_us / cpu.cfs_period_us (v1).
	CPUQuotaUS  *int64 `json:"cpu_quota_us,omitempty"`
	CPUPeriodUS *int64 `json:"cpu_period_us,omitempty"`
	// CPUWeight is cpu.weight (v2, 1-10000); CPUShares is cpu.shares (v1).
	CPUWeight  *int64 `json:"cpu_weight,omitempty"`
	CPUShares  *int64 `json:"cpu_shares,omitempty"`
	MemoryMax  *int64 `json:"memory_max,omitempty"`
	MemoryHigh *int64 `json:"memory_high,omitempty"`
	MemoryLow  *int64 `json:"memory_low,omitempty"`
	PidsMax    *int64 `json:"pids_max,omitempty"`
	// IOMax is io.max (v2), one entry per device with a limit.
	IOMax []IOMax `json:"io_max,omitempty"`
	// Frozen is cgroup.freeze == 1 (v2) or freezer.state FROZEN (v1).
	Frozen *bool `json:"frozen,omitempty"`
}

// IOMax is one device line of io.max; Unlimited for "max".
type IOMax struct {
	Major int   `json:"major"`
	Minor int   `json:"minor"`
	RBps  int64 `json:"rbps"`
	WBps  int64 `json:"wbps"`
	RIOps int64 `json:"riops"`
	WIOps int64 `json:"wiops"`
}

// Usage are a cgroup's usage counters, normalised like Limits.
type Usage struct {
	// CPUUsageUS is cpu.stat usage_usec (v2) or cpuacct.usage / 1000 (v1).
	CPUUsageUS *int64 `json:"cpu_usage_us,omitempty"`
	// NrPeriods, NrThrottled and ThrottledUS come from cpu.stat
	// (v1 throttled_time is nanoseconds and is converted).
	NrPeriods   *int64 `json:"nr_periods,omitempty"`
	NrThrottled *int64 `json:"nr_throttled,omitempty"`
	ThrottledUS *int64 `json:"throttled_us,omitempty"`
	// MemoryCurrent is memory.current (v2) or memory.usage_in_bytes (v1).
	MemoryCurrent *int64 `json:"memory_current,omitempty"`
	// MemoryEvents is memory.events (v2); on v1 Max is memory.failcnt and
	// OOMKill comes from memory.oom_control.
	MemoryEvents *MemoryEvents `json:"memory_events,omitempty"`
	PidsCurrent  *int64        `json:"pids_current,omitempty"`
	// PSI holds cpu/memory/io pressure where the kernel provides it.
	PSI *PSI `json:"psi,omitempty"`
}

// MemoryEvents are the counters of memory.events (v2).
type MemoryEvents struct {
	Low     int64 `json:"low"`
	High    int64 `json:"high"`
	Max     int64 `json:"max"`
	OOM     int64 `json:"oom"`
	OOMKill int64 `json:"oom_kill"`
}

// PSI is the pressure stall information of a cgroup. See
// Documentation/accounting/psi.rst.
type PSI struct {
	CPU    *Pressure `json:"cpu,omitempty"`
	Memory *Pressure `json:"memory,omitempty"`
	IO     *Pressure `json:"io,omitempty"`
}

// Pressure is one *.pressure file: the "some" and "full" lines.
type Pressure struct {
	Some PressureLine  `json:"some"`
	Full *PressureLine `json:"full,omitempty"`
}

// PressureLine holds the averages (percent) and the total stall time.
type PressureLine struct {
	Avg10   float64 `json:"avg10"`
	Avg60   float64 `json:"avg60"`
	Avg300  float64 `json:"avg300"`
	TotalUS int64   `json:"total_us"`
}
