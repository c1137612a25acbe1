package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/nscope/nscope/control"
)

func init() { register(newInitCmd) }

// newInitCmd is the hidden entry of the init that "nscope run" starts as
// PID 1 of the new namespaces (control.RunInit). It is not for people.
func newInitCmd() *cobra.Command {
	return &cobra.Command{
		Use:                control.InitCommand,
		Short:              "internal: the init of a command started by nscope run",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !control.IsInit() {
				return usagef("%s is internal to nscope run; use: nscope run -- CMD", control.InitCommand)
			}
			os.Exit(control.RunInit())
			return nil
		},
	}
}
