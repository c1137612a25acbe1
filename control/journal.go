package control

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// JournalFile is the journal's file name inside the state directory.
const JournalFile = "journal.jsonl"

// DefaultStateDir returns where the journal lives: $NSCOPE_STATE_DIR when
// set; /var/lib/nscope as root; else $XDG_STATE_HOME/nscope, falling back
// to ~/.local/state/nscope.
func DefaultStateDir() string {
	if d := os.Getenv("NSCOPE_STATE_DIR"); d != "" {
		return d
	}
	if os.Geteuid() == 0 {
		return "/var/lib/nscope"
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "nscope")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, ".local", "state", "nscope")
}

// Journal phases: an entry is appended before each write and after it.
const (
	PhaseBefore = "before"
	PhaseAfter  = "after"
	// PhaseNoop records an undo that found every file already restored.
	PhaseNoop = "noop"
)

// Entry is one JSON line of the journal. Each write gets a "before" entry
// (synced to disk before the write) and an "after" entry with the result,
// so that undo works after a crash between them.
type Entry struct {
	Time time.Time `json:"time"`
	// Change groups the entries of one change (all its writes).
	Change string `json:"change"`
	// Action is "set", "freeze", "thaw", "kill", "undo" or "rollback".
	Action string `json:"action"`
	// Undoes is the change an undo or rollback reverts.
	Undoes string `json:"undoes,omitempty"`
	Phase  string `json:"phase"`
	// Cgroup is the path inside the hierarchy; Hierarchy its label; Path
	// the file's absolute path.
	Cgroup    string `json:"cgroup"`
	Hierarchy string `json:"hierarchy"`
	Version   int    `json:"version"`
	Path      string `json:"path"`
	File      string `json:"file"`
	Old       string `json:"old"`
	New       string `json:"new"`
	// ReadBack is the file's value read after the write.
	ReadBack string `json:"readback,omitempty"`
	// Result is "ok" or the error in plain words (after entries only).
	Result string `json:"result,omitempty"`
	Errno  string `json:"errno,omitempty"`
	// PID and UID are nscope's own, for telling sessions apart.
	PID int `json:"pid"`
	UID int `json:"uid"`
}

// Journal is the append-only change journal, one JSON object per line,
// safe for several nscope processes at once (flock(2)).
type Journal struct {
	dir string
	mu  sync.Mutex
}

// NewJournal returns the journal kept in dir; nothing is created until the
// first append.
func NewJournal(dir string) *Journal { return &Journal{dir: dir} }

// Path returns the journal file's path.
func (j *Journal) Path() string { return filepath.Join(j.dir, JournalFile) }

// Check creates the directory and opens the file for appending, so that
// an edit fails before any write when the journal cannot be written.
func (j *Journal) Check() error {
	f, err := j.open()
	if err != nil {
		return err
	}
	return f.Close()
}

func (j *Journal) open() (*os.File, error) {
	if err := os.MkdirAll(j.dir, 0o700); err != nil {
		return nil, fmt.Errorf("journal directory %s: %w: %w", j.dir, err, ErrJournal)
	}
	f, err := os.OpenFile(j.Path(), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w: %w", j.Path(), err, ErrJournal)
	}
	return f, nil
}

// Append writes entries as lines under an exclusive lock and fsyncs the
// file before returning. Any failure wraps ErrJournal.
func (j *Journal) Append(entries ...Entry) error {
	var buf bytes.Buffer
	for _, e := range entries {
		line, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("journal entry: %w: %w", err, ErrJournal)
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	f, err := j.open()
	if err != nil {
		return err
	}
	defer f.Close()
	if err := flock(f, unix.LOCK_EX); err != nil {
		return fmt.Errorf("lock journal %s: %w: %w", j.Path(), err, ErrJournal)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("append to journal %s: %w: %w", j.Path(), err, ErrJournal)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync journal %s: %w: %w", j.Path(), err, ErrJournal)
	}
	return nil
}

func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if err != unix.EINTR {
			return err
		}
	}
}

// Entries reads every entry. A missing journal is empty; a torn last line
// (a crash mid-append) and other unparsable lines are skipped and
// counted.
func (j *Journal) Entries() (entries []Entry, skipped int, err error) {
	f, err := os.Open(j.Path())
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read journal: %w", err)
	}
	defer f.Close()
	if err := flock(f, unix.LOCK_SH); err != nil {
		return nil, 0, fmt.Errorf("lock journal %s: %w", j.Path(), err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil || e.Change == "" {
			skipped++
			continue
		}
		entries = append(entries, e)
	}
	if err := sc.Err(); err != nil {
		return entries, skipped, fmt.Errorf("read journal %s: %w", j.Path(), err)
	}
	return entries, skipped, nil
}
