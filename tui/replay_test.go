package tui

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
	"github.com/nscope/nscope/record"
)

// timelineLine returns the screen's timeline line.
func timelineLine(t *testing.T, m *Model) string {
	t.Helper()
	for _, l := range strings.Split(screen(m), "\n") {
		if strings.Contains(l, " at ") && strings.Contains(l, "├") && strings.Contains(l, "┤") {
			return l
		}
	}
	t.Fatalf("no timeline on the screen:\n%s", screen(m))
	return ""
}

// timelineBar returns the cells between the timeline's brackets.
func timelineBar(t *testing.T, m *Model) []string {
	t.Helper()
	l := timelineLine(t, m)
	_, rest, _ := strings.Cut(l, " ├")
	bar, _, _ := strings.Cut(rest, "┤ ")
	return strings.Split(bar, "")
}

// shownSecond is the scene's second the replay shows.
func shownSecond(m *Model) int {
	return int(m.replay.entries[m.replay.cur].Time.Sub(sceneStart) / time.Second)
}

// TestReplayTimeline: the bar spans the recording with a glyph per mark
// kind in the order they happened, blank cells for the gap, the cursor
// at the record shown; the time shown, the start and the end are
// printed; the help explains every glyph.
func TestReplayTimeline(t *testing.T) {
	dir := writeRecording(t, replayScene(t), 3*time.Second)
	m := replayModel(t, dir, time.Time{}, 120, 30)
	line := timelineLine(t, m)
	for _, want := range []string{" at 12:00:29 │ 12:00:00 ├", "┤ 12:00:29"} {
		if !strings.Contains(line, want) {
			t.Errorf("timeline %q lacks %q", line, want)
		}
	}
	bar := timelineBar(t, m)
	var marks []string
	gapRun, longestGap := 0, 0
	for _, c := range bar {
		switch c {
		case glyphRecorded:
			gapRun = 0
		case glyphGap:
			gapRun++
			longestGap = max(longestGap, gapRun)
		default:
			gapRun = 0
			if len(marks) == 0 || marks[len(marks)-1] != c {
				marks = append(marks, c)
			}
		}
	}
	if got := strings.Join(marks, ""); got != "^~!+x"+glyphCursor {
		t.Errorf("marks and cursor along the bar (repeats dropped) %q, want ^~!+x then the cursor at the end", got)
	}
	if bar[len(bar)-1] != glyphCursor {
		t.Errorf("the cursor is not at the end of the bar: %q", strings.Join(bar, ""))
	}
	// The recorder did not run from second 8 to 26: most of the bar.
	if longestGap < len(bar)/2 {
		t.Errorf("the gap is %d blank cells of %d, want over half: %q", longestGap, len(bar), strings.Join(bar, ""))
	}
	keys(m, "?")
	help := strings.Join(strings.Fields(screen(m)), " ")
	for _, want := range []string{"Replay (a recording)", "[ one record back", "] one record on", "{ previous mark", "} next mark", "T jump to a time"} {
		if !strings.Contains(help, want) {
			t.Errorf("the help lacks %q:\n%s", want, screen(m))
		}
	}
	for range 40 {
		keys(m, "down")
	}
	help = strings.Join(strings.Fields(screen(m)), " ")
	for _, tm := range timelineMarks {
		if !strings.Contains(help, tm.glyph+" "+tm.legend) {
			t.Errorf("the help's legend lacks %q:\n%s", tm.glyph+" "+tm.legend, screen(m))
		}
	}

	// A recording of a few seconds across midnight carries the date.
	states := replayScene(t)[:4]
	for _, s := range states {
		s.Time = s.Time.Add(12*time.Hour - 2*time.Second)
	}
	m = replayModel(t, writeRecording(t, states, time.Minute), time.Time{}, 120, 30)
	if line := timelineLine(t, m); !strings.Contains(line, " at 2026-03-02 00:00:01 │ 2026-03-01 23:59:58 ├") {
		t.Errorf("a recording across midnight: timeline %q lacks the dates", line)
	}
}

