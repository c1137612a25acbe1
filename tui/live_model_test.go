package tui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/inspect/events"
)

// fakeStream is an EventStream the test feeds by hand.
type fakeStream struct {
	c       chan events.Event
	procs   bool
	why     string
	closeMu sync.Once
}

func newFakeStream(procs bool) *fakeStream {
	return &fakeStream{c: make(chan events.Event, 16), procs: procs, why: "process events need root"}
}

func (s *fakeStream) Events() <-chan events.Event   { return s.c }
func (s *fakeStream) ProcessEvents() (bool, string) { return s.procs, s.why }
func (s *fakeStream) Close()                        { s.closeMu.Do(func() { close(s.c) }) }

// liveHost is a fake host for live mode: full scans return its
// snapshot (and count), counter refreshes keep its structure, and its
// processes are read one by one from procs.
type liveHost struct {
	*fakeReader
	snap      *inspect.Snapshot
	scans     int
	refreshes int
}

func (h *liveHost) Scan(context.Context) (*inspect.Snapshot, error) {
	h.scans++
	return h.snap, nil
}

func (h *liveHost) Refresher(*inspect.Snapshot) (*inspect.Refresher, error) { return nil, nil }

func (h *liveHost) CounterRefresher(snap *inspect.Snapshot) (CounterRefresher, error) {
	return &liveHostRefresher{h: h, base: snap}, nil
}

type liveHostRefresher struct {
	h    *liveHost
	base *inspect.Snapshot
}

func (r *liveHostRefresher) Refresh(now time.Time) (inspect.RefreshResult, error) {
	r.h.refreshes++
	s := *r.base
	s.Time = now
	return inspect.RefreshResult{Snapshot: &s, ProcessCPU: map[int]float64{}}, nil
}
func (r *liveHostRefresher) Base() *inspect.Snapshot { return r.base }
func (r *liveHostRefresher) Close()                  {}

// liveRig is an app in live mode on a liveHost, with a fake clock.
type liveRig struct {
	t      *testing.T
	m      *Model
	host   *liveHost
	stream *fakeStream
	now    time.Time
}

func newLiveRig(t *testing.T, procs bool) *liveRig { return newLiveRigEvery(t, procs, 0) }

// newLiveRigEvery is newLiveRig with a refresh interval.
func newLiveRigEvery(t *testing.T, procs bool, interval time.Duration) *liveRig {
	t.Helper()
	snap := loadFixture(t, "small-2")
	r := &liveRig{t: t, host: &liveHost{fakeReader: readerOf(snap), snap: snap}, stream: newFakeStream(procs), now: snap.Time.Add(time.Second)}
	t.Cleanup(r.stream.Close)
	r.m = New(Options{
		Source:   r.host,
		Events:   func(context.Context) (EventStream, error) { return r.stream, nil },
		Now:      func() time.Time { return r.now },
		Interval: interval,
	})
	send(r.m, tea.WindowSizeMsg{Width: 160, Height: 50})
	r.m.Init()
	r.deliver(r.m.startScan())
	r.deliver(func() tea.Msg { return liveOpenedMsg{stream: r.stream} })
	return r
}

// deliver runs cmd and the commands it batches, and sends the model the
// messages that come back at once; commands that wait (event reads,
// timers, ticks) are left waiting and their messages dropped: the test
// sends those itself. It returns the messages delivered.
func (r *liveRig) deliver(cmd tea.Cmd) []tea.Msg {
	r.t.Helper()
	var out []tea.Msg
	for _, msg := range runNow(cmd) {
		out = append(out, msg)
		next := send(r.m, msg)
		out = append(out, r.deliver(next)...)
	}
	return out
}

// runNow runs cmd (and what it batches) and returns the messages that
// came back within a moment.
func runNow(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		switch msg := msg.(type) {
		case nil:
			return nil
		case tea.BatchMsg:
			var out []tea.Msg
			for _, c := range msg {
				out = append(out, runNow(c)...)
			}
			return out
		case tickMsg, liveTimerMsg, clockMsg:
			return nil // the test sends time-based messages itself
		default:
			return []tea.Msg{msg}
		}
	case <-time.After(100 * time.Millisecond):
		return nil
	}
}

// events delivers a batch of events, as the reader would.
func (r *liveRig) events(evs ...events.Event) { r.deliver(r.sendMsg(liveEventsMsg{evs: evs})) }

func (r *liveRig) sendMsg(msg tea.Msg) tea.Cmd { return send(r.m, msg) }

