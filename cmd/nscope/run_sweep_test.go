package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunSweepsCgroupsOfKilledRuns: a run whose nscope is SIGKILLed
// leaves its cgroup in every hierarchy; the next run removes it (it was
// journaled as the killed run's, holds no process, and that nscope is
// gone), but not a cgroup kept with --keep, nor a look-alike directory
// no run recorded.
func TestRunSweepsCgroupsOfKilledRuns(t *testing.T) {
	needRootCLI(t)
	parent := cliCgroupParent(t)
	state := t.TempDir()
	bin := nscopeBinary(t)
	dirsOf := func(name string) []string {
		var found []string
		_ = filepath.WalkDir("/sys/fs/cgroup", func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() && d.Name() == name && filepath.Base(filepath.Dir(p)) == parent {
				found = append(found, p)
			}
			return nil
		})
		return found
	}

	// A kept cgroup: its run ended normally.
	if res := runNscopeIn(t, state, "run", "--yes", "--cgroup-parent", parent, "--name", "kept", "--keep", "--", "true"); res.code != 0 {
		t.Fatalf("run --keep: exit %d: %s", res.code, res.stderr)
	}
	kept := dirsOf("kept")
	if len(kept) == 0 {
		t.Fatal("run --keep left no cgroup")
	}

	// A run killed while its command runs.
	run := exec.Command(bin, "run", "--yes", "--cgroup-parent", parent, "--name", "killed", "--", "sleep", "1000")
	run.Env = append(os.Environ(), "NSCOPE_STATE_DIR="+state)
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if d := dirsOf("killed"); len(d) > 0 {
			if procs, _ := os.ReadFile(filepath.Join(d[0], "cgroup.procs")); len(strings.Fields(string(procs))) > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			_ = run.Process.Kill()
			t.Fatal("the run's command never showed up in its cgroup")
		}
	}
	_ = run.Process.Kill()
	_ = run.Wait()
	leaked := dirsOf("killed")
	if len(leaked) == 0 {
		t.Fatal("the killed run left no cgroup behind; nothing to sweep")
	}
	// Its init dies with it (parent-death signal), and the command with
	// the pid namespace: wait until the cgroups are empty.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		busy := false
		for _, d := range leaked {
			if procs, _ := os.ReadFile(filepath.Join(d, "cgroup.procs")); len(strings.TrimSpace(string(procs))) > 0 {
				busy = true
			}
		}
		if !busy {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the killed run's processes did not exit")
		}
	}
	// A look-alike no run recorded.
	lookalike := filepath.Join(filepath.Dir(leaked[0]), "nscope-run-1")
	if err := os.Mkdir(lookalike, 0o755); err != nil {
		t.Fatal(err)
	}

	res := runNscopeIn(t, state, "run", "--yes", "--cgroup-parent", parent, "--name", "next", "--", "true")
	if res.code != 0 {
		t.Fatalf("next run: exit %d: %s", res.code, res.stderr)
	}
	if left := dirsOf("killed"); len(left) > 0 {
		t.Errorf("the killed run's cgroups are still there: %v", left)
	}
	if !strings.Contains(res.stderr, "left behind by nscope runs that were killed") || !strings.Contains(res.stderr, leaked[0]) {
		t.Errorf("the next run does not say what it removed: %q", res.stderr)
	}
	if got := dirsOf("kept"); len(got) != len(kept) {
		t.Errorf("the kept cgroup was swept: %v, was %v", got, kept)
	}
	if _, err := os.Stat(lookalike); err != nil {
		t.Errorf("the look-alike %s was removed: %v", lookalike, err)
	}
	hist := runNscopeIn(t, state, "history")
	if !strings.Contains(hist.stdout, "swept: its nscope") {
		t.Errorf("history does not show the sweep:\n%s", hist.stdout)
	}
}
