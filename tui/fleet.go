package tui

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// The fleet view (nscope -H a,b or -H @FILE): one row per host — whether
// it answers, its cgroup mode, processes, containers, CPU, memory, its
// most throttled and most OOM-killed cgroups — and below, every host's
// containers in one list sorted by what is running away. Hosts are
// scanned in parallel, at most FleetOptions.Parallel at once, each
// bounded by FleetOptions.Timeout: a slow or dead host is shown as such
// and never holds up the others. enter opens a host's own view (on a
// container, with its init selected); q there comes back.

// FleetHost is one host of the fleet view.
type FleetHost struct {
	// Name is the host as given (-H).
	Name string
	// Source scans it; a remote source reconnects by itself.
	Source Source
	// Open returns the options of the host's own view (its source,
	// editor, enterer), which enter opens; nil when it cannot be opened.
	Open func() (Options, error)
}

// FleetOptions configure the fleet view.
type FleetOptions struct {
	Hosts []FleetHost
	// Interval is how often every host is refreshed (default 2s).
	Interval time.Duration
	// Parallel is how many hosts are scanned at once (default 8).
	Parallel int
	// Timeout bounds one host's scan: a host that has not answered by
	// then is shown as not answering (default 10s).
	Timeout time.Duration
	// FullScanEvery is the longest time between a host's full scans;
	// counters are refreshed in between (default 60s).
	FullScanEvery  time.Duration
	NoColor, Light bool
	// Now is the clock (tests fix it).
	Now func() time.Time
}