// TestReplayStepping: ] and [ step one record; each view shows the host
// as it was (the worker present at second 2, gone at 4) and the
// selection stays on the worker when it exists again; < and > go to the
// ends; stepping past an end says so.
func TestReplayStepping(t *testing.T) {
	dir := writeRecording(t, replayScene(t), 3*time.Second)
	m := replayModel(t, dir, sceneTime(0), 120, 30)
	if shownSecond(m) != 0 {
		t.Fatalf("opened at second %d, want 0", shownSecond(m))
	}
	pressRun(m, "[")
	if !strings.Contains(m.flash.Text, "this is the first record") {
		t.Errorf("[ at the start: status %q", m.flash.Text)
	}
	pressRun(m, "]", "]")
	if shownSecond(m) != 2 || m.snap.Process(sceneWorkerPID) == nil {
		t.Fatalf("at second %d the worker is %v, want second 2 with the worker", shownSecond(m), m.snap.Process(sceneWorkerPID))
	}
	if !m.list().selectKey(m.ix, procview.ProcessKey(m.snap.Process(sceneWorkerPID))) {
		t.Fatal("the worker is not in the Processes view")
	}
	m.refreshDetail()
	if !strings.Contains(screen(m), "Process 900 ") {
		t.Fatalf("the details do not show the worker:\n%s", screen(m))
	}
	pressRun(m, "]", "]")
	if shownSecond(m) != 4 || m.snap.Process(sceneWorkerPID) != nil {
		t.Fatalf("at second %d the worker is %v, want second 4 without it", shownSecond(m), m.snap.Process(sceneWorkerPID))
	}
	if strings.Contains(screen(m), "Process 900 ") {
		t.Errorf("the worker is still shown at second 4:\n%s", screen(m))
	}
	pressRun(m, "[")
	if shownSecond(m) != 3 {
		t.Fatalf("[ went to second %d, want 3", shownSecond(m))
	}
	if r := m.list().selected(); r == nil || r.Process == nil || r.Process.PID != sceneWorkerPID {
		t.Errorf("back at second 3 the selection is %+v, want the worker again", r)
	}
	// The cgroups view shows the limit before and after.
	pressRun(m, "3")
	if !strings.Contains(screen(m), "60M/64M") {
		t.Errorf("second 3: the demo cgroup's memory is not 60M/64M:\n%s", screen(m))
	}
	pressRun(m, "]")
	if !strings.Contains(screen(m), "60M/128M") {
		t.Errorf("second 4: the demo cgroup's memory is not 60M/128M:\n%s", screen(m))
	}
	pressRun(m, ">")
	if shownSecond(m) != sceneEnd {
		t.Errorf("> went to second %d, want %d", shownSecond(m), sceneEnd)
	}
	pressRun(m, "]")
	if !strings.Contains(m.flash.Text, "this is the last record") {
		t.Errorf("] at the end: status %q", m.flash.Text)
	}
	pressRun(m, "<")
	if shownSecond(m) != 0 {
		t.Errorf("< went to second %d, want 0", shownSecond(m))
	}
	if got := m.replayFreshness(); !strings.Contains(got, "recording "+filepath.Base(dir)+" · 1/11") {
		t.Errorf("status %q does not name the recording and the record", got)
	}
}

