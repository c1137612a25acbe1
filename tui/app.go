package tui

import (
	"context"
	"fmt"
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
	"github.com/nscope/nscope/tui/dialog"
)

// Model is the root Bubble Tea model of the app.
type Model struct {
	opts  Options
	keys  KeyMap
	st    Styles
	width int
	// height is the terminal height; lay is where everything goes.
	height int
	lay    layout
	ctx    context.Context
	cancel context.CancelFunc

	view        ViewID
	lists       [numViews]*listView
	detail      detailPane
	detailFocus bool

	prev, snap *inspect.Snapshot
	ix         *procview.Index
	// ixBase is the full scan whose structure ix indexes.
	ixBase *inspect.Snapshot
	hist   *procview.History

	gen         int
	scanning    bool
	paused      bool
	lastRefresh time.Time
	// shownRefresh is the counter refresh time the status line shows
	// (steadyDuration).
	shownRefresh time.Duration
	scanErr      error
	// ref refreshes the counters of the last full scan; lastFull is when
	// that scan arrived. forceFull asks for a full scan next (the user
	// pressed r, or an action changed something); structureChanged says
	// processes came or went since. refreshed says the current snapshot
	// is a counter refresh.
	ref              CounterRefresher
	lastFull         time.Time
	forceFull        bool
	structureChanged bool
	refreshed        bool
	// procCPU are the per-process CPU% of the last counter refresh (nil
	// after a full scan), which a live patch keeps.
	procCPU map[int]float64
	// nextTick is when the next refresh is due.
	nextTick time.Time
	// live is live mode (live.go); fresh the rows that appeared lately.
	live  liveState
	fresh freshMarks

	filtering   bool
	filterInput lineInput
	help        help.Model
	showHelp    bool
	helpOffset  int
	dialogs     dialog.Stack
	back        []location
	flash       FlashMsg
	flashUntil  time.Time
	// pendingSelect is a PID to select when the next full scan has it
	// (SelectProcessMsg).
	pendingSelect int
	// launched are the processes actions started in the background; they
	// are stopped and cleaned up when the app ends.
	launched *launchedSet
	// host is what the built-in actions act through.
	host *actionHost
	// teach is the state of the teaching features: what namespaces hold,
	// the nesting tree, the start options and the tour (teach.go).
	teach
	// replay is the time-travel state of a replay (replay.go), or nil.
	replay *replayState
	// last is the view drawn last (view_reuse.go).
	last lastView
}

// flashFor is how long a status-line message stays.
const flashFor = 5 * time.Second

// location is a place to come back to with esc after following a link.
type location struct {
	view        ViewID
	key         procview.Key
	detailFocus bool
	detailLink  int
}

// New returns the app model. It does no I/O: with a Source, the first
// scan starts in Init.
func New(opts Options) *Model {
	opts.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	m := &Model{
		opts:     opts,
		keys:     DefaultKeyMap(),
		st:       NewStyles(!opts.Light, opts.NoColor),
		ctx:      ctx,
		cancel:   cancel,
		hist:     procview.NewHistory(opts.HistorySize),
		launched: newLaunchedSet(),
		help:     help.New(),
		view:     ProcessesView,
	}
	m.host = &actionHost{opts: &m.opts}
	for _, a := range m.opts.Actions {
		m.keys.Actions = append(m.keys.Actions, a.Key)
	}
	m.lists[NamespacesView] = newListView(NamespacesView, procview.SortName, namespaceColumns)
	m.lists[ProcessesView] = newListView(ProcessesView, procview.SortPID, processColumns)
	m.lists[CgroupsView] = newListView(CgroupsView, procview.SortName, cgroupColumns)
	m.lists[ContainersView] = newContainersList()
	m.tour = newTourState(opts.Tour)
	m.initReplay()
	m.applyStyles()
	m.setSize(80, 24)
	if opts.Snapshot != nil {
		m.apply(opts.Snapshot)
	}
	return m
}

// Init asks the terminal for its background colour and starts the first
// scan and the status clock.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor}
	if m.opts.live() {
		cmds = append(cmds, m.startScan(), clockTick(), m.liveInit())
	}
	cmds = append(cmds, m.replayInit())
	return tea.Batch(cmds...)
}

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	quiet := m.last.valid && m.quietMsg(msg)
	cmd := m.handle(msg)
	m.last.reuse = quiet && m.quietMsg(msg) && m.screen() == m.last.state
	return m, cmd
}

