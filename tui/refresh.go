package tui

import (
	"context"
	"errors"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// scanTimeout bounds one scan; a host that takes longer is reported, not
// waited for forever.
const scanTimeout = 30 * time.Second

// scanMsg carries a finished scan or counter refresh. gen is the
// generation it was started with: a result whose generation is not the
// current one is stale (the user paused, or asked for a newer scan) and is
// dropped.
type scanMsg struct {
	gen  int
	snap *inspect.Snapshot
	err  error
	// refreshed marks a counter refresh (the zero value is a full scan).
	refreshed bool
	// structureChanged says processes started or exited since the full
	// scan: the next tick takes a full scan.
	structureChanged bool
	// ref is the counter refresher opened for a full scan's snapshot.
	ref CounterRefresher
	// procCPU are a counter refresh's per-process CPU%; base is the full
	// scan it refreshes.
	procCPU map[int]float64
	base    *inspect.Snapshot
	// patch is a live-mode patch (live.go) instead of a scan.
	patch *patchResult
	// raw is a counter refresh before the live overlay ov was applied
	// to it (snap is the overlaid one); overlayUnknown says the overlay
	// named a namespace or cgroup the refresh does not have.
	raw            *inspect.Snapshot
	ov             *overlay
	overlayUnknown bool
	// live says a counter refresh went through liveRefresh: raw and ov
	// are live mode's new ones; pending were the events it patched in
	// (patched: they changed something).
	live    bool
	pending *livePending
	patched bool
	// limitsChanged says a cgroup's limit file holds another value than
	// the full scan read (live mode's CheckLimits): a full scan is due.
	limitsChanged bool
}

// limitChecker is a CounterRefresher that reads the limit files a slice
// at a time (*inspect.Refresher).
type limitChecker interface{ CheckLimits() bool }

// liveFullEvery is the longest time between full scans in live mode:
// events show what processes, namespaces and cgroups do, and the
// refreshes read each cgroup's limits once a minute (CheckLimits); the
// periodic full scan is the safety net for the rest (a process that
// joined a namespace without exec'ing), and cost a live TUI more CPU
// every minute than everything else together.
const liveFullEvery = 10 * time.Minute

// tickMsg says it is time for the next scan of generation gen.
type tickMsg struct{ gen int }

// clockMsg updates the "time since the last refresh" once a second.
type clockMsg struct{}

// startScan starts a scan in a command, off the UI goroutine, tagged
// with a new generation: a counter refresh when one is possible and no
// full scan is due, else a full scan.
func (m *Model) startScan() tea.Cmd {
	if !m.opts.live() {
		return nil
	}
	m.gen++
	gen := m.gen
	m.scanning = true
	// A patch under way is stale now; its result goes back to pending.
	m.live.patching = false
	src, ctx, now := m.opts.Source, m.ctx, m.opts.Now
	if ref := m.ref; ref != nil && !m.fullScanDue() {
		live, ov, rd, shown, pending := m.live.holder != nil, m.live.ov, m.live.rd, m.snap, m.takePending()
		following := m.live.procs && m.live.stream != nil
		return func() tea.Msg {
			if f, ok := ref.(eventFollower); ok {
				f.FollowEvents(following)
			}
			res, err := ref.Refresh(now())
			if err == nil || errors.Is(err, inspect.ErrStructureChanged) {
				msg := scanMsg{gen: gen, snap: res.Snapshot, refreshed: true, procCPU: res.ProcessCPU, base: ref.Base(), structureChanged: err != nil}
				if lc, ok := ref.(limitChecker); ok && following {
					msg.limitsChanged = lc.CheckLimits()
				}
				if live {
					msg = liveRefresh(msg, ref, ov, rd, shown, pending, now())
				}
				return msg
			}
			// The model closes it again when the scan arrives; Close is
			// idempotent.
			ref.Close()
			return fullScan(ctx, gen, src)
		}
	}
	m.forceFull = false
	// A full scan shows what happened before it starts.
	m.flashNote()
	m.live.pending = livePending{}
	// A refresher holds a file per process and per cgroup counter: the
	// old one is closed before the full scan opens the next, so two are
	// never open at once (on a 4,000-process host two passed the open
	// file limit). Without one, refreshes wait for the scan's.
	old := m.ref
	m.ref = nil
	return func() tea.Msg {
		if old != nil {
			old.Close()
		}
		return fullScan(ctx, gen, src)
	}
}

// eventFollower is a CounterRefresher that can leave new processes to
// process events (*inspect.Refresher): live mode patches them in, so
// the refresh need not look for them.
type eventFollower interface{ FollowEvents(on bool) }

// fullScan scans the host and opens the counter files of the result.
func fullScan(ctx context.Context, gen int, src Source) scanMsg {
	ctx, cancel := context.WithTimeout(ctx, scanTimeout)
	defer cancel()
	snap, err := src.Scan(ctx)
	msg := scanMsg{gen: gen, snap: snap, err: err}
	if err == nil {
		// Without a refresher (the source has none, or the process is out
		// of file descriptors) every refresh is a full scan; nothing else
		// changes.
		msg.ref = openRefresher(src, snap)
	}
	return msg
}

// openRefresher opens the counter refresher of snap: the source's own
// (CounterSource) or its *inspect.Refresher; nil when it has none.
func openRefresher(src Source, snap *inspect.Snapshot) CounterRefresher {
	if cs, ok := src.(CounterSource); ok {
		if r, err := cs.CounterRefresher(snap); err == nil && r != nil {
			return r
		}
		return nil
	}
	if r, err := src.Refresher(snap); err == nil && r != nil {
		return r
	}
	return nil
}

// fullScanDue says whether the next scan must be a full one: asked for,
// processes came or went (at most every FullScanGap), or FullScanEvery
// has passed (liveFullEvery while events are followed).
func (m *Model) fullScanDue() bool {
	since := m.opts.Now().Sub(m.lastFull)
	every := m.opts.FullScanEvery
	if m.live.procs && m.live.stream != nil {
		every = max(every, liveFullEvery)
	}
	return m.forceFull || since >= every || (m.structureChanged && since >= m.opts.FullScanGap)
}

// scheduleScan waits for the interval, then asks for the next scan.
func (m *Model) scheduleScan() tea.Cmd {
	gen := m.gen
	m.nextTick = m.opts.Now().Add(m.opts.Interval)
	return tea.Tick(m.opts.Interval, func(time.Time) tea.Msg { return tickMsg{gen: gen} })
}

func clockTick() tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return clockMsg{} })
}

