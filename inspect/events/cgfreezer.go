package events

import (
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// The v1 freezer has no notification: freezer.state changes only by a
// write to it (or to an ancestor's), which no inotify, eventfd or
// tracepoint reports. The watcher keeps each watched cgroup's
// freezer.state open and re-reads it with pread every FreezerPoll: one
// system call per cgroup per poll, so narrowing the watch with
// CgroupRoot makes it cheaper.

// openFreezer opens freezer.state for polling and reads the first state.
// Called with w.mu held.
func (w *cgWatcher) openFreezer(n *cgNode) {
	fd, err := unix.Open(filepath.Join(n.dir, "freezer.state"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	n.freezerFD = fd
	n.fstate = preadState(fd)
	w.freezer[n] = true
}

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
// closes, every FreezerPoll and when poked, and reports FROZEN as Frozen
// and a return to THAWED as Thawed (FREEZING, the way between, is not an
// event).
func (w *cgWatcher) pollFreezer() {
	t := time.NewTicker(w.s.cfg.freezePoll)
	defer t.Stop()
	for {
		select {
		case <-w.s.stop:
			return
		case <-t.C:
		case <-w.poke:
		}
		now := time.Now()
		var out []Event
		w.mu.Lock()
		for n := range w.freezer {
			st := preadState(n.freezerFD)
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
		w.s.publish(out...)
	}
}
