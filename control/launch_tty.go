package control

import (
	"io"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// foreground remembers that the caller's terminal had our process group in
// the foreground, so that it can be handed back after a command that took
// the terminal (an interactive shell makes its own process group the
// foreground one and does not give it back when it exits). See
// tcsetpgrp(3) and credentials(7) "Process groups and sessions".
type foreground struct {
	fd   int
	pgrp int
}

// captureForeground returns the terminal state of stdin when stdin is a
// terminal whose foreground process group is ours; nil otherwise (scripts,
// pipes, background jobs).
func captureForeground(stdin io.Reader) *foreground {
	f, ok := stdin.(*os.File)
	if !ok || f == nil {
		return nil
	}
	fd := int(f.Fd())
	pgrp, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	if err != nil || pgrp != unix.Getpgrp() {
		return nil
	}
	return &foreground{fd: fd, pgrp: pgrp}
}

// restore makes the remembered process group the terminal's foreground
// again. We are in a background group by then, so SIGTTOU is blocked on
// this thread for the call, as shells do.
func (fg *foreground) restore() {
	if fg == nil {
		return
	}
	if cur, err := unix.IoctlGetInt(fg.fd, unix.TIOCGPGRP); err == nil && cur == fg.pgrp {
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

// sigaddset adds sig to set (the kernel's layout: bit sig-1).
func sigaddset(set *unix.Sigset_t, sig unix.Signal) {
	n := uint(sig - 1)
	set.Val[n/64] |= 1 << (n % 64)
}