// tick delivers the refresh tick.
func (r *liveRig) tick() { r.deliver(r.sendMsg(tickMsg{gen: r.m.gen})) }

// screen renders the app.
func (r *liveRig) screen() string { return screen(r.m) }

func (r *liveRig) rows() string {
	var b strings.Builder
	for _, row := range r.m.list().rows {
		if row.Process != nil {
			b.WriteString(row.Process.Comm + " ")
		}
	}
	return b.String()
}

// TestLiveModelProcesses: a process started, exec'd and exited shows at
// once through patches, with no full scan; its row is marked fresh for
// freshFor; the status line says live.
func TestLiveModelProcesses(t *testing.T) {
	r := newLiveRigEvery(t, true, 10*time.Second)
	if r.host.scans != 1 || !r.m.live.procs || !strings.Contains(r.screen(), "live · updated") {
		t.Fatalf("after start: %d scans, live %v; status:\n%s", r.host.scans, r.m.live.procs, r.screen())
	}
	bash := r.host.snap.Process(412)
	r.host.procs[900] = newChild(bash, 900, "newproc", r.now)
	r.events(events.Event{Kind: events.Fork, PID: 900, PPID: 412})
	if !strings.Contains(r.rows(), "newproc") {
		t.Fatalf("the started process is not shown: %s", r.rows())
	}
	if s := r.screen(); !strings.Contains(s, "+ newproc --live") {
		t.Errorf("the new row is not marked fresh:\n%s", s)
	}

	r.now = r.now.Add(50 * time.Millisecond)
	p := r.host.procs[900]
	p.Comm, p.Cmdline = "execd", []string{"execd"}
	r.host.procs[900] = p
	r.events(events.Event{Kind: events.Exec, PID: 900})
	if rows := r.rows(); !strings.Contains(rows, "execd") || strings.Contains(rows, "newproc") {
		t.Fatalf("after exec the rows are %s", rows)
	}

	r.now = r.now.Add(50 * time.Millisecond)
	delete(r.host.procs, 900)
	r.events(events.Event{Kind: events.Exit, PID: 900})
	if rows := r.rows(); strings.Contains(rows, "execd") {
		t.Fatalf("after exit the rows are %s", rows)
	}
	if r.host.scans != 1 || r.m.live.patches != 3 {
		t.Errorf("%d full scans and %d patches, want 1 and 3", r.host.scans, r.m.live.patches)
	}

	// The mark ends after freshFor.
	r.host.procs[901] = newChild(bash, 901, "second", r.now)
	r.now = r.now.Add(time.Duration(float64(time.Second) / patchRate)) // a token again
	r.events(events.Event{Kind: events.Fork, PID: 901})
	if !strings.Contains(r.screen(), "+ second --live") {
		t.Fatal("the second process is not marked")
	}
	r.now = r.now.Add(freshFor)
	send(r.m, clockMsg{})
	if s := r.screen(); strings.Contains(s, "+ second") || !strings.Contains(s, "second --live") {
		t.Errorf("after %v the mark is still there, or the row is gone:\n%s", freshFor, s)
	}

	// A counter refresh keeps the patched structure (the overlay).
	r.tick()
	if !strings.Contains(r.rows(), "second") || r.host.refreshes != 1 || r.host.scans != 1 {
		t.Errorf("after a refresh: rows %s, %d refreshes, %d scans", r.rows(), r.host.refreshes, r.host.scans)
	}
}

