package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
)

// fakeEditHost points the edit commands at a fake v1 or v2 cgroupfs with
// /app/web, journaling into a temp dir, and restores the hooks after.
func fakeEditHost(t *testing.T, mode inspect.CgroupMode) *control.FakeFS {
	t.Helper()
	fsys, layout := control.NewFakeHost(mode)
	fsys.AddCgroup(layout, "/app/web")
	saved := editorHooks
	editorHooks.layout = func() (inspect.CgroupLayout, error) { return layout, nil }
	editorHooks.options = []control.Option{control.WithFS(fsys), control.WithJournalDir(t.TempDir()), control.WithTimeouts(0, 0)}
	editorHooks.terminal = func() bool { return false }
	t.Cleanup(func() { editorHooks = saved })
	return fsys
}

// runEditCLI runs nscope in-process with stdin and returns stdout, stderr
// and the error Execute returned.
func runEditCLI(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	global = globalFlags{}
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), errOut.String(), err
}

func isUsage(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}

func TestSetDryRunPrintsWritesAndChangesNothing(t *testing.T) {
	fsys := fakeEditHost(t, inspect.CgroupUnified)
	out, _, err := runEditCLI(t, "", "set", "/app/web", "--cpu", "0.5", "--memory", "512M", "--pids", "100", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`would write "50000 100000" to /fake/sys/fs/cgroup/app/web/cpu.max`,
		"max 100000 (unlimited) → 50000 100000 (50% of 1 CPU)",
		`would write "536870912" to /fake/sys/fs/cgroup/app/web/memory.max`,
		"max (unlimited) → 536870912 (512 MiB)",
		`would write "100" to /fake/sys/fs/cgroup/app/web/pids.max`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, out)
		}
	}
	if w := fsys.Writes(); len(w) != 0 {
		t.Errorf("--dry-run wrote %v", w)
	}
}

func TestSetApplyHistoryUndo(t *testing.T) {
	fsys := fakeEditHost(t, inspect.CgroupLegacy)
	out, _, err := runEditCLI(t, "", "set", "/app/web", "--cpu", "20%", "pids.max=64")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"/fake/sys/fs/cgroup/cpu/app/web/cpu.cfs_quota_us: -1 (unlimited) → 20000",
		"/fake/sys/fs/cgroup/pids/app/web/pids.max: max → 64",
		"undo with: nscope undo /app/web",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("set output lacks %q:\n%s", want, out)
		}
	}
	if got := fsys.File(control.FakeRoot + "/cpu/app/web/cpu.cfs_quota_us"); got != "20000" {
		t.Fatalf("cpu.cfs_quota_us = %q", got)
	}

	out, _, err = runEditCLI(t, "", "history")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "cpu.cfs_quota_us") || !strings.Contains(out, "-1 (unlimited) → 20000") || !strings.Contains(out, "max → 64") {
		t.Errorf("history lacks the change:\n%s", out)
	}
	out, _, err = runEditCLI(t, "", "history", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var changes []control.Change
	if err := json.Unmarshal([]byte(out), &changes); err != nil || len(changes) != 1 || len(changes[0].Writes) != 2 {
		t.Fatalf("history --json = %q (%v), want one change of two writes", out, err)
	}

	out, _, err = runEditCLI(t, "", "undo", "/app/web")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "cpu.cfs_quota_us: 20000 → -1 (unlimited)") {
		t.Errorf("undo output:\n%s", out)
	}
	if got := fsys.File(control.FakeRoot + "/cpu/app/web/cpu.cfs_quota_us"); got != "-1" {
		t.Errorf("after undo cpu.cfs_quota_us = %q, want -1", got)
	}
	if got := fsys.File(control.FakeRoot + "/pids/app/web/pids.max"); got != "max" {
		t.Errorf("after undo pids.max = %q, want max", got)
	}
	_, _, err = runEditCLI(t, "", "undo", "/app/web")
	if !errors.Is(err, control.ErrNothingToUndo) {
		t.Errorf("second undo: %v, want nothing to undo", err)
	}
}

