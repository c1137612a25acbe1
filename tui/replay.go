package tui

import (
	"fmt"
	"path/filepath"
	"sort"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
	"github.com/nscope/nscope/record"
)

// Replay is a recording of "nscope record" to show in time-travel mode
// (nscope --replay DIR): every view and the detail pane show the host as
// it was at one record, with rates from the record before it, and a
// timeline bar steps and jumps through the recording. Nothing can be
// changed.
type Replay struct {
	// Recording is the opened recording; the app reads it in commands,
	// off the UI goroutine, and re-opens Dir for r (records a running
	// recorder added since). The caller closes it after Run.
	Recording *record.Recording
	// Dir names the recording in the status line and messages.
	Dir string
	// At is the moment to open at: the last record at or before it (the
	// first record when it is before the start). Zero opens at the last
	// record.
	At time.Time

	// preload is the first moment, read by Preload; preloadAt its record.
	preload   chan replayLoadedMsg
	preloadAt int
}

// Preload starts reading the moment the replay opens at, in the
// background, so that the read overlaps the terminal's start; the app
// takes it instead of reading again. Call it once, before Run.
func (r *Replay) Preload() {
	if r.Recording == nil || r.preload != nil {
		return
	}
	entries := r.Recording.Entries()
	r.preloadAt = startIndex(entries, r.At)
	r.preload = make(chan replayLoadedMsg, 1)
	rec, at := r.Recording, r.preloadAt
	go func() { r.preload <- readMoment(rec, entries, 0, at, false) }()
}

// startIndex is the record a replay opens at: the one holding the state
// at at, the last one when at is zero.
func startIndex(entries []record.Entry, at time.Time) int {
	if at.IsZero() {
		return len(entries) - 1
	}
	i := sort.Search(len(entries), func(i int) bool { return entries[i].Time.After(at) }) - 1
	return max(i, 0)
}

// replayThrottle is the smallest share of a cgroup's CPU periods
// throttled that the timeline marks (record.MinThrottle is what the
// recorder notes; a quota'd container is throttled a little all the
// time, and marking that would bury the rest).
const replayThrottle = 0.25

// replayMarkKinds are the mark kinds the timeline shows.
const replayMarkKinds = record.MarkOOMKill | record.MarkThrottle | record.MarkNSCreated |
	record.MarkNSDestroyed | record.MarkLimitChange | record.MarkJournal

// replayState is the app's time-travel state. Moments are read in
// commands; at most one read is in flight, and keys pressed meanwhile
// only move want, so holding a step key never queues work: when a read
// ends, the next starts at the latest want.
type replayState struct {
	src     Replay
	rec     *record.Recording
	entries []record.Entry
	gaps    []record.Gap
	// marks are the records with a mark the timeline shows, in order;
	// jumps those { and } go to: throttling that goes on from record to
	// record is one mark, where it starts (a container held at its quota
	// is throttled in every record, and would make } a step).
	marks, jumps []int
	// problems are what Open could not read (record.Problems).
	problems []string
	// spansDays says the recording covers more than one local date: times
	// then carry the date.
	spansDays bool

	// cur is the record shown (-1 before the first read); want is the
	// record asked for last; forward says which way to skip damaged
	// records on the way there.
	cur, want int
	forward   bool
	loading   bool
	// gen counts recordings (r re-opens): a read of an older one is
	// dropped.
	gen int
	// bad are the records found unreadable (damaged), skipped since.
	bad map[int]bool
	// histAt is the record the CPU history (sparklines) ends at, -1 when
	// it is out of date; histBusy is set while it is rebuilt.
	histAt   int
	histBusy bool
	// histDelay is how long the replay must rest on a record before its
	// history is rebuilt (a rebuild reads a minute of records: not for
	// every record passed while stepping).
	histDelay time.Duration
	// playing steps forward one record at a time as recorded (space).
	playing  bool
	playTick int
	// prompting is set while the time to jump to is typed (T).
	prompting bool
	prompt    lineInput
	// markFlash says the status message describes the marks of the
	// record shown; it is cleared when another record is shown.
	markFlash bool
	// sticky keeps each view's selection across moments where the item
	// does not exist (see stickySel).
	sticky [numViews]stickySel
	// retired are recordings replaced by r, closed once no read uses them;
	// reopened is what r found, said when its first moment is shown.
	retired  []*record.Recording
	reopened string
	// bar caches the timeline's cells for a width.
	bar barCache
}