// TestLiveModelRateLimit: past the burst, patches wait for the bucket
// or the next refresh, which reads the events with the counters; a
// busy host patches only with the refresh; the pending set stays
// bounded.
func TestLiveModelRateLimit(t *testing.T) {
	r := newLiveRigEvery(t, true, 10*time.Second)
	bash := r.host.snap.Process(412)
	pid := 900
	start := func() {
		r.host.procs[pid] = newChild(bash, pid, "p"+itoa(pid), r.now)
		r.events(events.Event{Kind: events.Fork, PID: pid})
		pid++
	}
	for range patchBurst {
		start()
	}
	if r.m.live.patches != patchBurst {
		t.Fatalf("%d patches for a burst of %d", r.m.live.patches, patchBurst)
	}
	start()
	if r.m.live.patches != patchBurst || !strings.Contains(r.rows(), "p902") || strings.Contains(r.rows(), "p903") {
		t.Fatalf("past the burst: %d patches, rows %s; want the fourth pending", r.m.live.patches, r.rows())
	}
	// The timer for the bucket.
	r.now = r.now.Add(time.Duration(float64(time.Second) / patchRate))
	r.deliver(r.sendMsg(liveTimerMsg{}))
	if !strings.Contains(r.rows(), "p903") {
		t.Fatalf("after the bucket refilled: %s", r.rows())
	}

	// The bucket is empty again; the next refresh carries the pending
	// events when it comes before the bucket refills.
	start()
	before := r.m.live.patches
	r.tick()
	if rows := r.rows(); !strings.Contains(rows, "p"+itoa(pid-1)) || r.m.live.patches != before {
		t.Fatalf("the refresh did not carry the pending fork: rows %s, patches %d→%d", rows, before, r.m.live.patches)
	}

	// A busy host: one patch per busyEvery, whatever the bucket holds.
	burst := func(from int) []events.Event {
		evs := make([]events.Event, 0, busyRate)
		for i := range busyRate {
			evs = append(evs, events.Event{Kind: events.Fork, PID: from + i})
		}
		return evs
	}
	r.now = r.now.Add(time.Hour)
	r.tick()
	r.events(burst(5000)...)
	if !r.m.live.limit.busy(r.now) || !r.m.live.pending.empty() || !strings.Contains(r.screen(), "live, busy host") {
		t.Fatalf("busy: busy %v, pending %d (the first patch takes them at once)", r.m.live.limit.busy(r.now), len(r.m.live.pending.reread))
	}
	r.now = r.now.Add(100 * time.Millisecond)
	r.events(burst(6000)...)
	if len(r.m.live.pending.reread) != busyRate {
		t.Fatalf("busy, 100 ms after a patch: %d pending, want %d", len(r.m.live.pending.reread), busyRate)
	}
	r.now = r.now.Add(busyEvery)
	r.deliver(r.sendMsg(liveTimerMsg{}))
	if !r.m.live.pending.empty() {
		t.Fatalf("busy, %v after the last patch: %d pending", busyEvery, len(r.m.live.pending.reread))
	}
	// Too many to follow one by one: a resync, then a full scan.
	many := make([]events.Event, 0, maxPendingPIDs+1)
	for i := range maxPendingPIDs + 1 {
		many = append(many, events.Event{Kind: events.Exec, PID: 7000 + i})
	}
	scans := r.host.scans
	r.events(many...)
	if p := &r.m.live.pending; !p.resync || len(p.reread) != 0 || !r.m.live.wantFull {
		t.Fatalf("after %d events: resync %v, %d PIDs kept, want full %v", len(many), p.resync, len(p.reread), r.m.live.wantFull)
	}
	// The full scan waits for liveFullGap after the last, and covers
	// what is pending.
	r.now = r.now.Add(liveFullGap(r.m.live.lastFullDuration(), r.m.opts.FullScanGap))
	r.deliver(r.sendMsg(liveTimerMsg{}))
	if p := &r.m.live.pending; r.host.scans != scans+1 || !p.empty() {
		t.Fatalf("after the gap: %d scans (was %d), pending %+v", r.host.scans, scans, p)
	}
}

// TestLiveModelFullScans: what a patch cannot show asks for a full scan,
// no sooner than liveFullGap after the last; lost events resync at once.
func TestLiveModelFullScans(t *testing.T) {
	r := newLiveRig(t, true)
	r.m.lastFull = r.now
	r.events(events.Event{Kind: events.CgroupNew, Hierarchy: "v2", Cgroup: "/new"})
	if r.host.scans != 1 || !r.m.live.wantFull {
		t.Fatalf("a new cgroup right after the first scan: %d scans, want full %v", r.host.scans, r.m.live.wantFull)
	}
	r.now = r.now.Add(r.m.opts.FullScanGap)
	r.deliver(r.sendMsg(liveTimerMsg{}))
	if r.host.scans != 2 || r.m.live.wantFull {
		t.Fatalf("after the gap: %d scans, want full %v", r.host.scans, r.m.live.wantFull)
	}

	// Lost events: the exited are dropped now (a resync), a full scan
	// follows after the gap.
	delete(r.host.procs, 801)
	r.events(events.Event{Kind: events.Lost, Count: 9})
	if strings.Contains(r.rows(), "stress") || !r.m.live.wantFull {
		t.Fatalf("after lost events: rows %s, want full %v", r.rows(), r.m.live.wantFull)
	}
}

