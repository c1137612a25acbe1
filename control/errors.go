package control

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrInvalidValue marks input that failed validation; nothing was
	// written. The error is a *ValueError naming the input and what is
	// allowed.
	ErrInvalidValue = errors.New("invalid value")
	// ErrReadOnly means edits are refused (--read-only, or not root);
	// nothing was attempted.
	ErrReadOnly = errors.New("edits are refused")
	// ErrNotAllowed means the file is not one nscope may write.
	ErrNotAllowed = errors.New("file not allowed")
	// ErrOutsideCgroupFS means a path is not a directory inside a cgroup
	// mount (.., a symlink leading out, another filesystem).
	ErrOutsideCgroupFS = errors.New("not inside a cgroup mount")
	// ErrNoController means no mounted hierarchy carries the controller
	// a change needs.
	ErrNoController = errors.New("controller not available")
	// ErrNoSuchCgroup means the cgroup directory does not exist.
	ErrNoSuchCgroup = errors.New("no such cgroup")
	// ErrJournal means the change journal could not be written; the edit
	// was stopped (see the error for what was written).
	ErrJournal = errors.New("journal not writable")
	// ErrNothingToUndo means the journal holds no change to undo.
	ErrNothingToUndo = errors.New("nothing to undo")
	// ErrUndoConflict means a file no longer holds the value nscope wrote:
	// something else changed it since, and undo would clobber that.
	ErrUndoConflict = errors.New("changed since")
	// ErrRefused means the action is never done (e.g. killing the root
	// cgroup).
	ErrRefused = errors.New("refused")
)

// ValueError is a validation failure: Input is what the user typed, What
// names the setting ("cpu", "memory.max"), Allowed says what is accepted.
type ValueError struct {
	What    string
	Input   string
	Allowed string
}

// Error returns e.g. `cpu "abc": want a number of CPUs ("0.5"), a
// percentage ("50%") or "max"`.
func (e *ValueError) Error() string {
	return fmt.Sprintf("%s %q: %s", e.What, e.Input, e.Allowed)
}

// Is makes errors.Is(err, ErrInvalidValue) true.
func (e *ValueError) Is(target error) bool { return target == ErrInvalidValue }

func invalid(what, input, format string, args ...any) error {
	return &ValueError{What: what, Input: input, Allowed: fmt.Sprintf(format, args...)}
}

// KernelError is a failed read or write of a cgroup file, with the errno
// explained in plain words.
type KernelError struct {
	// Op is "write" or "read".
	Op string
	// Path is the file.
	Path string
	// Value is what was written (empty for reads).
	Value string
	// Err is the underlying error, usually a unix.Errno.
	Err error
}

// Error returns e.g. `write "100" to /sys/fs/cgroup/a/cpu.max: invalid
// argument (EINVAL): the kernel rejected the value: ...`.
func (e *KernelError) Error() string {
	var b strings.Builder
	if e.Op == "write" {
		fmt.Fprintf(&b, "write %q to %s: ", e.Value, e.Path)
	} else {
		fmt.Fprintf(&b, "%s %s: ", e.Op, e.Path)
	}
	b.WriteString(Explain(e.Err, fileBase(e.Path)))
	return b.String()
}

// Unwrap returns the underlying error, so errors.Is(err, unix.EINVAL)
// works.
func (e *KernelError) Unwrap() error { return e.Err }

// Errno returns the symbolic errno ("EINVAL"), or "" when there is none.
func (e *KernelError) Errno() string { return ErrnoName(e.Err) }

// ErrnoName returns the symbolic name of the errno inside err ("EBUSY"),
// or "" when err carries none.
func ErrnoName(err error) string {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return unix.ErrnoName(errno)
	}
	return ""
}

// Explain turns an error from a cgroup file operation into plain words
// with the errno, using the file name for context: "invalid argument
// (EINVAL): the period must be 1ms–1s and the quota at least 1ms".
// See cgroup-v2.rst and the v1 controller docs for where each errno comes
// from.
func Explain(err error, file string) string {
	var errno unix.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	msg := fmt.Sprintf("%s (%s)", errno.Error(), unix.ErrnoName(errno))
	if hint := errnoHint(errno, file); hint != "" {
		msg += ": " + hint
	}
	return msg
}

func errnoHint(errno unix.Errno, file string) string {
	switch errno {
	case unix.EINVAL:
		switch file {
		case "cpu.max", "cpu.cfs_quota_us", "cpu.cfs_period_us":
			return "the kernel rejected the CPU limit: the period must be 1ms–1s, the quota at least 1ms, " +
				"and on cgroup v1 a child's quota/period may not exceed its parent's; the root cgroup has no CPU limit"
		case "memory.limit_in_bytes":
			return "the kernel rejected the memory limit: it may not exceed memory.memsw.limit_in_bytes, and the root cgroup has no limit"
		case "pids.max":
			return "the kernel rejected the pids limit (allowed: 0–4194304 or max)"
		case "io.max":
			return "the kernel rejected the io.max line (want \"MAJ:MIN rbps=N wbps=N riops=N wiops=N\", values a number or max)"
		case "cgroup.freeze", "freezer.state", "cgroup.kill":
			return "the kernel rejected the request (the root cgroup cannot be frozen or killed)"
		}
		return "the kernel rejected the value as invalid"
	case unix.ERANGE:
		if file == "cpu.weight" {
			return "cpu.weight must be 1–10000"
		}
		return "the value is outside the range the kernel accepts"
	case unix.EBUSY:
		switch file {
		case "memory.limit_in_bytes", "memory.memsw.limit_in_bytes":
			return "the kernel could not reclaim enough memory to get usage under the new limit; raise the limit or free memory first"
		case "cgroup.subtree_control":
			return "the cgroup has processes of its own, so controllers cannot be enabled for its children"
		}
		return "the kernel reports the resource busy"
	case unix.ENODEV:
		if file == "io.max" {
			return "no such block device, or it does not support io limits; check MAJ:MIN in /proc/partitions"
		}
		return "no such device"
	case unix.EACCES, unix.EPERM:
		return "permission denied: only root, or the user the cgroup is delegated to, may write it " +
			"(and a delegated user may not change limits of the cgroup it was delegated)"
	case unix.ENOENT:
		return "the cgroup or file does not exist: the cgroup may have been removed, or its controller is not enabled here"
	case unix.EROFS:
		return "the cgroup filesystem is mounted read-only"
	case unix.EOPNOTSUPP:
		return "this kernel does not support that operation here"
	case unix.ESRCH:
		return "the process no longer exists"
	case unix.ENOSPC:
		if file == "cgroup.procs" {
			return "the cgroup takes no processes: a v1 cpuset cgroup needs cpuset.cpus and cpuset.mems set first"
		}
	}
	return ""
}

func fileBase(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[i+1:]
	}
	return path
}
