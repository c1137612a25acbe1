package main

import (
	"io"
	"slices"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
)

// containerDrift is a container whose cgroup limits differ from what its
// runtime believes ("nscope containers --json", "drift").
type containerDrift struct {
	Container string               `json:"container"`
	ID        string               `json:"id"`
	Limits    []control.LimitDrift `json:"limits"`
}

// driftMark is the marker a table cell gets when one of the limits it
// shows drifted.
const driftMark0 = "*"

func driftMark(drift []control.LimitDrift, limits ...string) string {
	for _, d := range drift {
		if slices.Contains(limits, d.Limit) {
			return driftMark0
		}
	}
	return ""
}

// driftOf lists the drifted containers of list.
func driftOf(snap *inspect.Snapshot, list []inspect.Container) []containerDrift {
	var out []containerDrift
	for i := range list {
		if d := control.ContainerDrift(snap, &list[i]); len(d) > 0 {
			out = append(out, containerDrift{Container: list[i].Runtime + ":" + list[i].Name, ID: list[i].ID, Limits: d})
		}
	}
	return out
}

// writeDriftLegend explains the table's markers, one line per limit.
func writeDriftLegend(w io.Writer, drifted []containerDrift) {
	if len(drifted) == 0 {
		return
	}
	msgf(w, "nscope: %s differs from what the runtime believes (a direct cgroup write; the runtime's own update or a restart may overwrite it):\n", driftMark0)
	for _, c := range drifted {
		for _, d := range c.Limits {
			msgf(w, "nscope:   %s: %s in force, the runtime believes %s\n", c.Container, d.Limit+" "+d.Actual, d.Believed)
		}
	}
}
