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
	// Undoes is the change an undo or rollback reverts (or the thaw that
	// ends a kill's temporary freeze).
	Undoes string `json:"undoes,omitempty"`
	// ForKill, on a freeze or thaw, is the kill change it was part of: a
	// v1 kill freezes the cgroup while it signals and thaws it after.
	ForKill string `json:"for_kill,omitempty"`
	Phase   string `json:"phase"`
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
	// User is who ran that nscope (see CurrentUser); entries of nscope
	// versions that did not record it have none.
	User string `json:"user,omitempty"`
}

// Journal is the append-only change journal, one JSON object per line,
// safe for several nscope processes at once (flock(2)).
type Journal struct {
	dir string
	// user is recorded in entries that name none (CurrentUser when "").
	user string
	mu   sync.Mutex
}

// NewJournal returns the journal kept in dir; nothing is created until the
// first append.
func NewJournal(dir string) *Journal { return &Journal{dir: dir} }

// Path returns the journal file's path.
func (j *Journal) Path() string { return filepath.Join(j.dir, JournalFile) }

// Check creates the directory and opens the file for appending, so that
// an edit fails before any write when the journal cannot be written or
// cannot be trusted.
func (j *Journal) Check() error {
	f, err := j.open()
	if err != nil {
		return err
	}
	return f.Close()
}

// open opens the journal for appending, creating it and its directory;
// both must be the effective user's and not writable by others (see
// journal_trust.go).
func (j *Journal) open() (*os.File, error) {
	dirfd, err := j.openStateDir(true)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dirfd)
	// Read and write: an append reads the last byte first.
	return j.openJournalFile(dirfd, unix.O_RDWR|unix.O_APPEND|unix.O_CREAT)
}

// Append writes entries as lines under an exclusive lock and fsyncs the
// file before returning. An entry that names no User gets the journal's
// (the editor's WithUser, else CurrentUser). An append that fails part-way (ENOSPC, EIO) is
// cut off again, so the journal never keeps half a line that the next
// change's first line would be glued to; and if the file does not end in
// a newline (an older nscope crashed mid-line), the entries start on a
// line of their own. Any failure wraps ErrJournal.
func (j *Journal) Append(entries ...Entry) error {
	var buf bytes.Buffer
	for _, e := range entries {
		if e.User == "" {
			e.User = j.user
			if e.User == "" {
				e.User = CurrentUser()
			}
		}
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
	return j.appendLocked(f, buf.Bytes())
}

// appendLocked appends data to the locked journal, restoring its size
// when the write or the sync fails.
func (j *Journal) appendLocked(f *os.File, data []byte) error {
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat journal %s: %w: %w", j.Path(), err, ErrJournal)
	}
	size := st.Size()
	if size > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, size-1); err == nil && last[0] != '\n' {
			data = append([]byte{'\n'}, data...)
		}
	}
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if werr == nil {
		return nil
	}
	if terr := f.Truncate(size); terr != nil {
		return fmt.Errorf("append to journal %s: %s; and cutting the partial line off again failed (%v): %w", j.Path(), Explain(werr, ""), terr, ErrJournal)
	}
	_ = f.Sync()
	return fmt.Errorf("append to journal %s (the partial entry was cut off again): %w: %w", j.Path(), werr, ErrJournal)
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
	dirfd, err := j.openStateDir(false)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	f, err := j.openJournalFile(dirfd, unix.O_RDONLY)
	unix.Close(dirfd)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
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
		e, ok := parseEntry(line)
		if !ok {
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

// parseEntry parses one journal line. A line an older nscope tore (a
// crash or ENOSPC mid-append, then the next entry appended to the same
// line) still yields the entry at its end: the torn start is dropped.
func parseEntry(line []byte) (Entry, bool) {
	var e Entry
	if err := json.Unmarshal(line, &e); err == nil && e.Change != "" {
		return e, true
	}
	if i := bytes.LastIndex(line, []byte(`{"time":`)); i > 0 {
		e = Entry{}
		if err := json.Unmarshal(line[i:], &e); err == nil && e.Change != "" {
			return e, true
		}
	}
	return Entry{}, false
}