// TestReplayRatesFromPair: CPU% and throttling come from the record
// before the one shown, whatever was shown before (here: a jump from the
// end), and the first record has none.
func TestReplayRatesFromPair(t *testing.T) {
	dir := writeRecording(t, replayScene(t), 3*time.Second)
	m := replayModel(t, dir, time.Time{}, 120, 30)
	if cpu, ok := m.ix.Rates.Process(m.snap.Process(801)); !ok || cpu < 49.9 || cpu > 50.1 {
		t.Errorf("at the end stress has CPU %.1f%% (known %v), want 50%%", cpu, ok)
	}
	pressRun(m, "T")
	typeRun(m, "12:00:01")
	pressRun(m, "enter")
	if shownSecond(m) != 1 {
		t.Fatalf("T 12:00:01 went to second %d", shownSecond(m))
	}
	if cpu, ok := m.ix.Rates.Process(m.snap.Process(801)); !ok || cpu < 49.9 || cpu > 50.1 {
		t.Errorf("at second 1 stress has CPU %.1f%% (known %v), want 50%% from second 0", cpu, ok)
	}
	demo := m.snap.Cgroup(0, sceneDemo)
	if r := m.ix.Rates.Cgroup(demo); !r.HasThrottle || r.ThrottledPercent != 80 {
		t.Errorf("at second 1 the demo cgroup was throttled %+v, want 80%%", r)
	}
	pressRun(m, "<")
	if _, ok := m.ix.Rates.Process(m.snap.Process(801)); ok {
		t.Error("the first record has a CPU rate; it has no record before it")
	}
	// After the gap the first record has no rates either: the record
	// before is 20 s older.
	pressRun(m, "T")
	typeRun(m, "12:00:27")
	pressRun(m, "enter")
	if _, ok := m.ix.Rates.Process(m.snap.Process(801)); shownSecond(m) != sceneGapUntil || ok {
		t.Errorf("second %d after the gap has a CPU rate (%v)", shownSecond(m), ok)
	}
}

// TestReplayMarkJumps: } and { go to the next and previous record with
// a mark, and the status line says what happened there.
func TestReplayMarkJumps(t *testing.T) {
	dir := writeRecording(t, replayScene(t), 3*time.Second)
	m := replayModel(t, dir, sceneTime(0), 120, 30)
	steps := []struct {
		key  string
		sec  int
		says string
	}{
		{"}", 1, "12:00:01: /nscope-run-demo throttled in 80% of its periods"},
		// Seconds 2 and 3 go on throttling: not marks to stop at.
		{"}", 4, "/nscope-run-demo memory_max 67108864 → 134217728"},
		{"}", 5, `an OOM kill in /evil\e[2J\u202e`},
		{"}", 6, "net namespace 4026539999 created"},
		{"}", 7, "net namespace 4026539999 destroyed"},
		{"}", 7, "no mark after 12:00:07"},
		{"{", 6, "created"},
		{"{", 5, "OOM kill"},
		{"{", 4, "memory_max"},
		{"{", 1, "throttled"},
	}
	for _, s := range steps {
		pressRun(m, s.key)
		if shownSecond(m) != s.sec || !strings.Contains(m.flash.Text, s.says) {
			t.Fatalf("%s: second %d saying %q, want second %d saying %q", s.key, shownSecond(m), m.flash.Text, s.sec, s.says)
		}
	}
	// A step to a record without marks drops the marks' message.
	pressRun(m, "]", "]", "]", "[") // to second 3
	if m.flash.Text == "" {
		t.Fatal("second 3's throttling is not said")
	}
	pressRun(m, "T")
	typeRun(m, "12:00:29")
	pressRun(m, "enter", "[") // to second 28, which has no mark
	if shownSecond(m) != 28 || m.flash.Text != "" {
		t.Errorf("at second %d the status still says %q", shownSecond(m), m.flash.Text)
	}
}

