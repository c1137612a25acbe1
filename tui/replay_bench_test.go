package tui

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/record"
)

// replayHourStart is when the benchmarks' hour-long recording starts.
var replayHourStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// replayHour records an hour of a 4,000-process host into dir, as
// "nscope record" does with its defaults: a record a second, a full one
// a minute, segments of ten minutes; every second a tenth of the
// processes and every cgroup's CPU counter move.
func replayHour(b *testing.B, dir string) {
	s := bigHost(b, 4000, replayHourStart, 1000)
	var now time.Time
	w, err := record.Create(dir, record.Options{Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	for n := range 3600 {
		if n > 0 {
			s = replayTick(s, n)
		}
		now = s.Time
		if _, err := w.Add(s, record.Extras{}, false); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// replayTick returns s a second later as a counter refresh sees it.
func replayTick(s *inspect.Snapshot, n int) *inspect.Snapshot {
	out := *s
	out.Time = s.Time.Add(time.Second)
	out.Processes = append([]inspect.Process(nil), s.Processes...)
	for i := n % 10; i < len(out.Processes); i += 10 {
		out.Processes[i].UTimeUS += 10000
	}
	out.Cgroups = append([]inspect.Cgroup(nil), s.Cgroups...)
	for i := range out.Cgroups {
		if u := out.Cgroups[i].Usage.CPUUsageUS; u != nil {
			v := *u + int64(n%7)*1000
			out.Cgroups[i].Usage.CPUUsageUS = &v
		}
	}
	// The copies share s's indexes, which depend only on the PIDs and
	// cgroup keys.
	return &out
}

// benchReplayOpen measures what "nscope --replay DIR --at TIME" does
// before its first frame, on an hour-long recording of a 4,000-process
// host: open the recording (its indexes), make the app, read the moment
// and the record before it (the worst case: 59 deltas after the full
// record before it), compute the rates and the index, show the rows and
// render the screen at 160×50. The budget is 1 s.
func benchReplayOpen(b *testing.B, dir string) {
	n := 0
	for b.Loop() {
		n++
		at := replayHourStart.Add(time.Duration(n*997%60)*time.Minute + 59*time.Second)
		rec, err := record.Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		m := New(Options{Replay: &Replay{Recording: rec, Dir: dir, At: at}})
		m.Update(tea.WindowSizeMsg{Width: 160, Height: 50})
		msg := m.replayLoad()()
		m.Update(msg)
		_ = m.View()
		if m.replay.cur < 0 || len(m.snap.Processes) != 4000 {
			b.Fatalf("no moment shown at %s", at)
		}
		rec.Close()
	}
}

// benchReplayStep measures a step forward (]) in the hour-long
// recording: one delta read and applied, rates, index, rows, screen.
func benchReplayStep(b *testing.B, dir string) {
	rec, err := record.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Close()
	m := New(Options{Replay: &Replay{Recording: rec, Dir: dir, At: replayHourStart}})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 50})
	m.Update(m.replayLoad()())
	for b.Loop() {
		if m.replay.want == len(m.replay.entries)-1 {
			m.replay.want = -1
		}
		cmd := m.replayGo(m.replay.want+1, true)
		m.Update(cmd())
		_ = m.View()
	}
}

// benchReplayHistory measures rebuilding the CPU history (the
// sparklines of the 60 records before the moment) after a jump, which
// runs after the first frame.
func benchReplayHistory(b *testing.B, dir string) {
	rec, err := record.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Close()
	entries := rec.Entries()
	n := 0
	for b.Loop() {
		n++
		i := (n*997%59)*60 + 119
		if h := buildHistory(rec, entries, i, 60); h == nil {
			b.Fatal("no history")
		}
	}
}

// BenchmarkReplay records an hour of a 4,000-process host once and
// measures on it what a replay does: open at a moment (the first frame),
// step, and rebuild the CPU history after a jump.
func BenchmarkReplay(b *testing.B) {
	dir := b.TempDir()
	replayHour(b, dir)
	b.Run("open", func(b *testing.B) { benchReplayOpen(b, dir) })
	b.Run("step", func(b *testing.B) { benchReplayStep(b, dir) })
	b.Run("history", func(b *testing.B) { benchReplayHistory(b, dir) })
}
