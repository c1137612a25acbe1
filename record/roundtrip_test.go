package record

import (
	"testing"
	"time"

	"github.com/nscope/nscope/inspect"
)

// record writes states to a new recording in dir.
func record(t testing.TB, dir string, opts Options, states []*inspect.Snapshot) {
	t.Helper()
	w, err := Create(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range states {
		if _, err := w.Add(s, Extras{}, false); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTrip(t *testing.T) {
	states := scene(t, 45)
	tests := []struct {
		name string
		opts Options
	}{
		{"deltas", Options{FullEvery: time.Hour}},
		{"full every 10s", Options{FullEvery: 10 * time.Second}},
		{"segments of 15s", Options{FullEvery: time.Hour, SegmentSpan: 15 * time.Second}},
		{"segments of 4 KiB", Options{FullEvery: time.Hour, SegmentBytes: 4096}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			record(t, dir, tc.opts, states)
			rec, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer rec.Close()
			if p := rec.Problems(); len(p) > 0 {
				t.Errorf("problems: %q", p)
			}
			if n := len(rec.Entries()); n != len(states) {
				t.Fatalf("%d records, want %d", n, len(states))
			}
			// Forward, backward and from a cold start.
			order := []int{0, 1, 2, 3, 10, 11, 12, 44, 43, 20, 5, 30, 31, 29}
			for _, i := range order {
				got, err := rec.At(states[i].Time.Add(300 * time.Millisecond))
				if err != nil {
					t.Fatalf("At state %d: %v", i, err)
				}
				if g, w := jsonOf(t, got), jsonOf(t, states[i]); g != w {
					t.Fatalf("state %d differs:\n got %s\nwant %s", i, g[:min(len(g), 600)], w[:min(len(w), 600)])
				}
			}
		})
	}
}
