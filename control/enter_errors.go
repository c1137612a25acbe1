package control

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/nscope/nscope/control/nsexec"
	"github.com/nscope/nscope/inspect"
	"golang.org/x/sys/unix"
)

// Sentinel errors of enter and launch; test them with errors.Is.
var (
	// ErrBadRequest: the request itself is invalid (nothing was done).
	ErrBadRequest = errors.New("invalid request")
	// ErrNoProcess: the target does not exist or exited.
	ErrNoProcess = errors.New("no such process")
	// ErrProcessReplaced: a process has the PID but not the start time the
	// caller saw, so the PID was reused.
	ErrProcessReplaced = errors.New("process replaced (PID reused)")
	// ErrNotPermitted: the kernel refused for lack of privilege.
	ErrNotPermitted = errors.New("not permitted")
	// ErrNoShell: none of the shells tried exists inside the target.
	ErrNoShell = errors.New("no shell inside the target")
	// ErrCommandNotFound: the command does not exist inside the target.
	ErrCommandNotFound = errors.New("command not found")
	// ErrCannotRun: the command exists but cannot be executed (no execute
	// permission, a noexec mount, a bad binary).
	ErrCannotRun = errors.New("command cannot be run")
	// ErrKernelTooOld: the running kernel lacks a needed feature.
	ErrKernelTooOld = errors.New("kernel too old")
	// ErrNoHelper: this binary was built without the nsexec helper (cgo).
	ErrNoHelper = errors.New("enter helper not built in")
)

// EnterError is an enter failure in plain words. It wraps one of the
// sentinel errors above and, when the kernel gave one, the errno.
type EnterError struct {
	// PID is the target.
	PID int
	// Kind is one of the sentinel errors, or nil for other failures.
	Kind error
	// Errno is the kernel's error, or 0.
	Errno syscall.Errno
	// Msg is the whole message, for a person.
	Msg string
}

// Error returns the plain-words message.
func (e *EnterError) Error() string { return e.Msg }

// Unwrap returns Kind and Errno, so errors.Is works with either.
func (e *EnterError) Unwrap() []error {
	var out []error
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	if e.Errno != 0 {
		out = append(out, e.Errno)
	}
	return out
}

// errnoWords renders an errno the way nscope shows kernel errors:
// "operation not permitted (EPERM)".
func errnoWords(errno syscall.Errno) string {
	if name := unix.ErrnoName(errno); name != "" {
		return fmt.Sprintf("%s (%s)", errno.Error(), name)
	}
	return fmt.Sprintf("%s (errno %d)", errno.Error(), int(errno))
}

// errnoOf digs the errno out of err, or returns 0.
func errnoOf(err error) syscall.Errno {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return 0
}

// whyNotPermitted explains an EPERM/EACCES on another process's namespaces.
func whyNotPermitted(pid int) string {
	if uid := os.Geteuid(); uid != 0 {
		return fmt.Sprintf("you are uid %d, not root: reading /proc/%d/ns needs ptrace access to the process, "+
			"and joining its namespaces needs CAP_SYS_ADMIN in the user namespace that owns them; run nscope as root", uid, pid)
	}
	return "even root may not here: the namespace belongs to a user namespace in which we hold no capabilities " +
		"(is nscope itself running inside a container?), or a security module (seccomp, AppArmor, SELinux, Yama) refused"
}

// procError maps a failure to read the target's /proc entries.
func procError(pid int, doing string, err error) error {
	errno := errnoOf(err)
	switch {
	case errno == syscall.ENOENT || errno == syscall.ESRCH:
		return &EnterError{PID: pid, Kind: ErrNoProcess, Errno: syscall.ESRCH,
			Msg: fmt.Sprintf("no such process: PID %d does not exist (or it has exited)", pid)}
	case errno == syscall.EACCES || errno == syscall.EPERM:
		return &EnterError{PID: pid, Kind: ErrNotPermitted, Errno: errno,
			Msg: fmt.Sprintf("not permitted to %s of process %d: %s; %s", doing, pid, errnoWords(errno), whyNotPermitted(pid))}
	case errno != 0:
		return &EnterError{PID: pid, Errno: errno,
			Msg: fmt.Sprintf("could not %s of process %d: %s", doing, pid, errnoWords(errno))}
	}
	return &EnterError{PID: pid, Msg: fmt.Sprintf("could not %s of process %d: %v", doing, pid, err)}
}

// replacedError reports a start time mismatch.
func replacedError(pid int, got, want uint64) error {
	return &EnterError{PID: pid, Kind: ErrProcessReplaced,
		Msg: fmt.Sprintf("process %d is not the one you meant: it started at tick %d, not %d, so that process exited "+
			"and its PID was reused; nothing was entered", pid, got, want)}
}

