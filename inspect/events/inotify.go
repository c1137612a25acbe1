package events

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// inotify is an inotify(7) instance read through Go's poller, so that
// closing it ends a blocked read.
type inotify struct {
	f  *os.File
	fd int
	mu sync.Mutex
	// byWD and byPath map watch descriptors and watched paths.
	byWD   map[int32]string
	byPath map[string]int32
}

func newInotify() (*inotify, error) {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("inotify_init1: %w", err)
	}
	return &inotify{f: os.NewFile(uintptr(fd), "inotify"), fd: fd, byWD: map[int32]string{}, byPath: map[string]int32{}}, nil
}

// add watches path for the events in mask; watching a path again
// replaces its mask.
func (in *inotify) add(path string, mask uint32) (int32, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	wd, err := unix.InotifyAddWatch(in.fd, path, mask)
	if err != nil {
		return -1, fmt.Errorf("watch %s: %w", path, err)
	}
	in.byWD[int32(wd)] = path
	in.byPath[path] = int32(wd)
	return int32(wd), nil
}

// remove stops watching path.
func (in *inotify) remove(path string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	wd, ok := in.byPath[path]
	if !ok {
		return
	}
	unix.InotifyRmWatch(in.fd, uint32(wd))
	delete(in.byPath, path)
	delete(in.byWD, wd)
}

// removeWD stops a watch by its descriptor.
func (in *inotify) removeWD(wd int32) {
	in.mu.Lock()
	defer in.mu.Unlock()
	unix.InotifyRmWatch(in.fd, uint32(wd))
	if p, ok := in.byWD[wd]; ok {
		delete(in.byWD, wd)
		if in.byPath[p] == wd {
			delete(in.byPath, p)
		}
	}
}

// forget drops a watch the kernel removed (IN_IGNORED).
func (in *inotify) forget(wd int32) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if p, ok := in.byWD[wd]; ok {
		delete(in.byWD, wd)
		if in.byPath[p] == wd {
			delete(in.byPath, p)
		}
	}
}

// path returns the path of a watch descriptor.
func (in *inotify) path(wd int32) (string, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	p, ok := in.byWD[wd]
	return p, ok
}

// watching returns the watched paths.
func (in *inotify) watching() map[string]bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make(map[string]bool, len(in.byPath))
	for p := range in.byPath {
		out[p] = true
	}
	return out
}

// read blocks until events arrive and calls fn for each; it returns an
// error once the instance is closed.
func (in *inotify) read(buf []byte, fn func(inotifyEvent)) error {
	n, err := in.f.Read(buf)
	if err != nil {
		return err
	}
	parseInotify(buf[:n], fn)
	return nil
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
