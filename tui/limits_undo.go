package tui

import (
	"context"
	"fmt"

	"github.com/nscope/nscope/control"
)

// undoFlow reverts the newest undoable change nscope made to the
// selected cgroup (for a process: to any of its cgroups), as the journal
// recorded it. It shows that change (old → new) and the writes that undo
// it, and asks for confirmation.
func undoFlow(ed LimitEditor, t cgTarget, sel Selection) changeFlow {
	paths := []string{t.path}
	if sel.Process != nil && sel.Cgroup == nil {
		seen := map[string]bool{t.path: true}
		for _, c := range sel.Process.Cgroups {
			if !seen[c.Path] {
				seen[c.Path] = true
				paths = append(paths, c.Path)
			}
		}
	}
	// The journal keys changes by path, in whichever hierarchies they
	// wrote: the title names the path, not one hierarchy.
	name := "cgroup " + t.path
	if sel.Process != nil && sel.Cgroup == nil {
		name = fmt.Sprintf("cgroups of PID %d (%s)", sel.Process.PID, sel.Process.Comm)
	}
	return changeFlow{
		title: "Undo the last change · " + name,
		busy:  "writing the old values back…",
		plan: func() (*changePreview, error) {
			c, err := lastUndoable(ed, paths)
			if err != nil {
				return nil, err
			}
			p, err := ed.PlanUndo(c.Cgroup, false)
			if err != nil {
				return nil, err
			}
			pv := &changePreview{verb: "undo", lines: undoLines(c)}
			pv.lines = append(pv.lines, dline{})
			if len(p.Writes) == 0 {
				pv.lines = append(pv.lines, dline{segs: []seg{{"Every file already holds its old value; confirming records the change as undone.", roleNormal}}})
			}
			// The plan's note repeats "Last change"; leave it out.
			shown := *p
			shown.Notes = nil
			for _, l := range planLines(&shown) {
				if len(l.segs) == 1 && l.segs[0].text == "This writes, in order:" {
					l.segs[0].text = "Undo writes, in order:"
				}
				pv.lines = append(pv.lines, l)
			}
			pv.apply = func(ctx context.Context) changeOutcome {
				res, err := ed.Apply(ctx, p)
				return resultOutcome(p, res, err)
			}
			return pv, nil
		},
	}
}

// lastUndoable returns the newest change in the journal that can be
// undone and was made to one of paths.
func lastUndoable(ed LimitEditor, paths []string) (*control.Change, error) {
	changes, err := ed.Changes()
	if err != nil {
		return nil, err
	}
	for i := len(changes) - 1; i >= 0; i-- {
		c := &changes[i]
		if !c.Undoable() {
			continue
		}
		for _, p := range paths {
			if c.Cgroup == p {
				return c, nil
			}
		}
	}
	where := paths[0]
	if len(paths) > 1 {
		where = fmt.Sprintf("any of %v", paths)
	}
	return nil, fmt.Errorf("nothing to undo for %s: the journal %s has no change to it that can be undone: %w", where, ed.JournalPath(), control.ErrNothingToUndo)
}

// undoLines shows the journaled change being undone.
func undoLines(c *control.Change) []dline {
	out := []dline{{segs: []seg{
		{"Last change: ", roleHeading},
		{fmt.Sprintf("%s of %s at %s", c.Action, c.Cgroup, c.Time.Local().Format("2006-01-02 15:04:05")), roleNormal},
		{fmt.Sprintf(" (by PID %d, %s)", c.PID, c.ID), roleDim},
	}}}
	for _, w := range c.Writes {
		if w.State != control.StateApplied && w.State != control.StateUnknown {
			continue
		}
		after := w.ReadBack
		if after == "" {
			after = w.New
		}
		out = append(out,
			dline{segs: []seg{{"  " + w.Path, roleNormal}}},
			dline{segs: []seg{{"      was ", roleLabel}, {control.DescribeValue(w.File, w.Old), roleNormal}, {" → ", roleLabel}, {control.DescribeValue(w.File, after), roleNormal}}},
		)
	}
	return out
}
