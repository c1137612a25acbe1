package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// as makes the edit commands journal as user (on the fake host of
// fakeEditHost, which must have been set up).
func as(t *testing.T, user string) {
	t.Helper()
	opts := append([]control.Option(nil), editorHooks.options...)
	editorHooks.options = append(opts, control.WithUser(user))
	t.Cleanup(func() { editorHooks.options = opts })
}

// TestUndoPerUserCLI: alice and bob share the journal. "undo" without a
// cgroup takes only the invoker's newest change and says whose newer
// change it left; with none of hers it says whose there are; "undo
// CGROUP" takes the cgroup's newest whoever made it; history names who
// made each change.
func TestUndoPerUserCLI(t *testing.T) {
	fsys := fakeEditHost(t, inspect.CgroupUnified)
	_, layout := control.NewFakeHost(inspect.CgroupUnified)
	fsys.AddCgroup(layout, "/app/db")
	run := func(user string, args ...string) (string, string, error) {
		t.Helper()
		saved := editorHooks.options
		as(t, user)
		defer func() { editorHooks.options = saved }()
		return runEditCLI(t, "", args...)
	}
	pids := func(cg string) string { return fsys.File(control.FakeRoot + cg + "/pids.max") }
	if _, _, err := run("alice", "set", "/app/web", "--pids", "10"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run("bob", "set", "/app/db", "--pids", "20"); err != nil {
		t.Fatal(err)
	}

	out, stderr, err := run("alice", "undo")
	if err != nil {
		t.Fatalf("alice's undo: %v\n%s", err, stderr)
	}
	if pids("/app/web") != "max" || pids("/app/db") != "20" {
		t.Errorf("alice's undo left /app/web at %s and /db at %s; want max (hers undone) and 20 (bob's kept)", pids("/app/web"), pids("/app/db"))
	}
	if !strings.Contains(out, "pids.max: 10 → max") {
		t.Errorf("undo output:\n%s", out)
	}
	for _, want := range []string{"the newest change in the journal, set of /app/db", "was made by bob (PID", "this undoes only yours (alice)", `"nscope undo /app/db" undoes that one`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("alice's undo does not say %q:\n%s", want, stderr)
		}
	}

	_, stderr, err = run("alice", "undo")
	if !errors.Is(err, control.ErrNothingToUndo) || !strings.Contains(err.Error(), "by alice") || !strings.Contains(stderr, "none is yours (alice)") {
		t.Errorf("alice's second undo: %v\n%s; want nothing of hers to undo, naming bob's change", err, stderr)
	}
	if pids("/app/db") != "20" {
		t.Fatalf("alice's second undo changed bob's /app/db to %s", pids("/app/db"))
	}
	if _, _, err := run("alice", "undo", "/app/db"); err != nil || pids("/app/db") != "max" {
		t.Errorf("undo /app/db as alice: %v, pids.max %s; want bob's change undone", err, pids("/app/db"))
	}

	out, _, err = runEditCLI(t, "", "history")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "USER (PID)") || !strings.Contains(lineWith(out, "set  "), "alice (PID") || !strings.Contains(out, "bob (PID") {
		t.Errorf("history does not say who made each change:\n%s", out)
	}
}

