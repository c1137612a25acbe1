package remote

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
)

// Ledger records the requests an agent carried out that must never run
// twice (changes, launches): one file per idempotency ID, written when
// the request starts and again, whole, when its outcome is known. A
// client whose connection dropped asks for the outcome here instead of
// sending the request again; a request whose ID is already here is
// answered from the record, never carried out again.
//
// The ledger lives beside the change journal (in DefaultStateDir/agent)
// and is trusted like it: the directory and files are opened without
// following symlinks and refused unless the effective user owns them and
// nobody else may write them.
type Ledger struct {
	dir string
	// now is the clock (tests fix it).
	now func() time.Time
}

// NewLedger returns the ledger in dir.
func NewLedger(dir string) *Ledger { return &Ledger{dir: dir, now: time.Now} }

// Record is one request in the ledger.
type Record struct {
	ID   string    `json:"id"`
	Op   string    `json:"op"`
	Args []string  `json:"args,omitempty"`
	Time time.Time `json:"time"`
	// Finished is when the outcome was recorded.
	Finished time.Time `json:"finished,omitzero"`
	// State is RecordRunning until the outcome is written, then RecordDone.
	State string `json:"state"`
	// PID and StartTicks identify the agent carrying the request out, so
	// that a record left running by an agent that died reads as unknown.
	PID        int    `json:"pid"`
	StartTicks uint64 `json:"start_ticks"`
	// The outcome of an exec: exit status and output (each capped at
	// maxRecordedOutput, Truncated says so).
	Code      int    `json:"code"`
	Stdout    []byte `json:"stdout,omitempty"`
	Stderr    []byte `json:"stderr,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
	// The outcome of another op: its reply, or its error.
	Reply json.RawMessage `json:"reply,omitempty"`
	Error *errorRecord    `json:"error,omitempty"`
}

// errorRecord is an op's error as recorded.
type errorRecord struct {
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
}

// Record states.
const (
	RecordRunning = "running"
	RecordDone    = "done"
)

// maxRecordedOutput caps each output stream kept in a record.
const maxRecordedOutput = 1 << 20

// ledgerKeep is how long records are kept.
const ledgerKeep = 7 * 24 * time.Hour

// ErrDuplicate says a request ID is already in the ledger.
var ErrDuplicate = errors.New("a request with this ID was already received")

// validID reports whether id may name a ledger file.
func validID(id string) bool {
	return len(id) >= 8 && len(id) <= 64 && validName(id, "-_.") && id[0] != '.'
}

// openDir opens (and creates) the ledger directory and checks it.
func (l *Ledger) openDir() (int, error) {
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return -1, fmt.Errorf("ledger directory: %w", err)
	}
	fd, err := unix.Open(l.dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("ledger directory %s: %w", l.dir, err)
	}
	if err := trusted(fd, l.dir); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// trusted refuses a file not owned by the effective user or writable by
// others.
func trusted(fd int, name string) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if int(st.Uid) != os.Geteuid() || st.Mode&0o022 != 0 {
		return fmt.Errorf("%s is owned by UID %d with mode %#o: the agent's ledger must be the effective user's (UID %d) and writable by nobody else", name, st.Uid, st.Mode&0o7777, os.Geteuid())
	}
	return nil
}

// Begin records that request id starts now in this process. It fails
// with ErrDuplicate when the ID is already recorded (running or done).
func (l *Ledger) Begin(id, op string, args []string) error {
	if !validID(id) {
		return fmt.Errorf("request ID %q: want 8 to 64 letters, digits, '-', '_' and '.'", id)
	}
	dfd, err := l.openDir()
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	rec := Record{ID: id, Op: op, Args: args, Time: l.now().UTC(), State: RecordRunning, PID: os.Getpid(), StartTicks: startTicks(os.Getpid())}
	fd, err := unix.Openat(dfd, id+".json", unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if errors.Is(err, unix.EEXIST) {
		return ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("ledger %s: %w", id, err)
	}
	f := os.NewFile(uintptr(fd), filepath.Join(l.dir, id+".json"))
	defer f.Close()
	if _, err := f.Write(append(wireJSON(rec), '\n')); err != nil {
		return fmt.Errorf("ledger %s: %w", id, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("ledger %s: %w", id, err)
	}
	return unix.Fsync(dfd)
}

// Finish writes the outcome of request rec.ID, replacing its running
// record (whose start, agent and arguments it keeps).
func (l *Ledger) Finish(rec Record) error {
	if began, err := l.Lookup(rec.ID); err == nil {
		rec.Time, rec.PID, rec.StartTicks = began.Time, began.PID, began.StartTicks
		if rec.Args == nil {
			rec.Args = began.Args
		}
	}
	rec.Finished = l.now().UTC()
	rec.State = RecordDone
	if len(rec.Stdout) > maxRecordedOutput {
		rec.Stdout, rec.Truncated = rec.Stdout[:maxRecordedOutput], true
	}
	if len(rec.Stderr) > maxRecordedOutput {
		rec.Stderr, rec.Truncated = rec.Stderr[:maxRecordedOutput], true
	}
	dfd, err := l.openDir()
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	tmp := rec.ID + ".json.tmp"
	fd, err := unix.Openat(dfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("ledger %s: %w", rec.ID, err)
	}
	f := os.NewFile(uintptr(fd), filepath.Join(l.dir, tmp))
	_, werr := f.Write(append(wireJSON(rec), '\n'))
	if werr == nil {
		werr = f.Sync()
	}
	f.Close()
	if werr != nil {
		return fmt.Errorf("ledger %s: %w", rec.ID, werr)
	}
	if err := unix.Renameat(dfd, tmp, dfd, rec.ID+".json"); err != nil {
		return fmt.Errorf("ledger %s: %w", rec.ID, err)
	}
	return unix.Fsync(dfd)
}

// Lookup returns the record of id, or os.ErrNotExist.
func (l *Ledger) Lookup(id string) (*Record, error) {
	if !validID(id) {
		return nil, os.ErrNotExist
	}
	dfd, err := l.openDir()
	if err != nil {
		return nil, err
	}
	defer unix.Close(dfd)
	fd, err := unix.Openat(dfd, id+".json", unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil, os.ErrNotExist
	}
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %w", id, err)
	}
	f := os.NewFile(uintptr(fd), filepath.Join(l.dir, id+".json"))
	defer f.Close()
	if err := trusted(fd, f.Name()); err != nil {
		return nil, err
	}
	data, err := readCapped(f, 4*maxRecordedOutput)
	if err != nil {
		return nil, fmt.Errorf("ledger %s: %w", id, err)
	}
	var rec Record
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("ledger %s: damaged record: %w", id, err)
	}
	return &rec, nil
}

// Alive reports whether the agent that began a running record is still
// running (the same PID with the same start time).
func (r *Record) Alive() bool {
	return r.State == RecordRunning && r.PID > 0 && startTicks(r.PID) == r.StartTicks && r.StartTicks != 0
}

// Prune removes records older than ledgerKeep.
func (l *Ledger) Prune() {
	ents, err := os.ReadDir(l.dir)
	if err != nil {
		return
	}
	cutoff := l.now().Add(-ledgerKeep)
	for _, e := range ents {
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() && info.ModTime().Before(cutoff) {
			_ = os.Remove(filepath.Join(l.dir, e.Name()))
		}
	}
}

// startTicks is a process's start time (field 22 of /proc/PID/stat), 0
// when it is gone.
func startTicks(pid int) uint64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	st, err := inspect.ParseProcStat(data)
	if err != nil {
		return 0
	}
	return st.StartTime
}

// readCapped reads all of f up to limit bytes.
func readCapped(f *os.File, limit int64) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("record of %d bytes (at most %d)", st.Size(), limit)
	}
	data := make([]byte, st.Size())
	_, err = f.ReadAt(data, 0)
	return data, err
}

// wireJSON is json.Marshal for values that always encode.
func wireJSON(v any) []byte {
	data, _ := json.Marshal(v)
	return data
}
