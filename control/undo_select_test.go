package control

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/inspect"
)

// twoUsers returns alice's and bob's editors on one fake v1 host and one
// journal.
func twoUsers(t *testing.T) (alice, bob *Editor) {
	t.Helper()
	fsys, layout := NewFakeHost(inspect.CgroupLegacy)
	fsys.AddCgroup(layout, "/app/web")
	fsys.AddCgroup(layout, "/app/db")
	dir := t.TempDir()
	alice = New(layout, WithFS(fsys), WithJournalDir(dir), WithTimeouts(0, 0), WithUser("alice"))
	bob = New(layout, WithFS(fsys), WithJournalDir(dir), WithTimeouts(0, 0), WithUser("bob"))
	return alice, bob
}

// TestUndoFilterPicks: the journal records who made each change; the
// filters pick by user, cgroup, hierarchy, file and change.
func TestUndoFilterPicks(t *testing.T) {
	alice, bob := twoUsers(t)
	apply := func(ed *Editor, cg string, l Limits) {
		t.Helper()
		if _, err := ed.Apply(t.Context(), planFor(t, ed, cg, l)); err != nil {
			t.Fatal(err)
		}
	}
	apply(alice, "/app/web", mustLimits(t, "0.5", "", ""))
	apply(bob, "/app/web", mustLimits(t, "", "", "40"))
	if _, err := alice.Freeze(t.Context(), Target{Path: "/app/web"}); err != nil {
		t.Fatal(err)
	}
	apply(bob, "/app/db", mustLimits(t, "", "", "50"))
	changes, err := alice.Journal().Changes()
	if err != nil {
		t.Fatal(err)
	}
	var who []string
	for _, c := range changes {
		who = append(who, c.User+" "+c.Action+" "+c.Cgroup)
	}
	if diff := cmp.Diff([]string{"alice set /app/web", "bob set /app/web", "alice freeze /app/web", "bob set /app/db"}, who); diff != "" {
		t.Fatalf("journal users (-want +got):\n%s", diff)
	}
	pick := func(f UndoFilter) string {
		c := LastUndoable(changes, f)
		if c == nil {
			return "none"
		}
		return c.User + " " + c.Action + " " + c.Cgroup
	}
	for _, tc := range []struct {
		name string
		f    UndoFilter
		want string
	}{
		{"anyone", UndoFilter{}, "bob set /app/db"},
		{"alice's own", UndoFilter{User: "alice"}, "alice freeze /app/web"},
		{"the path", UndoFilter{Cgroup: "/app/web"}, "alice freeze /app/web"},
		{"the cpu hierarchy's row", UndoFilter{Cgroup: "/app/web", Hierarchy: "cpu"}, "alice set /app/web"},
		{"the pids file", UndoFilter{Cgroup: "/app/web", File: "pids.max"}, "bob set /app/web"},
		{"nobody's", UndoFilter{User: "carol"}, "none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := pick(tc.f); got != tc.want {
				t.Errorf("LastUndoable(%s) = %s, want %s", tc.f, got, tc.want)
			}
		})
	}

	// Undoing alice's CPU change by its ID is fine: no newer change wrote
	// its files. Bob's pids change of /app/web after a newer pids change
	// of the same file is refused until that one is undone.
	p, err := bob.PlanUndoMatching(UndoFilter{Change: changes[0].ID}, false)
	if err != nil || len(p.Writes) == 0 || p.Writes[0].File != "cpu.cfs_quota_us" {
		t.Fatalf("undo of alice's set by ID: %+v, %v", p, err)
	}
	apply(alice, "/app/web", mustLimits(t, "", "", "41"))
	if _, err := bob.PlanUndoMatching(UndoFilter{Change: changes[1].ID}, false); !errors.Is(err, ErrUndoOrder) || !strings.Contains(err.Error(), "alice (PID") {
		t.Errorf("undo of bob's overwritten pids change: %v, want ErrUndoOrder naming alice", err)
	}
	if _, err := bob.PlanUndoMatching(UndoFilter{Change: "no-such"}, false); !errors.Is(err, ErrNothingToUndo) {
		t.Errorf("undo of an unknown change: %v", err)
	}
	if !IsFreezeUndo(mustPlanUndo(t, alice, UndoFilter{User: "alice", Cgroup: "/app/web", Hierarchy: "freezer"})) {
		t.Error("the undo of a freeze is not a freeze undo")
	}
}

