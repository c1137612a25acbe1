package tui

import (
	"sort"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/record"
)

// timelineMark is how the timeline draws one mark kind: a glyph of its
// own (the bar reads without colour) and a role for colour.
type timelineMark struct {
	kind   record.MarkKind
	glyph  string
	role   role
	legend string
}

// timelineMarks are the mark kinds in the order a cell with several
// shows them: the first wins.
var timelineMarks = []timelineMark{
	{record.MarkOOMKill, "!", roleCrit, "an OOM kill"},
	{record.MarkLimitChange, "~", roleAccent, "a cgroup limit or freeze changed (by anyone)"},
	{record.MarkJournal, "*", roleAccent, "nscope changed something (its journal)"},
	{record.MarkNSDestroyed, "x", roleWarn, "a namespace was destroyed"},
	{record.MarkNSCreated, "+", roleOK, "a namespace was created"},
	{record.MarkThrottle, "^", roleWarn, "a cgroup was throttled in ≥25% of its CPU periods"},
}

// The timeline's other glyphs: a stretch with records, a gap (the
// recorder was not running) and the cursor at the record shown.
const (
	glyphRecorded = "─"
	glyphGap      = " "
	glyphCursor   = "█"
)

// barCell is one cell of the timeline: whether records cover it, and
// the marks of its records.
type barCell struct {
	recorded bool
	marks    record.MarkKind
}

// barCache holds the cells for one bar width.
type barCache struct {
	width int
	cells []barCell
}

// timelineHeight is the lines the timeline takes: one in a replay, when
// the terminal has room for it.
func (m *Model) timelineHeight(h int) int {
	if m.replay == nil || h-1 < minHeight {
		return 0
	}
	return 1
}

// cells returns the timeline's cells for a bar of w cells.
func (rp *replayState) cells(w int) []barCell {
	if rp.bar.width == w && rp.bar.cells != nil {
		return rp.bar.cells
	}
	cells := make([]barCell, w)
	first, last := rp.entries[0].Time, rp.entries[len(rp.entries)-1].Time
	span := last.Sub(first)
	for c := range cells {
		cells[c].recorded = true
		if span <= 0 {
			continue
		}
		start := first.Add(time.Duration(float64(span) * float64(c) / float64(w)))
		end := first.Add(time.Duration(float64(span) * float64(c+1) / float64(w)))
		// A cell inside a gap has no record and lies between the two
		// records around the gap.
		g := sort.Search(len(rp.gaps), func(k int) bool { return rp.gaps[k].To.After(start) })
		if g < len(rp.gaps) && rp.gaps[g].From.Before(start) && !end.After(rp.gaps[g].To) {
			cells[c].recorded = false
		}
	}
	for _, i := range rp.marks {
		c := rp.cellOf(rp.entries[i].Time, w)
		cells[c].marks |= shownMarks(rp.entries[i])
		cells[c].recorded = true
	}
	rp.bar = barCache{width: w, cells: cells}
	return cells
}

// cellOf returns the cell of a bar of w cells that holds time t.
func (rp *replayState) cellOf(t time.Time, w int) int {
	first, last := rp.entries[0].Time, rp.entries[len(rp.entries)-1].Time
	span := last.Sub(first)
	if span <= 0 {
		return 0
	}
	c := int(float64(t.Sub(first)) / float64(span) * float64(w))
	return min(max(c, 0), w-1)
}

// timeOfCell returns the middle of cell c of a bar of w cells.
func (rp *replayState) timeOfCell(c, w int) time.Time {
	first, last := rp.entries[0].Time, rp.entries[len(rp.entries)-1].Time
	return first.Add(time.Duration(float64(last.Sub(first)) * (float64(c) + 0.5) / float64(w)))
}

