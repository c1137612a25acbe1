package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
)

// TestHistoryRowsSummariseAndSayWhatHappened: a kill of 1,500 processes
// is one short row (its first PIDs and a count; --json has them all),
// and of a set that nscope stopped between two writes, the write the
// kernel took is "applied", only the one without a result "unknown".
func TestHistoryRowsSummariseAndSayWhatHappened(t *testing.T) {
	fakeEditHost(t, inspect.CgroupUnified)
	ed, err := newEditor()
	if err != nil {
		t.Fatal(err)
	}
	j := ed.Journal()
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	pids := make([]string, 1500)
	for i := range pids {
		pids[i] = strconv.Itoa(100000 + i)
	}
	dir := control.FakeRoot + "/app/web"
	kill := control.Entry{Time: at, Change: "kill-1", Action: "kill", Phase: control.PhaseBefore, Cgroup: "/app/web",
		Hierarchy: "v2", Version: 2, Path: dir + "/cgroup.kill", File: "cgroup.kill", Old: strings.Join(pids, " "), New: "cgroup.kill"}
	killed := kill
	killed.Phase, killed.Result = control.PhaseAfter, "ok"
	set := func(phase, file, old, new string) control.Entry {
		e := control.Entry{Time: at, Change: "set-1", Action: "set", Phase: phase, Cgroup: "/app/web",
			Hierarchy: "v2", Version: 2, Path: dir + "/" + file, File: file, Old: old, New: new}
		if phase == control.PhaseAfter {
			e.Result, e.ReadBack = "ok", new
		}
		return e
	}
	if err := j.Append(kill, killed,
		set(control.PhaseBefore, "memory.max", "max", "536870912"), set(control.PhaseAfter, "memory.max", "max", "536870912"),
		set(control.PhaseBefore, "pids.max", "max", "64")); err != nil {
		t.Fatal(err)
	}
	out, _, err := runEditCLI(t, "", "history")
	if err != nil {
		t.Fatal(err)
	}
	killRow := lineWith(out, "kill-1")
	if len(killRow) > 250 || !strings.Contains(killRow, "killed 1500 (cgroup.kill): 100000 100001") || !strings.Contains(killRow, "(1490 more)") {
		t.Errorf("kill row (%d bytes) %.300q: want a short summary", len(killRow), killRow)
	}
	if row := lineWith(out, "memory.max"); !strings.Contains(row, "applied (change incomplete)") {
		t.Errorf("the applied write of the stopped set: %q, want it labelled applied", row)
	}
	if row := lineWith(out, "pids.max"); !strings.Contains(row, "unknown: nscope stopped mid-write") {
		t.Errorf("the write without a result: %q, want it labelled unknown", row)
	}
	// --json keeps every PID.
	js, _, err := runEditCLI(t, "", "history", "--json")
	if err != nil || !strings.Contains(js, pids[len(pids)-1]) {
		t.Errorf("history --json lacks the last PID (%v)", err)
	}
}
