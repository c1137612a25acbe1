package record

import (
	"testing"
	"time"
)

// TestMarks checks that the scene's events are marked at the right
// records, in the index and in the records' details.
func TestMarks(t *testing.T) {
	states := scene(t, 30)
	dir := t.TempDir()
	record(t, dir, Options{FullEvery: 10 * time.Second}, states)
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	first, last := rec.Range()
	tests := []struct {
		name        string
		kind        MarkKind
		minThrottle float64
		seconds     []int // the scene's seconds that carry it
	}{
		{"namespace created", MarkNSCreated, 0, []int{5, 15, 25}},
		{"namespace destroyed", MarkNSDestroyed, 0, []int{7, 17, 27}},
		{"limit change", MarkLimitChange, 0, []int{7, 17, 27}},
		{"oom kill", MarkOOMKill, 0, []int{8, 18, 28}},
		{"throttling", MarkThrottle, 0.4, []int{7, 14, 21, 28}},
		{"throttling above 60%", MarkThrottle, 0.6, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			for _, i := range rec.Marks(first, last, tc.kind, tc.minThrottle) {
				got = append(got, int(rec.Entries()[i].Time.Sub(states[0].Time)/time.Second))
				x, err := rec.Extras(i)
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, m := range x.Marks {
					if m.Kind == tc.kind && (m.Cgroup != "" || !m.NS.IsZero()) {
						found = true
					}
				}
				if !found {
					t.Errorf("record %d is indexed with %s but its details lack it: %+v", i, tc.kind, x.Marks)
				}
			}
			if len(got) != len(tc.seconds) {
				t.Fatalf("marks at seconds %v, want %v", got, tc.seconds)
			}
			for k := range got {
				if got[k] != tc.seconds[k] {
					t.Fatalf("marks at seconds %v, want %v", got, tc.seconds)
				}
			}
		})
	}
}
