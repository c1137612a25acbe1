package control

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

func init() {
	if os.Getenv(initEnv) != "" {
		// The init unshares its cgroup and time namespaces and forks the
		// command from the main thread, and /proc/1/ns shows the main
		// thread's namespaces. Locking in an init function keeps main,
		// and RunInit, on the main thread. See runtime.LockOSThread.
		runtime.LockOSThread()
	}
}

// IsInit reports whether this process was started by a Launcher as the
// init of a launched command; the binary must then call RunInit.
func IsInit() bool { return os.Getenv(initEnv) != "" }

// initComm is the init's process name (at most 15 bytes and a NUL).
var initComm = []byte("nscope-init\x00")

// initForwarded are the signals the init passes on to the command. SIGCONT
// is not among them: a stopped command is continued through the control
// descriptor, so that it gets the terminal back first.
var initForwarded = []os.Signal{
	syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM, syscall.SIGWINCH,
}

// RunInit is the init of a launched command, PID 1 of its new pid
// namespace. It waits until the parent has placed it in its cgroups, makes
// "/" private and mounts a fresh /proc, sets the hostname, brings lo up,
// unshares the cgroup and time namespaces, starts the command, forwards
// signals to it and reaps every child. It returns the exit code for
// os.Exit: the command's, 128+N when signal N killed it, 125 when the init
// itself failed. See pid_namespaces(7), mount_namespaces(7),
// cgroup_namespaces(7), time_namespaces(7).
func RunInit() int {
	status := os.NewFile(initFDStatus, "init-status")
	ctl := os.NewFile(initFDControl, "init-control")
	for _, fd := range []int{initFDControl, initFDStatus, initFDTTY} {
		syscall.CloseOnExec(fd)
	}
	fail := func(step string, err error, detail string) int {
		st := initStatus{Kind: "error", Step: step, Errno: errnoOf(err), Detail: detail}
		if st.Errno == 0 {
			st.Detail = fmt.Sprintf("%s: %v", detail, err)
		}
		if _, werr := io.WriteString(status, st.line()); werr != nil {
			fmt.Fprintf(os.Stderr, "nscope init: %s %s: %v\n", step, detail, err)
		}
		return exitSetup
	}

	// Show as nscope-init, not "exe" (we run as /proc/self/exe); the main
	// thread's name is the process's.
	_ = unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&initComm[0])), 0, 0, 0)

	cfg, err := decodeInitConfig(os.Getenv(initEnv))
	os.Unsetenv(initEnv)
	if err != nil {
		return fail("config", err, "")
	}
	if os.Getpid() != 1 {
		return fail("config", syscall.EINVAL, fmt.Sprintf("init runs as PID %d, not 1: no new pid namespace", os.Getpid()))
	}
	// Hold until the parent has written our PID to every cgroup.
	var go1 [1]byte
	if n, _ := ctl.Read(go1[:]); n != 1 || go1[0] != 'g' {
		return exitSetup // the parent gave up; it reports why
	}

	if cfg.Mount {
		// Private first, so our mounts do not propagate to the host.
		if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
			return fail("make / private", err, "/")
		}
		if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			return fail("mount /proc", err, "/proc")
		}
	}
	if cfg.UTS && cfg.Hostname != "" {
		if err := unix.Sethostname([]byte(cfg.Hostname)); err != nil {
			return fail("set hostname", err, cfg.Hostname)
		}
	}
	if cfg.Net {
		if err := bringLoopbackUp(); err != nil {
			return fail("bring lo up", err, "lo")
		}
	}
	// After placement, so the new cgroup namespace is rooted at our own
	// cgroup; time can only be unshared, and then applies to children.
	if cfg.CgroupNS {
		if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
			return fail("unshare cgroup namespace", err, "")
		}
	}
	if cfg.TimeNS {
		if err := unix.Unshare(unix.CLONE_NEWTIME); err != nil {
			return fail("unshare time namespace", err, "")
		}
	}

	path, err := exec.LookPath(cfg.Command[0])
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			err = syscall.ENOENT
		}
		return fail("exec", err, cfg.Command[0])
	}
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs, append(initForwarded, syscall.SIGCHLD)...)
	// SIGTSTP, SIGTTIN and SIGTTOU keep their default: the kernel does
	// not stop a pid namespace's init, and SIG_IGN would be inherited by
	// the command across exec.
	attr := &os.ProcAttr{
		Env:   os.Environ(),
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
		Sys:   &syscall.SysProcAttr{},
	}
	if cfg.Foreground {
		attr.Sys.Foreground = true
		attr.Sys.Ctty = initFDTTY
	}
	proc, err := os.StartProcess(path, cfg.Command, attr)
	if err != nil {
		return fail("exec", err, cfg.Command[0])
	}
	cmdPID := proc.Pid
	if _, err := io.WriteString(status, initStatus{Kind: "started", PID: cmdPID}.line()); err != nil {
		// The parent is gone; the kernel kills us (Pdeathsig). Run on.
		status = nil
	}
	if cfg.Foreground {
		go continueOnRequest(ctl, cmdPID)
	}
	ws := reapUntil(cmdPID, sigs, func() {
		if status != nil && cfg.Foreground {
			_, _ = io.WriteString(status, "stopped\n")
		}
	})
	end := initStatus{Kind: "exited", Code: ws.ExitStatus()}
	if ws.Signaled() {
		end.Signal = ws.Signal()
		end.Code = 128 + int(ws.Signal())
	}
	if status != nil {
		_, _ = io.WriteString(status, end.line())
	}
	return end.Code
}

// reapUntil forwards signals to cmdPID and reaps every child until cmdPID
// ends; it returns cmdPID's wait status. onStop runs when cmdPID is
// stopped.
func reapUntil(cmdPID int, sigs <-chan os.Signal, onStop func()) syscall.WaitStatus {
	for sig := range sigs {
		if sig != syscall.SIGCHLD {
			_ = syscall.Kill(cmdPID, sig.(syscall.Signal))
			continue
		}
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG|syscall.WUNTRACED, nil)
			if err == syscall.EINTR {
				continue
			}
			if err != nil || pid <= 0 {
				break
			}
			if pid != cmdPID {
				continue // an orphan reparented to us: reaped
			}
			if ws.Stopped() {
				onStop()
				continue
			}
			return ws
		}
	}
	panic("signal channel closed")
}

// continueOnRequest continues the stopped command when the parent says so:
// 'f' gives it the terminal first (it is a foreground job again), 'b'
// continues it in the background.
func continueOnRequest(ctl *os.File, cmdPID int) {
	var b [1]byte
	for {
		if n, err := ctl.Read(b[:]); n != 1 || err != nil {
			return
		}
		if b[0] == 'f' {
			(&foreground{fd: initFDTTY, pgrp: cmdPID}).restore()
		}
		_ = syscall.Kill(-cmdPID, syscall.SIGCONT)
	}
}
