package tui

import (
	"fmt"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/inspect/events"
	"github.com/nscope/nscope/procview"
)

// Live mode: on the local host, the app reads the host's event stream
// (package inspect/events) beside its refresh. A process that starts,
// execs, renames itself or exits, a cgroup frozen or thawed and an OOM
// kill are patched into the snapshot on screen at once, off the UI
// goroutine: the processes the events name are read again from /proc
// (ProcessReader), those that exited are dropped, and the result goes
// through the same index and rows as a scan. What a patch cannot show
// (a new namespace or cgroup, lost events, a limit another tool set)
// asks for a full scan, no sooner than liveFullGap after the last one.
//
// Events are read in batches: the reader takes what arrives within
// eventWindow of the first event (busyWindow on a busy host), so a
// burst costs one wake-up. Patches are rate-limited (liveLimiter), and
// events that would wait past the next counter refresh are read by it;
// on a busy host, or after lost events, patches come once a second (or
// once per interval, if shorter): the cost degrades to periodic
// rescans, never to a backlog. Every buffer is bounded: the
// subscription's (its owner's), a batch (maxBatch events), the pending
// set (livePending), the overlay and the fresh marks.
//
// Because events say when processes come and go, the counter refresh's
// "the structure changed" no longer takes a full scan every
// FullScanGap: full scans come when events ask for one and every
// FullScanEvery as a safety net. Without process events (not root, no
// BTF, no stream) the app polls as before and says why once.

// EventStream is a subscription to the host's events that live mode
// reads; cmd/nscope wraps an *events.Stream and its subscription.
type EventStream interface {
	// Events delivers the events in order through a bounded buffer (a
	// reader that falls behind gets a Lost event instead); it is closed
	// when the stream ends.
	Events() <-chan events.Event
	// ProcessEvents reports whether process events (fork, exec, exit,
	// ...) are watched, and if not why.
	ProcessEvents() (bool, string)
	// Close stops the stream and closes Events.
	Close()
}

// EventBuffer is the subscription buffer live mode asks for: about a
// second of a busy host's process events; past it events are counted
// as lost and the app resyncs.
const EventBuffer = 1024

// Reading events: the window after a batch's first event, longer on a
// busy host, and the most events in one batch.
const (
	eventWindow = 20 * time.Millisecond
	busyWindow  = 250 * time.Millisecond
	maxBatch    = 512
)

// liveState is live mode's state in the model.
type liveState struct {
	// holder keeps the stream for closing; stream is set once opened.
	holder *streamHolder
	stream EventStream
	// rd reads processes again for patches (the Source, when it can).
	rd ProcessReader
	// procs says process events arrive: the counter refresh's structure
	// changes are the events' business then. why says why not.
	procs bool
	why   string
	// pending is what arrived since the last patch; wantFull says a full
	// scan is due (limited by liveFullGap).
	pending  livePending
	wantFull bool
	limit    liveLimiter
	// raw is the last full scan or counter refresh without the overlay;
	// ov the changes events made since that full scan.
	raw *inspect.Snapshot
	ov  *overlay
	// patching: a patch runs (m.scanning is set too); tickWaiting: a
	// refresh tick came meanwhile and runs after it.
	patching    bool
	tickWaiting bool
	// lastPatch is when the last patch started (or a refresh took the
	// pending events).
	lastPatch time.Time
	// timerAt is when the pending liveTimerMsg is due (zero: none).
	timerAt time.Time
	// patches counts the patches applied, for tests.
	patches int
}

// streamHolder hands a stream from the command that opens it to the
// model, and closes it when the app ends first.
type streamHolder struct {
	mu     sync.Mutex
	stream EventStream
	closed bool
}

// set keeps s, or closes it when the app has ended.
func (h *streamHolder) set(s EventStream) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		s.Close()
		return false
	}
	h.stream = s
	return true
}

// close closes the stream, now or when it is set.
func (h *streamHolder) close() {
	h.mu.Lock()
	s := h.stream
	h.stream, h.closed = nil, true
	h.mu.Unlock()
	if s != nil {
		s.Close()
	}
}

// Messages of live mode.
type (
	liveOpenedMsg struct {
		stream EventStream
		err    error
	}
	liveEventsMsg struct {
		evs    []events.Event
		closed bool
	}
	liveTimerMsg struct{}
)

// liveInit opens the event stream off the UI goroutine, when the app
// runs live on a source that can patch.
func (m *Model) liveInit() tea.Cmd {
	if !m.opts.live() || m.opts.Events == nil {
		return nil
	}
	m.live.rd, _ = m.opts.Source.(ProcessReader)
	h := &streamHolder{}
	m.live.holder = h
	open, ctx := m.opts.Events, m.ctx
	return func() tea.Msg {
		s, err := open(ctx)
		if err != nil {
			return liveOpenedMsg{err: err}
		}
		if !h.set(s) {
			return nil
		}
		return liveOpenedMsg{stream: s}
	}
}