// timelineParts lays the timeline out in w cells: the time shown, the
// start and end labels (left out when the bar would be too short), and
// where the bar starts and how wide it is.
func (m *Model) timelineParts(w int) (shown, startL, endL string, barX, barW int) {
	rp := m.replay
	at := rp.want
	// "at 12:00:05…" while that record is being read.
	shown = " at " + rp.stamp(rp.entries[at].Time)
	if at != rp.cur {
		shown += "…"
	} else {
		shown += " "
	}
	shown += "│ "
	startL = rp.stamp(rp.entries[0].Time) + " ├"
	endL = "┤ " + rp.stamp(rp.entries[len(rp.entries)-1].Time) + " "
	barW = w - width(shown) - width(startL) - width(endL)
	if barW < 20 {
		startL, endL = "├", "┤"
		barW = w - width(shown) - 2
	}
	return shown, startL, endL, width(shown) + width(startL), max(1, barW)
}

// renderTimeline draws the replay's timeline bar: the time shown, the
// recording's start, a cell per stretch of time with its marks, gaps
// blank and the cursor at the record shown (or being read), and the
// recording's end.
func (m *Model) renderTimeline() string {
	rp := m.replay
	st := &m.st
	shown, startL, endL, _, barW := m.timelineParts(m.width)
	cells := rp.cells(barW)
	cursor := rp.cellOf(rp.entries[rp.want].Time, barW)
	var b strings.Builder
	b.WriteString(st.of(roleTitle).Render(shown))
	b.WriteString(st.of(roleDim).Render(startL))
	// Runs of cells in one role are painted together.
	var run strings.Builder
	runRole := role(255)
	flush := func() {
		if run.Len() > 0 {
			b.WriteString(st.of(runRole).Render(run.String()))
			run.Reset()
		}
	}
	for c, cell := range cells {
		glyph, r := glyphRecorded, roleDim
		switch {
		case c == cursor:
			glyph, r = glyphCursor, roleSelected
		case !cell.recorded:
			glyph, r = glyphGap, roleNormal
		case cell.marks != 0:
			for _, tm := range timelineMarks {
				if cell.marks&tm.kind != 0 {
					glyph, r = tm.glyph, tm.role
					break
				}
			}
		}
		if r != runRole {
			flush()
			runRole = r
		}
		run.WriteString(glyph)
	}
	flush()
	b.WriteString(st.of(roleDim).Render(endL))
	return padRight(truncateStyled(b.String(), m.width), m.width)
}

// replayClick jumps to the record nearest the time under a click on the
// timeline bar.
func (m *Model) replayClick(x int) tea.Cmd {
	rp := m.replay
	_, _, _, barX, barW := m.timelineParts(m.width)
	if x < barX || x >= barX+barW {
		return nil
	}
	t := rp.timeOfCell(x-barX, barW)
	i := rp.nearest(t)
	return m.replayGo(i, i > rp.want)
}

// nearest returns the record nearest to t.
func (rp *replayState) nearest(t time.Time) int {
	i := sort.Search(len(rp.entries), func(i int) bool { return !rp.entries[i].Time.Before(t) })
	switch {
	case i == len(rp.entries):
		return i - 1
	case i > 0 && t.Sub(rp.entries[i-1].Time) < rp.entries[i].Time.Sub(t):
		return i - 1
	}
	return i
}

// replayLegend is the timeline's legend for the help.
func replayLegend() string {
	parts := []string{"Timeline (replay): " + glyphCursor + " the moment shown, " + glyphRecorded + " recorded, blank: the recorder was not running"}
	for _, tm := range timelineMarks {
		parts = append(parts, tm.glyph+" "+tm.legend)
	}
	return strings.Join(parts, "; ") + ". A cell with several marks shows the first of these."
}

// replayHelpNotes explain the replay in the help, before the other notes.
func replayHelpNotes() []string {
	return []string{
		"Replay: every view and the detail pane show the host at the record under the timeline's cursor, with CPU% and throttling from the record before it; nothing can be changed. [ ] step one record, { } jump to the previous or next mark, T jumps to a time (03:12 or 03:12:30, the last such time the recording holds; -10m, before its end; 2026-03-04 03:12; RFC 3339), < and > go to the first and last record, space plays the recording as it was recorded, r re-reads it (what a running recorder added since). A click on the timeline jumps there.",
		replayLegend(),
	}
}
