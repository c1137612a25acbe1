package events

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// epollSet waits on many file descriptors from one goroutine. The epoll
// fd itself is registered with Go's poller, so that waiting parks the
// goroutine (no thread blocked in epoll_wait) and closing ends the wait.
type epollSet struct {
	f  *os.File
	rc syscall.RawConn
	fd int
}

func newEpollSet() (*epollSet, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("epoll: %w", err)
	}
	f := os.NewFile(uintptr(fd), "epoll")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("epoll: %w", err)
	}
	return &epollSet{f: f, rc: rc, fd: fd}, nil
}

// add waits for fd to become readable.
func (e *epollSet) add(fd int) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
	return unix.EpollCtl(e.fd, unix.EPOLL_CTL_ADD, fd, &ev)
}

// del stops waiting for fd (closing fd does too).
func (e *epollSet) del(fd int) {
	unix.EpollCtl(e.fd, unix.EPOLL_CTL_DEL, fd, nil)
}

// wait parks until at least one fd is readable and calls fn for each; it
// returns an error once the set is closed.
func (e *epollSet) wait(fn func(fd int)) error {
	var evs [64]unix.EpollEvent
	return e.rc.Read(func(epfd uintptr) bool {
		n, err := unix.EpollWait(int(epfd), evs[:], 0)
		if err != nil || n <= 0 {
			return false
		}
		for i := range n {
			fn(int(evs[i].Fd))
		}
		return true
	})
}

func (e *epollSet) close() { e.f.Close() }