// stickySel is what a view's selection follows across moments: want is
// the item the user chose; fallback the row the list fell back to where
// want did not exist. A selection other than fallback is the user's new
// choice.
type stickySel struct{ want, fallback procview.Key }

// replayLoadedMsg carries a moment read from the recording: record i
// (asked was the record asked for; they differ when damaged records
// were skipped), its state and the one before (nil without rates), the
// index built off the UI goroutine, and the marks' details.
type replayLoadedMsg struct {
	gen        int
	asked, i   int
	prev, cur  *inspect.Snapshot
	ix         *procview.Index
	extras     *record.Extras
	skipped    []int
	skippedWhy error
	err        error
}

// replayHistoryDueMsg says the replay may have rested on record i long
// enough to rebuild its history.
type replayHistoryDueMsg struct{ gen, i int }

// replayHistoryMsg carries the CPU history up to record i.
type replayHistoryMsg struct {
	gen, i int
	hist   *procview.History
}

// replayReopenedMsg carries the recording re-opened by r.
type replayReopenedMsg struct {
	rec *record.Recording
	err error
}

// replayTickMsg steps a playing replay.
type replayTickMsg struct{ tick int }

// initReplay sets the app up for a replay: the replay keys, the
// recording's records, gaps and marks, and the record to open at.
func (m *Model) initReplay() {
	if m.opts.Replay == nil || m.opts.Replay.Recording == nil {
		return
	}
	rp := &replayState{src: *m.opts.Replay, cur: -1, histAt: -1, bad: map[int]bool{}, histDelay: historyDelay}
	m.replay = rp
	rp.setRecording(m.opts.Replay.Recording)
	rp.want = startIndex(rp.entries, rp.src.At)
	m.keys.enableReplay()
}

// setRecording takes the records, gaps and marks of rec.
func (rp *replayState) setRecording(rec *record.Recording) {
	rp.rec = rec
	rp.entries = rec.Entries()
	rp.gaps = rec.Gaps()
	rp.problems = rec.Problems()
	first, last := rec.Range()
	rp.marks, rp.jumps = nil, nil
	for _, i := range rec.Marks(first, last, replayMarkKinds, replayThrottle) {
		k := shownMarks(rp.entries[i])
		if k == 0 {
			continue
		}
		rp.marks = append(rp.marks, i)
		goesOn := i > 0 && shownMarks(rp.entries[i-1])&record.MarkThrottle != 0
		if k&^record.MarkThrottle != 0 || !goesOn {
			rp.jumps = append(rp.jumps, i)
		}
	}
	y1, m1, d1 := first.Local().Date()
	y2, m2, d2 := last.Local().Date()
	rp.spansDays = y1 != y2 || m1 != m2 || d1 != d2
	rp.bar = barCache{}
}

// shownMarks are the marks of e the timeline shows: throttling only from
// replayThrottle on.
func shownMarks(e record.Entry) record.MarkKind {
	k := e.Marks & replayMarkKinds
	if k&record.MarkThrottle != 0 && float64(e.Throttle) < replayThrottle*100 {
		k &^= record.MarkThrottle
	}
	return k
}

// replayInit is what Init starts in a replay: the first read and the
// clock that ends status messages.
func (m *Model) replayInit() tea.Cmd {
	if m.replay == nil {
		return nil
	}
	return tea.Batch(m.replayLoad(), clockTick())
}

