package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nscope/nscope/control"
)

func newHistoryCmd() *cobra.Command {
	var (
		asJSON bool
		last   int
	)
	cmd := &cobra.Command{
		Use:   "history [CGROUP]",
		Short: "List the cgroup changes nscope made (the journal)",
		Long: `List the changes nscope made, oldest first: one line per file written,
with who made it (the login user behind sudo or su, and the PID of that
nscope), old -> new (read back from the kernel) and the result.

The journal is ` + "`journal.jsonl`" + ` in $NSCOPE_STATE_DIR, else /var/lib/nscope as
root, else $XDG_STATE_HOME/nscope. A write whose result is missing (nscope
stopped between the write and its result) is "unknown", and the writes of
that change the kernel took are "applied (change incomplete)"; "nscope undo"
still restores them. A kill's row names its first PIDs and counts the rest
(--json has them all).`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if last < 0 {
				return usagef("--last %d: want a number of changes, 0 for all", last)
			}
			ed, err := newEditor()
			if err != nil {
				return err
			}
			path := ""
			if len(args) == 1 {
				t, err := ed.Resolve(args[0])
				if err != nil {
					return usagef("%v", err)
				}
				path = t.Path
			}
			changes, err := ed.Journal().Changes()
			if err != nil {
				return err
			}
			var shown []control.Change
			for _, c := range changes {
				if path == "" || c.Cgroup == path {
					shown = append(shown, c)
				}
			}
			if last > 0 && len(shown) > last {
				shown = shown[len(shown)-last:]
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if shown == nil {
					shown = []control.Change{}
				}
				return writeJSON(out, shown)
			}
			if len(shown) == 0 {
				msgf(out, "no changes in %s\n", ed.Journal().Path())
				return nil
			}
			return writeHistory(out, shown)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the changes as JSON")
	cmd.Flags().IntVar(&last, "last", 0, "show only the last N changes")
	return cmd
}

// writeHistory prints one row per write.
func writeHistory(w io.Writer, changes []control.Change) error {
	t := newTable(w, "TIME", "USER (PID)", "ACTION", "CGROUP", "FILE", "OLD → NEW", "STATUS", "CHANGE")
	for _, c := range changes {
		status := c.Status()
		if c.UndoneBy != "" && status == "undone" {
			status = "undone by " + c.UndoneBy
		}
		when := c.Time.Local().Format("2006-01-02 15:04:05")
		action := c.Action
		if c.ForKill != "" {
			// A v1 kill's own freeze or thaw.
			action += " (kill)"
		}
		who := c.Who()
		if len(c.Writes) == 0 {
			t.row(when, who, action, c.Cgroup, "-", "-", status, c.ID)
		}
		if c.Action == "run" && len(c.Writes) > 0 {
			// One row per launch, not one per hierarchy.
			t.row(when, who, action, c.Cgroup, "cgroup", runSummary(c), runStatus(c), c.ID)
			continue
		}
		for _, wr := range c.Writes {
			newV := control.ShownNewValue(wr)
			change := describeValue(wr.File, wr.Old) + " → " + describeValue(wr.File, newV)
			if c.Action == "kill" {
				change = killSummary(wr)
			}
			t.row(when, who, action, c.Cgroup, wr.File, change, writeStatus(c, wr, status), c.ID)
		}
	}
	return t.flush()
}

// writeStatus is what one write of a change did. A change nscope stopped
// in the middle of is "incomplete" as a whole, but its writes are not
// alike: those the kernel took are applied, only the one without a
// result is unknown.
func writeStatus(c control.Change, wr control.ChangeWrite, status string) string {
	switch {
	case wr.State == control.StateFailed && c.Action == "kill":
		return "failed: " + firstNonEmpty(wr.Errno, wr.Result)
	case wr.State == control.StateFailed:
		return "failed: " + firstNonEmpty(wr.Errno, "error")
	case c.UndoneBy != "":
		return status
	case wr.State == control.StateUnknown:
		return "unknown: nscope stopped mid-write (undo restores it)"
	case status == "incomplete":
		return "applied (change incomplete)"
	}
	return status
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// maxListedPIDs is how many PIDs a kill's history row names; the rest is
// counted ("history --json" has them all).
const maxListedPIDs = 10

// killSummary is a kill's row: how many processes it signalled, the first
// PIDs, and who was left.
func killSummary(wr control.ChangeWrite) string {
	pids := strings.Fields(wr.Old)
	s := fmt.Sprintf("killed %d (%s)", len(pids), wr.New)
	if len(pids) > 0 {
		s += ": " + listSome(pids)
	}
	if left := strings.Fields(wr.ReadBack); len(left) > 0 {
		s += fmt.Sprintf("; %d left: %s", len(left), listSome(left))
	}
	return s
}

// listSome joins the first maxListedPIDs items and counts the rest.
func listSome(items []string) string {
	if len(items) <= maxListedPIDs {
		return strings.Join(items, " ")
	}
	return fmt.Sprintf("%s … (%d more)", strings.Join(items[:maxListedPIDs], " "), len(items)-maxListedPIDs)
}

func newUndoCmd() *cobra.Command {
	var (
		ef    editFlags
		force bool
		any   bool
	)
	cmd := &cobra.Command{
		Use:   "undo [CGROUP]",
		Short: "Revert your last change nscope made (to CGROUP, or to any cgroup)",
		Long: `Revert the newest change in the journal that is not yet undone: of
CGROUP (whoever made it), or without CGROUP your own newest change (the
journal is shared by everyone who runs nscope as root on this host; you
are the login user behind sudo or su, see "nscope history"). If someone
else's change is newer, undo says whose it is and how to undo it. The old
values are written back in reverse order and read back. Run it again to
go further back.

Undoing a freeze or a thaw freezes or thaws the cgroup again, which stops
or resumes its processes: undo asks first, as freeze does (--yes skips the
question; without a terminal it is required).

If a file no longer holds what nscope wrote (someone changed it since),
undo refuses and names both values; --force overwrites it anyway. Kills
cannot be undone.`,
		Example: `  nscope undo
  nscope undo /system.slice/docker-3f4e5d6c7b8a.scope
  nscope undo --dry-run`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			ed, err := newEditor()
			if err != nil {
				return err
			}
			filter := control.UndoFilter{User: ed.User()}
			if len(args) == 1 {
				t, err := ed.Resolve(args[0])
				if err != nil {
					return usagef("%v", err)
				}
				filter = control.UndoFilter{Cgroup: t.Path}
			} else if any {
				filter = control.UndoFilter{}
			}
			out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
			plan, err := ed.PlanUndoMatching(filter, force)
			if note := othersNewer(ed, filter); note != "" {
				msgf(errOut, "note: %s\n", note)
			}
			if err != nil {
				return editError(err)
			}
			if ef.dryRun {
				if ef.json {
					return writeJSON(out, plan)
				}
				printPlan(out, plan)
				return nil
			}
			if err := refuseReadOnly(ed, "undo"); err != nil {
				return err
			}
			if control.IsFreezeUndo(plan) && !killFreeze(ed, plan) {
				if err := confirm(cmd, ef, []string{freezeUndoReason(plan)}, func(w io.Writer) { printPlan(w, plan) }); err != nil {
					return err
				}
			}
			res, undoErr := ed.ApplyUndo(cmd.Context(), plan)
			if ef.json {
				if err := writeJSON(out, setOutput{Plan: plan, Result: res, Error: errText(undoErr)}); err != nil {
					return err
				}
			} else if res != nil {
				printResult(out, plan, res)
				if len(res.Writes) == 0 {
					msgf(out, "every file already holds its old value; change %s is marked undone\n", plan.Undoes)
				}
			}
			return editError(undoErr)
		},
	}
	ef.add(cmd, "undoing a freeze or thaw")
	cmd.Flags().BoolVar(&force, "force", false, "undo even if a file was changed by someone else since")
	cmd.Flags().BoolVar(&any, "any-user", false, "without CGROUP, undo the newest change whoever made it")
	return cmd
}

// othersNewer says, for an undo of the user's own newest change, whose
// newer change the journal holds that an undo without a user would
// have taken; "" when there is none (or f names a cgroup).
func othersNewer(ed *control.Editor, f control.UndoFilter) string {
	if f.User == "" || f.Cgroup != "" {
		return ""
	}
	changes, err := ed.Journal().Changes()
	if err != nil {
		return ""
	}
	newest := control.LastUndoable(changes, control.UndoFilter{})
	if newest == nil || newest.User == f.User {
		return ""
	}
	mine := control.LastUndoable(changes, f)
	by := newest.Who()
	if newest.User == "" {
		by += ", an nscope that did not record who ran it"
	}
	what := fmt.Sprintf("the newest change in the journal, %s of %s at %s, was made by %s", newest.Action, newest.Cgroup, newest.Time.Local().Format("2006-01-02 15:04:05"), by)
	if mine == nil {
		what += fmt.Sprintf("; none is yours (%s)", f.User)
	} else {
		what += fmt.Sprintf("; this undoes only yours (%s)", f.User)
	}
	return what + `; "nscope undo ` + newest.Cgroup + `" undoes that one`
}

// killFreeze reports whether the undo plan p ends a kill's own freeze (a
// kill stopped before it thawed): that thaw is what the kill meant to do
// and is not asked for, as "nscope thaw" is not.
func killFreeze(ed *control.Editor, p *control.Plan) bool {
	changes, err := ed.Journal().Changes()
	if err != nil {
		return false
	}
	for _, c := range changes {
		if c.ID == p.Undoes {
			return c.ForKill != "" && c.Action == "freeze"
		}
	}
	return false
}

// freezeUndoReason says what an undo that writes a freezer file does.
func freezeUndoReason(p *control.Plan) string {
	freezes := false
	for _, w := range append(append([]control.Write(nil), p.Writes...), p.Unchanged...) {
		if w.File == "freezer.state" || w.File == "cgroup.freeze" {
			freezes = control.IsFrozenState(w.New)
		}
	}
	if freezes {
		return fmt.Sprintf("this undoes a thaw: it freezes %s again, and every process in it stops until it is thawed", p.Target.Path)
	}
	return fmt.Sprintf("this undoes a freeze: it thaws %s, and every process in it runs again", p.Target.Path)
}

// runSummary is a launch's row: where it made its cgroup and what
// became of it.
func runSummary(c control.Change) string {
	s := fmt.Sprintf("created in %d hierarchies", len(c.Writes))
	if c.Writes[0].New == "create, keep" {
		s += " (--keep)"
	}
	if rb := c.Writes[0].ReadBack; rb != "" {
		s += " → " + rb
	}
	return s
}

// runStatus says whether a launch's cgroups were dealt with.
func runStatus(c control.Change) string {
	switch c.Status() {
	case "incomplete":
		return "running, or its nscope was killed (the next run removes it)"
	case "failed", "partly applied":
		for _, w := range c.Writes {
			if w.State == control.StateFailed {
				return "failed: " + firstNonEmpty(w.Errno, w.Result)
			}
		}
	}
	return "ok"
}
