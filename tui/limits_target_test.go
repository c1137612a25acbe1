package tui

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/inspect"
)

// TestResolveTarget: which cgroup an action acts on, for a selected
// cgroup or process, per controller, on v1 and v2.
func TestResolveTarget(t *testing.T) {
	v1 := v1Snapshot(t)
	v2 := loadFixture(t, "small-2")
	// cgroupIn returns the cgroup at path in the hierarchy carrying
	// controller (or the v2 one).
	cgroupIn := func(s *inspect.Snapshot, controller, path string) *inspect.Cgroup {
		h := s.HierarchyFor(controller)
		if h == nil {
			h = &s.Hierarchies[0]
		}
		return s.Cgroup(h.ID, path)
	}
	type want struct {
		Name string
		Path string
		Err  string
	}
	tests := []struct {
		name       string
		sel        Selection
		controller string
		want       want
	}{
		{name: "v2 cgroup cpu", sel: Selection{Snapshot: v2, Cgroup: cgroupIn(v2, "cpu", demoCgroup)}, controller: "cpu",
			want: want{Name: "cgroup /nscope-run-demo", Path: demoCgroup}},
		{name: "v2 process freezer", sel: Selection{Snapshot: v2, Process: v2.Process(801)}, controller: ctrlFreezer,
			want: want{Name: "cgroup /nscope-run-demo of PID 801 (stress)", Path: demoCgroup}},
		{name: "v2 process kill", sel: Selection{Snapshot: v2, Process: v2.Process(801)}, controller: ctrlSelf,
			want: want{Name: "cgroup /nscope-run-demo of PID 801 (stress)", Path: demoCgroup}},
		{name: "v1 memory cgroup, cpu limit", sel: Selection{Snapshot: v1, Cgroup: cgroupIn(v1, "memory", "/app/web")}, controller: "cpu",
			want: want{Name: "cpu cgroup /app/web", Path: "/app/web"}},
		{name: "v1 cpu cgroup, kill stays in cpu", sel: Selection{Snapshot: v1, Cgroup: cgroupIn(v1, "cpu", "/app/web")}, controller: ctrlSelf,
			want: want{Name: "cpu cgroup /app/web", Path: "/app/web"}},
		{name: "v1 cpu cgroup, freeze in freezer", sel: Selection{Snapshot: v1, Cgroup: cgroupIn(v1, "cpu", "/app/web")}, controller: ctrlFreezer,
			want: want{Name: "freezer cgroup /app/web", Path: "/app/web"}},
		{name: "v1 process pids", sel: Selection{Snapshot: v1, Process: v1.Process(900)}, controller: "pids",
			want: want{Name: "pids cgroup /app/web of PID 900 (sleep)", Path: "/app/web"}},
		{name: "v1 process kill uses freezer", sel: Selection{Snapshot: v1, Process: v1.Process(900)}, controller: ctrlSelf,
			want: want{Name: "freezer cgroup /app/web of PID 900 (sleep)", Path: "/app/web"}},
		{name: "v1 no io", sel: Selection{Snapshot: v1, Process: v1.Process(900)}, controller: "io",
			want: want{Err: "no mounted cgroup hierarchy carries the io controller on this host (cgroup v1)"}},
		{name: "v1 path missing in cpu", sel: Selection{Snapshot: v1, Cgroup: &inspect.Cgroup{Hierarchy: 4, Path: "/only-memory"}}, controller: "cpu",
			want: want{Err: "/only-memory is a cgroup of the memory hierarchy; the cpu hierarchy, which carries the cpu controller, has no cgroup /only-memory"}},
		{name: "nothing selected", sel: Selection{Snapshot: v1}, controller: "cpu",
			want: want{Err: "select a cgroup or a process"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got want
			tg, err := resolveTarget(tc.sel, tc.controller)
			if err != nil {
				got.Err = err.Error()
			} else {
				got.Name, got.Path = tg.name(), tg.path
				if tg.cg == nil || tg.cg.Hierarchy != tg.hier.ID || tg.cg.Path != tg.path {
					t.Errorf("target cgroup %+v does not match hierarchy %d path %s", tg.cg, tg.hier.ID, tg.path)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
