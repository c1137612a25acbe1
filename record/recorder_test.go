package record

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
)

// fakeHost hands out the states of a scene: full scans and counter
// refreshes take the next state; refreshes report a structure change when
// the process count moved.
type fakeHost struct {
	mu     sync.Mutex
	t      *testing.T
	states []*inspect.Snapshot
	next   int
	scans  []int // state indexes given out by Scan
	given  []*inspect.Snapshot
	// givenJSON is each given state as it was given: the recorder hands
	// back refreshed states (Recycler), which the fake then scrambles.
	givenJSON []string
	recycled  int
	stopped   func()
}

func (h *fakeHost) take() *inspect.Snapshot {
	i := min(h.next, len(h.states)-1)
	h.next++
	if h.next == len(h.states) {
		h.stopped()
	}
	s := clone(h.t, h.states[i])
	s.Time = time.Now()
	h.given = append(h.given, s)
	h.givenJSON = append(h.givenJSON, jsonOf(h.t, s))
	return s
}

func (h *fakeHost) Scan(context.Context) (*inspect.Snapshot, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.scans = append(h.scans, h.next)
	return h.take(), nil
}

type fakeCounters struct {
	h    *fakeHost
	base int
}

func (c *fakeCounters) Refresh(time.Time) (*inspect.Snapshot, bool, error) {
	c.h.mu.Lock()
	defer c.h.mu.Unlock()
	s := c.h.take()
	return s, len(s.Processes) != c.base, nil
}

func (c *fakeCounters) Close() {}

// Recycle scrambles a state handed back: the recorder must not read it
// again, and the recording must not change.
func (c *fakeCounters) Recycle(s *inspect.Snapshot) {
	c.h.mu.Lock()
	defer c.h.mu.Unlock()
	if len(c.h.given) > 0 && s == c.h.given[len(c.h.given)-1] {
		c.h.t.Error("the recorder handed back the state it was just given")
	}
	for i := range s.Processes {
		s.Processes[i].Comm, s.Processes[i].UTimeUS = "recycled", -1
	}
	for i := range s.Cgroups {
		s.Cgroups[i].Procs = nil
	}
	c.h.recycled++
}

// TestRecordLoop runs Record on a scripted host: it takes full scans at
// the start, every FullEvery, after a structure change and after the
// journal grew, and records every state it was given exactly.
func TestRecordLoop(t *testing.T) {
	states := scene(t, 40)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := &fakeHost{t: t, states: states, stopped: cancel}
	state := t.TempDir()
	journal := control.NewJournal(state)
	dir := filepath.Join(t.TempDir(), "rec")
	go func() {
		// nscope changes something while the recorder runs.
		time.Sleep(200 * time.Millisecond)
		_ = journal.Append(control.Entry{Time: time.Now(), Change: "c1", Action: "set", Phase: control.PhaseBefore, Cgroup: "/x", File: "memory.max", Old: "max", New: "64M"})
	}()
	stats, err := Record(ctx, dir, h, RecorderOptions{
		Options:      Options{Interval: 20 * time.Millisecond, FullEvery: 300 * time.Millisecond},
		StructureGap: 100 * time.Millisecond,
		NewCounters: func(s *inspect.Snapshot) (Counters, error) {
			return &fakeCounters{h: h, base: len(s.Processes)}, nil
		},
		Journal: journal,
	})
	if err != nil {
		t.Fatal(err)
	}
	// The state taken as the context ended is not recorded.
	given := h.given[:len(h.given)-1]
	if stats.Records != len(given) || stats.Scans != len(h.scans) {
		t.Errorf("stats %+v; %d states given, %d scans", stats, len(given), len(h.scans))
	}
	if len(h.scans) < 3 || len(h.scans) > len(h.given)/2 {
		t.Errorf("%d full scans for %d states: want a few, and refreshes between", len(h.scans), len(h.given))
	}
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if len(rec.Entries()) != len(given) {
		t.Fatalf("%d records, %d states given", len(rec.Entries()), len(given))
	}
	for i := range given {
		got, err := rec.Snapshot(i)
		if err != nil {
			t.Fatal(err)
		}
		if jsonOf(t, got) != h.givenJSON[i] {
			t.Fatalf("record %d differs from the state given", i)
		}
	}
	if h.recycled == 0 {
		t.Error("the recorder handed back no refreshed state")
	}
	first, last := rec.Range()
	marked := rec.Marks(first, last, MarkJournal, 0)
	if len(marked) != 1 {
		t.Fatalf("%d records with journal entries, want 1", len(marked))
	}
	x, err := rec.Extras(marked[0])
	if err != nil || len(x.Journal) != 1 || x.Journal[0].New != "64M" {
		t.Errorf("journal entries recorded: %+v, %v", x, err)
	}
	if _, err := os.Stat(filepath.Join(dir, lockFile)); err != nil {
		t.Errorf("lock file: %v", err)
	}
}

