package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/inspect"
)

// Source takes snapshots of the host; *inspect.Scanner is one.
type Source interface {
	// Scan takes a full snapshot of the host.
	Scan(ctx context.Context) (*inspect.Snapshot, error)
	// Refresher opens the counter files of snap, a scan of this source,
	// so that between full scans the app refreshes only the counters:
	// that is what keeps a 1 s refresh cheap on a host with thousands of
	// processes. A source that cannot refresh returns nil and no error;
	// every refresh is then a full scan, as it is when Refresher fails.
	Refresher(snap *inspect.Snapshot) (*inspect.Refresher, error)
}

// CounterRefresher refreshes the counters of a full scan between full
// scans; *inspect.Refresher is one.
type CounterRefresher interface {
	Refresh(now time.Time) (inspect.RefreshResult, error)
	Base() *inspect.Snapshot
	Close()
}

// CounterSource is a Source whose counter refreshes are not made by an
// *inspect.Refresher on this host: a remote host's source, whose agent
// refreshes there and sends what changed. The app asks it instead of
// Source.Refresher.
type CounterSource interface {
	CounterRefresher(snap *inspect.Snapshot) (CounterRefresher, error)
}

// Options configure the app.
type Options struct {
	// Source scans the host every Interval. Leave it nil and set Snapshot
	// to show a saved snapshot without refreshing.
	Source   Source
	Interval time.Duration
	// Snapshot is a snapshot to show read-only (from "nscope snapshot");
	// LoadedFrom names its file for the status line.
	Snapshot   *inspect.Snapshot
	LoadedFrom string
	// Replay shows a recording in time-travel mode (nscope --replay DIR)
	// instead of a live host or a snapshot; see Replay.
	Replay *Replay
	// ReadOnly refuses every action that changes the host.
	ReadOnly bool
	// Editor writes cgroup limits for the actions (the same journal and
	// refusals as the CLI's "nscope set"). Nil builds one from the
	// snapshot's cgroup layout. A remote host's editor carries the
	// changes to that host (see LimitEditor).
	Editor LimitEditor
	// Actions are the keys that act on the selection, in the order the
	// help lists them. Nil means DefaultActions().
	Actions []Action
	// Enterer plans and builds the x action's shell in a process's
	// namespaces. Nil means a control.NewEnterer() each time.
	Enterer Enterer
	// Launcher starts the n action's processes. Nil means a
	// control.NewLauncher() each time.
	Launcher Launcher
	// EUID returns the effective UID that the actions that start
	// processes check (they need root). Nil means os.Geteuid.
	EUID func() int
	// NoColor drops colours and keeps attributes, as NO_COLOR asks.
	NoColor bool
	// Light assumes a light background until the terminal answers the
	// background colour query (the default assumes dark).
	Light bool
	// Now is the clock; tests fix it. Default time.Now.
	Now func() time.Time
	// HistorySize is how many refreshes the CPU sparklines remember
	// (default 60).
	HistorySize int
	// FullScanEvery is the longest time between full scans when counters
	// are refreshed (see Source.Refresher) (default 60s): it bounds how long a change a counter
	// refresh cannot see (a process moved to another cgroup or namespace,
	// a new cgroup, a limit set by another tool) takes to show. In live
	// mode, where events and the refresher's limit checks show those, it
	// is at least liveFullEvery.
	FullScanEvery time.Duration
	// ExportDir is where the d and D keys write diagrams; empty means the
	// current directory.
	ExportDir string
	// Start is where the app opens: a view, a filter, an item to select.
	Start Start
	// OnQuit, when set, is what q and ctrl+c return instead of quitting
	// the program: the fleet view opens a host's view inside itself and
	// gets back to its list this way.
	OnQuit tea.Cmd
	// Tour, when set, walks through its steps with a lesson panel.
	Tour *Tour
	// FullScanGap is the shortest time between full scans taken because
	// processes started or exited (default 10s), so a host that forks all
	// the time is not scanned in full every second. In live mode it is
	// the most time between full scans that events ask for.
	FullScanGap time.Duration
	// Events opens the host's event stream for live mode (live.go),
	// off the UI goroutine, when the app runs live on a Source that is a
	// ProcessReader: started, exec'd and exited processes, freezes and
	// OOM kills are then shown as they happen, and processes coming and
	// going take no full scan. Nil, or a stream without process events,
	// keeps polling.
	Events func(ctx context.Context) (EventStream, error)
}

// DefaultInterval is the refresh interval when Options.Interval is zero.
const DefaultInterval = time.Second

func (o *Options) defaults() {
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HistorySize <= 0 {
		o.HistorySize = 60
	}
	if o.FullScanEvery <= 0 {
		o.FullScanEvery = time.Minute
	}
	if o.Actions == nil {
		o.Actions = DefaultActions()
	}
	if o.FullScanGap <= 0 {
		o.FullScanGap = 10 * time.Second
	}
}

// live reports whether the app refreshes from a Source.
func (o *Options) live() bool { return o.Source != nil && o.Snapshot == nil }
