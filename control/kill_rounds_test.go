package control

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/nscope/nscope/inspect"
)

// countingFS counts the reads of one file, to show how often a kill
// reads the membership.
type countingFS struct {
	*FakeFS
	file string
	mu   sync.Mutex
	n    int
}

func (c *countingFS) ReadFile(path string) ([]byte, error) {
	if path == c.file {
		c.mu.Lock()
		c.n++
		c.mu.Unlock()
	}
	return c.FakeFS.ReadFile(path)
}

// TestKillReadsMembershipOncePerRound: a v1 kill of 1,200 processes
// reads the cgroup's membership a few times in all, not once per PID
// (which made killing about 1,100 processes take 10 s, frozen).
func TestKillReadsMembershipOncePerRound(t *testing.T) {
	fsys, layout := NewFakeHost(inspect.CgroupLegacy)
	fsys.AddCgroup(layout, "/app/web")
	pids := make([]int, 1200)
	for i := range pids {
		pids[i] = 10000 + i
	}
	for _, c := range []string{"freezer", "pids"} {
		fsys.AddProcs(FakeRoot+"/"+c+"/app/web", pids...)
	}
	counted := &countingFS{FakeFS: fsys, file: FakeRoot + "/pids/app/web/cgroup.procs"}
	ed := New(layout, WithFS(counted), WithJournalDir(t.TempDir()), WithTimeouts(0, 0))
	target, _ := ed.Resolve("/app/web")
	kp, err := ed.PlanKill(target)
	if err != nil {
		t.Fatal(err)
	}
	counted.n = 0
	res, err := ed.Kill(t.Context(), kp)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Signalled) != len(pids) || len(res.Remaining) != 0 {
		t.Fatalf("signalled %d, remaining %v; want all %d", len(res.Signalled), res.Remaining, len(pids))
	}
	t.Logf("%d membership reads", counted.n)
	if counted.n > 10 {
		t.Errorf("the kill of %d processes read %s %d times; want a few reads (one per round)", len(pids), counted.file, counted.n)
	}
}

// deathlessFS signals nobody: its processes stay, as a process in
// uninterruptible sleep does.
type deathlessFS struct{ *FakeFS }

func (deathlessFS) KillProcesses(pids []int, members func() (map[int]bool, error)) ([]int, error) {
	_, err := members()
	return pids, err
}

// TestKillSurvivorsAreAFailure: members still there when the kill gives
// up make it fail, with the reason, and the journal says failed, never ok.
func TestKillSurvivorsAreAFailure(t *testing.T) {
	fsys, layout := NewFakeHost(inspect.CgroupLegacy)
	fsys.AddCgroup(layout, "/app/web")
	fsys.AddProcs(FakeRoot+"/pids/app/web", 501, 502)
	ed := New(layout, WithFS(deathlessFS{fsys}), WithJournalDir(t.TempDir()), WithTimeouts(0, 0))
	target, _ := ed.Resolve("/app/web")
	kp, err := ed.PlanKill(target)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ed.Kill(t.Context(), kp)
	if !errors.Is(err, ErrSurvivors) || !strings.Contains(err.Error(), "2 processes still in /app/web after the kill: 501 502") {
		t.Fatalf("Kill = %v, want ErrSurvivors naming 501 502", err)
	}
	if len(res.Remaining) != 2 {
		t.Errorf("Remaining = %v", res.Remaining)
	}
	changes, _ := ed.Journal().Changes()
	if len(changes) == 0 || changes[0].Action != "kill" || changes[0].Status() != "failed" || changes[0].Writes[0].ReadBack != "501 502" {
		t.Errorf("journal = %+v, want the kill failed with 501 502 left", changes)
	}
}

// TestThawEndsAnInterruptedKillFreeze: a freeze a kill journaled and
// never thawed (nscope was killed) is what "undo" reverts, and what a
// later "thaw" says it ends; either marks it undone.
func TestThawEndsAnInterruptedKillFreeze(t *testing.T) {
	for _, how := range []string{"undo", "thaw"} {
		t.Run(how, func(t *testing.T) {
			ed, fsys := fakeEditor(t, inspect.CgroupLegacy)
			fsys.AddProcs(FakeRoot+"/freezer/app/web", 601)
			target, _ := ed.Resolve("/app/web")
			kp, err := ed.PlanKill(target)
			if err != nil {
				t.Fatal(err)
			}
			// What a kill stopped after its freeze leaves: the freeze,
			// journaled as the kill's, and no thaw.
			state := FakeRoot + "/freezer/app/web/freezer.state"
			freezeID, err := ed.killFreezerWrite(kp, FakeRoot+"/freezer/app/web", "kill-1", "freeze", "", "THAWED", "FROZEN")
			if err != nil || fsys.File(state) != "FROZEN" {
				t.Fatalf("freeze: %v, state %q", err, fsys.File(state))
			}
			switch how {
			case "undo":
				p, _, err := ed.Undo(t.Context(), "", false)
				if err != nil || p.Undoes != freezeID {
					t.Fatalf("Undo = %+v, %v; want the kill's freeze %s undone", p, err, freezeID)
				}
			case "thaw":
				p, err := ed.PlanFreeze(target, false)
				if err != nil {
					t.Fatal(err)
				}
				if p.Undoes != freezeID || len(p.Notes) == 0 || !strings.Contains(p.Notes[0], "frozen by nscope's kill kill-1") {
					t.Fatalf("thaw plan %+v: want it to end the kill's freeze %s and say so", p, freezeID)
				}
				if _, err := ed.ApplyFreeze(t.Context(), p); err != nil {
					t.Fatal(err)
				}
			}
			if got := fsys.File(state); got != "THAWED" {
				t.Errorf("freezer.state = %q, want THAWED", got)
			}
			changes, _ := ed.Journal().Changes()
			for _, c := range changes {
				if c.ID == freezeID && c.UndoneBy == "" {
					t.Errorf("the kill's freeze is not marked undone: %+v", c)
				}
				if c.Undoable() {
					t.Errorf("change %s (%s) is still undoable", c.ID, c.Action)
				}
			}
		})
	}
}
