package control

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
)

func testEntry(change string) Entry {
	return Entry{
		Time: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), Change: change, Action: "set", Phase: PhaseBefore,
		Cgroup: "/app/web", Hierarchy: "v2", Version: 2, Path: FakeRoot + "/app/web/pids.max", File: "pids.max", Old: "max", New: "5",
	}
}

// TestJournalRefusesASymlink: a symlink planted at journal.jsonl is never
// followed, for appending or reading; the file it points at is untouched.
func TestJournalRefusesASymlink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, JournalFile)); err != nil {
		t.Fatal(err)
	}
	j := NewJournal(dir)
	err := j.Append(testEntry("c1"))
	if !errors.Is(err, ErrJournal) || !strings.Contains(err.Error(), "is a symlink") {
		t.Errorf("Append through a symlink: %v, want a refusal naming the symlink", err)
	}
	if _, _, err := j.Entries(); !errors.Is(err, ErrJournal) {
		t.Errorf("Entries through a symlink: %v, want a refusal", err)
	}
	if data, _ := os.ReadFile(victim); string(data) != "precious\n" {
		t.Errorf("the symlink's target now holds %q", data)
	}
	// A symlinked state directory is refused too.
	link := filepath.Join(t.TempDir(), "state")
	if err := os.Symlink(t.TempDir(), link); err != nil {
		t.Fatal(err)
	}
	if err := NewJournal(link).Check(); !errors.Is(err, ErrJournal) || !strings.Contains(err.Error(), "symlink") {
		t.Errorf("Check of a symlinked state directory: %v, want a refusal", err)
	}
}

