package events

import (
	"bytes"

	"github.com/nscope/nscope/inspect"
)

// cgroupEvents is v2 cgroup.events: "populated 0|1" and "frozen 0|1".
// See Documentation/admin-guide/cgroup-v2.rst, "cgroup.events".
type cgroupEvents struct {
	populated, frozen bool
	// has says which keys the file held (frozen came in 5.2).
	hasPopulated, hasFrozen bool
}

// parseCgroupEvents parses cgroup.events.
func parseCgroupEvents(data []byte) cgroupEvents {
	var ce cgroupEvents
	inspect.ParseKeyed(data, func(key string, v int64) {
		switch key {
		case "populated":
			ce.populated, ce.hasPopulated = v != 0, true
		case "frozen":
			ce.frozen, ce.hasFrozen = v != 0, true
		}
	})
	return ce
}

// memoryCounters parses v2 memory.events or v1 memory.oom_control (which
// has oom_kill since 4.13) into the scanner's MemoryEvents. See
// cgroup-v2.rst, "memory.events", and cgroup-v1/memory.rst, "OOM Control".
func memoryCounters(data []byte) inspect.MemoryEvents {
	var me inspect.MemoryEvents
	inspect.ParseKeyed(data, func(key string, v int64) {
		switch key {
		case "low":
			me.Low = v
		case "high":
			me.High = v
		case "max":
			me.Max = v
		case "oom":
			me.OOM = v
		case "oom_kill":
			me.OOMKill = v
		}
	})
	return me
}

// Freezer states of v1 freezer.state.
const (
	freezerThawed   = "THAWED"
	freezerFreezing = "FREEZING"
	freezerFrozen   = "FROZEN"
)

// parseFreezerState returns the state in v1 freezer.state, "" when the
// file holds something else.
func parseFreezerState(data []byte) string {
	switch s := string(bytes.TrimSpace(data)); s {
	case freezerThawed, freezerFreezing, freezerFrozen:
		return s
	}
	return ""
}
