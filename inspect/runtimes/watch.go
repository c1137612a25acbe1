package runtimes

import (
	"encoding/binary"
	"sync"

	"golang.org/x/sys/unix"
)

// dirWatcher tells when a directory's entries may have changed, with
// inotify(7): a refresh then costs one read of the event queue instead of
// a stat per container directory. Each Discoverer has one instance,
// closed with it (instances are limited per user, 128 by default, and
// shared with every other program of that user: a scanner that is not
// closed keeps one). Watches are only added: the kernel drops one when
// its directory goes away, which is when a container's state directory
// stops mattering.
type dirWatcher struct {
	mu  sync.Mutex
	fd  int
	wds map[string]int32
	// gen counts the events seen per watch; overflows the queue
	// overflows, which make every directory's token change.
	gen       map[int32]uint32
	overflows uint32
	buf       []byte
}

// watchMask is what changes a directory as discovery reads it: entries
// created, removed or renamed over (the runtimes' atomic writes), files
// written in place and closed (an edited LXC config), attributes, the
// directory itself going away. Appends to a file kept open (a container's
// log) are not among them.
const watchMask = unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO | unix.IN_CLOSE_WRITE |
	unix.IN_ATTRIB | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR | unix.IN_EXCL_UNLINK

// maxWatches bounds the watches nscope holds; directories beyond it are
// checked with stat instead.
const maxWatches = 16384

// newDirWatcher opens an inotify instance; without one (the per-user
// limit, no inotify) every directory is checked with stat.
func newDirWatcher() *dirWatcher {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return &dirWatcher{fd: -1}
	}
	return &dirWatcher{fd: fd, wds: map[string]int32{}, gen: map[int32]uint32{}, buf: make([]byte, 64<<10)}
}

// close releases the inotify instance; later tokens say "not watched".
func (w *dirWatcher) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fd >= 0 {
		unix.Close(w.fd)
		w.fd = -1
	}
}

// watchToken identifies the state of a watched directory: its watch and
// how many events it has had. Two equal tokens mean no event came between.
type watchToken struct {
	wd             int32
	gen, overflows uint32
}

// drain reads the queued events, counting them per watch.
func (w *dirWatcher) drain() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fd < 0 {
		return
	}
	for {
		n, err := unix.Read(w.fd, w.buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return // EAGAIN: no more events
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			wd := int32(binary.NativeEndian.Uint32(w.buf[off:]))
			mask := binary.NativeEndian.Uint32(w.buf[off+4:])
			nameLen := int(binary.NativeEndian.Uint32(w.buf[off+12:]))
			off += unix.SizeofInotifyEvent + nameLen
			switch {
			case mask&unix.IN_Q_OVERFLOW != 0:
				w.overflows++
			case mask&unix.IN_IGNORED != 0:
				// The watch is gone (its directory was removed): the
				// next token adds a new one, with a new wd.
				for dir, d := range w.wds {
					if d == wd {
						delete(w.wds, dir)
					}
				}
				delete(w.gen, wd)
			default:
				w.gen[wd]++
			}
		}
	}
}

// token returns dir's watch token, adding a watch when it has none. ok is
// false when dir cannot be watched (no inotify, the watch limit, not a
// directory); the caller then checks it with stat.
func (w *dirWatcher) token(dir string) (watchToken, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fd < 0 {
		return watchToken{}, false
	}
	wd, ok := w.wds[dir]
	if !ok {
		if len(w.wds) >= maxWatches {
			return watchToken{}, false
		}
		n, err := unix.InotifyAddWatch(w.fd, dir, watchMask)
		if err != nil {
			return watchToken{}, false
		}
		wd = int32(n)
		w.wds[dir] = wd
	}
	return watchToken{wd: wd, gen: w.gen[wd], overflows: w.overflows}, true
}
