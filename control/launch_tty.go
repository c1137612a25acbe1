package control

import (
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// foreground is the caller's controlling terminal, held while a command
// runs that may take it: a launched command is made the foreground job,
// and an interactive shell makes its own process group the foreground one
// and does not give it back when it exits. See tcsetpgrp(3) and
// credentials(7), "Process groups and sessions".
type foreground struct {
	// tty is the controlling terminal (nil in the init, which uses fd).
	tty *os.File
	fd  int
	// pgrp is the process group to hand the terminal back to.
	pgrp int
}

// captureForeground opens the controlling terminal when there is one and
// our process group is its foreground group; nil otherwise (scripts,
// pipes, background jobs, no terminal at all). Stdin does not matter:
// "echo x | nscope run -- cat" still gets ^C from the terminal.
func captureForeground() *foreground {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	fd := int(tty.Fd())
	pgrp, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	if err != nil || pgrp != unix.Getpgrp() {
		tty.Close()
		return nil
	}
	return &foreground{tty: tty, fd: fd, pgrp: pgrp}
}

// isForeground reports whether the remembered process group is the
// terminal's foreground group now.
func (fg *foreground) isForeground() bool {
	if fg == nil {
		return false
	}
	cur, err := unix.IoctlGetInt(fg.fd, unix.TIOCGPGRP)
	return err == nil && cur == fg.pgrp
}

// restore makes the remembered process group the terminal's foreground
// group again. The caller is in a background group by then, so SIGTTOU is
// blocked on this thread for the call, as shells do.
func (fg *foreground) restore() {
	if fg == nil || fg.isForeground() {
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var set, old unix.Sigset_t
	sigaddset(&set, unix.SIGTTOU)
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, &old); err != nil {
		return
	}
	_ = unix.IoctlSetPointerInt(fg.fd, unix.TIOCSPGRP, fg.pgrp)
	_ = unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
}

// release closes the terminal.
func (fg *foreground) release() {
	if fg != nil && fg.tty != nil {
		fg.tty.Close()
	}
}

// sigaddset adds sig to set (the kernel's layout: bit sig-1).
func sigaddset(set *unix.Sigset_t, sig unix.Signal) {
	n := uint(sig - 1)
	set.Val[n/64] |= 1 << (n % 64)
}