// TestLiveModelCgroups: a freeze and an OOM kill show at once; the OOM
// kill is said in the status line.
func TestLiveModelCgroups(t *testing.T) {
	r := newLiveRig(t, true)
	send(r.m, press("3"))
	r.events(events.Event{Kind: events.Frozen, Hierarchy: "v2", Cgroup: "/nscope-run-demo"})
	if s := r.screen(); !strings.Contains(s, "FROZEN nscope:nscope-run") {
		t.Fatalf("the freeze does not show:\n%s", s)
	}
	r.events(events.Event{Kind: events.Exit, PID: 801, Comm: "stress", OOMKilled: true, Cgroup: "/nscope-run-demo"},
		events.Event{Kind: events.OOMKill, Hierarchy: "v2", Cgroup: "/nscope-run-demo", Count: 1})
	s := r.screen()
	if !strings.Contains(s, "OOM kill: PID 801 stress in /nscope-run-demo") {
		t.Errorf("the OOM kill is not said:\n%s", s)
	}
	if c := r.m.snap.Cgroup(0, "/nscope-run-demo"); c.Usage.MemoryEvents.OOMKill != 3 {
		t.Errorf("oom_kill %d, want 3", c.Usage.MemoryEvents.OOMKill)
	}
	r.events(events.Event{Kind: events.Thawed, Hierarchy: "v2", Cgroup: "/nscope-run-demo"})
	if s := r.screen(); strings.Contains(s, "FROZEN") {
		t.Fatalf("the thaw does not show:\n%s", s)
	}
}

// TestLiveModelPolling: without process events the app polls as before,
// says why once, and the refresh's structure changes take full scans;
// cgroup events still patch. A stream that ends goes back to polling.
func TestLiveModelPolling(t *testing.T) {
	r := newLiveRig(t, false)
	s := r.screen()
	if r.m.live.procs || !strings.Contains(s, "live events off (process events need root): processes are polled every 1s") || strings.Contains(s, "live ·") {
		t.Fatalf("without process events:\n%s", s)
	}
	r.events(events.Event{Kind: events.Frozen, Hierarchy: "v2", Cgroup: "/nscope-run-demo"})
	if c := r.m.snap.Cgroup(0, "/nscope-run-demo"); !*c.Limits.Frozen {
		t.Error("a cgroup event is not patched in without process events")
	}

	l := newLiveRig(t, true)
	send(l.m, scanMsg{gen: l.m.gen, snap: l.host.snap, refreshed: true, structureChanged: true, base: l.host.snap})
	if l.m.structureChanged {
		t.Error("with process events a refresh's structure change asks for a full scan")
	}
	l.deliver(l.sendMsg(liveEventsMsg{closed: true}))
	if l.m.live.procs || !strings.Contains(l.screen(), "the event stream ended") {
		t.Fatalf("after the stream ended:\n%s", l.screen())
	}
	send(l.m, scanMsg{gen: l.m.gen, snap: l.host.snap, refreshed: true, structureChanged: true, base: l.host.snap})
	if !l.m.structureChanged {
		t.Error("after the stream ended a refresh's structure change takes no full scan")
	}
}

// TestLiveModelPause: a patch that arrives after the user paused is not
// applied; its events are pending again and patched in after resuming.
func TestLiveModelPause(t *testing.T) {
	r := newLiveRig(t, true)
	r.host.procs[900] = newChild(r.host.snap.Process(412), 900, "late", r.now)
	cmd := r.sendMsg(liveEventsMsg{evs: []events.Event{{Kind: events.Fork, PID: 900}}})
	msgs := runNow(cmd)
	send(r.m, press("space"))
	for _, msg := range msgs {
		send(r.m, msg)
	}
	if strings.Contains(r.rows(), "late") || !hasKey(r.m.live.pending.reread, 900) {
		t.Fatalf("paused: rows %s, pending %v", r.rows(), r.m.live.pending.reread)
	}
	r.deliver(r.sendMsg(press("space")))
	if !strings.Contains(r.rows(), "late") {
		t.Fatalf("resumed: rows %s", r.rows())
	}
}

// TestReadBatch reads a batch: all that arrives within the window after
// the first event, at most maxBatch, and the end of the stream.
func TestReadBatch(t *testing.T) {
	c := make(chan events.Event, maxBatch+10)
	for i := range maxBatch + 10 {
		c <- events.Event{Kind: events.Fork, PID: i + 1}
	}
	got := readBatch(c, time.Hour, 0)
	if len(got.evs) != maxBatch || got.closed || got.evs[0].PID != 1 {
		t.Fatalf("a full channel gave %d events (closed %v)", len(got.evs), got.closed)
	}
	got = readBatch(c, 10*time.Millisecond, 0)
	if len(got.evs) != 10 || got.evs[9].PID != maxBatch+10 {
		t.Fatalf("the rest: %d events", len(got.evs))
	}
	c <- events.Event{Kind: events.Exit, PID: 7}
	close(c)
	if got = readBatch(c, time.Hour, 0); !got.closed || len(got.evs) != 1 {
		t.Fatalf("at the end: %d events, closed %v", len(got.evs), got.closed)
	}
	if got = readBatch(c, time.Hour, 0); !got.closed || len(got.evs) != 0 {
		t.Fatal("a closed stream does not say so")
	}
}

