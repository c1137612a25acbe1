package record

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nscope/nscope/inspect"
)

// MarkKind is a set of event mark kinds: what a replay's timeline bar
// shows at a moment.
type MarkKind uint16

// The mark kinds.
const (
	// MarkOOMKill: a cgroup's oom_kill counter rose (memory.events on v2,
	// memory.oom_control on v1).
	MarkOOMKill MarkKind = 1 << iota
	// MarkThrottle: a cgroup was throttled in at least MinThrottle of its
	// CPU periods since the record before.
	MarkThrottle
	// MarkNSCreated: a namespace appeared.
	MarkNSCreated
	// MarkNSDestroyed: a namespace disappeared.
	MarkNSDestroyed
	// MarkLimitChange: a cgroup limit (or its frozen state) changed, by
	// nscope or by anyone else.
	MarkLimitChange
	// MarkJournal: nscope's journal has new entries (a change nscope made).
	MarkJournal
)

// MinThrottle is the smallest throttled share of a cgroup's CPU periods
// that is marked.
const MinThrottle = 0.05

var markNames = []struct {
	kind MarkKind
	name string
}{
	{MarkOOMKill, "oom-kill"},
	{MarkThrottle, "throttle"},
	{MarkNSCreated, "ns-created"},
	{MarkNSDestroyed, "ns-destroyed"},
	{MarkLimitChange, "limit-change"},
	{MarkJournal, "journal"},
}

// String lists the kinds in the set, comma-separated.
func (k MarkKind) String() string {
	var names []string
	for _, m := range markNames {
		if k&m.kind != 0 {
			names = append(names, m.name)
		}
	}
	if rest := k &^ (MarkJournal<<1 - 1); rest != 0 {
		names = append(names, fmt.Sprintf("0x%x", uint16(rest)))
	}
	return strings.Join(names, ",")
}

// MarshalJSON writes the kind set as its name.
func (k MarkKind) MarshalJSON() ([]byte, error) { return json.Marshal(k.String()) }

// UnmarshalJSON reads a kind set written by MarshalJSON.
func (k *MarkKind) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*k = 0
	for _, part := range strings.Split(s, ",") {
		if part == "" {
			continue
		}
		found := false
		for _, m := range markNames {
			if m.name == part {
				*k |= m.kind
				found = true
			}
		}
		if !found {
			return fmt.Errorf("unknown mark kind %q", part)
		}
	}
	return nil
}

// Mark is one event worth a mark on a timeline: what happened, to which
// cgroup or namespace, and the numbers.
type Mark struct {
	Kind MarkKind  `json:"kind"`
	Time time.Time `json:"time"`
	// Hierarchy and Cgroup name the cgroup of an OOM kill, throttling or
	// limit change.
	Hierarchy int    `json:"hierarchy,omitempty"`
	Cgroup    string `json:"cgroup,omitempty"`
	// NS and NSType name a namespace created or destroyed.
	NS     inspect.NSID `json:"ns,omitzero"`
	NSType string       `json:"ns_type,omitempty"`
	// Limit, Old and New describe a limit change (Limit is the field's
	// JSON name in the snapshot, e.g. "memory_max"; values as numbers, or
	// "max", or "" when the file was absent).
	Limit string `json:"limit,omitempty"`
	Old   string `json:"old,omitempty"`
	New   string `json:"new,omitempty"`
	// Count is how many OOM kills happened since the record before.
	Count int64 `json:"count,omitempty"`
	// Throttled is the share of CPU periods throttled since the record
	// before, 0 to 1.
	Throttled float64 `json:"throttled,omitempty"`
}
