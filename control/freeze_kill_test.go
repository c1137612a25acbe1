package control

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/inspect"
)

func TestFreezeThawFake(t *testing.T) {
	tests := []struct {
		name       string
		mode       inspect.CgroupMode
		file       string
		frozen     string
		thawed     string
		wantFrozen string
	}{
		{name: "v2", mode: inspect.CgroupUnified, file: "/app/web/cgroup.freeze", frozen: "1", thawed: "0", wantFrozen: "frozen"},
		{name: "v1", mode: inspect.CgroupLegacy, file: "/freezer/app/web/freezer.state", frozen: "FROZEN", thawed: "THAWED", wantFrozen: "FROZEN"},
		{name: "hybrid uses the v1 freezer", mode: inspect.CgroupHybrid, file: "/freezer/app/web/freezer.state", frozen: "FROZEN", thawed: "THAWED", wantFrozen: "FROZEN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ed, fsys := fakeEditor(t, tc.mode)
			target, _ := ed.Resolve("/app/web")
			res, err := ed.Freeze(t.Context(), target)
			if err != nil {
				t.Fatal(err)
			}
			if got := fsys.File(FakeRoot + tc.file); got != tc.frozen {
				t.Errorf("after Freeze %s = %q, want %q", tc.file, got, tc.frozen)
			}
			if res.Writes[0].After != tc.wantFrozen {
				t.Errorf("Freeze result After = %q, want %q", res.Writes[0].After, tc.wantFrozen)
			}
			// Undo of a freeze thaws.
			if _, _, err := ed.Undo(t.Context(), "/app/web", false); err != nil {
				t.Fatal(err)
			}
			if got := fsys.File(FakeRoot + tc.file); got != tc.thawed {
				t.Errorf("after undo %s = %q, want %q", tc.file, got, tc.thawed)
			}
			if _, err := ed.Freeze(t.Context(), target); err != nil {
				t.Fatal(err)
			}
			if _, err := ed.Thaw(t.Context(), target); err != nil {
				t.Fatal(err)
			}
			if got := fsys.File(FakeRoot + tc.file); got != tc.thawed {
				t.Errorf("after Thaw %s = %q, want %q", tc.file, got, tc.thawed)
			}
		})
	}
}

func TestFreezeRefusesRoot(t *testing.T) {
	ed, _ := fakeEditor(t, inspect.CgroupUnified)
	root, _ := ed.Resolve("/")
	if _, err := ed.PlanFreeze(root, true); !errors.Is(err, ErrRefused) {
		t.Errorf("PlanFreeze(/) = %v, want ErrRefused", err)
	}
	if _, err := ed.PlanKill(root); !errors.Is(err, ErrRefused) {
		t.Errorf("PlanKill(/) = %v, want ErrRefused", err)
	}
}

func TestFreezeTimeoutSaysWhy(t *testing.T) {
	ed, fsys := fakeEditor(t, inspect.CgroupLegacy)
	target, _ := ed.Resolve("/app/web")
	// A freezer that never settles: the kernel keeps reporting FREEZING.
	fsys.OnWrite(func(path, value string) {
		if strings.HasSuffix(path, "freezer.state") && value == "FROZEN" {
			fsys.SetFile(path, "FREEZING")
		}
	})
	_, err := ed.Freeze(t.Context(), target)
	if err == nil || !strings.Contains(err.Error(), `still reads "FREEZING"`) || !strings.Contains(err.Error(), "uninterruptible sleep") {
		t.Fatalf("Freeze = %v, want a timeout naming FREEZING and D state", err)
	}
}

