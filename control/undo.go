package control

import (
	"context"
	"fmt"
	"strings"
)

// PlanUndo plans reverting the newest undoable change in the journal, of
// the cgroup with the given path (as Target.Path; "" for any cgroup): the
// old values written back in reverse order (which passes through the same
// intermediate states as the change, so v1 quota/period pairs stay valid).
// A file that no longer holds the value nscope wrote was changed by
// someone else since: that is ErrUndoConflict unless force. A write that
// was interrupted by a crash (no result journaled) is restored if it
// happened and skipped if not. Kills cannot be undone; an undo is not
// undone again (undo repeatedly to walk further back).
func (e *Editor) PlanUndo(cgroupPath string, force bool) (*Plan, error) {
	return e.PlanUndoMatching(UndoFilter{Cgroup: cgroupPath}, force)
}

// planUndoOf plans writing back the old values of change c.
func (e *Editor) planUndoOf(c *Change, force bool) (*Plan, error) {
	action := "undo"
	p := &Plan{Action: action, Target: Target{Path: c.Cgroup}, Undoes: c.ID}
	p.Notes = append(p.Notes, fmt.Sprintf("undo %s of %s made %s", c.Action, c.Cgroup, c.Time.Local().Format("2006-01-02 15:04:05")))
	for i := len(c.Writes) - 1; i >= 0; i-- {
		w := c.Writes[i]
		if w.State != StateApplied && w.State != StateUnknown {
			continue
		}
		dir, file, err := e.journalWrite(c, w)
		if err != nil {
			return nil, err
		}
		cur, err := e.read(dir, file)
		if err != nil {
			return nil, err
		}
		wr := Write{Hierarchy: w.Hierarchy, Version: w.Version, Cgroup: c.Cgroup, Dir: dir, File: file, Old: cur, New: restoreValue(file, w.Old)}
		if file == "io.max" {
			if io, err := parseIOMax(file, w.New); err == nil {
				cur = ioMaxLine([]byte(cur), io.Major, io.Minor)
				wr.Old = cur
			}
		}
		wrote := w.ReadBack
		if file == "io.max" && w.ReadBack != "" {
			if io, err := parseIOMax(file, w.New); err == nil {
				wrote = ioMaxLine([]byte(w.ReadBack), io.Major, io.Minor)
			}
		}
		if wrote == "" {
			wrote = w.New
		}
		switch {
		case sameState(file, cur, w.Old):
			p.Unchanged = append(p.Unchanged, wr)
			continue
		case w.State == StateUnknown && !sameState(file, cur, wrote) && !sameState(file, cur, w.New) && !force:
			return nil, fmt.Errorf("%s reads %q, neither %q from before nor %q that nscope was writing when it stopped; undo --force overwrites it: %w", w.Path, cur, w.Old, w.New, ErrUndoConflict)
		case w.State == StateApplied && !sameState(file, cur, wrote) && !sameState(file, cur, w.New) && !force:
			return nil, fmt.Errorf("%s reads %q, not %q that nscope wrote: it was changed since; undo --force overwrites it with %q: %w", w.Path, cur, wrote, w.Old, ErrUndoConflict)
		}
		p.Writes = append(p.Writes, wr)
	}
	return p, nil
}

// sameState compares two values of a file as the kernel means them.
func sameState(file, a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	switch file {
	case "freezer.state":
		return (a == "THAWED") == (b == "THAWED")
	case "io.max":
		x, err1 := parseIOMax(file, a)
		y, err2 := parseIOMax(file, b)
		if err1 == nil && err2 == nil {
			x.Set, y.Set = nil, nil
			return x.String() == y.String()
		}
	case "cpu.max":
		return strings.Join(strings.Fields(a), " ") == strings.Join(strings.Fields(b), " ")
	}
	return sameValue(file, a, b)
}

// Undo plans and applies the undo of the newest undoable change of the
// cgroup ("" for any); for a freeze change it waits for the state to
// settle.
func (e *Editor) Undo(ctx context.Context, cgroupPath string, force bool) (*Plan, *Result, error) {
	p, err := e.PlanUndo(cgroupPath, force)
	if err != nil {
		return nil, nil, err
	}
	res, err := e.ApplyUndo(ctx, p)
	return p, res, err
}
