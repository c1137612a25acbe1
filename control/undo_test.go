package control

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nscope/nscope/inspect"
)

func TestUndoWalksBack(t *testing.T) {
	ed, fsys := fakeEditor(t, inspect.CgroupLegacy)
	quota := FakeRoot + "/cpu/app/web/cpu.cfs_quota_us"
	period := FakeRoot + "/cpu/app/web/cpu.cfs_period_us"
	mem := FakeRoot + "/memory/app/web/memory.limit_in_bytes"
	fsys.SetFile(FakeRoot+"/cpu/app/cpu.cfs_quota_us", "50000") // parent: 0.5 CPU

	for _, l := range []Limits{mustLimits(t, "0.4", "512M", ""), mustLimits(t, "10000 20000", "", "")} {
		if _, err := ed.Apply(t.Context(), planFor(t, ed, "/app/web", l)); err != nil {
			t.Fatal(err)
		}
	}
	if got := fsys.File(quota) + "/" + fsys.File(period); got != "10000/20000" {
		t.Fatalf("after two changes quota/period = %s", got)
	}
	// First undo: back to 40000/100000 (period first, then quota: the
	// reverse of the change, which the parent's ratio requires).
	p, res, err := ed.Undo(t.Context(), "/app/web", false)
	if err != nil {
		t.Fatalf("undo 1: %v", err)
	}
	if got := fsys.File(quota) + "/" + fsys.File(period); got != "40000/100000" {
		t.Errorf("after undo 1 quota/period = %s, want 40000/100000", got)
	}
	if len(res.Writes) != 2 || res.Writes[0].File != "cpu.cfs_period_us" || p.Undoes == "" {
		t.Errorf("undo 1 writes = %+v", res.Writes)
	}
	// Second undo: the first change, memory back to unlimited (-1).
	if _, _, err := ed.Undo(t.Context(), "/app/web", false); err != nil {
		t.Fatalf("undo 2: %v", err)
	}
	if got := fsys.File(quota); got != "-1" {
		t.Errorf("after undo 2 quota = %s, want -1", got)
	}
	if got := fsys.File(mem); got != "9223372036854771712" {
		t.Errorf("after undo 2 memory limit = %s, want unlimited", got)
	}
	if !strings.Contains(strings.Join(fsys.Writes(), "\n"), "memory.limit_in_bytes=-1") {
		t.Errorf("undo must write -1 for the v1 'no limit' value; writes: %v", fsys.Writes())
	}
	if _, err := ed.PlanUndo("/app/web", false); !errors.Is(err, ErrNothingToUndo) {
		t.Errorf("third undo: %v, want ErrNothingToUndo", err)
	}
	changes, _ := ed.Journal().Changes()
	var statuses []string
	for _, c := range changes {
		statuses = append(statuses, c.Action+":"+c.Status())
	}
	if got := strings.Join(statuses, " "); got != "set:undone set:undone undo:ok undo:ok" {
		t.Errorf("history statuses = %s", got)
	}
}

func TestUndoConflict(t *testing.T) {
	ed, fsys := fakeEditor(t, inspect.CgroupUnified)
	if _, err := ed.Apply(t.Context(), planFor(t, ed, "/app/web", mustLimits(t, "", "512M", ""))); err != nil {
		t.Fatal(err)
	}
	fsys.SetFile(FakeRoot+"/app/web/memory.max", "1073741824") // someone else
	_, err := ed.PlanUndo("/app/web", false)
	if !errors.Is(err, ErrUndoConflict) || !strings.Contains(err.Error(), `reads "1073741824", not "536870912" that nscope wrote`) {
		t.Fatalf("PlanUndo = %v, want ErrUndoConflict naming both values", err)
	}
	if _, _, err := ed.Undo(t.Context(), "/app/web", true); err != nil {
		t.Fatalf("forced undo: %v", err)
	}
	if got := fsys.File(FakeRoot + "/app/web/memory.max"); got != "max" {
		t.Errorf("memory.max after forced undo = %q, want max", got)
	}
}

