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
with old -> new (read back from the kernel) and the result.

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
	t := newTable(w, "TIME", "ACTION", "CGROUP", "FILE", "OLD → NEW", "STATUS", "CHANGE")
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
		if len(c.Writes) == 0 {
			t.row(when, action, c.Cgroup, "-", "-", status, c.ID)
		}
		if c.Action == "run" && len(c.Writes) > 0 {
			// One row per launch, not one per hierarchy.
			t.row(when, action, c.Cgroup, "cgroup", runSummary(c), runStatus(c), c.ID)
			continue
		}
		for _, wr := range c.Writes {
			newV := wr.New
			if wr.ReadBack != "" && wr.File != "io.max" {
				newV = wr.ReadBack
			}
			change := describeValue(wr.File, wr.Old) + " → " + describeValue(wr.File, newV)
			if c.Action == "kill" {
				change = killSummary(wr)
			}
			t.row(when, action, c.Cgroup, wr.File, change, writeStatus(c, wr, status), c.ID)
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
	)
	cmd := &cobra.Command{
		Use:   "undo [CGROUP]",
		Short: "Revert the last change nscope made (to CGROUP, or to any cgroup)",
		Long: `Revert the newest change in the journal that is not yet undone: of
CGROUP, or of any cgroup when none is given. The old values are written
back in reverse order and read back. Run it again to go further back.

If a file no longer holds what nscope wrote (someone changed it since),
undo refuses and names both values; --force overwrites it anyway. Kills
cannot be undone.`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
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
			plan, err := ed.PlanUndo(path, force)
			if err != nil {
				return editError(err)
			}
			out := cmd.OutOrStdout()
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
			_, res, undoErr := ed.Undo(cmd.Context(), path, force)
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
	ef.add(cmd, "unused: undo does not ask")
	cmd.Flags().BoolVar(&force, "force", false, "undo even if a file was changed by someone else since")
	_ = cmd.Flags().MarkHidden("yes")
	return cmd
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
