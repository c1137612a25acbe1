package events

import (
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// LimitChange is one finished write nscope made to a cgroup file, as its
// change journal records it (control.Entry with phase "after").
type LimitChange struct {
	Time time.Time
	// Action is "set", "freeze", "thaw", "kill", "undo" or "rollback".
	Action    string
	Cgroup    string
	Hierarchy string
	File      string
	Old, New  string
	// Result is "ok" or the error in plain words.
	Result string
	// PID is the nscope process that made the change.
	PID int
}

// WithJournal turns on Limit events from nscope's change journal: path
// is the journal file, watched for appends; read returns every finished
// change it holds, oldest first (the stream keeps its own place, so read
// can be the journal's own reader: the events package does not open the
// journal itself). Changes already in the journal when the stream starts
// are not reported.
func WithJournal(path string, read func() ([]LimitChange, error)) Option {
	return func(c *config) { c.journalPath, c.journalRead = path, read }
}

// journalPoll is how often a journal whose directory does not exist yet
// is looked for.
const journalPoll = time.Second

// startJournal starts following the journal.
func (s *Stream) startJournal() {
	changes, err := s.cfg.journalRead()
	if err != nil {
		s.warn("journal", "cannot read the journal: "+err.Error())
		return
	}
	in, err := s.inotify()
	if err != nil {
		s.warn("journal", err.Error())
		return
	}
	j := &journalTail{s: s, in: in, path: s.cfg.journalPath, seen: len(changes)}
	s.setSource("journal", true, "inotify on "+j.path)
	if !j.watch() {
		// The state directory does not exist yet: look for it now and then.
		s.goSource(j.waitForDir)
	}
}

// journalTail follows the journal file.
type journalTail struct {
	s    *Stream
	in   *inotify
	path string

	mu sync.Mutex
	// seen is how many changes were already reported (or there at start).
	seen int
}

// watch watches the journal's directory; false when it does not exist.
func (j *journalTail) watch() bool {
	name := filepath.Base(j.path)
	_, err := j.in.add(filepath.Dir(j.path), unix.IN_MODIFY|unix.IN_CREATE|unix.IN_MOVED_TO|unix.IN_ONLYDIR, func(ev inotifyEvent) {
		if ev.name == name {
			j.emit()
		}
	})
	return err == nil
}

// waitForDir polls for the state directory, then watches it.
func (j *journalTail) waitForDir() {
	t := time.NewTicker(journalPoll)
	defer t.Stop()
	for {
		select {
		case <-j.s.stop:
			return
		case <-t.C:
		}
		if j.watch() {
			// It may have been written before the watch.
			j.emit()
			return
		}
	}
}

// emit reads the journal and publishes the changes not yet reported.
func (j *journalTail) emit() {
	j.mu.Lock()
	defer j.mu.Unlock()
	changes, err := j.s.cfg.journalRead()
	if err != nil {
		j.s.publish(Event{Kind: Warning, Source: SourceJournal, Detail: "journal: cannot read it: " + err.Error()})
		return
	}
	if len(changes) < j.seen {
		// Replaced or truncated (by hand): report from its start.
		j.seen = 0
	}
	var out []Event
	for _, c := range changes[j.seen:] {
		ev := Event{Time: c.Time, Kind: Limit, Source: SourceJournal, Cgroup: c.Cgroup, Hierarchy: c.Hierarchy,
			File: c.File, Old: c.Old, New: c.New}
		ev.Detail = fmt.Sprintf("%s by nscope (pid %d): %s", c.Action, c.PID, c.Result)
		out = append(out, ev)
	}
	j.seen = len(changes)
	j.s.publish(out...)
	for _, c := range changes[len(changes)-len(out):] {
		if c.File == "freezer.state" {
			// The v1 freezer is polled: look now, so that a freeze nscope
			// made is seen even if it is undone before the next poll.
			j.s.pokeFreezer()
			break
		}
	}
}
