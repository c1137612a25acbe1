package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// scanTimeout bounds one scan; a host that takes longer is reported, not
// waited for forever.
const scanTimeout = 30 * time.Second

// scanMsg carries a finished scan. gen is the generation it was started
// with: a result whose generation is not the current one is stale (the
// user paused, or asked for a newer scan) and is dropped.
type scanMsg struct {
	gen  int
	snap *inspect.Snapshot
	err  error
}

// tickMsg says it is time for the next scan of generation gen.
type tickMsg struct{ gen int }

// clockMsg updates the "time since the last refresh" once a second.
type clockMsg struct{}

// startScan starts a scan in a command, off the UI goroutine, tagged
// with a new generation.
func (m *Model) startScan() tea.Cmd {
	if !m.opts.live() {
		return nil
	}
	m.gen++
	gen := m.gen
	m.scanning = true
	src, ctx := m.opts.Source, m.ctx
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, scanTimeout)
		defer cancel()
		snap, err := src.Scan(ctx)
		return scanMsg{gen: gen, snap: snap, err: err}
	}
}

// scheduleScan waits for the interval, then asks for the next scan.
func (m *Model) scheduleScan() tea.Cmd {
	gen := m.gen
	return tea.Tick(m.opts.Interval, func(time.Time) tea.Msg { return tickMsg{gen: gen} })
}

func clockTick() tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return clockMsg{} })
}

// onScan applies a scan result unless it is stale.
func (m *Model) onScan(msg scanMsg) tea.Cmd {
	if msg.gen != m.gen {
		return nil
	}
	m.scanning = false
	if msg.err != nil {
		m.scanErr = msg.err
		return m.scheduleScan()
	}
	m.scanErr = nil
	m.apply(msg.snap)
	return m.scheduleScan()
}

// onTick starts the next scan unless paused or the tick is stale.
func (m *Model) onTick(msg tickMsg) tea.Cmd {
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
		return nil
	}
	return m.startScan()
}

// apply makes snap the current snapshot: rates against the previous one,
// the CPU history, and the rows of every view.
func (m *Model) apply(snap *inspect.Snapshot) {
	if snap == nil {
		return
	}
	m.prev, m.snap = m.snap, snap
	rates := procview.ComputeRates(m.prev, snap)
	m.ix = procview.NewIndex(snap, rates)
	m.hist.Add(snap, rates)
	m.lastRefresh = m.opts.Now()
	for _, l := range m.lists {
		l.dirty = true
	}
	m.ensureRows()
	m.refreshDetail()
}
