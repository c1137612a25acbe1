package tui

import (
	"bytes"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/record"
)

// The replay scene's cast: the cgroup that is throttled and gets a new
// memory limit, the one with a hostile name that has an OOM kill, the
// process started and killed (hostile too), and the netns created and
// destroyed.
const (
	sceneDemo      = "/nscope-run-demo"
	sceneEvil      = "/evil\x1b[2J\u202e"
	sceneWorkerPID = 900
	sceneWorker    = "work\x1b]0;pwned\x07er"
	sceneGapAfter  = 7  // the recorder stops after second 7...
	sceneGapUntil  = 27 // ...and runs again from second 27
	sceneEnd       = 29
)

// sceneStart is when the replay scene's recording starts (the tests' zone
// is UTC).
var sceneStart = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// cloneSnap returns an independent copy of s through its JSON.
func cloneSnap(t testing.TB, s *inspect.Snapshot) *inspect.Snapshot {
	t.Helper()
	var b bytes.Buffer
	if err := s.WriteJSONCompact(&b); err != nil {
		t.Fatal(err)
	}
	out, err := inspect.Load(&b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// replayScene returns the states of the scene, a second apart, with the
// recorder not running from second 8 to 26:
//
//	1  stress uses half a core (every second); /nscope-run-demo throttled
//	   in 80% of its periods (seconds 1 to 3: one throttling mark to jump to)
//	2  the worker (PID 900, a hostile name) starts in /nscope-run-demo
//	4  the worker is gone; /nscope-run-demo's memory.max 64 MiB → 128 MiB
//	5  an OOM kill in the hostile cgroup
//	6  a named netns appears
//	7  it is gone
func replayScene(t testing.TB) []*inspect.Snapshot {
	t.Helper()
	base := cloneSnap(t, loadFixture(t, "small-2"))
	base.Time = sceneStart
	// The hostile cgroup, with stress's sibling in it.
	evil := *base.Cgroup(0, "/init.scope")
	evil.Path, evil.Procs = sceneEvil, nil
	ev := *evil.Usage.MemoryEvents
	evil.Usage.MemoryEvents = &ev
	base.Cgroups = append(base.Cgroups, evil)
	base.Reindex()
	states := []*inspect.Snapshot{base}
	for sec := 1; sec <= sceneEnd; sec++ {
		if sec > sceneGapAfter && sec < sceneGapUntil {
			continue
		}
		s := cloneSnap(t, states[len(states)-1])
		s.Time = sceneStart.Add(time.Duration(sec) * time.Second)
		sceneStep(s, sec)
		s.Reindex()
		states = append(states, s)
	}
	return states
}

// sceneStep changes s as second sec of the scene.
func sceneStep(s *inspect.Snapshot, sec int) {
	s.Process(801).UTimeUS += 500000 // stress: half a core, every second
	demo := s.Cgroup(0, sceneDemo)
	u := demo.Usage
	periods, throttled := *u.NrPeriods+10, *u.NrThrottled
	if sec <= 3 {
		throttled += 8
	}
	demo.Usage.NrPeriods, demo.Usage.NrThrottled = &periods, &throttled
	switch sec {
	case 2:
		p := *s.Process(801)
		p.PID, p.PPID, p.Comm = sceneWorkerPID, 800, sceneWorker
		p.Cmdline = []string{sceneWorker, "--bidi=\u202egnp.exe"}
		p.NSpid = []int{sceneWorkerPID}
		p.StartTime = s.Time
		s.Processes = append(s.Processes, p)
		demo.Procs = append(append([]int(nil), demo.Procs...), sceneWorkerPID)
	case 4:
		for i := range s.Processes {
			if s.Processes[i].PID == sceneWorkerPID {
				s.Processes = append(s.Processes[:i], s.Processes[i+1:]...)
				break
			}
		}
		demo.Procs = demo.Procs[:len(demo.Procs)-1]
		limit := int64(128 << 20)
		demo.Limits.MemoryMax = &limit
	case 5:
		c := s.Cgroup(0, sceneEvil)
		ev := *c.Usage.MemoryEvents
		ev.OOM++
		ev.OOMKill++
		c.Usage.MemoryEvents = &ev
	case 6:
		s.Namespaces = append(s.Namespaces, inspect.Namespace{ID: inspect.NSID{Dev: 4, Ino: 4026539999}, Type: inspect.NetNS, OwnerUID: -1,
			Owner: s.Host.InitNS[inspect.UserNS], Holders: []inspect.Holder{{Kind: inspect.HeldByNamedNetns, Path: "/run/netns/blue", Name: "blue"}}})
	case 7:
		for i := range s.Namespaces {
			if s.Namespaces[i].ID.Ino == 4026539999 {
				s.Namespaces = append(s.Namespaces[:i], s.Namespaces[i+1:]...)
				break
			}
		}
	}
}

// sceneTime is the time of second sec of the scene.
func sceneTime(sec int) time.Time { return sceneStart.Add(time.Duration(sec) * time.Second) }

// writeRecording records states into a new directory with a full record
// every fullEvery, and returns it.
func writeRecording(t testing.TB, states []*inspect.Snapshot, fullEvery time.Duration) string {
	t.Helper()
	dir := t.TempDir()
	var now time.Time
	w, err := record.Create(dir, record.Options{FullEvery: fullEvery, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range states {
		now = s.Time
		if _, err := w.Add(s, record.Extras{}, false); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// openRecording opens dir and closes it when the test ends.
func openRecording(t testing.TB, dir string) *record.Recording {
	t.Helper()
	rec, err := record.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Close() })
	return rec
}

// replayModel opens the replay of dir at at (zero: the end) in a w×h
// terminal and shows the first moment, as Init's command would.
func replayModel(t testing.TB, dir string, at time.Time, w, h int) *Model {
	t.Helper()
	rec := openRecording(t, dir)
	now := sceneTime(sceneEnd).Add(time.Minute)
	m := New(Options{Replay: &Replay{Recording: rec, Dir: dir, At: at}, Now: func() time.Time { return now }})
	send(m, tea.WindowSizeMsg{Width: w, Height: h})
	// The history is rebuilt at once: runCmd would wait for the delay.
	m.replay.histDelay = 0
	runCmd(m, m.replayLoad())
	if m.replay.cur < 0 {
		t.Fatalf("the first moment was not shown:\n%s", screen(m))
	}
	return m
}

// press runs a key's command with every message it leads to (reads,
// history), as the program would.
func pressRun(m *Model, ks ...string) {
	for _, k := range ks {
		runCmd(m, send(m, press(k)))
	}
}

// typeRun types text into the app, running what each key returns.
func typeRun(m *Model, text string) {
	for _, r := range text {
		runCmd(m, send(m, press(string(r))))
	}
}
