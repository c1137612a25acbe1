package main

import "github.com/nscope/nscope/remote"

// agentOps are the requests an agent answers besides running command
// lines: the TUI's scans, counter refreshes and edits.
func agentOps() map[string]remote.OpHandler {
	return map[string]remote.OpHandler{}
}
