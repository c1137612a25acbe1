package record

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/nscope/nscope/control"
)

// JournalSource is nscope's change journal (*control.Journal).
type JournalSource interface {
	Path() string
	Entries() ([]control.Entry, int, error)
}

// journalTail hands out the entries a journal gains. The journal is
// append-only; its file's size and time say cheaply whether it grew, and
// only then is it read (control.Journal has no read from an offset yet).
type journalTail struct {
	src   JournalSource
	seen  int
	size  int64
	mtime time.Time
}

// newJournalTail starts after the entries the journal has now: those
// happened before the recording.
func newJournalTail(src JournalSource) *journalTail {
	t := &journalTail{src: src}
	if fi, err := os.Stat(src.Path()); err == nil {
		t.size, t.mtime = fi.Size(), fi.ModTime()
		if entries, _, err := src.Entries(); err == nil {
			t.seen = len(entries)
		}
	}
	return t
}

// poll returns the entries appended since the last poll.
func (t *journalTail) poll() ([]control.Entry, error) {
	fi, err := os.Stat(t.src.Path())
	if errors.Is(err, os.ErrNotExist) {
		t.seen, t.size = 0, 0
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("stat %s: %w", t.src.Path(), err)
	}
	if fi.Size() == t.size && fi.ModTime().Equal(t.mtime) {
		return nil, nil
	}
	entries, _, err := t.src.Entries()
	if err != nil {
		return nil, err
	}
	t.size, t.mtime = fi.Size(), fi.ModTime()
	if len(entries) < t.seen {
		// The journal was replaced: start over after what it holds.
		t.seen = len(entries)
		return nil, nil
	}
	out := entries[t.seen:]
	t.seen = len(entries)
	return out, nil
}
