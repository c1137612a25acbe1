package tui

import (
	"os"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/testutil"
)

// fdCountingSource counts this process's open files before and after each
// Refresher call.
type fdCountingSource struct {
	Source
	fds []struct{ before, after int }
}

func (s *fdCountingSource) Refresher(snap *inspect.Snapshot) (*inspect.Refresher, error) {
	before := openFiles()
	ref, err := s.Source.Refresher(snap)
	s.fds = append(s.fds, struct{ before, after int }{before, openFiles()})
	return ref, err
}

func openFiles() int {
	ents, _ := os.ReadDir("/proc/self/fd")
	return len(ents)
}

// TestCounterRefreshBetweenFullScans runs the app on this host with the
// real scanner as its Source: the first scan is a full one that opens a
// refresher, the next ticks refresh only the counters of the same
// structure, a full scan asked for replaces the refresher, and quitting
// closes it: no counter file and no goroutine is left.
func TestCounterRefreshBetweenFullScans(t *testing.T) {
	testutil.CheckLeaks(t)
	scanner := inspect.New(inspect.WithBPF(false), inspect.WithFDs(false), inspect.WithMounts(false))
	t.Cleanup(func() { scanner.Close() }) // before the leak check, which runs last
	src := &fdCountingSource{Source: scanner}
	now := time.Now()
	m := New(Options{Source: src, Now: func() time.Time { return now }})
	// run runs a scan command as the runtime would and delivers its result.
	run := func(what string, cmd tea.Cmd) scanMsg {
		t.Helper()
		if cmd == nil {
			t.Fatalf("%s: no scan started", what)
		}
		msg, ok := cmd().(scanMsg)
		if !ok || msg.err != nil {
			t.Fatalf("%s: %#v", what, msg)
		}
		send(m, msg)
		return msg
	}
	scan := func(what string) scanMsg { t.Helper(); return run(what, send(m, tickMsg{gen: m.gen})) }
	full := scan("the first scan")
	if full.refreshed || m.ref == nil {
		t.Fatalf("the first scan: refreshed %v, refresher %v; want a full scan that opens a refresher", full.refreshed, m.ref)
	}
	if m.snap.Process(os.Getpid()) == nil {
		t.Fatal("the scan does not list this test")
	}
	first := m.ref
	for i := range 3 {
		now = now.Add(time.Second)
		msg := scan("a refresh")
		if !msg.refreshed || msg.base != full.snap {
			t.Fatalf("refresh %d: refreshed %v, base is the full scan %v; want a counter refresh of it", i, msg.refreshed, msg.base == full.snap)
		}
		if len(msg.snap.Processes) != len(full.snap.Processes) {
			t.Fatalf("refresh %d changed the structure: %d processes, the full scan had %d", i, len(msg.snap.Processes), len(full.snap.Processes))
		}
		if m.snap != msg.snap || !m.refreshed {
			t.Fatalf("refresh %d is not the app's snapshot", i)
		}
		m.structureChanged = false // this host's other processes come and go
	}
	if again := run("the full scan asked for", send(m, RefreshMsg{})); again.refreshed || m.ref == nil || m.ref == first {
		t.Fatalf("after r: refreshed %v, a new refresher %v; want a full scan with its own", again.refreshed, m.ref != first)
	}
	// The first refresher held a file per process; it must be closed
	// before the second is opened, or two are open at once.
	if len(src.fds) != 2 {
		t.Fatalf("%d refreshers opened, want 2", len(src.fds))
	}
	if opened := src.fds[0].after - src.fds[0].before; src.fds[1].before > src.fds[0].before+opened/2 || opened < 10 {
		t.Errorf("open files when the second refresher was asked for: %d (before the first %d, the first opened %d); the first was not closed first",
			src.fds[1].before, src.fds[0].before, opened)
	}
	m.quit()
	if m.ref != nil {
		t.Error("quitting kept the refresher open")
	}
}
