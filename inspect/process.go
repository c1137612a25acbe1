package inspect

import "time"

// Process is one thread-group leader from /proc, as seen at scan time.
// Times are microseconds and sizes bytes; see proc(5).
type Process struct {
	PID  int `json:"pid"`
	PPID int `json:"ppid"`
	// Comm is the command name from /proc/PID/stat (at most 15 bytes).
	Comm string `json:"comm"`
	// Cmdline is the argument vector; empty for kernel threads and zombies.
	Cmdline []string `json:"cmdline,omitempty"`
	// UID is the effective user ID (as ps and htop show it; a process that
	// made itself non-dumpable reads as root unless it is in a nested pid
	// namespace); User is its name from the host's passwd file, or the
	// number when it has none.
	UID  int    `json:"uid"`
	User string `json:"user"`
	// State is the one-letter state from /proc/PID/stat (R, S, D, Z, T, I, ...).
	State string `json:"state"`
	// StartTime is when the process started, derived from the boot time and
	// the start time in clock ticks.
	StartTime time.Time `json:"start_time"`
	Threads   int       `json:"threads"`
	UTimeUS   int64     `json:"utime_us"`
	STimeUS   int64     `json:"stime_us"`
	RSSBytes  int64     `json:"rss_bytes"`
	// Kernel is true for kernel threads (PF_KTHREAD).
	Kernel bool `json:"kernel,omitempty"`
	// NSpid is the PID at every nesting level of pid namespaces, outermost
	// (as we see it) first; the last entry is the PID inside the process's
	// own pid namespace. See "NSpid" in proc(5).
	NSpid []int `json:"nspid"`
	// NS holds the namespace of every type; a zero entry means unreadable.
	NS NSSet `json:"ns"`
	// PIDForChildren and TimeForChildren are the namespaces children will be
	// created in; they differ from NS after unshare(CLONE_NEWPID|CLONE_NEWTIME).
	PIDForChildren  NSID `json:"pid_for_children"`
	TimeForChildren NSID `json:"time_for_children"`
	// Cgroups lists the process's cgroup in every hierarchy, from
	// /proc/PID/cgroup.
	Cgroups []ProcCgroup `json:"cgroups,omitempty"`
	// Container is the container the process belongs to (its cgroup, or
	// its pid namespace for a container without a cgroup of its own).
	Container ContainerRef `json:"container,omitzero"`
}

// ProcCgroup is one line of /proc/PID/cgroup: hierarchy ID, controller list
// (empty for cgroup v2, "name=systemd" for named v1 hierarchies) and path.
type ProcCgroup struct {
	Hierarchy   int    `json:"hierarchy"`
	Controllers string `json:"controllers"`
	Path        string `json:"path"`
}

// InnerPID returns the PID of the process inside its own pid namespace.
func (p *Process) InnerPID() int {
	if len(p.NSpid) == 0 {
		return p.PID
	}
	return p.NSpid[len(p.NSpid)-1]
}

// CPUTimeUS returns user plus system CPU time in microseconds.
func (p *Process) CPUTimeUS() int64 { return p.UTimeUS + p.STimeUS }

// CgroupPath returns the process's path in the hierarchy with the given
// ID, and false when the process has no entry for it.
func (p *Process) CgroupPath(hierarchy int) (string, bool) {
	for _, c := range p.Cgroups {
		if c.Hierarchy == hierarchy {
			return c.Path, true
		}
	}
	return "", false
}
