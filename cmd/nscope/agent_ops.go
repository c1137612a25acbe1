package main

import (
	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/remote"
)

// agentOps are the requests an agent answers besides running command
// lines: the TUI's scans, counter refreshes, namespace contents and
// edits, with this host's scanner, editor (journal, --read-only) and
// enterer. Close the HostOps when the agent is done.
func agentOps() *remote.HostOps {
	return &remote.HostOps{
		Scanner:   newScanner(),
		NewEditor: newEditor,
		NewEnterer: func() *control.Enterer {
			return control.NewEnterer(control.WithEnterProcRoot(global.procRoot), control.WithEnterSysRoot(global.sysRoot))
		},
	}
}
