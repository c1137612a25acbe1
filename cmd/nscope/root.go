package main

import (
	"github.com/spf13/cobra"
)

// rootAction is what "nscope" without a subcommand does: run, with the
// flags that flags adds to the root command.
type rootAction struct {
	flags func(cmd *cobra.Command)
	run   func(cmd *cobra.Command) error
}

// subcommands lists nscope's subcommands, each built by its own file's
// constructor; the help lists them sorted by name.
func subcommands() []*cobra.Command {
	return []*cobra.Command{
		// Read the host.
		newPSCmd(), newNSCmd(), newCGCmd(), newContainersCmd(), newSnapshotCmd(), newRecordCmd(),
		// Change cgroups, journaled.
		newSetCmd(), newFreezeCmd(true), newFreezeCmd(false), newKillCmd(), newHistoryCmd(), newUndoCmd(),
		// Start processes.
		newRunCmd(), newEnterCmd(),
		// Teach.
		newTourCmd(),
		// Watch the host.
		newEventsCmd(),
		// Serve -H over ssh.
		newAgentCmd(),
	}
}

// newRootCmd builds nscope's command line: the TUI as the root action and
// every subcommand.
func newRootCmd() *cobra.Command { return rootCommand(tuiAction(), subcommands()) }

// globalFlags are the flags every subcommand shares.
type globalFlags struct {
	procRoot string
	sysRoot  string
	readOnly bool
}

var global globalFlags

// rootCommand builds the root command: action when run without a
// subcommand (nil shows the help), the shared flags, and subs.
func rootCommand(action rootAction, subs []*cobra.Command) *cobra.Command {
	root := &cobra.Command{
		Use:   "nscope",
		Short: "See and act on a Linux host's namespaces, processes and cgroups",
		Long: `nscope shows a Linux host's namespaces, processes and cgroups as one
cross-linked tree, and lets you act where you look.

Run as root to see every process and namespace holder; as a normal user it
still works and reports what it could not read.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q (see 'nscope --help' for the list)", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if action.run != nil {
				return action.run(cmd)
			}
			return cmd.Help()
		},
	}
	root.PersistentFlags().StringVar(&global.procRoot, "proc", "/proc", "procfs root to read (a fixture tree for tests)")
	root.PersistentFlags().StringVar(&global.sysRoot, "sys", "/sys", "sysfs root to read; cgroups are under SYS/fs/cgroup")
	root.PersistentFlags().BoolVar(&global.readOnly, "read-only", false, "never change anything: refuse edits, launches and enters")
	_ = root.PersistentFlags().MarkHidden("proc")
	_ = root.PersistentFlags().MarkHidden("sys")
	if action.flags != nil {
		action.flags(root)
	}
	// -H HOST runs a subcommand there (remote.go).
	addRemoteFlags(root)
	root.PersistentPreRunE = forwardToHost
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{err}
	})
	for _, c := range subs {
		addTargetHelp(c)
	}
	root.AddCommand(subs...)
	return root
}

// usageArgs wraps a cobra argument validator so that its error exits with
// the usage code.
func usageArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return &usageError{err}
		}
		return nil
	}
}