// TestUndoOfThawAsksCLI: after set → freeze → thaw, undo would freeze
// the cgroup again: without a terminal it refuses unless --yes, and
// changes nothing; with --yes it freezes. The history shows the freeze
// as FROZEN.
func TestUndoOfThawAsksCLI(t *testing.T) {
	fsys := fakeEditHost(t, inspect.CgroupLegacy)
	state := func() string { return fsys.File(control.FakeRoot + "/freezer/app/web/freezer.state") }
	for _, args := range [][]string{{"set", "/app/web", "--pids", "5"}, {"freeze", "/app/web", "--yes"}, {"thaw", "/app/web"}} {
		if _, _, err := runEditCLI(t, "", args...); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	_, _, err := runEditCLI(t, "", "undo")
	if !isUsage(err) || !strings.Contains(err.Error(), "this undoes a thaw: it freezes /app/web again") || !strings.Contains(err.Error(), "--yes") {
		t.Fatalf("undo of a thaw without a terminal: %v; want a refusal saying it freezes and naming --yes", err)
	}
	if state() != "THAWED" {
		t.Fatalf("the refused undo froze the cgroup: %s", state())
	}
	out, _, err := runEditCLI(t, "", "undo", "--yes")
	if err != nil || state() != "FROZEN" {
		t.Fatalf("undo --yes: %v, freezer.state %s\n%s", err, state(), out)
	}
	// Undoing that undo is not possible; the freeze before it is, and
	// asks too.
	_, _, err = runEditCLI(t, "", "undo", "/app/web")
	if !isUsage(err) || !strings.Contains(err.Error(), "this undoes a freeze: it thaws /app/web") {
		t.Errorf("undo of the freeze without a terminal: %v", err)
	}
	out, _, err = runEditCLI(t, "", "history")
	if err != nil {
		t.Fatal(err)
	}
	if freeze := lineWith(out, "freeze "); !strings.Contains(freeze, "THAWED → FROZEN") {
		t.Errorf("history's freeze row %q, want THAWED → FROZEN:\n%s", freeze, out)
	}
}

// TestPSFilterCLI: ps takes a filter as pgrep does.
func TestPSFilterCLI(t *testing.T) {
	all, _, err := runInspectCLI(t, fixtureArgs("ps")...)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := runInspectCLI(t, fixtureArgs("ps", "sleep")...)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 2 || len(lines) >= len(strings.Split(strings.TrimSpace(all), "\n")) {
		t.Fatalf("ps sleep printed %d lines of %d:\n%s", len(lines), len(strings.Split(all, "\n")), out)
	}
	for _, l := range lines[1:] {
		if !strings.Contains(l, "sleep") {
			t.Errorf("ps sleep printed %q", l)
		}
	}
	_, _, err = runInspectCLI(t, fixtureArgs("ps", "no-such-process-here")...)
	var exit *exitCodeError
	if !errors.As(err, &exit) || exit.code != exitFailure || !strings.Contains(exit.msg, `no process matches "no-such-process-here"`) {
		t.Errorf("ps with no match: %v, want exit 1 saying so", err)
	}
	if _, _, err := runInspectCLI(t, fixtureArgs("ps", "a", "b")...); !isUsage(err) {
		t.Errorf("ps a b: %v, want a usage error", err)
	}
}

// TestSnapshotAcceptsJSON: --json is accepted (snapshot prints JSON
// anyway), as ns, ps and cg accept it.
func TestSnapshotAcceptsJSON(t *testing.T) {
	out, _, err := runInspectCLI(t, fixtureArgs("snapshot", "--json")...)
	if err != nil || !strings.HasPrefix(out, `{"schema_version":`) {
		t.Errorf("snapshot --json: %v, %.80q", err, out)
	}
}

// TestUsageErrorPointsAtTheCommand: the hint after a usage error names
// the failing command's help.
func TestUsageErrorPointsAtTheCommand(t *testing.T) {
	root := newRootCmd()
	root.SetArgs([]string{"set", "/app", "--cpu", "x"})
	root.SetOut(&bytes.Buffer{})
	root.SetErr(&bytes.Buffer{})
	cmd, err := root.ExecuteC()
	if err == nil {
		t.Fatal("set --cpu x succeeded")
	}
	if got := helpHint(cmd); got != "Run 'nscope set --help' for usage." {
		t.Errorf("hint %q", got)
	}
	if got := helpHint((*cobra.Command)(nil)); got != "Run 'nscope --help' for usage." {
		t.Errorf("hint without a command %q", got)
	}
}

// TestCGThrottledRecentAndTotal: THROTTLED is the share of periods
// throttled between the two readings, THROTTLED TOTAL the count since
// the cgroup was made, under its own name.
func TestCGThrottledRecentAndTotal(t *testing.T) {
	load := func(name string) *inspect.Snapshot {
		f, err := os.Open(filepath.Join("..", "..", "tui", "testdata", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		s, err := inspect.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b := load("small-1"), load("small-2")
	var out bytes.Buffer
	if err := writeCGTable(&out, procview.NewIndex(b, procview.ComputeCgroupRates(a, b)), nil, false); err != nil {
		t.Fatal(err)
	}
	head := strings.Fields(strings.Split(out.String(), "\n")[0])
	if !strings.Contains(strings.Join(head, " "), "THROTTLED THROTTLED TOTAL") {
		t.Errorf("header %q", head)
	}
	row := lineWith(out.String(), "/nscope-run-demo")
	for _, want := range []string{"80%", "3908/5010 (78%)", "0.20"} {
		if !strings.Contains(row, want) {
			t.Errorf("row %q lacks %q (recent 80%%, total since creation, CPU now)", row, want)
		}
	}
	out.Reset()
	if err := writeCGTable(&out, procview.NewIndex(b, nil), nil, false); err != nil {
		t.Fatal(err)
	}
	if row := lineWith(out.String(), "/nscope-run-demo"); strings.Contains(row, "80%") || !strings.Contains(row, "3908/5010") {
		t.Errorf("unsampled row %q: want no recent rate, the total kept", row)
	}
}
