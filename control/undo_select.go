package control

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrUndoOrder means the change asked for was overwritten by a newer
// change to the same file that is not undone: undo that one first.
var ErrUndoOrder = errors.New("a newer change must be undone first")

// UndoFilter picks the change an undo reverts: the newest undoable
// change that matches every field that is set.
type UndoFilter struct {
	// Cgroup is the cgroup's path as Target.Path.
	Cgroup string
	// Hierarchy is the label of a hierarchy the change wrote in ("cpu",
	// "v2"): the undo of one hierarchy's row.
	Hierarchy string
	// File is a file the change wrote ("cpu.max").
	File string
	// User is who made it (Change.User).
	User string
	// Change is the change's ID: exactly that change.
	Change string
}

// String says which changes the filter picks, for messages: "to /a",
// "to cpu.max of /a", "to /a in the cpu hierarchy", "by alice", "change
// ID".
func (f UndoFilter) String() string {
	var parts []string
	if f.Change != "" {
		parts = append(parts, f.Change)
	}
	switch {
	case f.File != "" && f.Cgroup != "":
		parts = append(parts, "to "+f.File+" of "+f.Cgroup)
	case f.File != "":
		parts = append(parts, "to "+f.File)
	case f.Cgroup != "":
		parts = append(parts, "to "+f.Cgroup)
	}
	if f.Hierarchy != "" {
		parts = append(parts, "in the "+f.Hierarchy+" hierarchy")
	}
	if f.User != "" {
		parts = append(parts, "by "+f.User)
	}
	if len(parts) == 0 {
		return "to any cgroup"
	}
	return strings.Join(parts, " ")
}

// Matches reports whether c is a change f picks (undoable or not).
func (f UndoFilter) Matches(c *Change) bool {
	if (f.Change != "" && c.ID != f.Change) || (f.Cgroup != "" && c.Cgroup != f.Cgroup) || (f.User != "" && c.User != f.User) {
		return false
	}
	if f.Hierarchy == "" && f.File == "" {
		return true
	}
	for _, w := range c.Writes {
		if (f.Hierarchy == "" || w.Hierarchy == f.Hierarchy) && (f.File == "" || w.File == f.File) {
			return true
		}
	}
	return false
}

// LastUndoable returns the newest undoable change of changes (oldest
// first, as Journal.Changes returns them) that f picks, or nil.
func LastUndoable(changes []Change, f UndoFilter) *Change {
	for i := len(changes) - 1; i >= 0; i-- {
		if c := &changes[i]; c.Undoable() && f.Matches(c) {
			return c
		}
	}
	return nil
}

// newerOverwrite returns the first change after c (in changes, oldest
// first) that is not undone and wrote a file c wrote, or nil: undoing c
// before it would write c's old value over that change.
func newerOverwrite(changes []Change, c *Change) *Change {
	files := map[string]bool{}
	for _, w := range c.Writes {
		files[w.Path] = true
	}
	after := false
	for i := range changes {
		n := &changes[i]
		if n.ID == c.ID {
			after = true
			continue
		}
		if !after || !n.Undoable() {
			continue
		}
		for _, w := range n.Writes {
			if files[w.Path] {
				return n
			}
		}
	}
	return nil
}

// PlanUndoMatching plans the undo of the newest undoable change that f
// picks, as PlanUndo does. With f.Change set it plans that change's
// undo, and refuses with ErrUndoOrder when a newer change to one of its
// files is not undone (undo that first), and with ErrNothingToUndo when
// the change cannot be undone (a kill, an undo, one already undone).
func (e *Editor) PlanUndoMatching(f UndoFilter, force bool) (*Plan, error) {
	changes, err := e.journal.Changes()
	if err != nil {
		return nil, err
	}
	c := LastUndoable(changes, f)
	if c == nil {
		if f.Change != "" {
			for i := range changes {
				if changes[i].ID == f.Change {
					return nil, fmt.Errorf("change %s (%s of %s) cannot be undone: %s: %w", f.Change, changes[i].Action, changes[i].Cgroup, notUndoableReason(&changes[i]), ErrNothingToUndo)
				}
			}
			return nil, fmt.Errorf("no change %s in the journal %s: %w", f.Change, e.journal.Path(), ErrNothingToUndo)
		}
		return nil, fmt.Errorf("no change %s in the journal %s can be undone: %w", f, e.journal.Path(), ErrNothingToUndo)
	}
	if f.Change != "" {
		if n := newerOverwrite(changes, c); n != nil {
			return nil, fmt.Errorf("change %s (%s of %s by %s at %s) wrote the same files after this one: undo it first: %w",
				n.ID, n.Action, n.Cgroup, n.Who(), n.Time.Local().Format("2006-01-02 15:04:05"), ErrUndoOrder)
		}
	}
	return e.planUndoOf(c, force)
}

// notUndoableReason says why Undoable is false for c.
func notUndoableReason(c *Change) string {
	switch {
	case c.UndoneBy != "":
		return "it was undone by " + c.UndoneBy
	case c.Action == "kill":
		return "a kill cannot be undone"
	case c.Undoes != "":
		return "it reverts " + c.Undoes + " itself; undo the change before it instead"
	case c.Action == "run":
		return "a launch is not a limit change"
	case c.ForKill != "":
		return "it is a kill's own thaw"
	}
	return "none of its writes was applied"
}

// IsFreezeUndo reports whether p, an undo plan, writes a freezer file:
// it freezes or thaws the cgroup again, which stops or resumes its
// processes, so it is confirmed as freeze is (except the thaw that ends
// a kill's own freeze, which the kill meant to do; see Change.ForKill).
func IsFreezeUndo(p *Plan) bool {
	for _, w := range append(append([]Write(nil), p.Writes...), p.Unchanged...) {
		if w.File == "freezer.state" || w.File == "cgroup.freeze" {
			return true
		}
	}
	return false
}

// ApplyUndo applies an undo plan (PlanUndo, PlanUndoMatching); one that
// freezes or thaws waits for the state to settle, as Undo does.
func (e *Editor) ApplyUndo(ctx context.Context, p *Plan) (*Result, error) {
	res, err := e.Apply(ctx, p)
	if err == nil && IsFreezeUndo(p) {
		for i := range res.Writes {
			wr := &res.Writes[i]
			if state, werr := e.waitFrozen(ctx, wr.Dir, wr.Version, IsFrozenState(wr.New)); werr == nil {
				wr.After = state
			} else {
				err = werr
			}
		}
	}
	return res, err
}
