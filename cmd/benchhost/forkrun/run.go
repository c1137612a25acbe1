// Package forkrun runs a command so that its peak RSS and wall time are
// its own.
//
// Go starts a child with clone(CLONE_VM|CLONE_VFORK): until it execs, the
// child runs on the parent's memory, and at execve the kernel records the
// old memory's high-water RSS in the child's ru_maxrss (see exec_mmap in
// fs/exec.c and getrusage(2)). So a command that a big Go process starts
// reports at least that process's peak RSS, whatever it uses itself.
//
// Run therefore re-executes the running binary with EnvFD set; a C
// constructor (forkrun.c) takes over before the Go runtime starts, while
// the process is still small and single-threaded, fork()s, execs the
// command, waits with wait4, and reports the child's wall time (fork to
// reaped, CLOCK_MONOTONIC) and ru_maxrss on a pipe. The binary must link
// this package, which the benchhost command does.
package forkrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// EnvFD names the environment variable that makes the C helper run; its
// value is the descriptor the helper reports on. The helper removes it
// before the command runs.
const EnvFD = "_BENCHHOST_FORKRUN_FD"

// ErrUnavailable is returned by Run in builds without cgo.
var ErrUnavailable = errors.New("forkrun: this binary was built without cgo, so the fork helper is missing")

// Result is one run of a command as the helper measured it.
type Result struct {
	// Wall is from fork to the child reaped.
	Wall time.Duration
	// MaxRSS is the child's ru_maxrss in bytes.
	MaxRSS int64
	// Status is the child's wait status.
	Status syscall.WaitStatus
}

// Run runs argv (argv[0] looked up on PATH) through the helper with the
// given standard output and error. It returns an error when the helper
// could not run the command or the command did not exit with status 0;
// the Result is filled in whenever the command ran.
func Run(ctx context.Context, argv []string, stdout, stderr io.Writer) (Result, error) {
	var res Result
	if !Available() {
		return res, ErrUnavailable
	}
	if len(argv) == 0 {
		return res, errors.New("forkrun: no command")
	}
	r, w, err := os.Pipe()
	if err != nil {
		return res, fmt.Errorf("forkrun: pipe: %w", err)
	}
	defer r.Close()
	cmd := exec.CommandContext(ctx, "/proc/self/exe", argv...)
	cmd.Env = append(os.Environ(), EnvFD+"=3")
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		w.Close()
		return res, fmt.Errorf("forkrun: start the helper: %w", err)
	}
	w.Close()
	report, readErr := io.ReadAll(io.LimitReader(r, 4096))
	waitErr := cmd.Wait()
	if readErr != nil {
		return res, fmt.Errorf("forkrun: read the report: %w", readErr)
	}
	res, err = parseReport(report)
	if err != nil {
		if waitErr != nil {
			return res, fmt.Errorf("%w (helper: %v)", err, waitErr)
		}
		return res, err
	}
	if res.Status.Signaled() {
		return res, fmt.Errorf("killed by signal %s", res.Status.Signal())
	}
	if code := res.Status.ExitStatus(); code != 0 {
		return res, fmt.Errorf("exit status %d", code)
	}
	return res, nil
}

// parseReport parses the helper's line: "ok WALL_NS MAXRSS_KB STATUS" or
// "error WHAT".
func parseReport(b []byte) (Result, error) {
	var res Result
	line := strings.TrimSpace(string(bytes.SplitN(b, []byte("\n"), 2)[0]))
	if rest, ok := strings.CutPrefix(line, "error "); ok {
		return res, fmt.Errorf("forkrun: %s", rest)
	}
	f := strings.Fields(line)
	if len(f) != 4 || f[0] != "ok" {
		return res, fmt.Errorf("forkrun: the helper reported %q, want \"ok WALL_NS MAXRSS_KB STATUS\" (is the package linked into %s?)", line, os.Args[0])
	}
	ns, err1 := strconv.ParseInt(f[1], 10, 64)
	kb, err2 := strconv.ParseInt(f[2], 10, 64)
	st, err3 := strconv.ParseInt(f[3], 10, 32)
	if err := errors.Join(err1, err2, err3); err != nil || ns < 0 || kb < 0 {
		return res, fmt.Errorf("forkrun: the helper reported %q: bad number", line)
	}
	res.Wall = time.Duration(ns)
	res.MaxRSS = kb * 1024
	res.Status = syscall.WaitStatus(st)
	return res, nil
}
