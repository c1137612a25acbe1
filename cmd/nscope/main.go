// Command nscope shows a Linux host's namespaces, processes and cgroups as
// one live, cross-linked tree, and acts on them: edit cgroup limits, launch
// isolated processes, enter a process's namespaces.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/nscope/nscope/internal/termtext"
)

// Exit codes: 0 ok, 1 runtime failure, 2 bad usage (flags, arguments).
const (
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	root := newRootCmd()
	stopProfile := startProfile()
	cmd, err := root.ExecuteC()
	stopProfile()
	if err == nil {
		return
	}
	var exitErr *exitCodeError
	if errors.As(err, &exitErr) {
		if exitErr.msg != "" {
			fmt.Fprintln(os.Stderr, "nscope:", termtext.EscapeLines(exitErr.msg))
		}
		os.Exit(exitErr.code)
	}
	fmt.Fprintln(os.Stderr, "nscope:", errorText(err))
	var usage *usageError
	if errors.As(err, &usage) {
		fmt.Fprintln(os.Stderr, helpHint(cmd))
		os.Exit(exitUsage)
	}
	os.Exit(exitFailure)
}

// usageError marks an error caused by bad flags or arguments (exit code 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// exitCodeError makes nscope exit with a specific code, e.g. the exit code
// of a command run by "nscope run". msg, if set, is printed first.
type exitCodeError struct {
	code int
	msg  string
}

func (e *exitCodeError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return fmt.Sprintf("exit status %d", e.code)
}

// helpHint points at the help of the command that failed: "Run 'nscope
// set --help' for usage." (the root's for an unknown command).
func helpHint(cmd *cobra.Command) string {
	path := "nscope"
	if cmd != nil {
		path = cmd.CommandPath()
	}
	return "Run '" + path + " --help' for usage."
}
