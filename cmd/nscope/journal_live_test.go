package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
)

// forgeJournal writes a journal holding one applied change of file in
// dir, as someone editing it would, into stateDir.
func forgeJournal(t *testing.T, stateDir, hierarchy, cgroup, path, old, new string) {
	t.Helper()
	var lines []string
	for _, phase := range []string{control.PhaseBefore, control.PhaseAfter} {
		e := control.Entry{Time: time.Now(), Change: "forged-1", Action: "set", Phase: phase, Cgroup: cgroup,
			Hierarchy: hierarchy, Version: 1, Path: path, File: filepath.Base(path), Old: old, New: new}
		if phase == control.PhaseAfter {
			e.Result, e.ReadBack = "ok", new
		}
		b, _ := json.Marshal(e)
		lines = append(lines, string(b))
	}
	if err := os.WriteFile(filepath.Join(stateDir, control.JournalFile), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestUndoCLIRefusesForgedJournalLive: on the real host, a journal
// naming /etc/hostname is refused by "undo --dry-run --force" before the
// file is read (its content is never printed), and a journal in a state
// directory another user owns is refused before undo writes the values
// it holds into a real cgroup.
func TestUndoCLIRefusesForgedJournalLive(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: gives a state directory to another user and creates a v1 cgroup")
	}
	layout, err := inspect.DetectCgroupLayout("/proc", "/sys")
	if err != nil || layout.ForController("pids") == nil || layout.ForController("pids").Version != 1 {
		t.Skip("needs the v1 pids controller")
	}
	hostname, _ := os.ReadFile("/etc/hostname")
	state := t.TempDir()
	t.Setenv("NSCOPE_STATE_DIR", state)
	forgeJournal(t, state, "pids", "/", "/etc/hostname", "pwned", strings.TrimSpace(string(hostname)))
	// The forged entries name no user: --any-user takes them.
	for _, args := range [][]string{{"undo", "--dry-run", "--force", "--any-user"}, {"undo", "--force", "--any-user"}} {
		out, _, err := runEditCLI(t, "", args...)
		if err == nil || !strings.Contains(err.Error(), "refusing to read or write it") {
			t.Errorf("nscope %s on a forged /etc/hostname: %v, want a refusal", strings.Join(args, " "), err)
		}
		if len(strings.TrimSpace(string(hostname))) > 0 && strings.Contains(out, "would write") {
			t.Errorf("nscope %s planned a write:\n%s", strings.Join(args, " "), out)
		}
	}
	if now, _ := os.ReadFile("/etc/hostname"); string(now) != string(hostname) {
		t.Fatalf("/etc/hostname changed to %q", now)
	}

	// A real cgroup, and a journal in a directory uid 65534 owns saying
	// nscope changed its pids.max from 1 to 45.
	h := layout.ForController("pids")
	rel := filepath.Join(ownCgroupIn(t, h.ID), fmt.Sprintf("nscope-test-%d-%08x", os.Getpid(), rand.Uint32()))
	dir := liveV1Dir(t, layout, "pids", rel)
	if err := os.WriteFile(filepath.Join(dir, "pids.max"), []byte("45"), 0); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(foreign, 0o700); err != nil {
		t.Fatal(err)
	}
	forgeJournal(t, foreign, "pids", rel, filepath.Join(dir, "pids.max"), "1", "45")
	if err := os.Chown(foreign, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NSCOPE_STATE_DIR", foreign)
	_, _, err = runEditCLI(t, "", "undo")
	if err == nil || !strings.Contains(err.Error(), foreign+" is owned by uid 65534") {
		t.Errorf("undo with a journal of uid 65534: %v, want a refusal naming %s", err, foreign)
	}
	if v, _ := os.ReadFile(filepath.Join(dir, "pids.max")); strings.TrimSpace(string(v)) != "45" {
		t.Errorf("pids.max = %s, want 45 (untouched)", v)
	}
}