// TestJournalRefusesUntrustedOwnership: a state directory or journal file
// owned by another user, or writable by group or others, is refused with
// a message naming it, before anything is read from or written to it.
func TestJournalRefusesUntrustedOwnership(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: gives files to another user")
	}
	const nobody = 65534
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string
	}{
		{"directory of another user", func(t *testing.T, dir string) {
			must(t, os.Chown(dir, nobody, nobody))
		}, "is owned by uid 65534"},
		{"group-writable directory", func(t *testing.T, dir string) {
			must(t, os.Chmod(dir, 0o770))
		}, "writable by group or others (mode 0770)"},
		{"journal of another user", func(t *testing.T, dir string) {
			must(t, os.Chown(filepath.Join(dir, JournalFile), nobody, nobody))
		}, "journal " + JournalFile + " is owned by uid 65534"},
		{"world-writable journal", func(t *testing.T, dir string) {
			must(t, os.Chmod(filepath.Join(dir, JournalFile), 0o666))
		}, "writable by group or others (mode 0666)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			j := NewJournal(dir)
			if err := j.Append(testEntry("c1")); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(j.Path())
			tc.setup(t, dir)
			want := strings.Replace(tc.want, "journal "+JournalFile, "journal "+j.Path(), 1)
			for what, err := range map[string]error{
				"Append": j.Append(testEntry("c2")),
				"Check":  j.Check(),
				"Entries": func() error {
					_, _, err := j.Entries()
					return err
				}(),
			} {
				if !errors.Is(err, ErrJournal) || !strings.Contains(err.Error(), want) {
					t.Errorf("%s: %v, want a refusal saying %q", what, err, want)
				}
			}
			if after, _ := os.ReadFile(j.Path()); !bytes.Equal(before, after) {
				t.Errorf("the journal changed:\n%s", after)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestUndoRefusesForgedPaths: paths read back from the journal pass the
// confinement of a typed path before undo reads or writes anything.
func TestUndoRefusesForgedPaths(t *testing.T) {
	tests := []struct {
		name            string
		cgroup, path    string
		hierarchy, file string
		version         int
		want            string
	}{
		{"/etc/hostname", "/app/web", "/etc/hostname", "v2", "hostname", 2, "hostname is not a file nscope writes"},
		{"an allowed name outside every mount", "/app/web", "/etc/pids.max", "v2", "pids.max", 2, "not pids.max of cgroup"},
		{"dot-dot in the cgroup", "/../../../../etc", FakeRoot + "/../../../../etc/pids.max", "v2", "pids.max", 2, `".." component`},
		{"a file nscope does not write", "/app/web", FakeRoot + "/app/web/cgroup.procs", "v2", "cgroup.procs", 2, "not a file nscope writes"},
		{"a hierarchy that is not mounted", "/app/web", "/sys/fs/cgroup/bogus/app/web/pids.max", "bogus", "pids.max", 1, "not mounted here"},
		{"another cgroup's file", "/app/web", FakeRoot + "/app/pids.max", "v2", "pids.max", 2, "not pids.max of cgroup"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ed, fsys := fakeEditor(t, inspect.CgroupUnified)
			fsys.SetFile("/etc/hostname", "secret-host")
			fsys.SetFile("/etc/pids.max", "secret-host")
			e := Entry{
				Time: time.Now(), Change: "forged-1", Action: "set", Phase: PhaseBefore, Cgroup: tc.cgroup,
				Hierarchy: tc.hierarchy, Version: tc.version, Path: tc.path, File: tc.file, Old: "1", New: "45",
			}
			after := e
			after.Phase, after.Result = PhaseAfter, "ok"
			must(t, ed.Journal().Append(e, after))
			for _, force := range []bool{false, true} {
				p, err := ed.PlanUndo("", force)
				if !errors.Is(err, ErrOutsideCgroupFS) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("PlanUndo(force %v) = %+v, %v; want a refusal saying %q", force, p, err, tc.want)
				}
				if strings.Contains(err.Error(), "secret-host") {
					t.Errorf("the refusal shows the file's content: %v", err)
				}
			}
			if w := fsys.Writes(); len(w) != 0 {
				t.Errorf("wrote %v", w)
			}
		})
	}
}

// TestJournalStartsOnANewLine: a journal an older nscope left without a
// final newline gets the next entry on a line of its own, and a line an
// older nscope glued to a torn one still yields its entry.
func TestJournalStartsOnANewLine(t *testing.T) {
	dir := t.TempDir()
	j := NewJournal(dir)
	must(t, j.Append(testEntry("c1")))
	f, err := os.OpenFile(j.Path(), os.O_APPEND|os.O_WRONLY, 0)
	must(t, err)
	_, _ = f.WriteString(`{"time":"2026-12-02T0`)
	f.Close()
	must(t, j.Append(testEntry("c2")))
	data, _ := os.ReadFile(j.Path())
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 3 || lines[1] != `{"time":"2026-12-02T0` {
		t.Fatalf("journal lines %q: want the torn line alone between two entries", lines)
	}
	entries, skipped, err := j.Entries()
	if err != nil || len(entries) != 2 || skipped != 1 {
		t.Fatalf("Entries = %d entries, %d skipped, %v; want 2 and the torn line skipped", len(entries), skipped, err)
	}
	// What an older nscope wrote after a torn line: both on one line.
	glued := filepath.Join(t.TempDir(), "old")
	must(t, os.Mkdir(glued, 0o700))
	j2 := NewJournal(glued)
	must(t, j2.Append(testEntry("c1")))
	f, err = os.OpenFile(j2.Path(), os.O_APPEND|os.O_WRONLY, 0)
	must(t, err)
	line, _ := os.ReadFile(j2.Path())
	_, _ = f.WriteString(`{"time":"2026-12-02T0` + strings.Replace(string(line), `"c1"`, `"c2"`, 1))
	f.Close()
	changes, err := j2.Changes()
	if err != nil || len(changes) != 2 || changes[1].ID != "c2" {
		t.Fatalf("Changes of a glued line = %+v, %v; want c1 and c2", changes, err)
	}
}

// TestJournalENOSPCLeavesNoTornLine fills a real 8 KiB tmpfs state
// directory until an append fails with ENOSPC part-way through a line:
// the partial line is cut off again, and once there is room the next
// change is journaled whole, shown by history and undone.
func TestJournalENOSPCLeavesNoTornLine(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: mounts a tmpfs")
	}
	mnt := t.TempDir()
	if err := unix.Mount("tmpfs", mnt, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=8k,mode=0700"); err != nil {
		t.Skipf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(mnt, 0); err != nil {
			_ = unix.Unmount(mnt, unix.MNT_DETACH)
		}
	})
	// One page of the two taken by a filler; the journal gets the other.
	filler := filepath.Join(mnt, "filler")
	must(t, os.WriteFile(filler, bytes.Repeat([]byte{'x'}, 4096), 0o600))
	fsys, layout := NewFakeHost(inspect.CgroupUnified)
	fsys.AddCgroup(layout, "/app/web")
	ed := New(layout, WithFS(fsys), WithJournalDir(mnt), WithTimeouts(0, 0))

	var full error
	for i := 1; i < 100 && full == nil; i++ {
		_, full = ed.Apply(t.Context(), planFor(t, ed, "/app/web", mustLimits(t, "", "", strconv.Itoa(i))))
	}
	if !errors.Is(full, ErrJournal) || !errors.Is(full, unix.ENOSPC) {
		t.Fatalf("filling the journal ended with %v, want ENOSPC from the journal", full)
	}
	data, err := os.ReadFile(ed.Journal().Path())
	must(t, err)
	if len(data) == 0 || data[len(data)-1] != '\n' {
		t.Fatalf("after ENOSPC the journal ends in %q, a torn line", data[max(0, len(data)-40):])
	}
	if _, skipped, err := ed.Journal().Entries(); err != nil || skipped != 0 {
		t.Fatalf("Entries after ENOSPC: %d lines skipped, %v", skipped, err)
	}
	// Room again: the next change is journaled whole and can be undone.
	must(t, os.Remove(filler))
	before := fsys.File(FakeRoot + "/app/web/pids.max")
	res, err := ed.Apply(t.Context(), planFor(t, ed, "/app/web", mustLimits(t, "", "", "4242")))
	if err != nil {
		t.Fatal(err)
	}
	changes, err := ed.Journal().Changes()
	must(t, err)
	last := changes[len(changes)-1]
	if last.ID != res.Change || len(last.Writes) != 1 || last.Writes[0].Old != before || last.Writes[0].State != StateApplied {
		t.Fatalf("last change %+v, want %s: pids.max %s → 4242 applied", last, res.Change, before)
	}
	if _, _, err := ed.Undo(t.Context(), "/app/web", false); err != nil {
		t.Fatal(err)
	}
	if got := fsys.File(FakeRoot + "/app/web/pids.max"); got != before {
		t.Errorf("after undo pids.max = %q, want %q", got, before)
	}
}