// minKernel is the first Linux release with each namespace type.
var minKernel = map[inspect.NSType]string{
	inspect.UserNS: "3.8", inspect.PIDNS: "3.8", inspect.CgroupNS: "4.6", inspect.TimeNS: "5.6",
}

// missingNSError reports a namespace type the running kernel lacks.
func missingNSError(pid int, t inspect.NSType) error {
	since := minKernel[t]
	if since == "" {
		since = "3.8"
	}
	return &EnterError{PID: pid, Kind: ErrKernelTooOld, Errno: syscall.ENOENT,
		Msg: fmt.Sprintf("kernel too old for %s namespaces: /proc/%d/ns/%s does not exist (they need Linux %s or later, "+
			"with CONFIG_%s_NS)", t, pid, t, since, strings.ToUpper(configName(t)))}
}

func configName(t inspect.NSType) string {
	switch t {
	case inspect.NetNS:
		return "net"
	case inspect.UTSNS:
		return "uts"
	case inspect.CgroupNS:
		return "cgroup"
	case inspect.TimeNS:
		return "time"
	case inspect.UserNS:
		return "user"
	case inspect.PIDNS:
		return "pid"
	case inspect.IPCNS:
		return "ipc"
	}
	return "namespaces"
}

// noShellError reports that no default shell exists inside the target.
func noShellError(pid int, tried []string, last error) error {
	msg := fmt.Sprintf("no shell inside process %d: tried %s", pid, strings.Join(tried, ", "))
	if len(tried) == 0 {
		msg = fmt.Sprintf("no shell inside process %d: %v", pid, last)
	} else if last != nil {
		msg += fmt.Sprintf(" (last: %v)", last)
	}
	msg += "; name a command after --"
	return &EnterError{PID: pid, Kind: ErrNoShell, Errno: errnoOf(last), Msg: msg}
}

