package control

import (
	"github.com/nscope/nscope/internal/testutil"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLiveV1KillFrozenCgroup: a kill of a cgroup someone froze signals
// its members and thaws it, so they die, and says so; before, it
// reported success while they sat frozen until someone thawed them.
func TestLiveV1KillFrozenCgroup(t *testing.T) {
	lv := newLiveV1(t, "freezer", "pids")
	if lv.rel["freezer"] != lv.rel["pids"] {
		t.Skipf("own cgroups differ between freezer (%s) and pids (%s)", lv.rel["freezer"], lv.rel["pids"])
	}
	ed := New(lv.layout, WithJournalDir(t.TempDir()), WithTimeouts(20*time.Millisecond, 3*time.Second))
	h := startHelper(t, "forker:3")
	// Runs before the helper's cleanup, which waits for it to die: a
	// kill that leaves it frozen fails the test instead of hanging it.
	t.Cleanup(func() { os.WriteFile(filepath.Join(lv.dir["freezer"], "freezer.state"), []byte("THAWED"), 0) })
	testutil.Place(t, h.cmd.Process.Pid, lv.dir["freezer"], lv.dir["pids"])
	h.release(t)
	procs := func() []string {
		data, _ := os.ReadFile(filepath.Join(lv.dir["pids"], "cgroup.procs"))
		return strings.Fields(string(data))
	}
	for deadline := time.Now().Add(10 * time.Second); len(procs()) < 4; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("forker did not start its 3 children")
		}
	}
	state := filepath.Join(lv.dir["freezer"], "freezer.state")
	if err := os.WriteFile(state, []byte("FROZEN"), 0); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if s, _ := os.ReadFile(state); strings.TrimSpace(string(s)) == "FROZEN" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the test cgroup did not freeze")
		}
	}
	target, err := ed.Resolve(lv.rel["pids"])
	if err != nil {
		t.Fatal(err)
	}
	kp, err := ed.PlanKill(target)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ed.Kill(t.Context(), kp)
	if err != nil || len(res.Remaining) != 0 {
		t.Fatalf("Kill of a frozen cgroup = %+v, %v; want every member dead", res, err)
	}
	if left := procs(); len(left) != 0 {
		t.Errorf("members left: %v", left)
	}
	if !h.wait(5 * time.Second) {
		t.Fatal("the forker did not exit after the kill")
	}
	if ws := h.state.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("forker ended with %v, want SIGKILL", h.state)
	}
	if s, _ := os.ReadFile(state); strings.TrimSpace(string(s)) != "THAWED" {
		t.Errorf("freezer.state after the kill = %q, want THAWED", s)
	}
	changes, _ := ed.Journal().Changes()
	var thawed bool
	for _, c := range changes {
		if c.Action == "thaw" && c.ForKill == res.Change && c.Status() == "ok" {
			thawed = true
		}
	}
	if !thawed {
		t.Errorf("the kill's thaw is not journaled: %+v", changes)
	}
}
