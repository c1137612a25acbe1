package control

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/nscope/nscope/inspect"
)

// Editor changes cgroups: it plans limit changes as file writes, applies
// them with a journal, freezes, thaws, kills and undoes. It is safe for
// concurrent use; all methods may block on the kernel and belong off any
// UI goroutine (except Plan* with a fake FS).
type Editor struct {
	layout   inspect.CgroupLayout
	fs       FS
	journal  *Journal
	readOnly string
	now      func() time.Time
	// pollInterval and freezeTimeout bound the wait for a freeze to settle
	// and for a killed cgroup to empty.
	pollInterval  time.Duration
	freezeTimeout time.Duration
	// hostCPUs is the host's CPU count, for the warning on CPU limits
	// above it; -1 until known.
	hostCPUs int
	// user is who the journal records as making the changes (WithUser);
	// "" is CurrentUser.
	user string

	mu  sync.Mutex
	seq int
}

// Option configures an Editor.
type Option func(*Editor)

// WithFS sets the file access (default RealFS{}); tests pass a *FakeFS.
func WithFS(fsys FS) Option { return func(e *Editor) { e.fs = fsys } }

// WithJournalDir keeps the journal in dir (default DefaultStateDir()).
func WithJournalDir(dir string) Option { return func(e *Editor) { e.journal = NewJournal(dir) } }

// ReadOnly refuses every edit with reason (e.g. "--read-only is set");
// an empty reason leaves edits allowed.
func ReadOnly(reason string) Option { return func(e *Editor) { e.readOnly = reason } }

// WithClock sets the time source for journal entries.
func WithClock(now func() time.Time) Option { return func(e *Editor) { e.now = now } }

// WithTimeouts sets how often freeze and kill poll the kernel and how long
// they wait for a freeze (and a kill) to settle (defaults 20ms and 5s).
func WithTimeouts(poll, settle time.Duration) Option {
	return func(e *Editor) { e.pollInterval, e.freezeTimeout = poll, settle }
}

// New returns an Editor for the host's cgroup layout (from
// inspect.DetectCgroupLayout or Scanner.Layout). With the real FS and a
// process that is not root, edits are refused with an explanation.
func New(layout inspect.CgroupLayout, opts ...Option) *Editor {
	e := &Editor{
		layout:        layout,
		fs:            RealFS{},
		now:           time.Now,
		pollInterval:  20 * time.Millisecond,
		freezeTimeout: 5 * time.Second,
		hostCPUs:      -1,
	}
	for _, o := range opts {
		o(e)
	}
	if e.hostCPUs < 0 {
		e.hostCPUs = HostCPUs()
	}
	if e.journal == nil {
		e.journal = NewJournal(DefaultStateDir())
	}
	e.journal.user = e.user
	if _, real := e.fs.(RealFS); real && e.readOnly == "" {
		e.readOnly = nonRootReason(os.Geteuid())
	}
	return e
}

// nonRootReason explains why a process with this euid may not edit, or
// returns "" for root.
func nonRootReason(euid int) string {
	if euid == 0 {
		return ""
	}
	return fmt.Sprintf("nscope is not running as root (euid %d); cgroup edits need root", euid)
}

// Layout returns the cgroup layout the editor writes to.
func (e *Editor) Layout() inspect.CgroupLayout { return e.layout }

// Journal returns the change journal.
func (e *Editor) Journal() *Journal { return e.journal }

// ReadOnlyReason returns why edits are refused, or "" when they are
// allowed.
func (e *Editor) ReadOnlyReason() string { return e.readOnly }

// Resolve turns what the user typed into a Target (see ResolveTarget).
func (e *Editor) Resolve(name string) (Target, error) { return ResolveTarget(e.layout, name) }

// checkWritable returns ErrReadOnly with the reason when edits are
// refused.
func (e *Editor) checkWritable() error {
	if e.readOnly != "" {
		return fmt.Errorf("%s: %w", e.readOnly, ErrReadOnly)
	}
	return nil
}

// newChangeID returns a journal change ID unique across processes:
// time, PID and a counter.
func (e *Editor) newChangeID() string {
	e.mu.Lock()
	e.seq++
	n := e.seq
	e.mu.Unlock()
	return fmt.Sprintf("%s-%d-%d", e.now().UTC().Format("20060102T150405.000000"), os.Getpid(), n)
}