func TestSetJSON(t *testing.T) {
	fsys := fakeEditHost(t, inspect.CgroupUnified)
	fsys.FailWrite("memory.max", unix.EBUSY)
	out, _, err := runEditCLI(t, "", "set", "/app/web", "--cpu", "1", "--memory", "1G", "--json")
	if err == nil || isUsage(err) || !errors.Is(err, unix.EBUSY) {
		t.Fatalf("set with an EBUSY memory.max: %v, want a runtime EBUSY error", err)
	}
	var got struct {
		Result struct {
			Writes []struct {
				File       string `json:"file"`
				Errno      string `json:"errno"`
				RolledBack bool   `json:"rolled_back"`
			} `json:"writes"`
		} `json:"result"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("--json output %q: %v", out, err)
	}
	w := got.Result.Writes
	if len(w) != 2 || !w[0].RolledBack || w[1].Errno != "EBUSY" || !strings.Contains(got.Error, "nothing was changed") {
		t.Errorf("--json result = %+v", got)
	}
	if v := fsys.File(control.FakeRoot + "/app/web/cpu.max"); v != "max 100000" {
		t.Errorf("cpu.max = %q, want rolled back to max 100000", v)
	}
}

func TestSetUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "bad cpu", args: []string{"set", "/app/web", "--cpu", "abc"}, want: `cpu "abc": want a number of CPUs`},
		{name: "negative memory", args: []string{"set", "/app/web", "--memory", "-1G"}, want: `memory "-1G": negative`},
		{name: "unknown unit", args: []string{"set", "/app/web", "--memory", "12Q"}, want: `unknown unit "Q"`},
		{name: "tiny memory", args: []string{"set", "/app/web", "--memory", "512"}, want: "did you mean 512M?"},
		{name: "weight out of range", args: []string{"set", "/app/web", "cpu.weight=0"}, want: "want a whole number 1–10000"},
		{name: "period too short", args: []string{"set", "/app/web", "--cpu", "500 999"}, want: "outside the allowed 1ms–1s"},
		{name: "quota under 1ms", args: []string{"set", "/app/web", "cpu.max=999 100000"}, want: "under the 1ms"},
		{name: "file not allowed", args: []string{"set", "/app/web", "cgroup.procs=1"}, want: "nscope writes only"},
		{name: "not FILE=VALUE", args: []string{"set", "/app/web", "cpu.max"}, want: "want FILE=VALUE"},
		{name: "nothing to set", args: []string{"set", "/app/web"}, want: "nothing to set"},
		{name: "dot dot", args: []string{"set", "/app/../../etc", "--pids", "1"}, want: `".." is not allowed`},
		{name: "v1 file on v2", args: []string{"set", "/app/web", "memory.limit_in_bytes=1G"}, want: "is a cgroup v1 file"},
		{name: "history bad last", args: []string{"history", "--last", "-1"}, want: "--last -1"},
		{name: "freeze needs an argument", args: []string{"freeze"}, want: "accepts 1 arg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fakeEditHost(t, inspect.CgroupUnified)
			_, _, err := runEditCLI(t, "", tc.args...)
			if !isUsage(err) {
				t.Fatalf("nscope %s: %v, want a usage error (exit 2)", strings.Join(tc.args, " "), err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if w := fsys.Writes(); len(w) != 0 {
				t.Errorf("wrote %v after bad input", w)
			}
		})
	}
}

func TestSetConfirmation(t *testing.T) {
	tests := []struct {
		name      string
		terminal  bool
		stdin     string
		args      []string
		wantErr   string
		wantUsage bool
		wantWrite bool
	}{
		{name: "no terminal, no --yes", args: []string{"set", "/app", "--pids", "5"}, wantErr: "stdin is not a terminal so nscope cannot ask; add --yes", wantUsage: true},
		{name: "--yes", args: []string{"set", "/app", "--pids", "5", "--yes"}, wantWrite: true},
		{name: "terminal, answered y", terminal: true, stdin: "y\n", args: []string{"set", "/app", "--pids", "5"}, wantWrite: true},
		{name: "terminal, answered no", terminal: true, stdin: "n\n", args: []string{"set", "/app", "--pids", "5"}, wantErr: "not confirmed; nothing was changed"},
		{name: "nested cgroup needs none", args: []string{"set", "/app/web", "--pids", "5"}, wantWrite: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fakeEditHost(t, inspect.CgroupUnified)
			editorHooks.terminal = func() bool { return tc.terminal }
			_, stderr, err := runEditCLI(t, tc.stdin, tc.args...)
			if tc.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if tc.wantUsage != isUsage(err) {
				t.Errorf("usage error = %v, want %v", isUsage(err), tc.wantUsage)
			}
			if got := len(fsys.Writes()) > 0; got != tc.wantWrite {
				t.Errorf("wrote = %v (%v), want %v", got, fsys.Writes(), tc.wantWrite)
			}
			if tc.terminal && !strings.Contains(stderr, "top-level cgroup") {
				t.Errorf("the prompt did not say why:\n%s", stderr)
			}
		})
	}
}

func TestEditsRefusedReadOnly(t *testing.T) {
	for _, args := range [][]string{
		{"set", "/app/web", "--pids", "5", "--yes"},
		{"freeze", "/app/web", "--yes"},
		{"kill", "/app/web", "--yes"},
	} {
		t.Run(args[0], func(t *testing.T) {
			fsys := fakeEditHost(t, inspect.CgroupUnified)
			fsys.AddProcs(control.FakeRoot+"/app/web", 42)
			_, _, err := runEditCLI(t, "", append([]string{"--read-only"}, args...)...)
			if !errors.Is(err, control.ErrReadOnly) || !strings.Contains(err.Error(), "--read-only is set") {
				t.Fatalf("%v: %v, want a refusal naming --read-only", args, err)
			}
			if len(fsys.Writes()) != 0 || len(fsys.Killed()) != 0 {
				t.Errorf("acted while read-only: writes %v, killed %v", fsys.Writes(), fsys.Killed())
			}
		})
	}
}

func TestFreezeThawKillCLI(t *testing.T) {
	fsys := fakeEditHost(t, inspect.CgroupLegacy)
	fsys.AddProcs(control.FakeRoot+"/freezer/app/web", 7, 8)
	out, _, err := runEditCLI(t, "", "freeze", "/app/web", "--yes")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "freezer.state THAWED → FROZEN") {
		t.Errorf("freeze output: %q", out)
	}
	out, _, err = runEditCLI(t, "", "thaw", "/app/web")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "freezer.state FROZEN → THAWED") {
		t.Errorf("thaw output: %q", out)
	}
	out, _, err = runEditCLI(t, "", "kill", "/app/web", "--dry-run")
	if err != nil || !strings.Contains(out, "2 processes: 7 8") {
		t.Fatalf("kill --dry-run: %q, %v", out, err)
	}
	if len(fsys.Killed()) != 0 {
		t.Fatal("--dry-run killed")
	}
	_, _, err = runEditCLI(t, "", "kill", "/app/web")
	if !isUsage(err) || !strings.Contains(err.Error(), "kills 2 processes") {
		t.Fatalf("kill without --yes on a pipe: %v", err)
	}
	out, _, err = runEditCLI(t, "", "kill", "/app/web", "--yes")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "killed 2 processes: 7 8") {
		t.Errorf("kill output: %q", out)
	}
	_, _, err = runEditCLI(t, "", "kill", "/", "--yes")
	if !errors.Is(err, control.ErrRefused) {
		t.Errorf("kill /: %v, want refused", err)
	}
}

func TestJournalFromStateDirEnv(t *testing.T) {
	fsys, layout := control.NewFakeHost(inspect.CgroupUnified)
	fsys.AddCgroup(layout, "/app/web")
	saved := editorHooks
	t.Cleanup(func() { editorHooks = saved })
	editorHooks.layout = func() (inspect.CgroupLayout, error) { return layout, nil }
	editorHooks.options = []control.Option{control.WithFS(fsys)}
	dir := t.TempDir()
	t.Setenv("NSCOPE_STATE_DIR", dir)
	if _, _, err := runEditCLI(t, "", "set", "/app/web", "--pids", "9"); err != nil {
		t.Fatal(err)
	}
	j := control.NewJournal(dir)
	changes, err := j.Changes()
	if err != nil || len(changes) != 1 || changes[0].Writes[0].New != "9" {
		t.Errorf("journal in $NSCOPE_STATE_DIR: %+v, %v", changes, err)
	}
}

// TestSetCPUAboveHostWarns: "set --cpu 1000000%" on a 2-CPU host says the
// limit never throttles.
func TestSetCPUAboveHostWarns(t *testing.T) {
	fakeEditHost(t, inspect.CgroupUnified)
	editorHooks.options = append(editorHooks.options, control.WithHostCPUs(2))
	out, _, err := runEditCLI(t, "", "set", "/app/web", "--cpu", "1000000%", "--yes")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "note: a CPU limit of 10000 CPUs is more than the 2 CPUs of this host") {
		t.Errorf("set --cpu 1000000%% on 2 CPUs does not warn:\n%s", out)
	}
}