// A patch leaves the app with a base to read namespaces from: the
// patched snapshot (the namespace contents and diagrams read it; a nil
// base crashed the read of a namespace's contents).
func TestLivePatchKeepsABase(t *testing.T) {
	r := newLiveRigEvery(t, true, 10*time.Second)
	bash := r.host.snap.Process(412)
	r.host.procs[900] = newChild(bash, 900, "newproc", r.now)
	r.events(events.Event{Kind: events.Fork, PID: 900, PPID: 412})
	if r.m.live.patches != 1 {
		t.Fatalf("%d patches, want 1", r.m.live.patches)
	}
	if r.m.ixBase == nil || r.m.ixBase != r.m.snap {
		t.Errorf("after a patch the base is %p, want the patched snapshot %p", r.m.ixBase, r.m.snap)
	}
}

// While no patch may start, the reader holds a batch until one may, but
// hands it over before the next refresh, which takes its events: held
// past the refresh, they would wait for the one after.
func TestLiveReadHoldEndsBeforeTheRefresh(t *testing.T) {
	r := newLiveRigEvery(t, true, time.Second)
	now := r.now
	for range patchBurst { // the burst spent: the next patch waits
		r.m.live.limit.took(now)
	}
	r.m.live.lastPatch = now
	if at := r.m.nextPatch(now); !at.After(now) {
		t.Skip("the limiter lets a patch start at once")
	}
	r.m.nextTick = now.Add(400 * time.Millisecond)
	if h := r.m.readHold(now); h > 350*time.Millisecond || h <= 0 {
		t.Errorf("hold %v with the refresh due in 400ms, want at most 350ms and more than 0", h)
	}
	r.m.nextTick = now.Add(20 * time.Millisecond)
	if h := r.m.readHold(now); h != 0 {
		t.Errorf("hold %v with the refresh due in 20ms, want 0", h)
	}
	r.m.nextTick = time.Time{}
	if h := r.m.readHold(now); h <= 0 || h > time.Second {
		t.Errorf("hold %v with no refresh due, want up to the interval", h)
	}
}

// A freeze shows at once even when process events spent the patch
// burst (docker pause runs runc, whose fork, exec and exit come first):
// freezes, thaws and OOM kills do not wait for the limiter or the
// refresh, only for urgentGap after the last patch.
func TestLiveFreezeSkipsTheLimiter(t *testing.T) {
	r := newLiveRigEvery(t, true, 10*time.Second)
	send(r.m, press("3"))
	bash := r.host.snap.Process(412)
	for i := range patchBurst + 2 {
		pid := 900 + i
		r.host.procs[pid] = newChild(bash, pid, "runc", r.now)
		r.events(events.Event{Kind: events.Fork, PID: pid, PPID: 412})
	}
	if r.m.live.pending.empty() {
		t.Fatal("no process event waits: the burst was not spent")
	}
	patches := r.m.live.patches
	r.now = r.now.Add(urgentGap)
	r.events(events.Event{Kind: events.Frozen, Hierarchy: "v2", Cgroup: "/nscope-run-demo"})
	if r.m.live.patches != patches+1 {
		t.Fatalf("the freeze waited: %d patches, want %d", r.m.live.patches, patches+1)
	}
	if s := r.screen(); !strings.Contains(s, "FROZEN nscope:nscope-run") {
		t.Errorf("the freeze does not show:\n%s", s)
	}
}

// readBatch ends a held batch within its window of a freeze.
func TestReadBatchUrgent(t *testing.T) {
	c := make(chan events.Event, 4)
	c <- events.Event{Kind: events.Fork, PID: 1}
	c <- events.Event{Kind: events.Frozen, Cgroup: "/a"}
	done := make(chan liveEventsMsg, 1)
	go func() { done <- readBatch(c, 10*time.Millisecond, time.Hour) }()
	select {
	case got := <-done:
		if len(got.evs) != 2 {
			t.Errorf("batch %+v, want the fork and the freeze", got.evs)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a batch with a freeze was held")
	}
}