// replayGo asks for record i (clamped), read when the read in flight
// ends; forward says which way to skip damaged records.
func (m *Model) replayGo(i int, forward bool) tea.Cmd {
	rp := m.replay
	i = min(max(i, 0), len(rp.entries)-1)
	rp.want, rp.forward = i, forward
	if rp.loading || i == rp.cur {
		return nil
	}
	return m.replayLoad()
}

// replayLoad starts reading record want in a command.
func (m *Model) replayLoad() tea.Cmd {
	rp := m.replay
	rp.loading = true
	if ch := rp.src.preload; ch != nil && rp.gen == 0 && rp.want == rp.src.preloadAt {
		// The first moment, read by Preload while the terminal started.
		rp.src.preload = nil
		return func() tea.Msg { return <-ch }
	}
	rec, entries, gen, asked, forward := rp.rec, rp.entries, rp.gen, rp.want, rp.forward
	return func() tea.Msg { return readMoment(rec, entries, gen, asked, forward) }
}

// onReplayMsg handles the replay's own messages; ok says msg was one.
func (m *Model) onReplayMsg(msg tea.Msg) (cmd tea.Cmd, ok bool) {
	rp := m.replay
	if rp == nil {
		return nil, false
	}
	switch msg := msg.(type) {
	case replayLoadedMsg:
		return m.onReplayLoaded(msg), true
	case replayHistoryDueMsg:
		if msg.gen == rp.gen && msg.i == rp.cur && !rp.loading {
			return m.replayBuildHistory(), true
		}
		return nil, true
	case replayHistoryMsg:
		return m.onReplayHistory(msg), true
	case replayReopenedMsg:
		return m.onReplayReopened(msg), true
	case replayTickMsg:
		return m.onReplayTick(msg), true
	case tea.PasteMsg:
		if rp.prompting {
			rp.prompt.Update(msg)
			return nil, true
		}
	case tea.MouseClickMsg:
		if msg.Button == tea.MouseLeft && !m.lay.tooSmall && m.lay.timelineH > 0 && msg.Y == m.lay.timelineY && !m.showHelp {
			return m.replayClick(msg.X), true
		}
	}
	return nil, false
}

// onReplayLoaded shows a moment read, and starts the next read when the
// user asked for another record meanwhile.
func (m *Model) onReplayLoaded(msg replayLoadedMsg) tea.Cmd {
	rp := m.replay
	if msg.gen != rp.gen {
		return nil
	}
	rp.loading = false
	m.closeRetired()
	if msg.err != nil {
		m.flashNow(fmt.Sprintf("%s: the record at %s cannot be read: %v", rp.src.Dir, rp.stamp(rp.entries[msg.asked].Time), msg.err), true)
		rp.bad[msg.asked] = true
		if rp.cur < 0 {
			m.scanErr = fmt.Errorf("%s: no record could be read: %w", rp.src.Dir, msg.err)
			m.refreshDetail()
			return nil
		}
		if rp.want == msg.asked {
			rp.want = rp.cur
		}
		return m.replayContinue()
	}
	for _, k := range msg.skipped {
		rp.bad[k] = true
	}
	if rp.want == msg.asked && msg.i != msg.asked {
		rp.want = msg.i
	}
	opening := rp.cur < 0
	m.showMoment(msg)
	if opening && len(rp.problems) > 0 {
		// What Open skipped (a torn last record, a damaged index) is said
		// once; the status line keeps the count.
		text := rp.src.Dir + ": " + rp.problems[0]
		if n := len(rp.problems); n > 1 {
			text += fmt.Sprintf(" (and %d more problems)", n-1)
		}
		m.flashNow(text, true)
		return m.replayContinue()
	}
	if rp.reopened != "" {
		m.flashNow(rp.reopened, false)
		rp.reopened = ""
		return m.replayContinue()
	}
	if len(msg.skipped) > 0 && msg.skippedWhy != nil {
		m.flashNow(fmt.Sprintf("skipped a damaged record at %s (%v); showing %s", rp.stamp(rp.entries[msg.asked].Time),
			msg.skippedWhy, rp.stamp(rp.entries[msg.i].Time)), true)
		rp.markFlash = true
	} else if msg.i == rp.want {
		m.flashMarks(msg.extras)
	}
	return m.replayContinue()
}

