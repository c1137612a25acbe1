package events

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// inotify is the stream's one inotify(7) instance (the default limit is
// 128 instances per user, shared by every program of that user), read
// through Go's poller so that closing it ends a blocked read. Each watch
// has a handler; the reader calls it for the watch's events. Two watches
// of the same file share a descriptor, so the sources watch disjoint
// paths (cgroupfs, the namespace holders' directories, the journal's).
type inotify struct {
	f  *os.File
	fd int
	mu sync.Mutex
	// handlers by watch descriptor; overflow handlers run when the
	// kernel's queue overflowed and events were lost.
	handlers map[int32]func(inotifyEvent)
	overflow []func()
}

func newInotify() (*inotify, error) {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("inotify_init1: %w", err)
	}
	return &inotify{f: os.NewFile(uintptr(fd), "inotify"), fd: fd, handlers: map[int32]func(inotifyEvent){}}, nil
}

// add watches path for the events in mask and calls h for each; the
// kernel's IN_IGNORED (the watch ended: removed, or its file deleted) is
// the last call.
func (in *inotify) add(path string, mask uint32, h func(inotifyEvent)) (int32, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	wd, err := unix.InotifyAddWatch(in.fd, path, mask)
	if err != nil {
		return -1, fmt.Errorf("watch %s: %w", path, err)
	}
	in.handlers[int32(wd)] = h
	return int32(wd), nil
}

// remove ends a watch.
func (in *inotify) remove(wd int32) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if _, ok := in.handlers[wd]; ok {
		unix.InotifyRmWatch(in.fd, uint32(wd))
		delete(in.handlers, wd)
	}
}

// onOverflow calls f when the kernel's event queue overflowed.
func (in *inotify) onOverflow(f func()) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.overflow = append(in.overflow, f)
}

// run reads and dispatches events until close.
func (in *inotify) run() {
	buf := make([]byte, 64<<10)
	for {
		n, err := in.f.Read(buf)
		if err != nil {
			return
		}
		parseInotify(buf[:n], in.dispatch)
	}
}

func (in *inotify) dispatch(ev inotifyEvent) {
	in.mu.Lock()
	if ev.mask&unix.IN_Q_OVERFLOW != 0 {
		fs := append([]func(){}, in.overflow...)
		in.mu.Unlock()
		for _, f := range fs {
			f()
		}
		return
	}
	h := in.handlers[ev.wd]
	if ev.mask&unix.IN_IGNORED != 0 {
		delete(in.handlers, ev.wd)
	}
	in.mu.Unlock()
	if h != nil {
		h(ev)
	}
}

func (in *inotify) close() { in.f.Close() }

// inotifyEvent is one struct inotify_event.
type inotifyEvent struct {
	wd     int32
	mask   uint32
	cookie uint32
	name   string
}

// errInotifyShort is what parseInotify stops at.
var errInotifyShort = errors.New("inotify: truncated event")

// parseInotify calls fn for each struct inotify_event in b and returns
// errInotifyShort if b ends inside one.
func parseInotify(b []byte, fn func(inotifyEvent)) error {
	const head = unix.SizeofInotifyEvent
	for len(b) > 0 {
		if len(b) < head {
			return errInotifyShort
		}
		ev := inotifyEvent{
			wd:     int32(binary.NativeEndian.Uint32(b[0:])),
			mask:   binary.NativeEndian.Uint32(b[4:]),
			cookie: binary.NativeEndian.Uint32(b[8:]),
		}
		nameLen := int(binary.NativeEndian.Uint32(b[12:]))
		if nameLen > len(b)-head {
			return errInotifyShort
		}
		ev.name = cString(b[head : head+nameLen])
		fn(ev)
		b = b[head+nameLen:]
	}
	return nil
}
