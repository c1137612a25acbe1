package events

import (
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// maxHolderDirs caps how many bind-mount directories are watched.
const maxHolderDirs = 64

// dirWatch watches the directories whose files hold namespaces (bind
// mounts, /run/netns): a file made or removed there may make or free one,
// which no process event shows ("ip netns add" unshares, mounts and
// exits without a fork). It only says that something changed; a scan
// tells what.
type dirWatch struct {
	in      *inotify
	changed chan struct{}

	mu      sync.Mutex
	watched map[string]int32
	// parent is watched for the creation of a wanted directory that does
	// not exist yet (/run for /run/netns); wantChild is its name.
	parent    string
	parentWD  int32
	wantChild string
}

func newDirWatch(in *inotify) *dirWatch {
	return &dirWatch{in: in, changed: make(chan struct{}, 1), watched: map[string]int32{}}
}

const dirMask = unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO | unix.IN_DELETE_SELF | unix.IN_ONLYDIR

// set makes dirs the watched directories. dirs[0] is /run/netns: when it
// does not exist, its parent runRoot is watched for its creation.
func (w *dirWatch) set(dirs []string, runRoot string) {
	want := map[string]bool{}
	for i, d := range dirs {
		if i > maxHolderDirs {
			break
		}
		want[filepath.Clean(d)] = true
	}
	netns := filepath.Clean(dirs[0])
	w.mu.Lock()
	defer w.mu.Unlock()
	for d, wd := range w.watched {
		if !want[d] {
			w.in.remove(wd)
			delete(w.watched, d)
		}
	}
	for d := range want {
		if _, ok := w.watched[d]; ok {
			continue
		}
		d := d
		wd, err := w.in.add(d, dirMask, func(ev inotifyEvent) { w.onEvent(d, ev) })
		if err == nil {
			w.watched[d] = wd
		}
	}
	_, haveNetns := w.watched[netns]
	switch {
	case haveNetns && w.parent != "":
		w.in.remove(w.parentWD)
		w.parent, w.wantChild = "", ""
	case !haveNetns && w.parent == "":
		wd, err := w.in.add(runRoot, unix.IN_CREATE|unix.IN_MOVED_TO|unix.IN_ONLYDIR, func(ev inotifyEvent) {
			if ev.name == filepath.Base(netns) {
				w.signal()
			}
		})
		if err == nil {
			w.parent, w.parentWD, w.wantChild = runRoot, wd, filepath.Base(netns)
		}
	}
}

// onEvent handles an event in a watched directory.
func (w *dirWatch) onEvent(dir string, ev inotifyEvent) {
	if ev.mask&unix.IN_IGNORED != 0 {
		w.mu.Lock()
		if w.watched[dir] == ev.wd {
			delete(w.watched, dir)
		}
		w.mu.Unlock()
	}
	w.signal()
}

// signal says that something changed (coalesced).
func (w *dirWatch) signal() {
	select {
	case w.changed <- struct{}{}:
	default:
	}
}