// handle passes msg to the dialogs, then to the app.
func (m *Model) handle(msg tea.Msg) tea.Cmd {
	if cmd, consumed := m.dialogs.Update(msg); consumed {
		return tea.Batch(cmd, m.afterUpdate())
	} else if cmd != nil {
		return tea.Batch(cmd, m.update(msg), m.afterUpdate())
	}
	return tea.Batch(m.update(msg), m.afterUpdate())
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	if cmd, ok := m.onReplayMsg(msg); ok {
		return cmd
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.setSize(msg.Width, msg.Height)
	case tea.BackgroundColorMsg:
		m.st = NewStyles(msg.IsDark(), m.opts.NoColor)
		m.applyStyles()
	case scanMsg:
		return m.onScan(msg)
	case tickMsg:
		return m.onTick(msg)
	case clockMsg:
		m.fresh.expire(m.opts.Now())
		return clockTick()
	case liveOpenedMsg:
		return m.onLiveOpened(msg)
	case liveEventsMsg:
		return m.onLiveEvents(msg)
	case liveTimerMsg:
		return m.onLiveTimer()
	case FlashMsg:
		m.flash, m.flashUntil = msg, m.opts.Now().Add(flashFor)
	case SelectProcessMsg:
		return m.onSelectProcess(msg)
	case launchedMsg:
		return m.launched.watch(msg)
	case launchEndedMsg:
		return m.onLaunchEnded(msg)
	case RefreshMsg:
		if m.opts.live() && !m.paused {
			m.forceFull = true
			return m.startScan()
		}
	case contentMsg:
		m.onContent(msg)
	case exportedMsg:
		m.onExported(msg)
	case tea.KeyPressMsg:
		return m.onKey(msg)
	case tea.PasteMsg:
		if m.filtering && m.filterInput.Update(msg) {
			m.setFilter(m.filterInput.Value())
		}
	case tea.MouseClickMsg:
		return m.onClick(msg)
	case tea.MouseWheelMsg:
		m.onWheel(msg)
	}
	return nil
}

// quit stops scanning and leaves the program.
func (m *Model) quit() tea.Cmd {
	m.cancel()
	m.closeLive()
	if m.ref != nil {
		m.ref.Close()
		m.ref = nil
	}
	if m.opts.OnQuit != nil {
		return m.opts.OnQuit
	}
	return tea.Quit
}

// applyStyles passes the styles to the bubbles components.
func (m *Model) applyStyles() {
	m.help.Styles = helpStyles(m.st.Dark, m.st.NoColor)
}

// list returns the current view's list.
func (m *Model) list() *listView { return m.lists[m.view] }

// ensureRows rebuilds the current list if it is out of date.
func (m *Model) ensureRows() {
	l := m.list()
	if m.ix == nil {
		return
	}
	if l.remapDue && !l.dirty && !l.remap(m.ix.Snap) {
		l.dirty = true
	}
	if l.dirty {
		l.rebuild(m.ix)
		l.rowsBase = m.ixBase
	}
}

// switchView shows view v with the keys in its list.
func (m *Model) switchView(v ViewID) {
	m.view = v
	m.detailFocus = false
	m.ensureRows()
	m.refreshDetail()
}

// refreshDetail rebuilds the detail pane for the selected row.
func (m *Model) refreshDetail() {
	r := m.list().selected()
	if r == nil || m.ix == nil {
		b := &detailBuilder{title: "Details"}
		switch {
		case m.ix == nil && m.scanErr != nil:
			b.add(seg{"  scan failed: " + m.scanErr.Error(), roleError})
		case m.ix == nil:
			b.add(seg{"  scanning…", roleDim})
		default:
			b.add(seg{"  nothing selected", roleDim})
		}
		m.detail.set(procview.Key{}, b)
		return
	}
	var b *detailBuilder
	switch {
	case r.Namespace != nil:
		b = namespaceDetail(m.ix, r.Namespace, m.contentView(r.Namespace.ID), m.detail.width)
	case r.Process != nil:
		b = processDetail(m.ix, r.Process)
	case r.Merged != nil:
		b = cgroupDetail(m.ix, m.hist, r.Merged, r.Key.IsMerged())
	case r.Container != nil:
		b = containerDetail(m.ix, r.Container)
	}
	m.detail.set(r.Key, b)
}

// selection returns what an action would act on: the focused link of the
// detail pane, else the selected row.
func (m *Model) selection() (Selection, bool) {
	if m.ix == nil {
		return Selection{}, false
	}
	k := procview.Key{}
	if m.detailFocus {
		k = m.detail.focusedLink()
	}
	if k.IsZero() {
		if r := m.list().selected(); r != nil {
			k = r.Key
		}
	}
	sel := Selection{Kind: k.Kind, Snapshot: m.snap}
	switch it := m.ix.Lookup(k).(type) {
	case *inspect.Namespace:
		sel.Namespace = it
	case *inspect.Process:
		sel.Process = it
	case *inspect.Cgroup:
		sel.Cgroup = it
	case *inspect.Container:
		sel.Container, sel.Process = it, m.snap.Process(it.InitPID)
	case *procview.MergedCgroup:
		sel.Merged, sel.Cgroup = it, it.Primary()
	default:
		return Selection{}, false
	}
	return sel, true
}

// readOnlyReason says why changes are refused, or "" when they are not.
func (m *Model) readOnlyReason() string {
	switch {
	case m.replay != nil:
		return m.replayReadOnly()
	case m.opts.Snapshot != nil:
		return fmt.Sprintf("this is a saved snapshot (%s): nothing can be changed", m.opts.LoadedFrom)
	case m.opts.ReadOnly:
		return "read-only mode (--read-only): nothing can be changed"
	case m.remoteLost() != "":
		return "the connection to " + m.remoteHost() + " is lost: the last snapshot is shown read-only until it is back"
	}
	return ""
}