// TestReplayTimePrompt: T takes a time as nscope snapshot --at does,
// counted from the recording's end; times outside the recording or in
// its gap go to the nearest record and say so; bad input says what is
// accepted; esc cancels.
func TestReplayTimePrompt(t *testing.T) {
	dir := writeRecording(t, replayScene(t), 3*time.Second)
	m := replayModel(t, dir, time.Time{}, 120, 30)
	tests := []struct {
		typed string
		sec   int
		says  string
	}{
		{"12:00:05", 5, "OOM kill"},
		{"2026-03-01T12:00:02Z", 2, ""},
		{"2026-03-01 12:00:06", 6, "created"},
		{"-25s", 4, ""},
		{"-1s", 28, ""},
		{"12:00:15", sceneGapUntil, "the recorder was not running at 12:00:15: showing 12:00:27"},
		{"11:00", 0, "11:00:00 is before the recording, which starts at 12:00:00"},
		{"2026-03-01T13:00:00Z", sceneEnd, "13:00:00 is after the recording, which ends at 12:00:29"},
		{"soon", sceneEnd, `time "soon": want RFC 3339`},
	}
	for _, tc := range tests {
		pressRun(m, "T")
		if !strings.Contains(screen(m), " jump to ") {
			t.Fatalf("T shows no prompt:\n%s", screen(m))
		}
		typeRun(m, tc.typed)
		pressRun(m, "enter")
		if shownSecond(m) != tc.sec || !strings.Contains(m.flash.Text, tc.says) {
			t.Errorf("T %s: second %d saying %q, want second %d saying %q", tc.typed, shownSecond(m), m.flash.Text, tc.sec, tc.says)
		}
	}
	// q and ] are typed into the prompt, not acted on; esc cancels.
	pressRun(m, "T")
	typeRun(m, "q]")
	if !strings.Contains(screen(m), " jump to q]") {
		t.Errorf("the prompt does not show what was typed:\n%s", screen(m))
	}
	pressRun(m, "esc")
	if m.replay.prompting || shownSecond(m) != sceneEnd {
		t.Errorf("esc: prompting %v at second %d", m.replay.prompting, shownSecond(m))
	}
}

// TestReplayReadOnly: every action is refused with a message saying this
// is a recording, no dialog opens, and the status line says read-only.
func TestReplayReadOnly(t *testing.T) {
	dir := writeRecording(t, replayScene(t), 3*time.Second)
	m := replayModel(t, dir, sceneTime(4), 120, 30)
	for _, view := range []string{"2", "3"} {
		pressRun(m, view)
		for _, a := range m.opts.Actions {
			k := a.Key.Keys()[0]
			m.flash = FlashMsg{}
			pressRun(m, k)
			if m.dialogs.Len() != 0 {
				t.Fatalf("view %s, key %s opened a dialog in a replay", view, k)
			}
			if want := "this is a recording (" + dir + "): it shows the host of 12:00:04 and nothing can be changed"; m.flash.Text != want || !m.flash.Err {
				t.Errorf("view %s, key %s: status %q, want %q", view, k, m.flash.Text, want)
			}
		}
	}
	if !strings.Contains(screen(m), "read-only") {
		t.Errorf("the status line does not say read-only:\n%s", screen(m))
	}
	// The Cgroups view's footer lists the replay's keys, not the actions.
	m.flash = FlashMsg{}
	if s := screen(m); !strings.Contains(s, "[ ] step") || strings.Contains(s, "m mem") {
		t.Errorf("the Cgroups footer in a replay:\n%s", s)
	}
}

// damageRecordAt flips a byte in the payload of the record taken at `at`
// in dir's segments, leaving the index as it was (see record's format).
func damageRecordAt(t *testing.T, dir string, at time.Time) {
	t.Helper()
	segs, _ := filepath.Glob(filepath.Join(dir, "*.nsrec"))
	for _, seg := range segs {
		data, err := os.ReadFile(seg)
		if err != nil {
			t.Fatal(err)
		}
		for off := 16; off+28 <= len(data); {
			plen := int(binary.LittleEndian.Uint32(data[off:]))
			when := int64(binary.LittleEndian.Uint64(data[off+8:]))
			kind := data[off+16]
			if when == at.UnixNano() && kind != 1 {
				data[off+28+plen/2] ^= 0xff
				if err := os.WriteFile(seg, data, 0o600); err != nil {
					t.Fatal(err)
				}
				return
			}
			off += 28 + plen
		}
	}
	t.Fatalf("no record at %s in %s", at, dir)
}

