package record

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// segmentFiles returns the segment and index files of a recording.
func segmentFiles(t *testing.T, dir string) (segs, idxs []string) {
	t.Helper()
	segs, _ = filepath.Glob(filepath.Join(dir, "*"+segmentExt))
	idxs, _ = filepath.Glob(filepath.Join(dir, "*"+indexExt))
	if len(segs) == 0 {
		t.Fatalf("no segments in %s", dir)
	}
	return segs, idxs
}

// TestTornLastRecord cuts the last segment (and its index) at every point
// inside the last record: the recording opens, says what it skipped, and
// every earlier state reads back exactly.
func TestTornLastRecord(t *testing.T) {
	states := scene(t, 12)
	dir := t.TempDir()
	record(t, dir, Options{FullEvery: 5 * time.Second}, states)
	segs, idxs := segmentFiles(t, dir)
	seg, idx := segs[len(segs)-1], idxs[len(idxs)-1]
	full, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	last := rec.Entries()[len(rec.Entries())-1]
	rec.Close()
	for _, cut := range []int64{1, headerSize - 1, headerSize, headerSize + 1, last.size / 2, last.size - 1} {
		if err := os.WriteFile(seg, full[:last.offset+cut], 0o600); err != nil {
			t.Fatal(err)
		}
		rec, err := Open(dir)
		if err != nil {
			t.Fatalf("cut %d bytes into the last record: %v", cut, err)
		}
		if n := len(rec.Entries()); n != len(states)-1 {
			t.Errorf("cut %d: %d records, want %d", cut, n, len(states)-1)
		}
		if p := rec.Problems(); len(p) != 1 || !strings.Contains(p[0], "cut short") {
			t.Errorf("cut %d: problems %q, want one saying the record is cut short", cut, p)
		}
		for i := range states[:len(states)-1] {
			got, err := rec.At(states[i].Time)
			if err != nil {
				t.Fatalf("cut %d: state %d: %v", cut, i, err)
			}
			if jsonOf(t, got) != jsonOf(t, states[i]) {
				t.Fatalf("cut %d: state %d differs", cut, i)
			}
		}
		rec.Close()
	}
	// A flipped byte in the middle of the last record is damage, not a
	// torn write; it is skipped the same way.
	bad := append([]byte(nil), full...)
	bad[last.offset+headerSize+2] ^= 0xff
	if err := os.WriteFile(seg, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(idx); err != nil {
		t.Fatal(err)
	}
	rec, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if n := len(rec.Entries()); n != len(states)-1 {
		t.Errorf("damaged last record: %d records, want %d", n, len(states)-1)
	}
	if p := rec.Problems(); len(p) != 1 || !strings.Contains(p[0], "checksum") {
		t.Errorf("damaged last record: problems %q, want a checksum mismatch", p)
	}
}

// TestIndexIsACache removes, truncates and damages the index files: the
// recording reads the same from the segments alone, and Reindex writes
// indexes that open without reading the segments.
func TestIndexIsACache(t *testing.T) {
	states := scene(t, 30)
	dir := t.TempDir()
	record(t, dir, Options{FullEvery: 7 * time.Second, SegmentSpan: 12 * time.Second}, states)
	want := readAll(t, dir)
	_, idxs := segmentFiles(t, dir)
	if len(idxs) < 2 {
		t.Fatalf("%d index files, want several", len(idxs))
	}
	os.Remove(idxs[0])
	data, _ := os.ReadFile(idxs[1])
	os.WriteFile(idxs[1], data[:len(data)-indexEntrySize-3], 0o600)
	data, _ = os.ReadFile(idxs[len(idxs)-1])
	data[fileHeaderSize+indexEntrySize+3] ^= 1
	os.WriteFile(idxs[len(idxs)-1], data, 0o600)
	if got := readAll(t, dir); got != want {
		t.Errorf("without good indexes the recording reads differently")
	}
	if err := Reindex(dir); err != nil {
		t.Fatal(err)
	}
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if p := rec.Problems(); len(p) > 0 {
		t.Errorf("after Reindex: problems %q", p)
	}
	if got := readAll(t, dir); got != want {
		t.Errorf("after Reindex the recording reads differently")
	}
}

// readAll renders every state of a recording.
func readAll(t *testing.T, dir string) string {
	t.Helper()
	rec, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	var b strings.Builder
	for i := range rec.Entries() {
		s, err := rec.Snapshot(i)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(jsonOf(t, s))
	}
	return b.String()
}

func TestFindOutsideTheRecording(t *testing.T) {
	states := scene(t, 10)
	dir := t.TempDir()
	// Two recorder runs with a gap of a minute between them.
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
	first, last := rec.Range()
	tests := []struct {
		name string
		at   time.Time
		want error
		text string
	}{
		{"before", first.Add(-time.Second), ErrBeforeStart, "before the recording starts"},
		{"in the gap", states[4].Time.Add(30 * time.Second), ErrNoRecord, "gap from"},
		{"after the end", last.Add(time.Minute), ErrNoRecord, "ends at"},
		{"just after a record", states[4].Time.Add(1500 * time.Millisecond), nil, ""},
		{"after the gap", shifted[0].Time, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rec.At(tc.at)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("At: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("At: %v, want %v saying %q", err, tc.want, tc.text)
			}
		})
	}
}