func (o *FleetOptions) defaults() {
	if o.Interval <= 0 {
		o.Interval = 2 * time.Second
	}
	if o.Parallel <= 0 {
		o.Parallel = 8
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.FullScanEvery <= 0 {
		o.FullScanEvery = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// fleetHostState is what the fleet knows of one host.
type fleetHostState struct {
	snap     *inspect.Snapshot
	rates    *procview.Rates
	ref      CounterRefresher
	lastFull time.Time
	// structureChanged: processes came or went; the next scan is full.
	structureChanged bool
	inflight         bool
	err              error
	lastOK           time.Time
	summary          hostSummary
	rows             []fleetContainer
}

// FleetModel is the fleet view's Bubble Tea model.
type FleetModel struct {
	// screen is the terminal, handed to an opened host's app for the
	// shells it starts (nil in tests).
	screen *display

	opts   FleetOptions
	st     Styles
	width  int
	height int
	ctx    context.Context
	cancel context.CancelFunc
	sem    chan struct{}

	hosts []fleetHostState
	// focus is 0 on the hosts, 1 on the containers; cursor and top per
	// table.
	focus  int
	cursor [2]int
	top    [2]int
	sort   fleetSort
	rows   []fleetContainer
	flash  string
	// child is a host's own view, opened by enter; childHost its index.
	child     *Model
	childHost int
	// ticking is set once the first round is in and the refreshes
	// every Interval have started.
	ticking bool
}

// fleetScanMsg is one host's scan or counter refresh.
type fleetScanMsg struct {
	host      int
	snap      *inspect.Snapshot
	ref       CounterRefresher
	procCPU   map[int]float64
	refreshed bool
	changed   bool
	err       error
	// late, on a scan that timed out, delivers its result when it comes.
	late <-chan fleetScanMsg
}

// fleetTickMsg starts the next round of scans.
type fleetTickMsg struct{}

// fleetBackMsg closes the host view and shows the fleet again.
type fleetBackMsg struct{}

// fleetOpenMsg carries a host view's options, built off the UI
// goroutine (that asks the host's agent), to open it.
type fleetOpenMsg struct {
	host int
	opts Options
	err  error
	// pid and name are the container whose init to select, if any.
	pid  int
	name string
}

// errNoAnswer says a host did not answer within the timeout.
var errNoAnswer = errors.New("no answer")

// NewFleet returns the fleet view's model.
func NewFleet(opts FleetOptions) *FleetModel {
	opts.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &FleetModel{
		opts: opts, st: NewStyles(!opts.Light, opts.NoColor), width: 80, height: 24,
		ctx: ctx, cancel: cancel, sem: make(chan struct{}, opts.Parallel),
		hosts: make([]fleetHostState, len(opts.Hosts)),
	}
}

// Init scans every host.
func (f *FleetModel) Init() tea.Cmd {
	return tea.Batch(tea.RequestBackgroundColor, f.scanAll())
}

// scanAll starts a scan of every host that has none in flight.
func (f *FleetModel) scanAll() tea.Cmd {
	var cmds []tea.Cmd
	for i := range f.hosts {
		if !f.hosts[i].inflight {
			cmds = append(cmds, f.scanHost(i))
		}
	}
	return tea.Batch(cmds...)
}

// scanHost scans host i in a command: a counter refresh when one is
// possible and no full scan is due, else a full scan. It waits for a
// free slot (Parallel), then at most Timeout.
func (f *FleetModel) scanHost(i int) tea.Cmd {
	h := &f.hosts[i]
	h.inflight = true
	src, ref := f.opts.Hosts[i].Source, h.ref
	full := ref == nil || h.structureChanged || f.opts.Now().Sub(h.lastFull) >= f.opts.FullScanEvery
	ctx, sem, timeout, now := f.ctx, f.sem, f.opts.Timeout, f.opts.Now
	return func() tea.Msg {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		// The slot is given back when the scan ends or times out,
		// whichever is first: a host that hangs does not keep it.
		var release sync.Once
		free := func() { release.Do(func() { <-sem }) }
		done := make(chan fleetScanMsg, 1)
		go func() {
			defer free()
			done <- scanOne(ctx, i, src, ref, full, now, timeout)
		}()
		select {
		case msg := <-done:
			return msg
		case <-time.After(timeout):
			free()
			return fleetScanMsg{host: i, err: fmt.Errorf("%w within %s", errNoAnswer, timeout), late: done}
		}
	}
}

// scanOne is one host's scan, off the UI goroutine.
func scanOne(ctx context.Context, i int, src Source, ref CounterRefresher, full bool, now func() time.Time, timeout time.Duration) fleetScanMsg {
	if !full {
		res, err := ref.Refresh(now())
		switch {
		case err == nil:
			return fleetScanMsg{host: i, snap: res.Snapshot, procCPU: res.ProcessCPU, refreshed: true}
		case errors.Is(err, inspect.ErrStructureChanged):
			return fleetScanMsg{host: i, snap: res.Snapshot, procCPU: res.ProcessCPU, refreshed: true, changed: true}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	snap, err := src.Scan(ctx)
	if err != nil {
		return fleetScanMsg{host: i, err: err}
	}
	return fleetScanMsg{host: i, snap: snap, ref: openRefresher(src, snap)}
}

// Update handles one message.
func (f *FleetModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case fleetScanMsg:
		return f, f.onScan(msg)
	case fleetTickMsg:
		if f.child != nil {
			return f, f.tick()
		}
		return f, tea.Batch(f.scanAll(), f.tick())
	case fleetBackMsg:
		f.child = nil
		return f, f.scanAll()
	case fleetOpenMsg:
		return f, f.onOpen(msg)
	case tea.WindowSizeMsg:
		f.width, f.height = msg.Width, msg.Height
	case tea.BackgroundColorMsg:
		if f.child == nil {
			f.st = NewStyles(msg.IsDark(), f.opts.NoColor)
		}
	}
	if f.child != nil {
		_, cmd := f.child.Update(msg)
		return f, cmd
	}
	if k, ok := msg.(tea.KeyPressMsg); ok {
		return f, f.onKey(k)
	}
	return f, nil
}

// tick schedules the next round.
func (f *FleetModel) tick() tea.Cmd {
	return tea.Tick(f.opts.Interval, func(time.Time) tea.Msg { return fleetTickMsg{} })
}

// onScan applies a host's scan.
func (f *FleetModel) onScan(msg fleetScanMsg) tea.Cmd {
	if msg.host < 0 || msg.host >= len(f.hosts) {
		return nil
	}
	h := &f.hosts[msg.host]
	var cmd tea.Cmd
	if msg.late != nil {
		// Still in flight: no new scan of this host until it ends.
		late := msg.late
		cmd = func() tea.Msg { return <-late }
	} else {
		h.inflight = false
	}
	if msg.err != nil {
		h.err = msg.err
		if msg.late == nil && errors.Is(msg.err, context.Canceled) {
			return nil
		}
		f.rebuildRows()
		return tea.Batch(cmd, f.startTicks())
	}
	h.err = nil
	h.lastOK = f.opts.Now()
	if msg.refreshed {
		h.rates = procview.ComputeCgroupRates(h.snap, msg.snap).WithProcessCPU(msg.procCPU)
		h.structureChanged = h.structureChanged || msg.changed
	} else {
		h.rates = procview.ComputeRates(h.snap, msg.snap)
		if old := h.ref; old != nil {
			go old.Close()
		}
		h.ref, h.lastFull, h.structureChanged = msg.ref, f.opts.Now(), false
	}
	h.snap = msg.snap
	h.summary = summarize(h.snap, h.rates)
	h.rows = fleetContainers(msg.host, h.snap, h.rates)
	f.rebuildRows()
	return tea.Batch(cmd, f.startTicks())
}

// startTicks starts the refreshes every Interval once every host has
// answered the first round (with a snapshot or an error).
func (f *FleetModel) startTicks() tea.Cmd {
	if f.ticking || !f.allAnswered() {
		return nil
	}
	f.ticking = true
	return f.tick()
}

// allAnswered reports whether every host has had its first answer (a
// snapshot or an error).
func (f *FleetModel) allAnswered() bool {
	for i := range f.hosts {
		if f.hosts[i].snap == nil && f.hosts[i].err == nil {
			return false
		}
	}
	return true
}

// rebuildRows gathers every host's containers and sorts them.
func (f *FleetModel) rebuildRows() {
	f.rows = f.rows[:0]
	for i := range f.hosts {
		f.rows = append(f.rows, f.hosts[i].rows...)
	}
	sortContainers(f.rows, f.sort, func(i int) string { return f.opts.Hosts[i].Name })
	f.cursor[1] = min(f.cursor[1], max(0, len(f.rows)-1))
}

// onKey handles a key in the fleet's own view.
func (f *FleetModel) onKey(msg tea.KeyPressMsg) tea.Cmd {
	f.flash = ""
	n := [2]int{len(f.hosts), len(f.rows)}
	switch msg.String() {
	case "q", "ctrl+c":
		f.quit()
		return tea.Quit
	case "tab", "shift+tab":
		f.focus = 1 - f.focus
	case "up", "k":
		f.cursor[f.focus] = max(0, f.cursor[f.focus]-1)
	case "down", "j":
		f.cursor[f.focus] = min(max(0, n[f.focus]-1), f.cursor[f.focus]+1)
	case "home", "g":
		f.cursor[f.focus] = 0
	case "end", "G":
		f.cursor[f.focus] = max(0, n[f.focus]-1)
	case "pgup":
		f.cursor[f.focus] = max(0, f.cursor[f.focus]-10)
	case "pgdown":
		f.cursor[f.focus] = min(max(0, n[f.focus]-1), f.cursor[f.focus]+10)
	case "s":
		f.sort = (f.sort + 1) % numFleetSorts
		f.rebuildRows()
		f.flash = "containers sorted by " + f.sort.String()
	case "r":
		return f.scanAll()
	case "enter":
		return f.open()
	}
	return nil
}

// open opens the selected host's view; on a container, with its init
// process selected.
func (f *FleetModel) open() tea.Cmd {
	host, pid, name := f.cursor[0], 0, ""
	if f.focus == 1 {
		if len(f.rows) == 0 {
			return nil
		}
		r := f.rows[f.cursor[1]]
		host, pid, name = r.host, r.initPID, r.name
	}
	if host >= len(f.opts.Hosts) || f.opts.Hosts[host].Open == nil {
		return nil
	}
	f.flash = "opening " + f.opts.Hosts[host].Name + "…"
	open := f.opts.Hosts[host].Open
	return func() tea.Msg {
		opts, err := open()
		return fleetOpenMsg{host: host, opts: opts, err: err, pid: pid, name: name}
	}
}

// onOpen shows the host view that open prepared.
func (f *FleetModel) onOpen(msg fleetOpenMsg) tea.Cmd {
	if f.child != nil {
		return nil
	}
	f.flash = ""
	if msg.err != nil {
		f.flash = f.opts.Hosts[msg.host].Name + ": " + msg.err.Error()
		return nil
	}
	opts := msg.opts
	opts.OnQuit = func() tea.Msg { return fleetBackMsg{} }
	if msg.pid > 0 {
		opts.Start = Start{View: ProcessesView, HasView: true, Select: &SelectTarget{Text: msg.name, PID: msg.pid}}
	}
	f.child, f.childHost = New(opts), msg.host
	f.child.host.screen = f.screen
	_, size := f.child.Update(tea.WindowSizeMsg{Width: f.width, Height: f.height})
	return tea.Batch(f.child.Init(), size)
}

// quit stops the scans and closes the refreshers.
func (f *FleetModel) quit() {
	f.cancel()
	for i := range f.hosts {
		if r := f.hosts[i].ref; r != nil {
			go r.Close()
			f.hosts[i].ref = nil
		}
	}
}