// TestReplayDamagedRecord: a damaged delta makes it and the deltas after
// it in its run unreadable; stepping forward skips to the next full
// record, stepping back to the last record before the damage, each with
// a message, and the status line counts what was skipped. Nothing is
// fatal.
func TestReplayDamagedRecord(t *testing.T) {
	dir := writeRecording(t, replayScene(t), 3*time.Second)
	// Full records at seconds 0, 3, 6 and 27; 4 and 5 are deltas.
	damageRecordAt(t, dir, sceneTime(4))
	m := replayModel(t, dir, sceneTime(3), 120, 30)
	pressRun(m, "]")
	if shownSecond(m) != 6 {
		t.Fatalf("] over the damaged record went to second %d, want 6 (the next full record)", shownSecond(m))
	}
	if !strings.Contains(m.flash.Text, "skipped a damaged record at 12:00:04") || !strings.Contains(m.flash.Text, "showing 12:00:06") {
		t.Errorf("status %q does not say what was skipped", m.flash.Text)
	}
	if got := m.replayFreshness(); !strings.Contains(got, "2 damaged records skipped") {
		t.Errorf("status %q does not count the skipped records", got)
	}
	// Second 6 reads, without rates: the record before it is damaged.
	if _, ok := m.ix.Rates.Process(m.snap.Process(801)); ok {
		t.Error("second 6 has rates from a damaged record")
	}
	pressRun(m, "[")
	if shownSecond(m) != 3 {
		t.Fatalf("[ over the damaged records went to second %d, want 3", shownSecond(m))
	}
	// The OOM mark at second 5 is still on the timeline (the index has
	// it); jumping there lands on a record that reads.
	pressRun(m, "}")
	if s := shownSecond(m); s != 6 {
		t.Errorf("} to the damaged mark went to second %d, want 6", s)
	}
	pressRun(m, "T")
	typeRun(m, "12:00:05")
	pressRun(m, "enter")
	if s := shownSecond(m); s != 3 {
		t.Errorf("T 12:00:05 (damaged) went to second %d, want 3, the state before", s)
	}
}

// TestReplayTornRecording: a recording whose last record is cut short
// opens at the record before, and says what was skipped.
func TestReplayTornRecording(t *testing.T) {
	dir := writeRecording(t, replayScene(t), 3*time.Second)
	segs, _ := filepath.Glob(filepath.Join(dir, "*.nsrec"))
	seg := segs[len(segs)-1]
	data, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(seg, data[:len(data)-10], 0o600); err != nil {
		t.Fatal(err)
	}
	m := replayModel(t, dir, time.Time{}, 120, 30)
	if shownSecond(m) != sceneEnd-1 {
		t.Errorf("opened at second %d, want %d", shownSecond(m), sceneEnd-1)
	}
	if !strings.Contains(m.flash.Text, dir+": ") || !strings.Contains(m.replayFreshness(), "1 part unreadable") {
		t.Errorf("the torn record is not reported: status %q, %q", m.flash.Text, m.replayFreshness())
	}
}

// TestReplayHoldingAKey: keys pressed while a moment is read only move
// where the replay goes; one read is in flight at a time, and the one
// after it reads the latest record asked for.
func TestReplayHoldingAKey(t *testing.T) {
	dir := writeRecording(t, replayScene(t), 3*time.Second)
	m := replayModel(t, dir, sceneTime(0), 120, 30)
	first := send(m, press("]"))
	if first == nil {
		t.Fatal("] started no read")
	}
	for range 5 {
		if cmd := send(m, press("]")); cmd != nil {
			t.Fatal("a key pressed during a read started another read")
		}
	}
	if m.replay.want != 6 || shownSecond(m) != 0 {
		t.Fatalf("want %d, shown second %d; want 6 and 0", m.replay.want, shownSecond(m))
	}
	if line := timelineLine(t, m); !strings.Contains(line, " at 12:00:06…") {
		t.Errorf("the timeline does not show where it goes: %q", line)
	}
	msg, ok := first().(replayLoadedMsg)
	if !ok || msg.i != 1 {
		t.Fatalf("the read returned %T for record %d", msg, msg.i)
	}
	next := send(m, msg)
	if shownSecond(m) != 1 {
		t.Errorf("the first read shows second %d, want 1", shownSecond(m))
	}
	runCmd(m, next)
	if shownSecond(m) != 6 {
		t.Errorf("after the reads the replay shows second %d, want 6", shownSecond(m))
	}
}

