package inspect

import (
	"fmt"
	"runtime"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// joinedThread runs fn on an OS thread of its own that has joined the
// namespace open at nsfd (setns(2) with the CLONE_NEW* flag of typ), and
// throws that thread away afterwards: the goroutine returns while still
// locked to it, so the Go runtime ends the thread instead of handing it,
// inside another namespace, to some other goroutine. Only namespaces a
// single thread may join qualify: UTS, network, IPC and cgroup (mount,
// user and time namespaces refuse a multithreaded caller). fn runs on
// that thread; what it opens there (sockets, /proc/sysvipc files, mqueue
// file systems) belongs to the joined namespace and stays usable from
// any thread afterwards.
func joinedThread(nsfd int, typ NSType, fn func() error) error {
	switch typ {
	case UTSNS, NetNS, IPCNS, CgroupNS:
	default:
		return fmt.Errorf("a thread cannot join a %s namespace alone", typ)
	}
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() == unix.Getpid() {
			// This is the main thread, which the runtime never ends: a
			// goroutine that exits locked to it wedges it instead, and
			// it would stay in the other namespace, where every
			// /proc/self/ns link (the thread group leader's) would
			// report it. Hold the main thread while another one, which
			// cannot be this one, does the work.
			err := joinedThread(nsfd, typ, fn)
			runtime.UnlockOSThread()
			done <- err
			return
		}
		// No UnlockOSThread, on purpose: see above.
		var err error
		if typ == NetNS {
			err = netns.Set(netns.NsHandle(nsfd))
		} else {
			err = unix.Setns(nsfd, int(typ.CloneFlag()))
		}
		if err != nil {
			done <- fmt.Errorf("setns into the %s namespace: %w", typ, err)
			return
		}
		done <- fn()
	}()
	return <-done
}
