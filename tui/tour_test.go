package tui

import (
	"strings"
	"testing"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// smallTour walks the small host: the stress process, rootless podman's
// pid namespace in the nesting tree, the demo cgroup, and an item that is
// not there.
func smallTour() *Tour {
	return &Tour{Title: "Tour", Steps: []TourStep{
		{
			Title: "PIDs", View: ProcessesView, Expand: true,
			Target: func(ix *procview.Index) (procview.Key, bool) {
				p := ix.Snap.Process(801)
				return procview.ProcessKey(p), p != nil
			},
			Look: "stress is PID 801 on the host and PID 2 in its own pid namespace.",
			Why:  "A pid namespace numbers its processes on its own.",
			Try:  "grep NSpid /proc/801/status",
		},
		{
			Title: "nesting", View: NamespacesView, Nesting: true,
			Target: func(*procview.Index) (procview.Key, bool) { return procview.NamespaceKey(podPID), true },
			Look:   "podman's pid namespace nests in the host's, although alice's user namespace owns it.",
			Why:    "Ownership and nesting are two trees.",
			Try:    "nscope ns --tree --nesting",
		},
		{
			Title: "a CPU limit", View: CgroupsView,
			Target: func(ix *procview.Index) (procview.Key, bool) {
				c := ix.Snap.Cgroup(0, "/nscope-run-demo")
				return procview.CgroupKey(c), c != nil
			},
			Look: "demo may use 20% of a CPU and is throttled.",
		},
		{
			Title: "gone", View: NamespacesView,
			Target: func(*procview.Index) (procview.Key, bool) { return procview.Key{}, false },
			Look:   "This step's item is not there.",
		},
	}}
}

// TestTourSteps: the tour opens its first step on the first scan; n and →
// go on, p and ← back, each step showing its view and tree with its item
// selected and opened, and its lesson; the first and last steps say so;
// a step whose item is missing says it waits; other keys still work.
func TestTourSteps(t *testing.T) {
	m, _ := teachModel(t, 120, 40, Options{Tour: smallTour()})
	selected := func() procview.Key {
		if r := m.list().selected(); r != nil {
			return r.Key
		}
		return procview.Key{}
	}
	check := func(step int, view ViewID, k procview.Key, text ...string) {
		t.Helper()
		if m.tour.step != step || m.view != view {
			t.Errorf("at step %d view %v, want step %d view %v", m.tour.step, m.view, step, view)
		}
		if !k.IsZero() && selected() != k {
			t.Errorf("step %d selected %v, want %v", step, selected(), k)
		}
		s := screen(m)
		for _, w := range text {
			if !strings.Contains(s, w) {
				t.Errorf("step %d: the screen lacks %q:\n%s", step, w, s)
			}
		}
		lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
		if len(lines) != 40 || !strings.Contains(lines[38], "cgroup v2") {
			t.Errorf("step %d: the status line is not the last but one of 40 lines:\n%s", step, s)
		}
	}
	stress := procview.ProcessKey(m.snap.Process(801))
	check(0, ProcessesView, stress, "─ Tour 1/4: PIDs", "Look: stress is PID 801", "Try: grep NSpid /proc/801/status", "n/→ next · p/← back · q ends")
	keys(m, "p")
	if !strings.Contains(m.flash.Text+screen(m), "this is the first step") {
		t.Errorf("p on the first step says nothing:\n%s", screen(m))
	}
	keys(m, "n")
	check(1, NamespacesView, procview.NamespaceKey(podPID), "Tour 2/4: nesting", "nesting tree")
	// The nesting tree draws podman's pid namespace under the host's.
	for i, r := range m.list().rows {
		if r.Namespace.ID == podPID {
			if i == 0 || m.list().rows[i-1].Namespace.Type != inspect.PIDNS {
				t.Errorf("podman's pid namespace is not under a pid namespace in the nesting tree")
			}
		}
	}
	keys(m, "right")
	check(2, CgroupsView, procview.MergedKey("/nscope-run-demo"), "Tour 3/4: a CPU limit")
	// Other keys still work: i explains the cgroup.
	keys(m, "i")
	if m.dialogs.Len() != 1 {
		t.Error("i does not open the lesson during the tour")
	}
	runCmd(m, send(m, press("esc")))
	keys(m, "n")
	check(3, NamespacesView, procview.Key{}, "Tour 4/4: gone", "waiting for the next scan")
	if m.list().opt.Nesting {
		t.Error("a step without Nesting left the nesting tree on")
	}
	keys(m, "n")
	if !strings.Contains(m.flash.Text, "this is the last step: q ends the tour") {
		t.Errorf("n on the last step says %q", m.flash.Text)
	}
	keys(m, "left", "p")
	check(1, NamespacesView, procview.NamespaceKey(podPID))
}

// TestGoldenTour renders the lesson panel at both golden sizes.
func TestGoldenTour(t *testing.T) {
	for _, size := range goldenSizes {
		for _, step := range []int{0, 1} {
			name := "tour-step" + itoa(step+1) + "-" + itoa(size[0]) + "x" + itoa(size[1])
			t.Run(name, func(t *testing.T) {
				m, _ := teachModel(t, size[0], size[1], Options{Tour: smallTour()})
				for range step {
					teachKeys(m, "n")
				}
				readContent(m)
				checkGolden(t, name, screen(m))
			})
		}
	}
}
