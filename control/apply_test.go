package control

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
)

func planFor(t *testing.T, ed *Editor, path string, l Limits) *Plan {
	t.Helper()
	target, err := ed.Resolve(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ed.Plan(target, l)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	return p
}

// journalLines returns "phase file old→new result" per journal entry.
func journalLines(t *testing.T, ed *Editor) []string {
	t.Helper()
	entries, skipped, err := ed.Journal().Entries()
	if err != nil || skipped != 0 {
		t.Fatalf("journal: %v (%d skipped)", err, skipped)
	}
	var out []string
	for _, e := range entries {
		out = append(out, strings.Join([]string{e.Action, e.Phase, e.File, e.Old + "→" + e.New, e.ReadBack, e.Result}, " "))
	}
	return out
}

func TestApplyReadsBackAndJournals(t *testing.T) {
	ed, fsys := fakeEditor(t, inspect.CgroupUnified)
	// 1000000001 bytes: the kernel rounds down to whole pages.
	p := planFor(t, ed, "/app/web", mustLimits(t, "0.5", "1000000001", ""))
	res, err := ed.Apply(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	type oldNew struct{ File, Before, After string }
	var got []oldNew
	for _, w := range res.Writes {
		got = append(got, oldNew{w.File, w.Before, w.After})
	}
	want := []oldNew{{"cpu.max", "max 100000", "50000 100000"}, {"memory.max", "max", "999997440"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("old → new read back (-want +got):\n%s", diff)
	}
	if v := fsys.File(FakeRoot + "/app/web/memory.max"); v != "999997440" {
		t.Errorf("memory.max holds %q", v)
	}
	wantJournal := []string{
		"set before cpu.max max 100000→50000 100000  ",
		"set after cpu.max max 100000→50000 100000 50000 100000 ok",
		"set before memory.max max→1000000001  ",
		"set after memory.max max→1000000001 999997440 ok",
	}
	if diff := cmp.Diff(wantJournal, journalLines(t, ed)); diff != "" {
		t.Errorf("journal (-want +got):\n%s", diff)
	}
}

func TestApplyRollsBackOnKernelError(t *testing.T) {
	ed, fsys := fakeEditor(t, inspect.CgroupLegacy)
	// v1 refuses a memory limit below usage with EBUSY.
	fsys.SetFile(FakeRoot+"/memory/app/web/memory.usage_in_bytes", "900000000")
	p := planFor(t, ed, "/app/web", mustLimits(t, "0.5", "512M", "50"))
	res, err := ed.Apply(t.Context(), p)
	if !errors.Is(err, unix.EBUSY) {
		t.Fatalf("Apply error %v, want EBUSY", err)
	}
	for _, want := range []string{
		"nothing was changed (/fake/sys/fs/cgroup/cpu/app/web/cpu.cfs_quota_us rolled back)",
		`write "536870912" to /fake/sys/fs/cgroup/memory/app/web/memory.limit_in_bytes: device or resource busy (EBUSY): the kernel could not reclaim enough memory`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q\ndoes not say %q", err, want)
		}
	}
	if got := fsys.File(FakeRoot + "/cpu/app/web/cpu.cfs_quota_us"); got != "-1" {
		t.Errorf("cpu.cfs_quota_us = %q after rollback, want -1", got)
	}
	if got := fsys.File(FakeRoot + "/pids/app/web/pids.max"); got != "max" {
		t.Errorf("pids.max = %q, want untouched max", got)
	}
	var states []string
	for _, w := range res.Writes {
		states = append(states, w.File+" done="+boolStr(w.Done)+" rolledback="+boolStr(w.RolledBack)+" skipped="+boolStr(w.Skipped)+" errno="+w.Errno)
	}
	wantStates := []string{
		"cpu.cfs_quota_us done=true rolledback=true skipped=false errno=",
		"memory.limit_in_bytes done=false rolledback=false skipped=false errno=EBUSY",
		"pids.max done=false rolledback=false skipped=true errno=",
	}
	if diff := cmp.Diff(wantStates, states); diff != "" {
		t.Errorf("write results (-want +got):\n%s", diff)
	}
	changes, err := ed.Journal().Changes()
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 2 || changes[0].UndoneBy != changes[1].ID || changes[1].Action != "rollback" || changes[0].Status() != "undone" {
		t.Errorf("journal changes = %+v, want the set undone by a rollback", changes)
	}
	if _, err := ed.PlanUndo("/app/web", false); !errors.Is(err, ErrNothingToUndo) {
		t.Errorf("PlanUndo after a rolled-back change: %v, want ErrNothingToUndo", err)
	}
}

func TestApplyInjectedErrnos(t *testing.T) {
	tests := []struct {
		name  string
		mode  inspect.CgroupMode
		file  string
		errno unix.Errno
		l     func(t *testing.T) Limits
		want  string
	}{
		{name: "EINVAL cpu", mode: inspect.CgroupUnified, file: "cpu.max", errno: unix.EINVAL, l: func(t *testing.T) Limits { return mustLimits(t, "1", "", "") },
			want: "invalid argument (EINVAL): the kernel rejected the CPU limit: the period must be 1ms–1s"},
		{name: "ERANGE weight", mode: inspect.CgroupUnified, file: "cpu.weight", errno: unix.ERANGE, l: func(t *testing.T) Limits { return Limits{CPUWeight: ptr(int64(5))} },
			want: "(ERANGE): cpu.weight must be 1–10000"},
		{name: "ENODEV io", mode: inspect.CgroupUnified, file: "io.max", errno: unix.ENODEV, l: func(t *testing.T) Limits { return mustLimits(t, "", "", "", "io.max=8:0 rbps=1M") },
			want: "no such device (ENODEV): no such block device"},
		{name: "EACCES delegation", mode: inspect.CgroupUnified, file: "pids.max", errno: unix.EACCES, l: func(t *testing.T) Limits { return mustLimits(t, "", "", "5") },
			want: "permission denied (EACCES): permission denied: only root, or the user the cgroup is delegated to"},
		{name: "EPERM", mode: inspect.CgroupLegacy, file: "pids.max", errno: unix.EPERM, l: func(t *testing.T) Limits { return mustLimits(t, "", "", "5") },
			want: "(EPERM): permission denied"},
		{name: "ENOENT vanished", mode: inspect.CgroupLegacy, file: "memory.limit_in_bytes", errno: unix.ENOENT, l: func(t *testing.T) Limits { return mustLimits(t, "", "1G", "") },
			want: "(ENOENT): the cgroup or file does not exist: the cgroup may have been removed"},
		{name: "EBUSY v2", mode: inspect.CgroupUnified, file: "memory.max", errno: unix.EBUSY, l: func(t *testing.T) Limits { return mustLimits(t, "", "1G", "") },
			want: "(EBUSY): the kernel reports the resource busy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ed, fsys := fakeEditor(t, tc.mode)
			p := planFor(t, ed, "/app/web", tc.l(t))
			fsys.FailWrite(tc.file, tc.errno)
			res, err := ed.Apply(t.Context(), p)
			if !errors.Is(err, tc.errno) {
				t.Fatalf("Apply error %v, want %v", err, tc.errno)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "nothing was changed") {
				t.Errorf("error %q\ndoes not say %q and that nothing was changed", err, tc.want)
			}
			var kerr *KernelError
			if !errors.As(err, &kerr) || kerr.Errno() != unix.ErrnoName(tc.errno) {
				t.Errorf("error is not a *KernelError with errno %s: %#v", unix.ErrnoName(tc.errno), kerr)
			}
			if res.Writes[0].Errno != unix.ErrnoName(tc.errno) {
				t.Errorf("WriteResult.Errno = %q", res.Writes[0].Errno)
			}
			if len(fsys.Writes()) != 0 {
				t.Errorf("writes happened: %v", fsys.Writes())
			}
		})
	}
}

func TestApplyRefusals(t *testing.T) {
	t.Run("read-only", func(t *testing.T) {
		fsys, layout := NewFakeHost(inspect.CgroupUnified)
		fsys.AddCgroup(layout, "/app")
		ed := New(layout, WithFS(fsys), WithJournalDir(t.TempDir()), ReadOnly("--read-only is set"))
		p := planFor(t, ed, "/app", mustLimits(t, "1", "", ""))
		_, err := ed.Apply(t.Context(), p)
		if !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), "--read-only is set") {
			t.Fatalf("Apply = %v, want ErrReadOnly with the reason", err)
		}
		if len(fsys.Writes()) != 0 {
			t.Errorf("wrote %v while read-only", fsys.Writes())
		}
	})
	t.Run("journal not writable", func(t *testing.T) {
		fsys, layout := NewFakeHost(inspect.CgroupUnified)
		fsys.AddCgroup(layout, "/app")
		blocker := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(blocker, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		ed := New(layout, WithFS(fsys), WithJournalDir(filepath.Join(blocker, "state")))
		p := planFor(t, ed, "/app", mustLimits(t, "1", "", ""))
		_, err := ed.Apply(t.Context(), p)
		if !errors.Is(err, ErrJournal) || !strings.Contains(err.Error(), "nothing was written") {
			t.Fatalf("Apply = %v, want ErrJournal saying nothing was written", err)
		}
		if len(fsys.Writes()) != 0 {
			t.Errorf("wrote %v without a journal", fsys.Writes())
		}
	})
	t.Run("tampered plan file", func(t *testing.T) {
		ed, fsys := fakeEditor(t, inspect.CgroupUnified)
		p := planFor(t, ed, "/app/web", mustLimits(t, "1", "", ""))
		p.Writes[0].File = "cgroup.procs"
		if _, err := ed.Apply(t.Context(), p); !errors.Is(err, ErrNotAllowed) {
			t.Fatalf("Apply = %v, want ErrNotAllowed", err)
		}
		p.Writes[0].File = "cpu.max"
		p.Writes[0].Dir = "/etc"
		if _, err := ed.Apply(t.Context(), p); !errors.Is(err, ErrOutsideCgroupFS) {
			t.Fatalf("Apply = %v, want ErrOutsideCgroupFS", err)
		}
		if len(fsys.Writes()) != 0 {
			t.Errorf("wrote %v", fsys.Writes())
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ed, fsys := fakeEditor(t, inspect.CgroupUnified)
		p := planFor(t, ed, "/app/web", mustLimits(t, "1", "", ""))
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := ed.Apply(ctx, p); !errors.Is(err, context.Canceled) {
			t.Fatalf("Apply = %v, want context.Canceled", err)
		}
		if len(fsys.Writes()) != 0 {
			t.Errorf("wrote %v", fsys.Writes())
		}
	})
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