// TestReplayPlay: space plays (a step per tick, one tick out at a time),
// any step key stops it, and it stops at the end.
func TestReplayPlay(t *testing.T) {
	dir := writeRecording(t, replayScene(t), 3*time.Second)
	m := replayModel(t, dir, sceneTime(26), 120, 30)
	if shownSecond(m) != 7 {
		t.Fatalf("opened at second %d, want 7 (the state at 26 is the last before the gap)", shownSecond(m))
	}
	send(m, press("space"))
	if !m.replay.playing || !strings.Contains(screen(m), "▶ playing") {
		t.Fatalf("space does not play:\n%s", screen(m))
	}
	// Three records follow the gap.
	for i := range 3 {
		cmd := send(m, replayTickMsg{tick: m.replay.playTick})
		// The batch holds the read and the next tick; only the read runs.
		batch, _ := cmd().(tea.BatchMsg)
		if len(batch) != 2 {
			t.Fatalf("tick %d returned %d commands", i, len(batch))
		}
		runCmd(m, batch[0])
	}
	if cmd := send(m, replayTickMsg{tick: m.replay.playTick}); cmd != nil {
		t.Error("a tick at the end stepped on")
	}
	if shownSecond(m) != sceneEnd || m.replay.playing {
		t.Errorf("after playing: second %d, playing %v; want the end, stopped", shownSecond(m), m.replay.playing)
	}
	if !strings.Contains(m.flash.Text, "the end of the recording") {
		t.Errorf("status %q at the end of playing", m.flash.Text)
	}
	send(m, press("<"))
	send(m, press("space"))
	tick := m.replay.playTick
	send(m, press("]"))
	if m.replay.playing {
		t.Error("] did not stop playing")
	}
	if cmd := send(m, replayTickMsg{tick: tick}); cmd != nil {
		t.Error("a tick after stopping stepped on")
	}
}

// TestReplayHostileText: names and command lines from a recording are
// escaped like live data, in rows, details and the marks' messages.
func TestReplayHostileText(t *testing.T) {
	dir := writeRecording(t, replayScene(t), 3*time.Second)
	m := replayModel(t, dir, sceneTime(2), 160, 40)
	m.list().selectKey(m.ix, procview.ProcessKey(m.snap.Process(sceneWorkerPID)))
	m.refreshDetail()
	pressRun(m, "}", "}") // the OOM kill at second 5
	keys(m, "3")
	content := m.View().Content
	for _, raw := range []string{"\x1b]0;pwned", "\x07", "\x1b[2J", "\u202e"} {
		if strings.Contains(content, raw) {
			t.Errorf("the frame carries %q raw", raw)
		}
	}
	s := screen(m)
	for _, want := range []string{`evil\e[2J\u202e`, `an OOM kill in /evil\e[2J\u202e`} {
		if !strings.Contains(s, want) {
			t.Errorf("the screen lacks %q:\n%s", want, s)
		}
	}
	pressRun(m, "T")
	typeRun(m, "12:00:02")
	pressRun(m, "enter", "2")
	if s := screen(m); !strings.Contains(s, `work\e]0;pwned\aer`) {
		t.Errorf("the worker's hostile name is not escaped in the process view:\n%s", s)
	}
}

// TestReplayReopen: r re-reads the recording, keeping the moment shown,
// and sees records added since.
func TestReplayReopen(t *testing.T) {
	states := replayScene(t)
	dir := writeRecording(t, states[:5], 3*time.Second)
	m := replayModel(t, dir, sceneTime(2), 120, 30)
	// The recorder goes on.
	more := writeRecording(t, states[5:], 3*time.Second)
	segs, _ := filepath.Glob(filepath.Join(more, "*.ns*"))
	for _, f := range segs {
		data, _ := os.ReadFile(f)
		os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o600)
	}
	pressRun(m, "r")
	if shownSecond(m) != 2 || len(m.replay.entries) != len(states) {
		t.Errorf("after r: second %d of %d records; want second 2 of %d", shownSecond(m), len(m.replay.entries), len(states))
	}
	if !strings.Contains(m.flash.Text, "(+6)") {
		t.Errorf("status %q does not say how many records were added", m.flash.Text)
	}
	pressRun(m, ">")
	if shownSecond(m) != sceneEnd {
		t.Errorf("> after r went to second %d", shownSecond(m))
	}
}