// failureError turns the helper's report into plain words.
func failureError(plan *EnterPlan, f *nsexec.Failure) error {
	pid := plan.PID
	e := &EnterError{PID: pid, Errno: f.Errno}
	words := errnoWords(f.Errno)
	switch f.Step {
	case "pidfd_open", "open /proc", "read process", "pidfd_send_signal":
		switch f.Errno {
		case syscall.ESRCH, syscall.ENOENT:
			e.Kind = ErrNoProcess
			e.Msg = fmt.Sprintf("no such process: PID %d does not exist (it exited before it could be entered)", pid)
		case syscall.ENOSYS:
			e.Kind = ErrKernelTooOld
			e.Msg = fmt.Sprintf("kernel too old: pidfd_open is missing (%s); pinning process %d needs Linux 5.3 or later", words, pid)
		case syscall.EPERM, syscall.EACCES:
			e.Kind = ErrNotPermitted
			e.Msg = fmt.Sprintf("not permitted to pin process %d: %s; %s", pid, words, whyNotPermitted(pid))
		default:
			e.Msg = fmt.Sprintf("could not pin process %d (%s %s): %s", pid, f.Step, f.Detail, words)
		}
	case "verify":
		var got, want uint64
		if _, err := fmt.Sscanf(f.Detail, "started=%d expected=%d", &got, &want); err == nil {
			return replacedError(pid, got, want)
		}
		e.Kind = ErrProcessReplaced
		e.Msg = fmt.Sprintf("process %d is not the one you meant (%s); its PID was reused, nothing was entered", pid, f.Detail)
	case "open namespace":
		t, _ := inspect.ParseNSType(f.Detail)
		switch f.Errno {
		case syscall.ENOENT:
			return missingNSError(pid, t)
		case syscall.ESRCH:
			e.Kind = ErrNoProcess
			e.Msg = fmt.Sprintf("no such process: PID %d exited before it could be entered", pid)
		case syscall.EPERM, syscall.EACCES:
			e.Kind = ErrNotPermitted
			e.Msg = fmt.Sprintf("not permitted to open the %s namespace of process %d: %s; %s", f.Detail, pid, words, whyNotPermitted(pid))
		default:
			e.Msg = fmt.Sprintf("could not open the %s namespace of process %d: %s", f.Detail, pid, words)
		}
	case "setns":
		switch f.Errno {
		case syscall.EPERM, syscall.EACCES:
			e.Kind = ErrNotPermitted
			e.Msg = fmt.Sprintf("not permitted to join the %s namespace of process %d: %s; %s", f.Detail, pid, words, whyNotPermitted(pid))
		case syscall.EINVAL:
			e.Msg = fmt.Sprintf("the kernel refused to join the %s namespace of process %d: %s "+
				"(a user namespace we are already in, or a nested user namespace we may not enter)", f.Detail, pid, words)
		case syscall.ESRCH:
			e.Kind = ErrNoProcess
			e.Msg = fmt.Sprintf("no such process: PID %d exited before it could be entered", pid)
		default:
			e.Msg = fmt.Sprintf("could not join the %s namespace of process %d: %s", f.Detail, pid, words)
		}
	case "join cgroup":
		cg := f.Detail
		for _, c := range plan.Cgroups {
			if c.Procs == f.Detail {
				cg = fmt.Sprintf("%s (%s hierarchy)", c.Path, c.Hierarchy)
			}
		}
		switch f.Errno {
		case syscall.EPERM, syscall.EACCES:
			e.Kind = ErrNotPermitted
			e.Msg = fmt.Sprintf("not permitted to join cgroup %s of process %d: %s; moving a process between cgroups "+
				"needs write access to cgroup.procs of both and of their common ancestor", cg, pid, words)
		case syscall.ENOENT, syscall.ENODEV:
			e.Msg = fmt.Sprintf("the cgroup %s of process %d vanished before it could be joined: %s", cg, pid, words)
		case syscall.EBUSY, syscall.EOPNOTSUPP:
			e.Msg = fmt.Sprintf("the kernel refused to join cgroup %s of process %d: %s (it has child cgroups with "+
				"controllers enabled, or is a threaded cgroup)", cg, pid, words)
		default:
			e.Msg = fmt.Sprintf("could not join cgroup %s of process %d: %s", cg, pid, words)
		}
	case "private mounts", "mount /proc":
		e.Msg = fmt.Sprintf("could not give the host tools the view of process %d (%s %s): %s", pid, f.Step, f.Detail, words)
		if f.Errno == syscall.EPERM || f.Errno == syscall.EACCES {
			e.Kind = ErrNotPermitted
			e.Msg += " (mounting a procfs of its pid namespace needs CAP_SYS_ADMIN in the user namespace that owns it, and a fully visible /proc in nscope's mounts)"
		}
	case "lsm label", "seccomp", "bounding set", "setgroups", "setgid", "setuid", "capabilities", "ambient capabilities", "no_new_privs":
		e.Msg = fmt.Sprintf("could not take the identity of process %d (%s %s): %s; nothing was run", pid, f.Step, f.Detail, words)
		if f.Step == "seccomp" || f.Step == "setgroups" || f.Step == "setuid" || f.Step == "setgid" {
			e.Msg += " (the target's own seccomp filter, installed first when it has no no_new_privs flag, may refuse the calls that follow, or its user namespace does not map the ID)"
		}
		if f.Errno == syscall.EPERM {
			e.Kind = ErrNotPermitted
		}
		e.Msg += "; --privileged enters as nscope's full root instead"
	case "open root":
		e.Msg = fmt.Sprintf("could not open the root directory of process %d: %s", pid, words)
		if f.Errno == syscall.EACCES || f.Errno == syscall.EPERM {
			e.Kind = ErrNotPermitted
			e.Msg += "; " + whyNotPermitted(pid)
		}
	case "chroot", "chdir":
		e.Msg = fmt.Sprintf("could not change to the root of process %d (%s %s): %s", pid, f.Step, f.Detail, words)
	case "exec":
		switch {
		case f.Errno == syscall.ENOENT && len(plan.ShellTried) > 0:
			e.Kind = ErrNoShell
			e.Msg = fmt.Sprintf("no shell inside process %d: %s was found before joining but cannot be run "+
				"inside (%s); name a command after --", pid, f.Detail, words)
		case f.Errno == syscall.ENOENT:
			e.Kind = ErrCommandNotFound
			e.Msg = fmt.Sprintf("command not found inside process %d: %s (%s; searched the PATH "+
				"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin of its root)", pid, f.Detail, words)
		case f.Errno == syscall.EACCES:
			e.Kind = ErrCannotRun
			e.Msg = fmt.Sprintf("cannot run %s inside process %d: %s (not executable, or on a noexec mount)", f.Detail, pid, words)
		default:
			e.Kind = ErrCannotRun
			e.Msg = fmt.Sprintf("cannot run %s inside process %d: %s", f.Detail, pid, words)
		}
	default:
		e.Msg = fmt.Sprintf("enter process %d: %s %s: %s", pid, f.Step, f.Detail, words)
	}
	return e
}
