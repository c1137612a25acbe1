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
	// parent is watched for the creation of a wanted directory that does
	// not exist yet (/run for /run/netns).
	parent, wantChild string
}

func newDirWatch() (*dirWatch, error) {
	in, err := newInotify()
	if err != nil {
		return nil, err
	}
	return &dirWatch{in: in, changed: make(chan struct{}, 1)}, nil
}

const dirMask = unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO | unix.IN_DELETE_SELF | unix.IN_ONLYDIR

// set makes dirs the watched directories. dirs[0] is /run/netns: when it
// does not exist, its parent is watched for its creation.
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
	have := w.in.watching()
	for d := range have {
		if !want[d] && d != w.parent {
			w.in.remove(d)
		}
	}
	for d := range want {
		if !have[d] {
			w.in.add(d, dirMask)
		}
	}
	if _, ok := w.in.watching()[netns]; ok {
		if w.parent != "" {
			w.in.remove(w.parent)
			w.parent, w.wantChild = "", ""
		}
	} else if w.parent == "" {
		if _, err := w.in.add(runRoot, unix.IN_CREATE|unix.IN_MOVED_TO|unix.IN_ONLYDIR); err == nil {
			w.parent, w.wantChild = runRoot, filepath.Base(netns)
		}
	}
}

// run reads until close, signalling changed (coalesced) for each change
// in a watched directory.
func (w *dirWatch) run() {
	buf := make([]byte, 16<<10)
	for {
		err := w.in.read(buf, func(ev inotifyEvent) {
			if ev.mask&unix.IN_IGNORED != 0 {
				w.in.forget(ev.wd)
				return
			}
			w.mu.Lock()
			p, _ := w.in.path(ev.wd)
			skip := p == w.parent && ev.name != w.wantChild
			w.mu.Unlock()
			if skip {
				return
			}
			select {
			case w.changed <- struct{}{}:
			default:
			}
		})
		if err != nil {
			return
		}
	}
}

func (w *dirWatch) close() { w.in.close() }