// TestReplayPreload: the first moment read by Preload (while the
// terminal starts) is the one shown; later reads read the recording.
func TestReplayPreload(t *testing.T) {
	dir := writeRecording(t, replayScene(t), 3*time.Second)
	r := &Replay{Recording: openRecording(t, dir), Dir: dir, At: sceneTime(5)}
	r.Preload()
	m := New(Options{Replay: r})
	send(m, tea.WindowSizeMsg{Width: 120, Height: 30})
	m.replay.histDelay = 0
	runCmd(m, m.replayLoad())
	if shownSecond(m) != 5 || !strings.Contains(m.flash.Text, "OOM kill") {
		t.Fatalf("the preloaded moment: second %d saying %q, want 5 and its OOM kill", shownSecond(m), m.flash.Text)
	}
	if r.preload != nil && m.replay.src.preload != nil {
		t.Error("the preloaded moment is not taken")
	}
	pressRun(m, "]")
	if shownSecond(m) != 6 {
		t.Errorf("] after the preloaded moment went to second %d", shownSecond(m))
	}
}

// TestReplayHistoryAfterRest: the CPU history of the minute before a
// moment jumped to is rebuilt only once the replay rests there, not for
// each record passed; a step forward extends it.
func TestReplayHistoryAfterRest(t *testing.T) {
	dir := writeRecording(t, replayScene(t), 3*time.Second)
	m := replayModel(t, dir, sceneTime(0), 120, 30)
	m.replay.histDelay = time.Hour // never fires by itself here
	pressRun(m, "}")               // a step to second 1: the history goes on
	if m.replay.histAt != 1 {
		t.Fatalf("a step forward: history up to record %d, want 1", m.replay.histAt)
	}
	load := send(m, press("}")) // a jump to second 4
	due := send(m, load())
	if shownSecond(m) != 4 || due == nil || m.replay.histBusy || m.replay.histAt != -1 {
		t.Fatalf("after a jump to second %d: history command %v, busy %v, up to %d; want a wait, not a rebuild", shownSecond(m), due != nil, m.replay.histBusy, m.replay.histAt)
	}
	stale := replayHistoryDueMsg{gen: m.replay.gen, i: m.replay.cur}
	// To second 5; the wait for the history is not run (it is long).
	load = send(m, press("]"))
	send(m, load())
	if cmd := send(m, stale); cmd != nil {
		t.Error("a rest on a record left meanwhile rebuilt the history")
	}
	cmd := send(m, replayHistoryDueMsg{gen: m.replay.gen, i: m.replay.cur})
	if cmd == nil {
		t.Fatal("resting on the record did not rebuild its history")
	}
	runCmd(m, cmd)
	demo := m.snap.Cgroup(0, sceneDemo)
	if m.replay.histAt != m.replay.cur || len(m.hist.CPU(demo)) != 5 {
		t.Errorf("history up to record %d (shown %d) with %d samples of the demo cgroup, want 5 (seconds 1 to 5)", m.replay.histAt, m.replay.cur, len(m.hist.CPU(demo)))
	}
	pressRun(m, "]")
	if m.replay.histAt != m.replay.cur || len(m.hist.CPU(demo)) != 6 {
		t.Errorf("a step forward: history up to %d (shown %d) with %d samples, want 6", m.replay.histAt, m.replay.cur, len(m.hist.CPU(demo)))
	}
}