func TestKillFake(t *testing.T) {
	t.Run("v2 writes cgroup.kill", func(t *testing.T) {
		ed, fsys := fakeEditor(t, inspect.CgroupUnified)
		fsys.AddCgroup(ed.Layout(), "/app/web/worker")
		fsys.AddProcs(FakeRoot+"/app/web", 101, 102)
		fsys.AddProcs(FakeRoot+"/app/web/worker", 103)
		target, _ := ed.Resolve("/app/web")
		kp, err := ed.PlanKill(target)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int{101, 102, 103}, kp.PIDs); diff != "" || kp.Method != "cgroup.kill" {
			t.Errorf("PlanKill = %s %v (-want +got):\n%s", kp.Method, kp.PIDs, diff)
		}
		res, err := ed.Kill(t.Context(), kp)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Remaining) != 0 || fsys.File(FakeRoot+"/app/web/cgroup.procs") != "" {
			t.Errorf("after kill: remaining %v, procs %q", res.Remaining, fsys.File(FakeRoot+"/app/web/cgroup.procs"))
		}
		if diff := cmp.Diff([]string{FakeRoot + "/app/web/cgroup.kill=1"}, fsys.Writes()); diff != "" {
			t.Errorf("writes (-want +got):\n%s", diff)
		}
	})
	t.Run("v1 freezes, signals each member, thaws", func(t *testing.T) {
		ed, fsys := fakeEditor(t, inspect.CgroupLegacy)
		fsys.AddProcs(FakeRoot+"/memory/app/web", 201, 202)
		fsys.AddProcs(FakeRoot+"/freezer/app/web", 201, 202)
		fsys.AddProcs(FakeRoot+"/pids/app/web", 201, 202)
		forked := false
		// A member forks right as the freeze is requested, before the
		// kernel stops it: the new child must be killed too.
		fsys.OnWrite(func(path, value string) {
			if strings.HasSuffix(path, "freezer.state") && value == "FROZEN" && !forked {
				forked = true
				fsys.AddProcs(FakeRoot+"/memory/app/web", 203)
			}
		})
		target, _ := ed.Resolve("/app/web")
		kp, err := ed.PlanKill(target)
		if err != nil {
			t.Fatal(err)
		}
		res, err := ed.Kill(t.Context(), kp)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]int{201, 202, 203}, res.Signalled); diff != "" {
			t.Errorf("signalled (-want +got):\n%s", diff)
		}
		if len(res.Remaining) != 0 {
			t.Errorf("remaining %v", res.Remaining)
		}
		wantWrites := []string{FakeRoot + "/freezer/app/web/freezer.state=FROZEN", FakeRoot + "/freezer/app/web/freezer.state=THAWED"}
		if diff := cmp.Diff(wantWrites, fsys.Writes()); diff != "" {
			t.Errorf("writes (-want +got):\n%s", diff)
		}
		// The kill, and its freeze and thaw as changes of their own, marked
		// as the kill's: the freeze undone by the thaw, nothing undoable.
		changes, _ := ed.Journal().Changes()
		if len(changes) != 3 || changes[0].Action != "kill" || changes[1].Action != "freeze" || changes[2].Action != "thaw" {
			t.Fatalf("journal = %+v, want the kill, its freeze and its thaw", changes)
		}
		for _, c := range changes {
			if c.Undoable() {
				t.Errorf("change %s (%s) can be undone", c.ID, c.Action)
			}
		}
		if changes[1].ForKill != changes[0].ID || changes[1].UndoneBy != changes[2].ID || changes[2].ForKill != changes[0].ID {
			t.Errorf("freeze %+v and thaw %+v are not marked as the kill's", changes[1], changes[2])
		}
	})
	t.Run("a PID that left is not signalled", func(t *testing.T) {
		ed, fsys := fakeEditor(t, inspect.CgroupLegacy)
		fsys.AddProcs(FakeRoot+"/memory/app/web", 301)
		target, _ := ed.Resolve(FakeRoot + "/memory/app/web")
		kp, _ := ed.PlanKill(target)
		fsys.SetFile(FakeRoot+"/memory/app/web/cgroup.procs", "") // exited meanwhile
		res, err := ed.Kill(t.Context(), kp)
		if err != nil {
			t.Fatal(err)
		}
		if len(fsys.Killed()) != 0 || len(res.Signalled) != 0 {
			t.Errorf("killed %v, want nobody", fsys.Killed())
		}
	})
	t.Run("read-only", func(t *testing.T) {
		fsys, layout := NewFakeHost(inspect.CgroupUnified)
		fsys.AddCgroup(layout, "/app")
		fsys.AddProcs(FakeRoot+"/app", 5)
		ed := New(layout, WithFS(fsys), WithJournalDir(t.TempDir()), ReadOnly("--read-only is set"))
		target, _ := ed.Resolve("/app")
		kp, err := ed.PlanKill(target)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ed.Kill(t.Context(), kp); !errors.Is(err, ErrReadOnly) {
			t.Errorf("Kill = %v, want ErrReadOnly", err)
		}
		if len(fsys.Killed()) != 0 {
			t.Errorf("killed %v while read-only", fsys.Killed())
		}
	})
}
