package main

import (
	"fmt"
	"io"
	"os/signal"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/control"
)

func newFreezeCmd(freeze bool) *cobra.Command {
	var ef editFlags
	use, short, long := "thaw CGROUP", "Thaw a frozen cgroup", `Thaw a cgroup: its processes run again.

cgroup v2 writes 0 to cgroup.freeze; v1 writes THAWED to freezer.state.
nscope waits until the kernel reports the cgroup thawed.`
	if freeze {
		use, short, long = "freeze CGROUP", "Freeze every process in a cgroup", `Freeze a cgroup: its processes stop running until "nscope thaw".

cgroup v2 writes 1 to cgroup.freeze; v1 writes FROZEN to freezer.state in
the freezer hierarchy at the same path. nscope waits until the kernel
reports the cgroup frozen (a process in uninterruptible sleep can delay
that). Asks for confirmation; --yes skips it. Journaled: "nscope undo"
thaws again.`
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			ed, err := newEditor()
			if err != nil {
				return err
			}
			target, err := ed.Resolve(args[0])
			if err != nil {
				return usagef("%v", err)
			}
			plan, err := ed.PlanFreeze(target, freeze)
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
			if err := refuseReadOnly(ed, plan.Action+" "+target.String()); err != nil {
				return err
			}
			if freeze {
				reasons := append([]string{fmt.Sprintf("freezing %s stops every process in it until it is thawed", target)}, plan.Confirm...)
				if err := confirm(cmd, ef, reasons, func(w io.Writer) { printPlan(w, plan) }); err != nil {
					return err
				}
			}
			res, applyErr := ed.ApplyFreeze(cmd.Context(), plan)
			if ef.json {
				if err := writeJSON(out, setOutput{Plan: plan, Result: res, Error: errText(applyErr)}); err != nil {
					return err
				}
			} else if res != nil {
				for _, wr := range res.Writes {
					msgf(out, "%s %s: %s %s → %s\n", plan.Action, target, wr.File, wr.Before, wr.After)
				}
			}
			return editError(applyErr)
		},
	}
	ef.add(cmd, "freezing")
	if !freeze {
		cmd.Flags().Lookup("yes").Usage = "thaw asks nothing; accepted so that scripts can pass it to freeze and thaw alike"
	}
	return cmd
}

func newKillCmd() *cobra.Command {
	var ef editFlags
	cmd := &cobra.Command{
		Use:   "kill CGROUP",
		Short: "Kill every process in a cgroup and its descendants",
		Long: `Kill every process in a cgroup and in the cgroups below it.

cgroup v2 (5.14+) writes 1 to cgroup.kill, which the kernel does
atomically. cgroup v1 freezes the cgroup (when a freezer hierarchy has it,
so nothing forks away), pins each member with a pidfd, re-checks the
membership once and sends SIGKILL through the pidfds, thaws (also when it
fails or ^C stops it; a cgroup that was frozen already is thawed too, or
its processes could not die), and kills what is left until it is empty.
Processes still there after 5 s make the kill fail, with the reason. A
CGROUP path applies to every v1 hierarchy where it exists; a directory
under one mount only to that one. The root cgroup is refused.

Lists the members and asks for confirmation; --yes skips it. Journaled,
but a kill cannot be undone. The freeze and thaw are journaled as changes
of their own: if nscope is killed in between, "nscope undo" or "nscope
thaw" thaws the cgroup again.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			ed, err := newEditor()
			if err != nil {
				return err
			}
			target, err := ed.Resolve(args[0])
			if err != nil {
				return usagef("%v", err)
			}
			kp, err := ed.PlanKill(target)
			if err != nil {
				return editError(err)
			}
			out := cmd.OutOrStdout()
			if ef.dryRun {
				if ef.json {
					return writeJSON(out, kp)
				}
				printKillPlan(out, kp)
				return nil
			}
			if err := refuseReadOnly(ed, "kill "+target.String()); err != nil {
				return err
			}
			if len(kp.PIDs) == 0 {
				msgf(out, "kill %s: no processes in it\n", target)
				return nil
			}
			reasons := append([]string{fmt.Sprintf("this kills %d processes in %s with SIGKILL", len(kp.PIDs), target)}, kp.Confirm...)
			if err := confirm(cmd, ef, reasons, func(w io.Writer) { printKillPlan(w, kp) }); err != nil {
				return err
			}
			// ^C or a TERM stops the kill between rounds, and the cgroup
			// is thawed before nscope exits (a SIGKILL leaves a journaled
			// freeze that "nscope undo" or "nscope thaw" reverts).
			ctx, stop := signal.NotifyContext(cmd.Context(), unix.SIGINT, unix.SIGTERM, unix.SIGHUP)
			defer stop()
			res, killErr := ed.Kill(ctx, kp)
			if ef.json {
				if err := writeJSON(out, struct {
					*control.KillResult
					Error string `json:"error,omitempty"`
				}{res, errText(killErr)}); err != nil {
					return err
				}
			} else if res != nil {
				verb := "killed"
				if killErr != nil {
					verb = "signalled"
				}
				msgf(out, "kill %s (%s): %s %d processes: %s\n", target, res.Method, verb, len(res.Signalled), intList(res.Signalled))
			}
			// Survivors are an error (control.ErrSurvivors) that says why.
			return killErr
		},
	}
	ef.add(cmd, "killing")
	return cmd
}

func printKillPlan(w io.Writer, kp *control.KillPlan) {
	msgf(w, "kill %s with %s:\n", kp.Target, kp.Method)
	for _, d := range kp.Dirs {
		msgf(w, "  cgroup %s and below\n", d)
	}
	msgf(w, "  %d processes: %s\n", len(kp.PIDs), intList(kp.PIDs))
	for _, c := range kp.Confirm {
		msgf(w, "  needs confirmation: %s\n", c)
	}
}

func intList(v []int) string {
	if len(v) == 0 {
		return "none"
	}
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, " ")
}
