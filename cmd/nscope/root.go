package main

import (
	"github.com/spf13/cobra"
)

// subcommands are added to the root command by each command's file, so
// every command lives in its own file.
var subcommands []func() *cobra.Command

// register adds a subcommand constructor; call it from an init function.
func register(f func() *cobra.Command) { subcommands = append(subcommands, f) }

// rootAction, when set (by the TUI's file), is what "nscope" with no
// subcommand does; rootFlagSetup adds that action's flags to the root.
var (
	rootAction    func(cmd *cobra.Command) error
	rootFlagSetup func(cmd *cobra.Command)
)

// globalFlags are the flags every subcommand shares.
type globalFlags struct {
	procRoot string
	sysRoot  string
	readOnly bool
}

var global globalFlags

func newRootCmd() *cobra.Command {
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
			if rootAction != nil {
				return rootAction(cmd)
			}
			return cmd.Help()
		},
	}
	root.PersistentFlags().StringVar(&global.procRoot, "proc", "/proc", "procfs root to read (a fixture tree for tests)")
	root.PersistentFlags().StringVar(&global.sysRoot, "sys", "/sys", "sysfs root to read; cgroups are under SYS/fs/cgroup")
	root.PersistentFlags().BoolVar(&global.readOnly, "read-only", false, "never change anything: refuse edits, launches and enters")
	_ = root.PersistentFlags().MarkHidden("proc")
	_ = root.PersistentFlags().MarkHidden("sys")
	if rootFlagSetup != nil {
		rootFlagSetup(root)
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{err}
	})
	for _, f := range subcommands {
		root.AddCommand(f())
	}
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
