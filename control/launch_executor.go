package control

import "os/exec"

// Executor starts and waits for the processes that enter and launch build.
// OSExecutor is the real one; tests (the TUI's too) inject a fake that
// records the *exec.Cmd it was given and returns what the test wants, e.g.
// an *ExitError from Wait.
type Executor interface {
	// Start starts cmd, like (*exec.Cmd).Start.
	Start(cmd *exec.Cmd) error
	// Wait waits for cmd, like (*exec.Cmd).Wait.
	Wait(cmd *exec.Cmd) error
}

// OSExecutor runs commands for real.
type OSExecutor struct{}

// Start calls cmd.Start.
func (OSExecutor) Start(cmd *exec.Cmd) error { return cmd.Start() }

// Wait calls cmd.Wait.
func (OSExecutor) Wait(cmd *exec.Cmd) error { return cmd.Wait() }