func TestCreateRefusals(t *testing.T) {
	dir := t.TempDir()
	w, err := Create(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := Create(dir, Options{}); err == nil || !strings.Contains(err.Error(), "another recorder") {
		t.Errorf("a second recorder on the same directory: %v", err)
	}
	open := t.TempDir()
	os.Chmod(open, 0o777)
	if _, err := Create(open, Options{}); err == nil || !strings.Contains(err.Error(), "writable by every user") {
		t.Errorf("a world-writable directory: %v", err)
	}
	if _, err := Open(t.TempDir()); err == nil || !strings.Contains(err.Error(), "holds no recording") {
		t.Errorf("Open of an empty directory: %v", err)
	}
}

// TestStructureGapByCPU: the gap between full scans taken for structure
// changes follows the CPU time a scan took (with opening the refresher),
// not its wall time: a scan spread over cores costs more than it lasts.
func TestStructureGapByCPU(t *testing.T) {
	h := &fakeHost{t: t, states: scene(t, 10), stopped: func() {}}
	cpu := time.Second // what the process used before
	o := RecorderOptions{
		Options:      Options{Interval: time.Second, FullEvery: time.Hour},
		StructureGap: time.Second,
		ScanShare:    0.01,
		NewCounters: func(s *inspect.Snapshot) (Counters, error) {
			cpu += 100 * time.Millisecond             // opening the refresher
			return &fakeCounters{h: h, base: -1}, nil // every refresh: a change
		},
		CPUTime: func() time.Duration { return cpu },
	}
	o.defaults()
	r := &recorder{o: o, scanner: cpuScanner{h, &cpu}, logf: t.Logf}
	start := time.Now()
	if _, err := r.scan(context.Background(), start); err != nil {
		t.Fatal(err)
	}
	if r.scanCost != 500*time.Millisecond {
		t.Fatalf("scan cost %v, want the 400ms of the scan and 100ms of the refresher", r.scanCost)
	}
	scans := len(h.scans)
	for sec := 1; sec < 50; sec++ {
		if _, err := r.take(context.Background(), start.Add(time.Duration(sec)*time.Second), false); err != nil {
			t.Fatal(err)
		}
	}
	if len(h.scans) != scans {
		t.Errorf("%d full scans within 50 s of one that cost 0.5 s of CPU, want none at a 1%% share", len(h.scans)-scans)
	}
	if _, err := r.take(context.Background(), start.Add(50*time.Second), false); err != nil {
		t.Fatal(err)
	}
	if len(h.scans) != scans+1 {
		t.Errorf("no full scan 50 s after the structure changed")
	}
}

// cpuScanner is a fakeHost whose scans cost 400 ms of CPU.
type cpuScanner struct {
	h   *fakeHost
	cpu *time.Duration
}

func (s cpuScanner) Scan(ctx context.Context) (*inspect.Snapshot, error) {
	*s.cpu += 400 * time.Millisecond
	return s.h.Scan(ctx)
}
