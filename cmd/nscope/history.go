package main

import (
	"fmt"
	"io"

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
root, else $XDG_STATE_HOME/nscope. Status "incomplete" means nscope stopped
between a write and its result; "nscope undo" still restores it.`,
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
				fmt.Fprintf(out, "no changes in %s\n", ed.Journal().Path())
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
		if len(c.Writes) == 0 {
			t.row(c.Time.Local().Format("2006-01-02 15:04:05"), c.Action, c.Cgroup, "-", "-", status, c.ID)
		}
		for _, wr := range c.Writes {
			newV := wr.New
			if wr.ReadBack != "" && wr.File != "io.max" {
				newV = wr.ReadBack
			}
			st := status
			if wr.State == control.StateFailed {
				st = "failed: " + wr.Errno
			}
			change := describeValue(wr.File, wr.Old) + " → " + describeValue(wr.File, newV)
			if c.Action == "kill" {
				change = "killed " + wr.Old + " (" + wr.New + ")"
			}
			t.row(c.Time.Local().Format("2006-01-02 15:04:05"), c.Action, c.Cgroup, wr.File, change, st, c.ID)
		}
	}
	return t.flush()
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
					fmt.Fprintf(out, "every file already holds its old value; change %s is marked undone\n", plan.Undoes)
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