func mustPlanUndo(t *testing.T, ed *Editor, f UndoFilter) *Plan {
	t.Helper()
	p, err := ed.PlanUndoMatching(f, false)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestJournalOldEntriesWithoutUser: entries of an nscope that did not
// record users still read; Who names their uid.
func TestJournalOldEntriesWithoutUser(t *testing.T) {
	dir := t.TempDir()
	line := `{"time":"2026-03-01T12:00:00Z","change":"old-1","action":"set","phase":"before","cgroup":"/a","hierarchy":"pids","version":1,"path":"/sys/fs/cgroup/pids/a/pids.max","file":"pids.max","old":"max","new":"5","pid":42,"uid":0}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, JournalFile), []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	changes, err := NewJournal(dir).Changes()
	if err != nil || len(changes) != 1 {
		t.Fatalf("changes %+v, %v", changes, err)
	}
	if c := changes[0]; c.User != "" || c.Who() != "uid 0 (PID 42)" {
		t.Errorf("old change: user %q, Who %q; want none and \"uid 0 (PID 42)\"", c.User, c.Who())
	}
	if LastUndoable(changes, UndoFilter{User: "root"}) != nil {
		t.Error("an entry without a user was taken as root's")
	}
}

func TestCurrentUser(t *testing.T) {
	dir := t.TempDir()
	file := func(content string) string {
		p := filepath.Join(dir, "loginuid")
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	tests := []struct {
		name     string
		loginuid string
		env      map[string]string
		uid      int
		want     string
	}{
		{name: "login uid wins over sudo", loginuid: "0\n", env: map[string]string{"SUDO_USER": "mallory", "SUDO_UID": "1"}, uid: 0, want: "root"},
		{name: "unset login uid, sudo", loginuid: "4294967295", env: map[string]string{"SUDO_USER": "alice", "SUDO_UID": "1000"}, uid: 0, want: "alice"},
		{name: "sudo name with a control character", loginuid: "4294967295", env: map[string]string{"SUDO_USER": "al\x1bice", "SUDO_UID": "1000"}, uid: 0, want: "root"},
		{name: "no login, no sudo: the real user", loginuid: "4294967295", uid: 0, want: "root"},
		{name: "a uid without a name", loginuid: "4294967295", uid: 987654, want: "uid 987654"},
		{name: "garbage login uid", loginuid: "x", uid: 0, want: "root"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := lookupCurrentUser(file(tc.loginuid), env(tc.env), tc.uid); got != tc.want {
				t.Errorf("lookupCurrentUser = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestShownNewValue: a v1 freeze's read-back FREEZING is a passing
// state; the history shows what the freeze asked for.
func TestShownNewValue(t *testing.T) {
	for _, tc := range []struct {
		name string
		w    ChangeWrite
		want string
	}{
		{"read back", ChangeWrite{File: "pids.max", New: "5", ReadBack: "5"}, "5"},
		{"kernel's form", ChangeWrite{File: "memory.limit_in_bytes", New: "-1", ReadBack: "9223372036854771712"}, "9223372036854771712"},
		{"freezing", ChangeWrite{File: "freezer.state", New: "FROZEN", ReadBack: "FREEZING"}, "FROZEN"},
		{"io.max line", ChangeWrite{File: "io.max", New: "8:0 rbps=1", ReadBack: "8:0 rbps=1 wbps=max"}, "8:0 rbps=1"},
		{"no read-back", ChangeWrite{File: "cpu.max", New: "max"}, "max"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ShownNewValue(tc.w); got != tc.want {
				t.Errorf("ShownNewValue = %q, want %q", got, tc.want)
			}
		})
	}
}
