package control

import (
	"errors"
	"fmt"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// ExitError reports that the command ran and did not exit with status 0.
// Code is what a shell would show: the exit status, or 128+signal when a
// signal ended it.
type ExitError struct {
	Code int
	// Signal is the signal that ended the command, or 0.
	Signal syscall.Signal
}

// Error describes how the command ended.
func (e *ExitError) Error() string {
	if e.Signal != 0 {
		return fmt.Sprintf("command killed by signal %d (%s)", int(e.Signal), unix.SignalName(e.Signal))
	}
	return fmt.Sprintf("command exited with status %d", e.Code)
}

// exitErrorOf converts the error of a Wait into an *ExitError when the
// process ran and failed; other errors are returned unchanged and nil stays
// nil.
func exitErrorOf(err error) error {
	if err == nil {
		return nil
	}
	var ours *ExitError
	if errors.As(err, &ours) {
		return ours
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return err
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok {
		return &ExitError{Code: ee.ExitCode()}
	}
	return exitErrorOfStatus(ws)
}

// exitErrorOfStatus converts a wait status; nil for a clean exit.
func exitErrorOfStatus(ws syscall.WaitStatus) error {
	switch {
	case ws.Exited() && ws.ExitStatus() == 0:
		return nil
	case ws.Exited():
		return &ExitError{Code: ws.ExitStatus()}
	case ws.Signaled():
		return &ExitError{Code: 128 + int(ws.Signal()), Signal: ws.Signal()}
	}
	return &ExitError{Code: 1}
}