// replayContinue starts the read of want when it is not shown yet, else
// the CPU history when it is out of date.
func (m *Model) replayContinue() tea.Cmd {
	rp := m.replay
	if rp.loading {
		return nil
	}
	if rp.want != rp.cur {
		return m.replayLoad()
	}
	return m.replayHistory()
}

// showMoment makes a moment read the app's snapshot: the rows of every
// view, the selection kept (stickySel), the detail pane, and the CPU
// history (extended by a step forward, else rebuilt in a command).
func (m *Model) showMoment(msg replayLoadedMsg) {
	rp := m.replay
	stepped := rp.cur >= 0 && msg.i == rp.cur+1 && msg.prev != nil && rp.histAt == rp.cur
	if msg.i != rp.cur && rp.markFlash {
		m.flash, rp.markFlash = FlashMsg{}, false
	}
	rp.cur = msg.i
	m.scanErr = nil
	m.prev, m.snap = msg.prev, msg.cur
	m.ix, m.ixBase = msg.ix, msg.cur
	if stepped {
		m.hist.Add(msg.cur, msg.ix.Rates)
		rp.histAt = msg.i
	} else {
		m.hist = procview.NewHistory(m.opts.HistorySize)
		m.hist.Add(msg.cur, msg.ix.Rates)
		rp.histAt = -1
	}
	m.lastRefresh = msg.cur.Time
	for v, l := range m.lists {
		s := &rp.sticky[v]
		if l.selKey != s.fallback {
			s.want = l.selKey
		}
		if !s.want.IsZero() {
			l.selKey = s.want
		}
		l.dirty = true
	}
	m.ensureRows()
	if l := m.list(); !rp.sticky[m.view].want.IsZero() {
		rp.sticky[m.view].fallback = l.selKey
	}
	m.refreshDetail()
}

// stamp renders a time of the recording: local time, with the date when
// the recording spans days.
func (rp *replayState) stamp(t time.Time) string {
	if rp.spansDays {
		return t.Local().Format("2006-01-02 15:04:05")
	}
	return t.Local().Format("15:04:05")
}

// replayReadOnly is why a replay changes nothing.
func (m *Model) replayReadOnly() string {
	rp := m.replay
	at := ""
	if rp.cur >= 0 {
		at = " of " + rp.stamp(rp.entries[rp.cur].Time)
	}
	return fmt.Sprintf("this is a recording (%s): it shows the host%s and nothing can be changed", rp.src.Dir, at)
}

// replayFreshness is the status line's right part in a replay: the
// recording, the record shown among all, whether it plays, and what was
// skipped as damaged.
func (m *Model) replayFreshness() string {
	rp := m.replay
	name := filepath.Base(rp.src.Dir)
	s := "recording " + sanitize(name)
	switch {
	case rp.cur >= 0:
		s += " · " + itoa(rp.cur+1) + "/" + itoa(len(rp.entries))
	case m.scanErr != nil:
		s += " · " + sanitize(m.scanErr.Error())
	default:
		s += " · reading…"
	}
	if rp.playing {
		s = "▶ playing · " + s
	}
	if n := len(rp.bad); n > 0 {
		s += " · " + itoa(n) + " damaged record"
		if n > 1 {
			s += "s"
		}
		s += " skipped"
	}
	if n := len(rp.problems); n > 0 {
		s += " · " + itoa(n) + " part"
		if n > 1 {
			s += "s"
		}
		s += " unreadable"
	}
	return s
}
