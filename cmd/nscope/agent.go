package main

import (
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/remote"
)

func newAgentCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "agent",
		Short: "Serve nscope's remote protocol on standard input and output (what -H starts over ssh)",
		Long: `agent is the remote end of "nscope -H HOST": ssh starts it on HOST, and it
answers the local nscope in nscope's framed protocol on its standard input
and output. It runs command lines as this binary would, takes snapshots for
the TUI, and applies changes with HOST's journal. Changes carry an ID and
are recorded (in the state directory's agent/ beside the journal) before
they run, so a dropped connection never runs one twice and its outcome can
be fetched by the next connection.

It exits when its input ends, after finishing a change in flight; it
leaves nothing running. It is not meant to be started by hand.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if term.IsTerminal(os.Stdin.Fd()) {
				return usagef("nscope agent speaks nscope's remote protocol on its standard input and output; 'nscope -H HOST' starts it through ssh")
			}
			// Write errors on a closed connection are handled where they
			// happen; a hangup does not stop a change in flight. Notify,
			// not Ignore: the commands the agent starts get the default
			// actions back.
			signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE, syscall.SIGHUP)
			// The commands it runs run here: an NSCOPE_HOST in this
			// host's environment must not send them on again.
			_ = os.Unsetenv("NSCOPE_HOST")
			ops := agentOps()
			defer ops.Close()
			a := &remote.Agent{
				Ledger:    remote.NewLedger(filepath.Join(control.DefaultStateDir(), "agent")),
				StallFile: os.Getenv("NSCOPE_AGENT_TEST_STALL"),
				Ops:       ops.Handlers(),
			}
			return a.Serve(os.Stdin, os.Stdout)
		},
	}
}
