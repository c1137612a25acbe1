package events

import (
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// The v1 freezer has no notification of its own: freezer.state changes
// by a write to it or to an ancestor's, and then, in the kernel's own
// time, from FREEZING to FROZEN. The write raises IN_MODIFY on the file
// (vfs_write notifies as for any file) when it goes through the mount
// the watcher watches, the host's (docker pause, runc, lxc-freeze,
// nscope); a write through another mount of the hierarchy (a container
// with a cgroup namespace mounting its own) does not. So the watcher
// keeps each watched cgroup's freezer.state open, reads them all with
// pread when one is written, then every settlePoll while any is
// FREEZING or for settleFor after the write, and every FreezerPoll
// besides as the safety net: one system call per cgroup per poll, so
// narrowing the watch with CgroupRoot makes polling cheaper.

// settlePoll is how often freezer states are read while a freeze
// settles; settleFor how long after a write; unwatchedPoll the longest
// time between polls while a freezer.state could not be watched.
const (
	settlePoll    = 50 * time.Millisecond
	settleFor     = time.Second
	unwatchedPoll = time.Second
)

// openFreezer opens freezer.state for polling, reads the first state and
// watches the file for writes. Called with w.mu held.
func (w *cgWatcher) openFreezer(n *cgNode) {
	file := filepath.Join(n.dir, "freezer.state")
	fd, err := unix.Open(file, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	n.freezerFD = fd
	n.fstate = preadState(fd)
	// The value says the file is watched; out of inotify watches
	// (fs.inotify.max_user_watches), it is polled every unwatchedPoll.
	watched := false
	if watchFreezer {
		wd, err := w.in.add(file, unix.IN_MODIFY, w.handler(n, roleFreezer))
		if err == nil {
			n.wds = append(n.wds, wd)
			watched = true
		}
	}
	w.freezer[n] = watched
}

// watchFreezer is off in the tests of the polling fallback only.
var watchFreezer = true

// preadState reads an open freezer.state from its start.
func preadState(fd int) string {
	var buf [32]byte
	n, err := unix.Pread(fd, buf[:], 0)
	if err != nil || n <= 0 {
		return ""
	}
	return parseFreezerState(buf[:n])
}

// pollFreezer re-reads every watched freezer.state until the stream
// closes: when poked (a freezer.state written, or nscope's journal),
// every settlePoll while a freeze settles, and every FreezerPoll. It
// reports FROZEN as Frozen and a return to THAWED as Thawed (FREEZING,
// the way between, is not an event).
func (w *cgWatcher) pollFreezer() {
	// The first poll comes soon: it learns whether every file is watched.
	t := time.NewTimer(min(w.s.cfg.freezePoll, unwatchedPoll))
	defer t.Stop()
	var settleUntil time.Time
	for {
		select {
		case <-w.s.stop:
			return
		case <-t.C:
		case <-w.poke:
			settleUntil = time.Now().Add(settleFor)
		}
		now := time.Now()
		var out []Event
		freezing, blind := false, false
		w.mu.Lock()
		for n, watched := range w.freezer {
			blind = blind || !watched
			st := preadState(n.freezerFD)
			if st == freezerFreezing {
				freezing = true
			}
			if st == "" || st == n.fstate {
				continue
			}
			old := n.fstate
			n.fstate = st
			switch {
			case st == freezerFrozen:
				ev := w.cgEvent(n, Frozen, SourcePoll, now)
				ev.Old, ev.New = old, st
				out = append(out, ev)
			case st == freezerThawed && old != "":
				ev := w.cgEvent(n, Thawed, SourcePoll, now)
				ev.Old, ev.New = old, st
				out = append(out, ev)
			}
		}
		w.mu.Unlock()
		w.s.freezerPolls.Add(1)
		w.s.publish(out...)
		next := w.s.cfg.freezePoll
		if blind {
			next = min(next, unwatchedPoll)
		}
		if freezing || now.Before(settleUntil) {
			next = min(next, settlePoll)
		}
		t.Stop()
		t.Reset(next)
	}
}
