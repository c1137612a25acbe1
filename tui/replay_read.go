package tui

import (
	"fmt"
	"sort"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
	"github.com/nscope/nscope/record"
)

// readMoment reads record asked and the one before for its rates. A
// record that cannot be read (damaged, or after a damaged delta before
// the next full record) is skipped: forward to the next full record that
// reads, else back to the last record before it that reads.
func readMoment(rec *record.Recording, entries []record.Entry, gen, asked int, forward bool) replayLoadedMsg {
	msg := replayLoadedMsg{gen: gen, asked: asked, i: asked}
	prev, cur, err := readPair(rec, asked)
	if err != nil {
		msg.skippedWhy = err
		i, p, c, skipped, ok := readNear(rec, entries, asked, forward)
		if !ok {
			msg.err = err
			return msg
		}
		msg.i, prev, cur, msg.skipped = i, p, c, skipped
	}
	msg.prev, msg.cur = prev, cur
	msg.ix = procview.NewIndex(cur, procview.ComputeRates(prev, cur))
	if entries[msg.i].Marks != 0 {
		msg.extras, _ = rec.Extras(msg.i)
	}
	return msg
}

// readPair reads record i and, for rates, the record before it. When
// only the one before is damaged, i is shown without rates.
func readPair(rec *record.Recording, i int) (prev, cur *inspect.Snapshot, err error) {
	prev, cur, err = rec.Pair(i)
	if err == nil {
		return prev, cur, nil
	}
	if c, err2 := rec.Snapshot(i); err2 == nil {
		return nil, c, nil
	}
	return nil, nil, err
}

// readNear finds the record nearest to i that reads, in the direction
// asked first, then the other way. Within a run of records from a full
// record to the next, a damaged record makes it and every delta after
// it unreadable: forward the next full records are tried, backward the
// last readable record is found by bisection.
func readNear(rec *record.Recording, entries []record.Entry, i int, forward bool) (int, *inspect.Snapshot, *inspect.Snapshot, []int, bool) {
	tryForward := func() (int, *inspect.Snapshot, *inspect.Snapshot, bool) {
		for j := i + 1; j < len(entries); j++ {
			if entries[j].Kind != record.KindFull {
				continue
			}
			if p, c, err := readPair(rec, j); err == nil {
				return j, p, c, true
			}
		}
		return 0, nil, nil, false
	}
	tryBack := func() (int, *inspect.Snapshot, *inspect.Snapshot, bool) {
		end := i // records [start, end) are left to try
		for end > 0 {
			start := end - 1
			for start > 0 && entries[start].Kind != record.KindFull {
				start--
			}
			// The first unreadable record in [start, end): readable ones
			// come first.
			bad := start + sort.Search(end-start, func(k int) bool {
				_, err := rec.Snapshot(start + k)
				return err != nil
			})
			if bad > start {
				if p, c, err := readPair(rec, bad-1); err == nil {
					return bad - 1, p, c, true
				}
			}
			end = start
		}
		return 0, nil, nil, false
	}
	first, second := tryBack, tryForward
	if forward {
		first, second = tryForward, tryBack
	}
	j, p, c, ok := first()
	if !ok {
		j, p, c, ok = second()
	}
	if !ok {
		return 0, nil, nil, nil, false
	}
	// Every record between i and j failed to read: forward they follow a
	// damaged record in its run, backward they are at or after the
	// first that failed in theirs.
	var skipped []int
	for k := min(i, j); k <= max(i, j); k++ {
		if k != j {
			skipped = append(skipped, k)
		}
	}
	return j, p, c, skipped, true
}

// historyDelay is replayState.histDelay.
const historyDelay = 300 * time.Millisecond

// replayHistory rebuilds the CPU history up to the record shown once the
// replay has rested there for histDelay.
func (m *Model) replayHistory() tea.Cmd {
	rp := m.replay
	if rp.histBusy || rp.histAt == rp.cur || rp.cur < 0 {
		return nil
	}
	if rp.histDelay <= 0 {
		return m.replayBuildHistory()
	}
	gen, i := rp.gen, rp.cur
	return tea.Tick(rp.histDelay, func(time.Time) tea.Msg { return replayHistoryDueMsg{gen: gen, i: i} })
}