// closeLive stops the event stream; the app is ending.
func (m *Model) closeLive() {
	if m.live.holder != nil {
		m.live.holder.close()
	}
	m.live.stream = nil
}

// onLiveOpened starts reading the stream, or says why the app polls.
func (m *Model) onLiveOpened(msg liveOpenedMsg) tea.Cmd {
	if msg.err != nil {
		m.live.why = "no event stream: " + msg.err.Error()
		return m.flashPolling()
	}
	m.live.stream = msg.stream
	procs, why := msg.stream.ProcessEvents()
	switch {
	case !procs:
		m.live.why = why
	case m.live.rd == nil:
		m.live.why = "this source cannot read single processes"
	default:
		m.live.procs = true
	}
	var flash tea.Cmd
	if !m.live.procs {
		flash = m.flashPolling()
	}
	return tea.Batch(flash, m.readEvents())
}

// flashPolling says once why processes are polled.
func (m *Model) flashPolling() tea.Cmd {
	return Flash(fmt.Sprintf("live events off (%s): processes are polled every %s", m.live.why, m.opts.Interval), false)
}

// readEvents waits for the next batch of events.
func (m *Model) readEvents() tea.Cmd {
	s := m.live.stream
	if s == nil {
		return nil
	}
	// While no patch may start, the events are gathered into one batch
	// (the next refresh reads them): one wake-up of the UI per patch or
	// per interval, not per event.
	now := m.opts.Now()
	window := eventWindow
	if m.live.limit.busy(now) {
		window = busyWindow
	}
	hold := m.readHold(now)
	return func() tea.Msg { return readBatch(s.Events(), window, hold) }
}

// urgentGap is the least time between two patches for urgent events
// (livePending.urgent).
const urgentGap = 100 * time.Millisecond

// tickLead is how long before the next refresh a held batch is handed
// over, so that the refresh takes its events.
const tickLead = 50 * time.Millisecond

// readHold is how long the reader gathers events while no patch may
// start: until one may, at most an interval, and never past the next
// refresh (less tickLead), which would otherwise start without them
// and leave them for the one after.
func (m *Model) readHold(now time.Time) time.Duration {
	at := m.nextPatch(now)
	if !at.After(now) {
		return 0
	}
	hold := min(at.Sub(now), m.opts.Interval)
	if !m.nextTick.IsZero() && m.nextTick.After(now) {
		hold = min(hold, max(m.nextTick.Sub(now)-tickLead, 0))
	}
	return hold
}