// onScan applies a scan result unless it is stale.
func (m *Model) onScan(msg scanMsg) tea.Cmd {
	if msg.gen != m.gen || (msg.patch != nil && !m.live.patching) {
		if msg.ref != nil {
			go msg.ref.Close()
		}
		if msg.patch != nil {
			m.dropPatch(msg.patch)
		}
		m.live.pending.merge(msg.pending)
		return nil
	}
	m.scanning = false
	if msg.patch != nil {
		return m.onPatch(msg.patch)
	}
	if msg.err != nil {
		m.scanErr = msg.err
		return m.scheduleScan()
	}
	m.scanErr = nil
	if !msg.refreshed {
		if old := m.ref; old != nil {
			// Closing thousands of files is not for the UI goroutine.
			go old.Close()
		}
		m.ref = msg.ref
		m.lastFull = m.opts.Now()
		m.structureChanged = false
		// A full scan shows what the overlay patched in.
		m.live.raw, m.live.ov, m.live.wantFull = msg.snap, nil, false
	} else {
		// What the refresh replaces and nothing keeps goes back to the
		// refresher, whose next refresh writes into it.
		defer m.recycle(m.prev, m.live.raw)
		m.live.raw = msg.snap
		if msg.live {
			m.live.raw, m.live.ov = msg.raw, msg.ov
		}
		// With process events, processes coming and going are patched
		// in as they happen: the refresh's word on the structure takes
		// no full scan (FullScanEvery remains the safety net).
		if msg.structureChanged && !m.live.procs {
			m.structureChanged = true
		}
		if msg.overlayUnknown || msg.limitsChanged {
			m.live.wantFull = true
		}
	}
	m.refreshed = msg.refreshed
	old := m.snap
	m.applyWith(msg.snap, msg.procCPU, msg.base)
	if msg.patched {
		m.fresh.diffProcesses(old, msg.snap, m.opts.Now())
	}
	m.selectPending(!msg.refreshed)
	return tea.Batch(m.scheduleScan(), m.liveKick())
}

