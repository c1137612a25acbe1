package control

import (
	"errors"
	"strings"
	"testing"

	"github.com/nscope/nscope/inspect"
)

// TestDirectoryUnderOneMountStaysThere: a directory under one v1 mount
// names that hierarchy's cgroup. A limit whose controller lives in
// another hierarchy is refused with the directory it would go to, never
// written to the cgroup at the same path there (which may not be the
// user's, or may exist where the named one does not).
func TestDirectoryUnderOneMountStaysThere(t *testing.T) {
	fsys, layout := NewFakeHost(inspect.CgroupHybrid)
	byCtrl := func(c string) *inspect.Hierarchy { return layout.ForController(c) }
	// memory:/T/onlymem exists, pids:/T/onlymem does not.
	fsys.mkdir(byCtrl("memory"), "/T")
	fsys.mkdir(byCtrl("memory"), "/T/onlymem")
	// /svc exists in pids, memory and freezer: another service's.
	for _, c := range []string{"pids", "memory", "freezer"} {
		fsys.mkdir(byCtrl(c), "/svc")
	}
	ed := New(layout, WithFS(fsys), WithJournalDir(t.TempDir()), WithTimeouts(0, 0))
	tests := []struct {
		name   string
		target string
		plan   func(Target) error
		want   []string
	}{
		{
			name: "memory limit on a pids directory that does not exist", target: FakeRoot + "/pids/T/onlymem",
			plan: func(tg Target) error { _, err := ed.Plan(tg, mustLimits(t, "", "100M", "")); return err },
			want: []string{"memory limits live in the memory hierarchy, at " + FakeRoot + "/memory/T/onlymem", FakeRoot + "/pids/T/onlymem does not exist"},
		},
		{
			name: "memory limit on another service's pids directory", target: FakeRoot + "/pids/svc",
			plan: func(tg Target) error { _, err := ed.Plan(tg, mustLimits(t, "", "1G", "")); return err },
			want: []string{"memory limits live in the memory hierarchy, at " + FakeRoot + "/memory/svc", "is in the pids hierarchy, which has no memory controller", "or /svc for"},
		},
		{
			name: "raw v1 file of another controller", target: FakeRoot + "/pids/svc",
			plan: func(tg Target) error {
				_, err := ed.Plan(tg, mustLimits(t, "", "", "", "memory.limit_in_bytes=1G"))
				return err
			},
			want: []string{"memory limits live in the memory hierarchy"},
		},
		{
			name: "cpu limit where the cpu cgroup does not exist either", target: FakeRoot + "/pids/svc",
			plan: func(tg Target) error { _, err := ed.Plan(tg, mustLimits(t, "0.5", "", "")); return err },
			want: []string{"cpu limits live in the cpu hierarchy, at " + FakeRoot + "/cpu/svc (which does not exist either)"},
		},
		{
			name: "freeze through a pids directory", target: FakeRoot + "/pids/svc",
			plan: func(tg Target) error { _, err := ed.PlanFreeze(tg, true); return err },
			want: []string{"freezing lives in the freezer hierarchy, at " + FakeRoot + "/freezer/svc"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg, err := ed.Resolve(tc.target)
			if err != nil {
				t.Fatal(err)
			}
			err = tc.plan(tg)
			if !errors.Is(err, ErrInvalidValue) {
				t.Fatalf("plan for %s: %v, want a refusal (ErrInvalidValue)", tc.target, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("refusal %q does not say %q", err, w)
				}
			}
		})
	}
	// The controller's own directory, or the path for every hierarchy,
	// still works.
	for _, name := range []string{FakeRoot + "/memory/T/onlymem", "/svc"} {
		tg, _ := ed.Resolve(name)
		if _, err := ed.Plan(tg, mustLimits(t, "", "100M", "")); err != nil {
			t.Errorf("Plan(%s, memory) = %v", name, err)
		}
	}
	if w := fsys.Writes(); len(w) != 0 {
		t.Errorf("plans wrote %v", w)
	}
}
