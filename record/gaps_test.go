package record

import (
	"testing"
	"time"
)

// TestGaps: two recorder runs a minute apart leave one gap, from the
// last record of the first run to the first of the second; Pair gives no
// previous state across it.
func TestGaps(t *testing.T) {
	states := scene(t, 10)
	dir := t.TempDir()
	record(t, dir, Options{}, states[:5])
	shifted := states[5:]
	for _, s := range shifted {
		s.Time = s.Time.Add(time.Minute)
	}
	record(t, dir, Options{}, shifted)
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	gaps := rec.Gaps()
	if len(gaps) != 1 {
		t.Fatalf("gaps %+v, want one", gaps)
	}
	g := gaps[0]
	if !g.From.Equal(states[4].Time) || !g.To.Equal(shifted[0].Time) || g.After != 4 {
		t.Errorf("gap %+v, want from %s to %s after record 4", g, states[4].Time, shifted[0].Time)
	}
	if d := rec.Interval(5); d != time.Second {
		t.Errorf("Interval(5) = %s, want 1s", d)
	}
	prev, cur, err := rec.Pair(5)
	if err != nil || prev != nil || cur == nil {
		t.Errorf("Pair across the gap: prev %v, cur set %v, err %v; want no previous state", prev != nil, cur != nil, err)
	}
}

// TestCgroups: the cgroup-only state equals the full state's cgroups at
// every record.
func TestCgroups(t *testing.T) {
	states := scene(t, 20)
	dir := t.TempDir()
	record(t, dir, Options{FullEvery: 7 * time.Second}, states)
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	for i := range rec.Entries() {
		got, err := rec.Cgroups(i)
		if err != nil {
			t.Fatal(err)
		}
		want := clone(t, states[i])
		want.Processes, want.Namespaces = nil, nil
		if len(got.Processes) != 0 || len(got.Namespaces) != 0 || jsonOf(t, got) != jsonOf(t, want) {
			t.Fatalf("record %d: the cgroup-only state differs from the recorded cgroups", i)
		}
	}
}
