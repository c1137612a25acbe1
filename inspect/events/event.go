package events

import (
	"time"

	"github.com/nscope/nscope/inspect"
)

// Kind says what happened. Kinds are short lowercase words, stable in the
// JSON output; new kinds may be added.
type Kind string

// Process events, from the kernel's scheduler and task tracepoints.
const (
	// Fork: a new process (not a thread). PID is the child, PPID its
	// parent, Comm the name it inherited.
	Fork Kind = "fork"
	// Exec: the process replaced its program. Comm is the new name, Args
	// the new argument vector, Filename the path given to execve(2).
	Exec Kind = "exec"
	// Exit: the process's last thread exited. ExitCode or Signal says how.
	Exit Kind = "exit"
	// Comm: the process renamed itself (prctl PR_SET_NAME or a write to
	// /proc/PID/comm); Old is the former name.
	Comm Kind = "comm"
	// UID: the process's real or effective user ID changed; Old and New
	// are "uid/euid".
	UID Kind = "uid"
	// Move: the process was moved to another cgroup (a write to
	// cgroup.procs); Cgroup and Hierarchy name the destination.
	Move Kind = "move"
)

// Namespace events, derived from process events and holders.
const (
	// NSNew: a namespace seen for the first time: a process was created
	// in it or entered it, or something began holding it (a bind mount,
	// "ip netns add"). PID is the process that revealed it, if any.
	NSNew Kind = "ns-new"
	// NSGone: a namespace's last member exited and nothing holds it: the
	// kernel has freed it (or will as soon as the last reference drops).
	NSGone Kind = "ns-gone"
)

// Cgroup events, from cgroup files and cgroupfs itself.
const (
	// CgroupNew and CgroupGone: a cgroup directory was made or removed.
	CgroupNew  Kind = "cgroup-new"
	CgroupGone Kind = "cgroup-gone"
	// Populated and Empty: the cgroup (with its descendants) gained its
	// first process or lost its last (v2 cgroup.events "populated").
	Populated Kind = "populated"
	Empty     Kind = "empty"
	// Frozen and Thawed: the cgroup's processes were stopped or let run
	// again (v2 cgroup.events "frozen"; v1 freezer.state, polled).
	Frozen Kind = "frozen"
	Thawed Kind = "thawed"
	// OOM: the cgroup hit its memory limit and the OOM killer ran (v2
	// memory.events "oom"; v1 memory.oom_control notification). Count is
	// how many times since the last event.
	OOM Kind = "oom"
	// OOMKill: the OOM killer killed Count processes in the cgroup (v2
	// memory.events "oom_kill"; v1 memory.oom_control "oom_kill").
	OOMKill Kind = "oom-kill"
	// MemoryHigh and MemoryMax: the cgroup was throttled at memory.high,
	// or reclaimed at memory.max, Count times (v2 memory.events).
	MemoryHigh Kind = "memory-high"
	MemoryMax  Kind = "memory-max"
)

// Other events.
const (
	// Limit: nscope changed a cgroup file (from its journal): File, Old,
	// New, and Detail with the action and result.
	Limit Kind = "limit"
	// Lost: Count events were dropped, by the kernel (the ring buffer was
	// full) or because this subscriber did not keep up. The stream
	// rescans /proc after a kernel loss; a subscriber that keeps state
	// should rescan too.
	Lost Kind = "lost"
	// Warning: a source is unavailable or degraded; Detail says which and
	// why (e.g. process events need root).
	Warning Kind = "warning"
)

// Source says where an event came from.
type Source string

// The event sources.
const (
	SourceBPF       Source = "bpf"
	SourceConnector Source = "proc-connector"
	SourceInotify   Source = "inotify"
	SourceEventfd   Source = "eventfd"
	SourcePoll      Source = "poll"
	SourceScan      Source = "scan"
	SourceJournal   Source = "journal"
	SourceStream    Source = "stream"
)

