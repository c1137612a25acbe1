package record

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nscope/nscope/inspect"
)

// recordClocked writes states with the writer's clock at each state's
// time, and returns the segments retention removed.
func recordClocked(t *testing.T, dir string, opts Options, states []*inspect.Snapshot) []string {
	t.Helper()
	var now time.Time
	opts.Now = func() time.Time { return now }
	w, err := Create(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	var removed []string
	for _, s := range states {
		now = s.Time
		wr, err := w.Add(s, Extras{}, false)
		if err != nil {
			t.Fatal(err)
		}
		removed = append(removed, wr.Removed...)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return removed
}

func TestRetentionByAge(t *testing.T) {
	states := scene(t, 60)
	dir := t.TempDir()
	removed := recordClocked(t, dir, Options{SegmentSpan: 10 * time.Second, Retain: Retention{Age: 25 * time.Second}}, states)
	if len(removed) == 0 {
		t.Fatal("retention removed nothing")
	}
	segs, err := listSegments(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Retention last ran at the full record that started the segment of
	// second 50: the segments of seconds 0 and 10 ended more than 25s
	// before; the one of second 20 reaches into the window and stays.
	var starts []int
	for _, s := range segs {
		starts = append(starts, int(s.start.Sub(states[0].Time)/time.Second))
	}
	if fmt.Sprint(starts) != "[20 30 40 50]" || len(removed) != 2 {
		t.Errorf("segments kept start at seconds %v (removed %q), want [20 30 40 50]", starts, removed)
	}
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if _, err := rec.At(states[0].Time); !errors.Is(err, ErrBeforeStart) {
		t.Errorf("At(removed time) = %v, want ErrBeforeStart", err)
	}
	first, _ := rec.Range()
	i := int(first.Sub(states[0].Time) / time.Second)
	for ; i < len(states); i += 7 {
		got, err := rec.At(states[i].Time)
		if err != nil || jsonOf(t, got) != jsonOf(t, states[i]) {
			t.Fatalf("state %d after retention: %v", i, err)
		}
	}
}

func TestRetentionBySize(t *testing.T) {
	states := scene(t, 60)
	dir := t.TempDir()
	recordClocked(t, dir, Options{SegmentSpan: 5 * time.Second}, states[:10])
	segs, _ := listSegments(dir)
	perSegment := segs[0].size
	limit := 3 * perSegment
	removed := recordClocked(t, dir, Options{SegmentSpan: 5 * time.Second, Retain: Retention{Bytes: limit}}, states[10:])
	if len(removed) == 0 {
		t.Fatal("retention removed nothing")
	}
	segs, _ = listSegments(dir)
	var total int64
	for _, s := range segs[:len(segs)-1] {
		total += s.size
	}
	// What is left before the segment being written fits the limit.
	if total > limit {
		t.Errorf("%d bytes in closed segments, limit %d", total, limit)
	}
	if _, err := Open(dir); err != nil {
		t.Fatal(err)
	}
}

// TestRetentionAtStart: a recorder started long after the last one ran
// removes what retention no longer keeps before it writes anything.
func TestRetentionAtStart(t *testing.T) {
	states := scene(t, 31)
	dir := t.TempDir()
	recordClocked(t, dir, Options{SegmentSpan: 10 * time.Second}, states[:30])
	later := next(t, states[30], 10*time.Minute, nil)
	removed := recordClocked(t, dir, Options{Retain: Retention{Age: time.Minute}}, []*inspect.Snapshot{later})
	if len(removed) != 2 {
		t.Errorf("removed %q at start, want the segments of seconds 0 and 10", removed)
	}
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if got, err := rec.At(later.Time); err != nil || jsonOf(t, got) != jsonOf(t, later) {
		t.Errorf("the new record reads back wrong: %v", err)
	}
}