func TestUndoOtherCgroupAndAny(t *testing.T) {
	ed, fsys := fakeEditor(t, inspect.CgroupUnified)
	fsys.AddCgroup(ed.Layout(), "/db")
	if _, err := ed.Apply(t.Context(), planFor(t, ed, "/app/web", mustLimits(t, "", "", "10"))); err != nil {
		t.Fatal(err)
	}
	if _, err := ed.Apply(t.Context(), planFor(t, ed, "/db", mustLimits(t, "", "", "20"))); err != nil {
		t.Fatal(err)
	}
	p, err := ed.PlanUndo("/app/web", false)
	if err != nil || p.Target.Path != "/app/web" {
		t.Fatalf("PlanUndo(/app/web) = %+v, %v", p, err)
	}
	p, err = ed.PlanUndo("", false)
	if err != nil || p.Target.Path != "/db" {
		t.Fatalf("PlanUndo(any) = %+v, %v; want the newest, /db", p, err)
	}
}

// TestUndoAfterCrash writes a journal as a crash would leave it: a
// "before" entry with no "after".
func TestUndoAfterCrash(t *testing.T) {
	tests := []struct {
		name     string
		current  string // memory.max now
		wantFile string
		wantErr  error
	}{
		{name: "the write happened", current: "536870912", wantFile: "max"},
		{name: "the write did not happen", current: "max", wantFile: "max"},
		{name: "someone else wrote since", current: "1073741824", wantFile: "1073741824", wantErr: ErrUndoConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ed, fsys := fakeEditor(t, inspect.CgroupUnified)
			path := FakeRoot + "/app/web/memory.max"
			fsys.SetFile(path, tc.current)
			if err := ed.Journal().Append(Entry{
				Time: time.Now(), Change: "crashed-1", Action: "set", Phase: PhaseBefore, Cgroup: "/app/web",
				Hierarchy: "v2", Version: 2, Path: path, File: "memory.max", Old: "max", New: "536870912",
			}); err != nil {
				t.Fatal(err)
			}
			// A torn last line, as a crash mid-append leaves.
			f, err := os.OpenFile(ed.Journal().Path(), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString(`{"time":"2024-01-01T00:00:00Z","change":"crashed-1","pha`)
			f.Close()
			changes, _ := ed.Journal().Changes()
			if len(changes) != 1 || changes[0].Status() != "incomplete" {
				t.Fatalf("changes = %+v, want one incomplete", changes)
			}
			_, _, err = ed.Undo(t.Context(), "/app/web", false)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Undo = %v, want %v", err, tc.wantErr)
			}
			if got := fsys.File(path); got != tc.wantFile {
				t.Errorf("memory.max = %q, want %q", got, tc.wantFile)
			}
		})
	}
}

func TestJournalEntriesAreJSONLines(t *testing.T) {
	ed, _ := fakeEditor(t, inspect.CgroupUnified)
	if _, err := ed.Apply(t.Context(), planFor(t, ed, "/app/web", mustLimits(t, "", "", "7"))); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(ed.Journal().Path())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 {
		t.Fatalf("journal has %d lines, want before and after", len(lines))
	}
	for _, line := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		for _, k := range []string{"time", "cgroup", "file", "old", "new"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line %q lacks %q", line, k)
			}
		}
	}
	if !strings.Contains(lines[1], `"result":"ok"`) {
		t.Errorf("after line %q lacks the result", lines[1])
	}
}

func TestJournalConcurrentAppends(t *testing.T) {
	j := NewJournal(t.TempDir())
	done := make(chan error)
	for g := 0; g < 4; g++ {
		go func(g int) {
			var err error
			for i := 0; i < 25 && err == nil; i++ {
				err = j.Append(Entry{Change: strings.Repeat("x", 1000) + string(rune('a'+g)), Phase: PhaseBefore})
			}
			done <- err
		}(g)
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	entries, skipped, err := j.Entries()
	if err != nil || skipped != 0 || len(entries) != 100 {
		t.Fatalf("entries %d, skipped %d, err %v; want 100 intact", len(entries), skipped, err)
	}
}

func TestDefaultStateDir(t *testing.T) {
	t.Setenv("NSCOPE_STATE_DIR", "/tmp/x-state")
	if got := DefaultStateDir(); got != "/tmp/x-state" {
		t.Errorf("with NSCOPE_STATE_DIR: %q", got)
	}
	t.Setenv("NSCOPE_STATE_DIR", "")
	t.Setenv("XDG_STATE_HOME", "/home/u/.state")
	want := "/home/u/.state/nscope"
	if os.Geteuid() == 0 {
		want = "/var/lib/nscope"
	}
	if got := DefaultStateDir(); got != want {
		t.Errorf("DefaultStateDir() = %q, want %q", got, want)
	}
}