// Event is one thing that happened on the host. Which fields are set
// depends on Kind (see each Kind); text fields hold host bytes as they
// were (names, paths and arguments are chosen by whoever runs on the
// host: escape them before printing them to a terminal).
type Event struct {
	// Seq numbers the stream's events from 1 in the order they were
	// published (a filtered subscription sees gaps; a Lost event says
	// what was lost).
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	Kind Kind      `json:"kind"`
	// Source is the mechanism that reported it.
	Source Source `json:"source"`

	// PID and PPID are as the initial pid namespace numbers them;
	// InnerPID is the PID inside the process's own pid namespace when
	// that differs.
	PID      int    `json:"pid,omitempty"`
	PPID     int    `json:"ppid,omitempty"`
	InnerPID int    `json:"inner_pid,omitempty"`
	Comm     string `json:"comm,omitempty"`
	// UID and EUID are the process's real and effective user IDs.
	UID  *int `json:"uid,omitempty"`
	EUID *int `json:"euid,omitempty"`
	// Filename and Args are the exec'd path and argument vector; Args
	// may be cut short (ArgsTruncated).
	Filename      string   `json:"filename,omitempty"`
	Args          []string `json:"args,omitempty"`
	ArgsTruncated bool     `json:"args_truncated,omitempty"`
	// ExitCode is set for a normal exit; Signal for a death by signal
	// (Core when it dumped core). OOMKilled: the OOM killer chose it.
	ExitCode  *int `json:"exit_code,omitempty"`
	Signal    int  `json:"signal,omitempty"`
	Core      bool `json:"core,omitempty"`
	OOMKilled bool `json:"oom_killed,omitempty"`

	// Cgroup is the cgroup path inside its hierarchy ("/" is the root);
	// Hierarchy the hierarchy's label ("v2", "memory", "cpu,cpuacct").
	// For a process event it is the process's cgroup in the hierarchy
	// that best names it (memory on v1, else the first non-root path).
	Cgroup    string `json:"cgroup,omitempty"`
	Hierarchy string `json:"hierarchy,omitempty"`
	// Container names the container the cgroup belongs to, when the
	// stream was given a way to name it (WithContainerNamer).
	Container string `json:"container,omitempty"`
	// Namespace is the namespace of a namespace event.
	Namespace *NamespaceRef `json:"namespace,omitempty"`

	// File, Old and New describe a change: the cgroup file of a limit
	// change, the former and new name, IDs or state.
	File string `json:"file,omitempty"`
	Old  string `json:"old,omitempty"`
	New  string `json:"new,omitempty"`
	// Count is how many occurrences one event stands for (OOM counters,
	// lost events).
	Count int64 `json:"count,omitempty"`
	// Detail is a short human explanation.
	Detail string `json:"detail,omitempty"`

	// procCgroups are the process's cgroups in every hierarchy, for
	// filters (shared, never changed).
	procCgroups []inspect.ProcCgroup
}

// NamespaceRef names a namespace and, for a held one, what holds it.
type NamespaceRef struct {
	Type inspect.NSType `json:"type"`
	ID   inspect.NSID   `json:"id"`
	// Holders says what kept it alive when it was seen, e.g.
	// "named-netns /run/netns/blue" (empty when only processes do).
	Holders []string `json:"holders,omitempty"`
}

// IsProcess reports whether the event is about one process's lifecycle.
func (k Kind) IsProcess() bool {
	switch k {
	case Fork, Exec, Exit, Comm, UID, Move:
		return true
	}
	return false
}

// IsCgroup reports whether the event is about a cgroup.
func (k Kind) IsCgroup() bool {
	switch k {
	case CgroupNew, CgroupGone, Populated, Empty, Frozen, Thawed, OOM, OOMKill, MemoryHigh, MemoryMax, Limit:
		return true
	}
	return false
}

func intPtr(v int) *int { return &v }