// replayBuildHistory rebuilds the CPU history up to the record shown, in
// a command: the samples of the HistorySize records before it, as the
// live app would have gathered them.
func (m *Model) replayBuildHistory() tea.Cmd {
	rp := m.replay
	if rp.histBusy || rp.histAt == rp.cur || rp.cur < 0 {
		return nil
	}
	rp.histBusy = true
	rec, entries, gen, i, size := rp.rec, rp.entries, rp.gen, rp.cur, m.opts.HistorySize
	return func() tea.Msg {
		return replayHistoryMsg{gen: gen, i: i, hist: buildHistory(rec, entries, i, size)}
	}
}

// buildHistory returns the CPU history of the size records up to i. A
// gap or an unreadable record breaks the series there (no rate across
// it), as a pause in the live app would.
func buildHistory(rec *record.Recording, entries []record.Entry, i, size int) *procview.History {
	h := procview.NewHistory(size)
	var prev *inspect.Snapshot
	for k := max(0, i-size); k <= i; k++ {
		// Cgroups only: the history needs no processes, and building
		// them 60 times is what a rebuild would cost.
		s, err := rec.Cgroups(k)
		if err != nil {
			prev = nil
			continue
		}
		if prev != nil && entries[k].Time.Sub(entries[k-1].Time) > 2*rec.Interval(k) {
			prev = nil
		}
		if prev != nil {
			h.Add(s, procview.ComputeCgroupRates(prev, s))
		}
		prev = s
	}
	return h
}

// onReplayHistory takes a rebuilt history when it still ends at the
// record shown.
func (m *Model) onReplayHistory(msg replayHistoryMsg) tea.Cmd {
	rp := m.replay
	if msg.gen != rp.gen {
		// A build for the recording r replaced; the new one's flag stays.
		return nil
	}
	rp.histBusy = false
	m.closeRetired()
	if msg.i == rp.cur && rp.histAt != rp.cur {
		m.hist, rp.histAt = msg.hist, msg.i
		m.refreshDetail()
	}
	return m.replayContinue()
}

// replayReopen re-opens the recording to see what a running recorder
// added since (r).
func (m *Model) replayReopen() tea.Cmd {
	dir := m.replay.src.Dir
	return func() tea.Msg {
		rec, err := record.Open(dir)
		return replayReopenedMsg{rec: rec, err: err}
	}
}

// onReplayReopened switches to the re-opened recording, keeping the
// moment shown.
func (m *Model) onReplayReopened(msg replayReopenedMsg) tea.Cmd {
	rp := m.replay
	if msg.err != nil {
		m.flashNow("re-reading the recording: "+msg.err.Error(), true)
		return nil
	}
	at := time.Time{}
	if rp.cur >= 0 {
		at = rp.entries[rp.cur].Time
	}
	before := len(rp.entries)
	if rp.rec != rp.src.Recording {
		rp.retired = append(rp.retired, rp.rec)
	}
	rp.gen++
	rp.loading, rp.histBusy = false, false
	rp.setRecording(msg.rec)
	rp.bad = map[int]bool{}
	rp.cur, rp.histAt = -1, -1
	rp.want = startIndex(rp.entries, at)
	m.closeRetired()
	rp.reopened = fmt.Sprintf("re-read %s: %d records (%+d)", rp.src.Dir, len(rp.entries), len(rp.entries)-before)
	return m.replayLoad()
}

// closeRetired closes the recordings r replaced once no command reads
// them. The one the app was given is the caller's to close.
func (m *Model) closeRetired() {
	rp := m.replay
	if rp.loading || rp.histBusy {
		return
	}
	for _, r := range rp.retired {
		if r != rp.rec {
			r.Close()
		}
	}
	rp.retired = nil
}
