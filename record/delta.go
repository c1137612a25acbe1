package record

import (
	"encoding/json"
	"time"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
)

// Extras are what a record carries besides the host's state: the event
// marks found when it was written, nscope's journal entries appended since
// the record before, and events.
type Extras struct {
	Marks []Mark `json:"marks,omitempty"`
	// Journal are the entries nscope's change journal gained since the
	// record before (control.Entry, oldest first).
	Journal []control.Entry `json:"journal,omitempty"`
	// Events is the slot for the event stream of "nscope events" (process,
	// namespace, cgroup and OOM events), one JSON object each, once an
	// event source feeds the recorder.
	Events []json.RawMessage `json:"events,omitempty"`
}

// Delta is what changed between two states of the host. Applied to the
// state it was taken against, it gives the next state exactly.
type Delta struct {
	Time         time.Time `json:"time"`
	ScanDuration int64     `json:"scan_duration_ns"`
	// Scan marks a delta taken from a full scan (structure may change);
	// without it the delta holds counters only.
	Scan bool `json:"scan,omitempty"`

	// The snapshot's scalar parts, when they changed.
	ScanMethod  *string               `json:"scan_method,omitempty"`
	Host        *inspect.Host         `json:"host,omitempty"`
	CgroupMode  *inspect.CgroupMode   `json:"cgroup_mode,omitempty"`
	Hierarchies *[]inspect.Hierarchy  `json:"hierarchies,omitempty"`
	Unreadable  *[]inspect.Unreadable `json:"unreadable,omitempty"`

	// Other holds, by JSON name, the snapshot's other top-level fields
	// that changed (the slot where containers go once the snapshot has
	// them), each whole.
	Other map[string]json.RawMessage `json:"other,omitempty"`

	// Exited are the PIDs of processes that are gone.
	Exited []int `json:"exited,omitempty"`
	// Processes are processes that are new or changed in more than their
	// counters (a PID reused, a new command line, namespace or cgroup),
	// whole.
	Processes []inspect.Process `json:"processes,omitempty"`
	// Counters are the counters of processes that changed in nothing else.
	Counters *ProcCounters `json:"counters,omitempty"`

	// NSGone are namespaces that disappeared.
	NSGone []inspect.NSID `json:"ns_gone,omitempty"`
	// Namespaces are namespaces that are new or changed.
	Namespaces []NSChange `json:"namespaces,omitempty"`
	// CgroupsGone are cgroups that disappeared.
	CgroupsGone []CgroupRef `json:"cgroups_gone,omitempty"`
	// Cgroups are cgroups that are new or changed.
	Cgroups []CgroupChange `json:"cgroups,omitempty"`

	Extras
}

// ProcCounters are the moving counters of some processes, by column so
// that they compress well. Every column has one entry per process. PIDs
// are ascending and stored as the difference to the PID before; the times,
// RSS and thread count as the difference to the process's previous value.
type ProcCounters struct {
	PID     []int    `json:"pid"`
	State   []string `json:"state"`
	Threads []int    `json:"threads"`
	UTimeUS []int64  `json:"utime_us"`
	STimeUS []int64  `json:"stime_us"`
	RSS     []int64  `json:"rss_bytes"`
}

// NSChange is a namespace that is new or changed. Members are stored as
// PIDs added and removed.
type NSChange struct {
	ID inspect.NSID `json:"id"`
	// Namespace is the whole namespace without its members, when it is new
	// or anything but its members changed.
	Namespace *inspect.Namespace `json:"namespace,omitempty"`
	Added     []int              `json:"added,omitempty"`
	Removed   []int              `json:"removed,omitempty"`
}

// CgroupRef names a cgroup: hierarchy ID and path.
type CgroupRef struct {
	Hierarchy int    `json:"hierarchy"`
	Path      string `json:"path"`
}

// CgroupChange is a cgroup that is new or changed; nil fields held still.
type CgroupChange struct {
	CgroupRef
	// New marks a cgroup that appeared.
	New         bool      `json:"new,omitempty"`
	Controllers *[]string `json:"controllers,omitempty"`
	// Container is the cgroup's container reference when it changed.
	Container *inspect.ContainerRef `json:"container,omitempty"`
	Limits    *inspect.Limits       `json:"limits,omitempty"`
	Usage     *inspect.Usage        `json:"usage,omitempty"`
	// RawSet are Raw files with a new text; RawDel files no longer read.
	RawSet map[string]string `json:"raw_set,omitempty"`
	RawDel []string          `json:"raw_del,omitempty"`
	// ProcsAdded and ProcsRemoved change the member PIDs.
	ProcsAdded   []int `json:"procs_added,omitempty"`
	ProcsRemoved []int `json:"procs_removed,omitempty"`
}
