package control

import (
	"fmt"
	"os"
	"strings"
	"syscall"
)

// LaunchError is a launch that failed before the command ran, in plain
// words. It wraps one of the sentinel errors (ErrNotPermitted,
// ErrCommandNotFound, ErrCannotRun, ErrKernelTooOld) when one applies, and
// the errno.
type LaunchError struct {
	// Step names what failed ("create namespaces", "mount /proc", "exec").
	Step string
	// Kind is a sentinel error, or nil.
	Kind error
	// Errno is the kernel's error, or 0.
	Errno syscall.Errno
	// Msg is the whole message.
	Msg string
}

// Error returns the plain-words message.
func (e *LaunchError) Error() string { return e.Msg }

// Unwrap returns Kind and Errno, so errors.Is works with either.
func (e *LaunchError) Unwrap() []error {
	var out []error
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	if e.Errno != 0 {
		out = append(out, e.Errno)
	}
	return out
}

// startError explains a failed clone of the init.
func startError(plan *LaunchPlan, err error) error {
	errno := errnoOf(err)
	e := &LaunchError{Step: "create namespaces", Errno: errno}
	ns := nsList(plan.NS)
	words := errnoWords(errno)
	switch errno {
	case syscall.EPERM, syscall.EACCES:
		e.Kind = ErrNotPermitted
		if os.Geteuid() != 0 && plan.UIDMap == nil {
			e.Msg = fmt.Sprintf("launch: not permitted to create namespaces %s: %s; you are uid %d: run as root, "+
				"or add a user namespace (--map-root) to create the others without privileges", ns, words, os.Geteuid())
		} else {
			e.Msg = fmt.Sprintf("launch: not permitted to create namespaces %s: %s; a security module or sysctl may forbid it "+
				"(kernel.unprivileged_userns_clone, AppArmor's restrict_unprivileged_userns, seccomp), or nscope runs in a "+
				"container without CAP_SYS_ADMIN", ns, words)
		}
	case syscall.ENOSPC:
		e.Msg = fmt.Sprintf("launch: cannot create namespaces %s: %s; a limit in /proc/sys/user/max_*_namespaces is reached", ns, words)
	case syscall.EUSERS:
		e.Msg = fmt.Sprintf("launch: cannot create namespaces %s: %s; user or pid namespaces are nested 32 deep already", ns, words)
	case syscall.EINVAL:
		e.Kind = ErrKernelTooOld
		e.Msg = fmt.Sprintf("launch: the kernel refused namespaces %s: %s; it may lack one of them (CONFIG_*_NS)", ns, words)
	case syscall.EBUSY, syscall.EOPNOTSUPP:
		e.Msg = fmt.Sprintf("launch: the kernel refused to start the init in its cgroup: %s (a v2 cgroup with controllers "+
			"enabled for children, or a threaded one, takes no processes)", words)
	case 0:
		e.Msg = fmt.Sprintf("launch: start the init: %v", err)
	default:
		e.Msg = fmt.Sprintf("launch: cannot create namespaces %s: %s", ns, words)
	}
	return e
}

// initError explains a failure the init reported.
func initError(st initStatus) error {
	e := &LaunchError{Step: st.Step, Errno: st.Errno}
	words := errnoWords(st.Errno)
	if st.Errno == 0 {
		words = st.Detail
	}
	switch st.Step {
	case "exec":
		switch st.Errno {
		case syscall.ENOENT:
			e.Kind = ErrCommandNotFound
			e.Msg = fmt.Sprintf("launch: command not found: %s (%s; searched PATH=%s)", st.Detail, words, os.Getenv("PATH"))
		case syscall.EACCES, syscall.EPERM, syscall.ENOEXEC:
			e.Kind = ErrCannotRun
			e.Msg = fmt.Sprintf("launch: cannot run %s: %s (not executable, or on a noexec mount)", st.Detail, words)
		default:
			e.Kind = ErrCannotRun
			e.Msg = fmt.Sprintf("launch: cannot run %s: %s", st.Detail, words)
		}
	case "mount /proc":
		e.Msg = fmt.Sprintf("launch: mount a fresh /proc: %s", words)
		if st.Errno == syscall.EPERM {
			e.Kind = ErrNotPermitted
			e.Msg += "; in a user namespace the kernel allows it only where the host's /proc is fully visible " +
				"(not inside a container that masks /proc paths)"
		}
	case "unshare time namespace", "unshare cgroup namespace":
		e.Msg = fmt.Sprintf("launch: %s: %s", st.Step, words)
		if st.Errno == syscall.EINVAL {
			e.Kind = ErrKernelTooOld
			e.Msg += strings.ReplaceAll("; this kernel lacks X namespaces", "X", strings.Fields(st.Step)[1])
		}
	case "set hostname":
		e.Msg = fmt.Sprintf("launch: set hostname %q: %s", st.Detail, words)
	default:
		e.Msg = fmt.Sprintf("launch: %s: %s", st.Step, words)
		if st.Detail != "" && st.Errno != 0 {
			e.Msg = fmt.Sprintf("launch: %s %s: %s", st.Step, st.Detail, words)
		}
	}
	return e
}