// readBatch blocks for one event, then takes what else arrives within
// window of it, and until hold has passed since the call, at most
// maxBatch events.
func readBatch(c <-chan events.Event, window, hold time.Duration) liveEventsMsg {
	start := time.Now()
	ev, ok := <-c
	if !ok {
		return liveEventsMsg{closed: true}
	}
	evs := make([]events.Event, 1, 16)
	evs[0] = ev
	wait := window
	if rest := hold - time.Since(start); rest > wait && !urgentKind(ev.Kind) {
		wait = rest
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	end := time.Now().Add(wait)
	for len(evs) < maxBatch {
		select {
		case ev, ok := <-c:
			if !ok {
				return liveEventsMsg{evs: evs, closed: true}
			}
			evs = append(evs, ev)
			// A freeze or an OOM kill is not held: the batch ends
			// within window of it.
			if urgentKind(ev.Kind) && time.Until(end) > window {
				end = time.Now().Add(window)
				t.Reset(window)
			}
		case <-t.C:
			return liveEventsMsg{evs: evs}
		}
	}
	return liveEventsMsg{evs: evs}
}

// urgentKind reports the events that do not wait for the patch limiter
// (livePending.urgent).
func urgentKind(k events.Kind) bool {
	switch k {
	case events.Frozen, events.Thawed, events.OOM, events.OOMKill:
		return true
	}
	return false
}

// onLiveEvents takes a batch into the pending set and patches when the
// limiter lets it.
func (m *Model) onLiveEvents(msg liveEventsMsg) tea.Cmd {
	now := m.opts.Now()
	procEvents, lost := 0, false
	for i := range msg.evs {
		ev := &msg.evs[i]
		if ev.Kind.IsProcess() {
			procEvents++
		}
		if ev.Kind == events.Lost {
			lost = true
		}
		m.live.pending.add(ev, now)
	}
	m.live.limit.observe(procEvents, lost, now)
	if msg.closed {
		m.live.stream, m.live.procs = nil, false
		m.live.why = "the event stream ended"
		return tea.Batch(m.flashPolling(), m.liveKick())
	}
	return tea.Batch(m.readEvents(), m.liveKick())
}

// liveKick starts what the pending events need and the limits allow: a
// full scan, a patch, or a timer for when one may start; or it leaves
// them to the next refresh, which reads them with the counters.
func (m *Model) liveKick() tea.Cmd {
	if m.live.holder == nil || m.paused || m.scanning || m.snap == nil || m.live.raw == nil {
		return nil
	}
	now := m.opts.Now()
	p := &m.live.pending
	if p.full || (p.structural() && m.live.rd == nil) {
		m.live.wantFull = true
		p.full = false
	}
	var wait time.Time
	if m.live.wantFull {
		at := m.lastFull.Add(liveFullGap(m.live.lastFullDuration(), m.opts.FullScanGap))
		if !now.Before(at) {
			// A full scan shows everything that happened before it
			// starts: startScan empties the pending set.
			m.live.wantFull = false
			m.forceFull = true
			return m.startScan()
		}
		wait = at
	}
	if !p.structural() || m.live.rd == nil {
		if !p.structural() {
			m.live.pending = livePending{}
		}
		return m.liveTimer(wait)
	}
	at := m.nextPatch(now)
	if u := m.live.lastPatch.Add(urgentGap); p.urgent() && u.Before(at) {
		// A freeze or an OOM kill shows at once, whatever the bucket
		// holds, at most one patch per urgentGap past the bucket.
		at = u
	}
	switch {
	case !m.nextTick.IsZero() && !m.nextTick.After(at.Add(tickSlack)):
		// The next refresh comes first: it reads them.
		return m.liveTimer(wait)
	case now.Before(at):
		if wait.IsZero() || at.Before(wait) {
			wait = at
		}
		return m.liveTimer(wait)
	}
	m.live.limit.took(now)
	return m.startPatch()
}

// nextPatch is when the limiter lets the next patch start.
func (m *Model) nextPatch(now time.Time) time.Time {
	return m.live.limit.nextPatch(now, min(busyEvery, m.opts.Interval), m.live.lastPatch)
}

// takePending hands the pending events to a refresh, which patches them
// in with the counters; nil when there are none or no reader.
func (m *Model) takePending() *livePending {
	if m.live.rd == nil || !m.live.pending.structural() {
		return nil
	}
	p := m.live.pending
	m.live.pending = livePending{}
	m.live.lastPatch = m.opts.Now()
	m.flashNoteOf(&p)
	return &p
}

// lastFullDuration is how long the last full scan took.
func (l *liveState) lastFullDuration() time.Duration {
	if l.raw == nil {
		return 0
	}
	return l.raw.ScanDuration
}

// liveTimer asks for a liveTimerMsg at at, unless an earlier one is due.
func (m *Model) liveTimer(at time.Time) tea.Cmd {
	if at.IsZero() || (!m.live.timerAt.IsZero() && !at.Before(m.live.timerAt)) {
		return nil
	}
	m.live.timerAt = at
	d := at.Sub(m.opts.Now())
	return tea.Tick(max(d, time.Millisecond), func(time.Time) tea.Msg { return liveTimerMsg{} })
}

// onLiveTimer looks at the pending events again.
func (m *Model) onLiveTimer() tea.Cmd {
	if !m.opts.Now().Before(m.live.timerAt) {
		m.live.timerAt = time.Time{}
	}
	return m.liveKick()
}

// startPatch patches the snapshot with the pending events in a command.
func (m *Model) startPatch() tea.Cmd {
	p := m.live.pending
	m.live.pending = livePending{}
	m.flashNoteOf(&p)
	m.scanning, m.live.patching = true, true
	m.live.lastPatch = m.opts.Now()
	gen, rd, raw, shown, ov, now := m.gen, m.live.rd, m.live.raw, m.snap, m.live.ov, m.opts.Now()
	return func() tea.Msg {
		r := patch(rd, raw, shown, ov, &p, now)
		return scanMsg{gen: gen, patch: &r}
	}
}

// flashNote shows the pending OOM kill note, if any.
func (m *Model) flashNote() { m.flashNoteOf(&m.live.pending) }

func (m *Model) flashNoteOf(p *livePending) {
	if p.note != "" {
		m.flash, m.flashUntil = FlashMsg{Text: p.note, Err: true}, m.opts.Now().Add(flashFor)
		p.note = ""
	}
}

// onPatch applies a patch that arrived in time.
func (m *Model) onPatch(r *patchResult) tea.Cmd {
	m.live.patching = false
	if r.full {
		m.live.wantFull = true
	}
	if !r.unchanged {
		m.live.ov = r.ov
		m.live.patches++
		m.applyPatch(r.snap, r.cgroups)
	}
	if m.live.tickWaiting {
		m.live.tickWaiting = false
		return m.startScan()
	}
	return m.liveKick()
}

// applyPatch shows a patched snapshot: the same sample time and rates
// (computed again for cgroups when cgroups changed), a new structure.
// The CPU history does not count it as a sample.
func (m *Model) applyPatch(snap *inspect.Snapshot, cgroups bool) {
	old := m.snap
	rates := m.ix.Rates
	switch {
	case !cgroups:
	case m.procCPU != nil:
		rates = procview.ComputeCgroupRates(m.prev, snap).WithProcessCPU(m.procCPU)
	default:
		rates = procview.ComputeRates(m.prev, snap)
	}
	m.snap = snap
	m.ix = procview.NewIndex(snap, rates)
	// The patched snapshot stands for itself: what reads namespaces
	// (the detail's contents, diagrams) reads it; the next refresh
	// indexes its own base again.
	m.ixBase = snap
	m.fresh.diffProcesses(old, snap, m.opts.Now())
	for _, l := range m.lists {
		l.dirty = true
	}
	m.ensureRows()
	m.refreshDetail()
	m.selectPending(true)
}

// dropPatch gives a patch that came too late (paused, or a newer scan
// started) back to the pending set: reading again is idempotent.
func (m *Model) dropPatch(r *patchResult) {
	m.live.pending.merge(r.pending)
	if r.full {
		m.live.wantFull = true
	}
}

// liveLabel is the status line's word for live mode: "live", "live,
// busy host" when patches come once a second, "" when polling.
func (m *Model) liveLabel() string {
	switch {
	case !m.live.procs || m.live.stream == nil:
		return ""
	case m.live.limit.busy(m.opts.Now()):
		return "live, busy host"
	}
	return "live"
}

// rebaser is a CounterRefresher that can take a patched snapshot as its
// base (*inspect.Refresher).
type rebaser interface {
	Rebase(snap *inspect.Snapshot) error
}

// maxZombieChecks bounds the zombies a refresh reads again; the rest
// wait for the next full scan.
const maxZombieChecks = 64

// reaped reads the zombies shown (a full scan lists them; live mode
// drops a process at its exit, so they came from a scan) again and
// adds the ones gone to p as exits: a reap makes no event, and such a
// row would stay until the next full scan. A PID reused by then is
// read again too. p is made when nil and something was reaped.
func reaped(rd ProcessReader, shown *inspect.Snapshot, p *livePending, now time.Time) *livePending {
	if shown == nil {
		return p
	}
	checked := 0
	for i := range shown.Processes {
		z := &shown.Processes[i]
		if z.State != "Z" {
			continue
		}
		if checked++; checked > maxZombieChecks {
			break
		}
		q, ok := rd.ReadProcess(shown, z.PID)
		if ok && q.StartTime.Equal(z.StartTime) {
			continue
		}
		if p == nil {
			p = &livePending{}
		}
		p.add(&events.Event{Kind: events.Exit, PID: z.PID}, now)
		if ok {
			p.add(&events.Event{Kind: events.Fork, PID: z.PID}, now)
		}
	}
	return p
}

// liveRefresh is the live part of a counter refresh, in the refresh
// command: the overlay's own processes are read again for their
// counters, the pending events p (nil: none) are patched in, and the
// overlay is applied; msg carries the overlaid snapshot, with the
// refresh itself as raw. When the refresher ref can take the overlaid
// snapshot as its base, it does, and the overlay is done with: the
// refreshes that follow have its processes, and the UI indexes them as
// cheaply as any refresh.
func liveRefresh(msg scanMsg, ref CounterRefresher, ov *overlay, rd ProcessReader, shown *inspect.Snapshot, p *livePending, now time.Time) scanMsg {
	if msg.snap == nil {
		return msg
	}
	msg.live, msg.pending = true, p
	raw := msg.snap
	if rd != nil {
		ov = ov.refreshOwn(rd, shown, now, msg.procCPU)
		p = reaped(rd, shown, p, now)
		if p != nil {
			r := makePatch(rd, raw, shown, ov, p, now)
			ov, msg.patched, msg.overlayUnknown = r.ov, !r.unchanged, r.full
		}
	}
	msg.raw, msg.ov = raw, ov
	if !ov.empty() {
		snap, unknown := ov.apply(raw)
		msg.snap, msg.base = snap, nil
		msg.overlayUnknown = msg.overlayUnknown || unknown
		if rb, ok := ref.(rebaser); ok && !unknown && rb.Rebase(snap) == nil {
			msg.raw, msg.ov, msg.base = snap, nil, snap
		}
	}
	return msg
}