// TestReplayMarksMessage: the status line names the most telling marks
// first, says a change nscope journaled once (as its journal says it),
// and counts what does not fit.
func TestReplayMarksMessage(t *testing.T) {
	dir := writeRecording(t, replayScene(t), 3*time.Second)
	m := replayModel(t, dir, sceneTime(0), 120, 30)
	x := &record.Extras{
		Marks: []record.Mark{
			{Kind: record.MarkThrottle, Cgroup: "/a", Throttled: 0.9},
			{Kind: record.MarkThrottle, Cgroup: "/b", Throttled: 0.1}, // below the timeline's threshold
			{Kind: record.MarkThrottle, Cgroup: "/c", Throttled: 0.5},
			{Kind: record.MarkLimitChange, Cgroup: "/web", Limit: "cpu_quota_us", Old: "max", New: "30000"},
			{Kind: record.MarkLimitChange, Cgroup: "/db", Limit: "memory_max", Old: "", New: "1048576"},
			{Kind: record.MarkJournal},
			{Kind: record.MarkNSCreated, NSType: "net", NS: inspect.NSID{Dev: 4, Ino: 4026532999}},
		},
		Journal: []control.Entry{
			{Action: "set", Phase: "before", Hierarchy: "cpu", Cgroup: "/web", File: "cpu.cfs_quota_us", Old: "-1", New: "30000"},
			{Action: "set", Phase: "after", Hierarchy: "cpu", Cgroup: "/web", File: "cpu.cfs_quota_us", Old: "-1", New: "30000", Result: "ok"},
		},
	}
	m.flashMarks(x)
	want := "12:00:00: /db memory_max none → 1048576 · nscope set cpu:/web cpu.cfs_quota_us -1 → 30000 (ok) · net namespace 4026532999 created · and 2 more"
	if m.flash.Text != want {
		t.Errorf("status\n%q, want\n%q", m.flash.Text, want)
	}
}

// TestReplayClick: a click on the timeline bar jumps to the record
// nearest the time under it; in the gap, to the nearer side.
func TestReplayClick(t *testing.T) {
	dir := writeRecording(t, replayScene(t), 3*time.Second)
	m := replayModel(t, dir, sceneTime(0), 120, 30)
	_, _, _, barX, barW := m.timelineParts(m.width)
	click := func(x int) {
		runCmd(m, send(m, tea.MouseClickMsg{X: x, Y: m.lay.timelineY, Button: tea.MouseLeft}))
	}
	click(barX + barW - 1)
	if shownSecond(m) != sceneEnd {
		t.Errorf("a click at the bar's end shows second %d", shownSecond(m))
	}
	click(barX + barW*10/sceneEnd) // second 10: the gap, nearer its start
	if shownSecond(m) != sceneGapAfter {
		t.Errorf("a click early in the gap shows second %d, want %d", shownSecond(m), sceneGapAfter)
	}
	click(barX)
	if shownSecond(m) != 0 {
		t.Errorf("a click at the bar's start shows second %d", shownSecond(m))
	}
	click(barX - 3) // the labels: nothing
	if shownSecond(m) != 0 {
		t.Errorf("a click left of the bar moved to second %d", shownSecond(m))
	}
}

// TestReplayNothingReadable: a recording whose only full record is
// damaged opens (Open reads the index) but no moment reads: the app says
// so in the status line and the details, and does not end.
func TestReplayNothingReadable(t *testing.T) {
	states := replayScene(t)[:3]
	dir := writeRecording(t, states, time.Minute)
	damageRecordAt(t, dir, sceneTime(0))
	rec := openRecording(t, dir)
	m := New(Options{Replay: &Replay{Recording: rec, Dir: dir}})
	send(m, tea.WindowSizeMsg{Width: 120, Height: 30})
	m.replay.histDelay = 0
	runCmd(m, m.replayLoad())
	s := screen(m)
	if !strings.Contains(s, "no record could be read") || !strings.Contains(m.flash.Text, "cannot be read") {
		t.Errorf("an unreadable recording is not reported:\n%s", s)
	}
	pressRun(m, "[", "<", "}")
	if m.replay.cur >= 0 {
		t.Errorf("a moment is shown: %d", m.replay.cur)
	}
}