// snapRecycler is a CounterRefresher that takes back the snapshots its
// refreshes returned (*inspect.Refresher).
type snapRecycler interface{ Recycle(*inspect.Snapshot) }

// recycle hands the snapshots in dropped that the model no longer holds
// back to the refresher (it ignores those it did not return).
func (m *Model) recycle(dropped ...*inspect.Snapshot) {
	rc, ok := m.ref.(snapRecycler)
	if !ok {
		return
	}
	for _, s := range dropped {
		if s != nil && s != m.snap && s != m.prev && s != m.live.raw && s != m.ixBase {
			rc.Recycle(s)
		}
	}
}

// onTick starts the next scan unless paused or the tick is stale.
func (m *Model) onTick(msg tickMsg) tea.Cmd {
	if msg.gen == m.gen && m.live.patching {
		// The refresh runs when the patch is done.
		m.live.tickWaiting = true
		return nil
	}
	if msg.gen != m.gen || m.paused || m.scanning {
		return nil
	}
	return m.startScan()
}

// setPaused pauses or resumes refreshing. Pausing drops the scan in
// flight (its result would change what the user is looking at);
// resuming scans at once.
func (m *Model) setPaused(p bool) tea.Cmd {
	if !m.opts.live() {
		return Flash("a loaded snapshot does not refresh", false)
	}
	m.paused = p
	if p {
		m.gen++
		m.scanning = false
		m.live.patching, m.live.tickWaiting = false, false
		return nil
	}
	return m.startScan()
}

// apply makes snap the current snapshot: rates against the previous one,
// the CPU history, and the rows of every view.
func (m *Model) apply(snap *inspect.Snapshot) { m.applyWith(snap, nil, nil) }

// applyWith is apply for a counter refresh of base, with its per-process
// CPU%, when procCPU is not nil: the index of the same structure is
// reused.
func (m *Model) applyWith(snap *inspect.Snapshot, procCPU map[int]float64, base *inspect.Snapshot) {
	if snap == nil {
		return
	}
	old := m.snap
	m.prev, m.snap = m.snap, snap
	m.procCPU = procCPU
	refreshed := procCPU != nil && m.ix != nil && base != nil && m.ixBase == base
	if refreshed {
		m.ix = m.ix.Refreshed(snap, procview.ComputeCgroupRates(m.prev, snap).WithProcessCPU(procCPU))
	} else {
		rates := procview.ComputeRates(m.prev, snap)
		if procCPU != nil {
			rates = rates.WithProcessCPU(procCPU)
		}
		m.ix = procview.NewIndex(snap, rates)
		m.ixBase = base
		if base == nil {
			m.ixBase = snap
		}
	}
	if procCPU == nil {
		// A full scan: what is new since the last snapshot is marked.
		m.fresh.diff(old, snap, m.opts.Now())
	}
	rates := m.ix.Rates
	m.hist.Add(snap, rates)
	m.lastRefresh = m.opts.Now()
	m.shownRefresh = steadyDuration(m.shownRefresh, snap.ScanDuration)
	for _, l := range m.lists {
		// A refresh of the same full scan keeps the Processes tree: its
		// rows are pointed at the new numbers instead of built again.
		if refreshed && l.canRemap(m.ixBase) {
			l.remapDue = true
		} else {
			l.dirty = true
		}
	}
	m.ensureRows()
	m.refreshDetail()
}

// steadyDuration is the refresh time the status line shows: the new one
// d, to 100 µs, when it differs from the shown one by more than a
// quarter (and 200 µs), else the shown one. The line then changes when
// the cost does, not at every refresh.
func steadyDuration(shown, d time.Duration) time.Duration {
	d = d.Round(100 * time.Microsecond)
	diff := d - shown
	if diff < 0 {
		diff = -diff
	}
	if shown == 0 || (diff > shown/4 && diff > 200*time.Microsecond) {
		return d
	}
	return shown
}
