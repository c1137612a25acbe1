package control

import (
	"time"
)

// Write states in the journal.
const (
	// StateApplied: the kernel accepted the write.
	StateApplied = "applied"
	// StateFailed: the kernel refused it; the file is unchanged.
	StateFailed = "failed"
	// StateUnknown: a "before" entry without an "after" one, nscope
	// stopped (crashed) mid-write; the file may hold either value.
	StateUnknown = "unknown"
)

// Change is one change as the journal records it: its writes, their
// results, and whether it was undone.
type Change struct {
	ID     string    `json:"id"`
	Time   time.Time `json:"time"`
	Action string    `json:"action"`
	Cgroup string    `json:"cgroup"`
	Undoes string    `json:"undoes,omitempty"`
	// ForKill is the kill a freeze or thaw was part of; a freeze of a
	// kill that is not undone was left by a kill that did not finish.
	ForKill string `json:"for_kill,omitempty"`
	// PID and UID are those of the nscope that made the change, User who
	// ran it ("" in journals of nscope versions that did not record it).
	PID    int           `json:"pid"`
	UID    int           `json:"uid"`
	User   string        `json:"user,omitempty"`
	Writes []ChangeWrite `json:"writes"`
	// UndoneBy is the undo or rollback change that reverted this one.
	UndoneBy string `json:"undone_by,omitempty"`
}

// ChangeWrite is one file write of a Change.
type ChangeWrite struct {
	Hierarchy string `json:"hierarchy"`
	Version   int    `json:"version"`
	Path      string `json:"path"`
	File      string `json:"file"`
	Old       string `json:"old"`
	New       string `json:"new"`
	ReadBack  string `json:"readback,omitempty"`
	State     string `json:"state"`
	Result    string `json:"result,omitempty"`
	Errno     string `json:"errno,omitempty"`
}

// Undoable reports whether undo can revert the change: a limit or freeze
// change with at least one write that was (or may have been) applied, not
// yet undone. Kills cannot be undone; undos and rollbacks (and other
// changes that revert one) are not undone again; of a kill's freezer
// writes only its temporary freeze is, which a kill that was stopped
// left in place.
func (c Change) Undoable() bool {
	if c.UndoneBy != "" || c.Undoes != "" || (c.Action != "set" && c.Action != "freeze" && c.Action != "thaw") {
		return false
	}
	if c.ForKill != "" && c.Action != "freeze" {
		return false
	}
	for _, w := range c.Writes {
		if w.State == StateApplied || w.State == StateUnknown {
			return true
		}
	}
	return false
}

// Status summarises the change: "ok", "failed", "partly applied",
// "incomplete" (crash), "undone".
func (c Change) Status() string {
	if c.UndoneBy != "" {
		if c.Action == "set" || c.Action == "freeze" || c.Action == "thaw" {
			return "undone"
		}
	}
	var ok, failed, unknown int
	for _, w := range c.Writes {
		switch w.State {
		case StateApplied:
			ok++
		case StateFailed:
			failed++
		default:
			unknown++
		}
	}
	switch {
	case unknown > 0:
		return "incomplete"
	case failed > 0 && ok > 0:
		return "partly applied"
	case failed > 0:
		return "failed"
	}
	return "ok"
}

// Changes reads the journal and groups it into changes, oldest first,
// with UndoneBy filled in from later undo and rollback changes that were
// fully applied.
func (j *Journal) Changes() ([]Change, error) {
	entries, _, err := j.Entries()
	if err != nil {
		return nil, err
	}
	return groupChanges(entries), nil
}

func groupChanges(entries []Entry) []Change {
	var out []Change
	index := map[string]int{}
	noop := map[string]bool{}
	for _, e := range entries {
		i, ok := index[e.Change]
		if !ok {
			i = len(out)
			index[e.Change] = i
			out = append(out, Change{ID: e.Change, Time: e.Time, Action: e.Action, Cgroup: e.Cgroup, Undoes: e.Undoes, ForKill: e.ForKill, PID: e.PID, UID: e.UID, User: e.User})
		}
		c := &out[i]
		switch e.Phase {
		case PhaseNoop:
			noop[e.Change] = true
		case PhaseBefore:
			c.Writes = append(c.Writes, ChangeWrite{
				Hierarchy: e.Hierarchy, Version: e.Version, Path: e.Path, File: e.File,
				Old: e.Old, New: e.New, State: StateUnknown,
			})
		case PhaseAfter:
			// The after entry belongs to the last write of that path still
			// waiting for its result.
			for k := len(c.Writes) - 1; k >= 0; k-- {
				w := &c.Writes[k]
				if w.Path == e.Path && w.State == StateUnknown {
					w.ReadBack, w.Result, w.Errno = e.ReadBack, e.Result, e.Errno
					if e.Result == "ok" {
						w.State = StateApplied
					} else {
						w.State = StateFailed
					}
					break
				}
			}
		}
	}
	for _, c := range out {
		if c.Undoes == "" {
			continue
		}
		i, ok := index[c.Undoes]
		if !ok {
			continue
		}
		done := len(c.Writes) > 0 || noop[c.ID]
		for _, w := range c.Writes {
			if w.State != StateApplied {
				done = false
			}
		}
		if done {
			out[i].UndoneBy = c.ID
		}
	}
	return out
}

// ShownNewValue is the value a history shows a write left: the value
// read back after it, except where that is a passing state (a v1 freeze
// reads FREEZING until every task stopped; freeze waits for FROZEN) or
// only the written device's line matters (io.max): then the value
// written.
func ShownNewValue(w ChangeWrite) string {
	if w.ReadBack == "" || w.File == "io.max" || (w.File == "freezer.state" && w.ReadBack == "FREEZING") {
		return w.New
	}
	return w.ReadBack
}
