package tui

import (
	"context"
	"fmt"

	"github.com/nscope/nscope/control"
)

// undoFilters are the changes the u key means for selection sel with
// target t: on a merged cgroup row, any change to its path; on a row of
// one hierarchy, the changes to that hierarchy's files at the path (u on
// the cpu row undoes a CPU limit, not the freeze of the same path in the
// freezer hierarchy); for a process, a change to any of its cgroups.
func undoFilters(t cgTarget, sel Selection) []control.UndoFilter {
	switch {
	case sel.Merged != nil:
		return []control.UndoFilter{{Cgroup: t.path}}
	case sel.Cgroup != nil:
		if h := sel.Snapshot.Hierarchy(sel.Cgroup.Hierarchy); h != nil {
			return []control.UndoFilter{{Cgroup: t.path, Hierarchy: h.Label()}}
		}
		return []control.UndoFilter{{Cgroup: t.path}}
	}
	out := []control.UndoFilter{{Cgroup: t.path}}
	seen := map[string]bool{t.path: true}
	for _, c := range sel.Process.Cgroups {
		if !seen[c.Path] {
			seen[c.Path] = true
			out = append(out, control.UndoFilter{Cgroup: c.Path})
		}
	}
	return out
}

// undoTitle names what u undoes for sel.
func undoTitle(t cgTarget, sel Selection) string {
	switch {
	case sel.Merged != nil:
		return "Undo the last change · cgroup " + t.path
	case sel.Cgroup != nil:
		if h := sel.Snapshot.Hierarchy(sel.Cgroup.Hierarchy); h != nil && h.Version == 1 {
			return "Undo the last change · " + h.Label() + " cgroup " + t.path
		}
		return "Undo the last change · cgroup " + t.path
	}
	return fmt.Sprintf("Undo the last change · cgroups of PID %d (%s)", sel.Process.PID, sel.Process.Comm)
}

// undoFlow reverts the newest undoable change that one of filters picks,
// as the journal recorded it. It shows that change (who, when, old →
// new) and the writes that undo it, and asks for confirmation: a typed y
// when the undo freezes or thaws the cgroup, as freezing does.
func undoFlow(ed LimitEditor, title string, filters ...control.UndoFilter) changeFlow {
	return changeFlow{
		title: title,
		busy:  "writing the old values back…",
		plan: func() (*changePreview, error) {
			c, err := lastUndoable(ed, filters)
			if err != nil {
				return nil, err
			}
			// That change exactly: the plan refuses when a newer change
			// to its files is not undone.
			p, err := ed.PlanUndoMatching(control.UndoFilter{Change: c.ID}, false)
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
			if control.IsFreezeUndo(p) && len(p.Writes) > 0 && c.ForKill == "" {
				pv.typeY = true
				pv.warnings = append(pv.warnings, freezeUndoWarning(c))
			}
			if c.User != "" && c.User != ed.User() {
				pv.warnings = append(pv.warnings, fmt.Sprintf("this is %s's change, not yours (%s)", c.User, ed.User()))
			}
			pv.apply = func(ctx context.Context) changeOutcome {
				res, err := ed.ApplyUndo(ctx, p)
				return resultOutcome(p, res, err)
			}
			return pv, nil
		},
	}
}

// freezeUndoWarning says what undoing a freeze or a thaw does.
func freezeUndoWarning(c *control.Change) string {
	if c.Action == "thaw" {
		return fmt.Sprintf("this undoes a thaw: it freezes %s again, and every process in it stops until it is thawed (f, or u again)", c.Cgroup)
	}
	return fmt.Sprintf("this undoes a freeze: it thaws %s, and every process in it runs again", c.Cgroup)
}

// lastUndoable returns the newest change in the journal that can be
// undone and that one of filters picks.
func lastUndoable(ed LimitEditor, filters []control.UndoFilter) (*control.Change, error) {
	changes, err := ed.Changes()
	if err != nil {
		return nil, err
	}
	var best *control.Change
	for _, f := range filters {
		if c := control.LastUndoable(changes, f); c != nil && (best == nil || c.Time.After(best.Time)) {
			best = c
		}
	}
	if best != nil {
		return best, nil
	}
	where := filters[0].String()
	if len(filters) > 1 {
		where = "to the cgroups of the process"
	}
	return nil, fmt.Errorf("nothing to undo: the journal %s has no change %s that can be undone: %w", ed.JournalPath(), where, control.ErrNothingToUndo)
}

// undoLines shows the journaled change being undone.
func undoLines(c *control.Change) []dline {
	out := []dline{{segs: []seg{
		{"Last change: ", roleHeading},
		{fmt.Sprintf("%s of %s at %s", c.Action, c.Cgroup, c.Time.Local().Format("2006-01-02 15:04:05")), roleNormal},
		{fmt.Sprintf(" by %s, %s", c.Who(), c.ID), roleDim},
	}}}
	for _, w := range c.Writes {
		if w.State != control.StateApplied && w.State != control.StateUnknown {
			continue
		}
		out = append(out,
			dline{segs: []seg{{"  " + w.Path, roleNormal}}},
			dline{segs: []seg{{"      was ", roleLabel}, {control.DescribeValue(w.File, w.Old), roleNormal}, {" → ", roleLabel}, {control.DescribeValue(w.File, control.ShownNewValue(w)), roleNormal}}},
		)
	}
	return out
}
