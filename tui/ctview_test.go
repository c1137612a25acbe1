package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/hostile"
	"github.com/nscope/nscope/procview"
)

// The containers fixture (ctfixture_capture_test.go): two real scans a
// second apart of docker, podman and runc containers.

// TestGoldenContainers renders the Containers view and what links to it.
func TestGoldenContainers(t *testing.T) {
	tests := []struct {
		name string
		keys []string
	}{
		{name: "containers", keys: []string{"4"}},
		// The throttled docker container's details: its usage, the
		// limits docker believes beside those in force, its namespaces.
		{name: "containers-web-detail", keys: []string{"4", "/", "shop", "enter", "down"}},
		{name: "containers-filter-pod", keys: []string{"4", "/", "nsfx-api", "enter"}},
		{name: "containers-by-cpu", keys: []string{"4", "s", "s"}},
		{name: "containers-explain", keys: []string{"4", "down", "i"}},
		{name: "containers-processes", keys: []string{"2"}},
		{name: "containers-namespaces", keys: []string{"1"}},
	}
	for _, tc := range tests {
		for _, size := range goldenSizes {
			name := tc.name + "-" + itoa(size[0]) + "x" + itoa(size[1])
			t.Run(name, func(t *testing.T) {
				m := liveModel(t, size[0], size[1], loadFixture(t, "containers-1"), loadFixture(t, "containers-2"))
				keys(m, tc.keys...)
				checkGolden(t, name, screen(m))
			})
		}
	}
}

// containersModel is the app on the containers fixture at 160x50.
func containersModel(t *testing.T) *Model {
	t.Helper()
	return liveModel(t, 160, 50, loadFixture(t, "containers-1"), loadFixture(t, "containers-2"))
}

// selectedContainer returns the container under the cursor, or nil.
func selectedContainer(m *Model) *inspect.Container {
	if r := m.list().selected(); r != nil {
		return r.Container
	}
	return nil
}

// focusLink moves the detail pane's focus to its first link of kind k
// and returns that link, failing the test when there is none.
func focusLink(t *testing.T, m *Model, k procview.Kind) procview.Key {
	t.Helper()
	for i, line := range m.detail.links {
		if m.detail.lines[line].link.Kind == k {
			m.detail.focus = i
			m.detail.moveFocus(0)
			return m.detail.focusedLink()
		}
	}
	t.Fatalf("the detail pane has no %s link:\n%s", k, screen(m))
	return procview.Key{}
}

// TestContainersKeyFlow: 4 opens the view, a container's details link
// its init, namespaces and cgroups one enter away, and esc comes back to
// the container each time.
func TestContainersKeyFlow(t *testing.T) {
	m := containersModel(t)
	keys(m, "4")
	if m.view != ContainersView {
		t.Fatalf("4 opened %v", m.view)
	}
	keys(m, "/", "docker", "enter")
	web := selectedContainer(m)
	for web != nil && web.Name != "nsfx-web" {
		before := m.list().cursor
		keys(m, "down")
		if m.list().cursor == before {
			break
		}
		web = selectedContainer(m)
	}
	if web == nil || web.Runtime != "docker" || web.Name != "nsfx-web" {
		t.Fatalf("cannot select docker:nsfx-web:\n%s", screen(m))
	}
	for _, kind := range []procview.Kind{procview.KindProcess, procview.KindNamespace, procview.KindCgroup} {
		t.Run(kind.String(), func(t *testing.T) {
			keys(m, "enter")
			if !m.detailFocus {
				t.Fatalf("enter did not focus the details")
			}
			link := focusLink(t, m, kind)
			keys(m, "enter")
			if m.view != viewOf(kind) {
				t.Fatalf("following %s opened %v", link, m.view)
			}
			// The Cgroups view shows a cgroup's row of the merged tree:
			// the same path.
			if r := m.list().selected(); r == nil || r.Key != link && !(r.Key.IsMerged() && r.Key.Cgroup.Path == link.Cgroup.Path) {
				t.Fatalf("following %s selected %v", link, r)
			}
			switch kind {
			case procview.KindProcess:
				if link.PID != web.InitPID {
					t.Errorf("the first process link is PID %d, the init is %d", link.PID, web.InitPID)
				}
				if !strings.Contains(screen(m), "container docker:nsfx-web") && !strings.Contains(screen(m), "container nsfx-web") {
					t.Errorf("the process's details do not name its container:\n%s", screen(m))
				}
			case procview.KindNamespace:
				if n := m.ix.Snap.Namespace(link.NS); n == nil || n.Container != web.Ref() && !n.Initial {
					t.Errorf("linked namespace %v is not web's own", n)
				}
			case procview.KindCgroup:
				if c := m.ix.Snap.Cgroup(link.Cgroup.Hierarchy, link.Cgroup.Path); c == nil || c.Container != web.Ref() {
					t.Errorf("linked cgroup %v is not web's", c)
				}
			}
			keys(m, "esc")
			if m.view != ContainersView || selectedContainer(m) == nil || selectedContainer(m).Ref() != web.Ref() {
				t.Fatalf("esc came back to %v, %v", m.view, selectedContainer(m))
			}
			keys(m, "esc")
		})
	}
	// From the process, the container is a link too.
	keys(m, "2", "/", "busybox dd", "enter", "enter")
	link := focusLink(t, m, procview.KindContainer)
	if link.Container != web.Ref() {
		t.Fatalf("the process links container %v, want %v", link.Container, web.Ref())
	}
	keys(m, "enter")
	if m.view != ContainersView || selectedContainer(m).Ref() != web.Ref() {
		t.Fatalf("following the container link opened %v at %v", m.view, selectedContainer(m))
	}
}

// TestContainersFilter: / in the Containers view matches names, images,
// pod names, compose projects and runtimes; in the other views it matches
// what belongs to those containers.
func TestContainersFilter(t *testing.T) {
	m := containersModel(t)
	keys(m, "4")
	names := func() []string {
		var out []string
		for _, r := range m.list().rows {
			out = append(out, procview.ContainerLabel(r.Container))
		}
		return out
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"shop", []string{"docker:nsfx-db", "docker:nsfx-web"}},
		{"nsfx-api", []string{"podman:ca1e7f225dbc-infra", "podman:nsfx-api-server"}},
		{"localhost/nsfx", []string{"podman:nsfx-api-server", "podman:nsfx-web"}},
		{"podman-pause", []string{"podman:ca1e7f225dbc-infra"}},
		{"runc", []string{"runc:nsfx-batch"}},
		{"nsfx-web", []string{"docker:nsfx-web", "podman:nsfx-web"}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			keys(m, "esc", "/", tc.query, "enter")
			got := names()
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("filter %q: %v, want %v", tc.query, got, tc.want)
			}
		})
	}
	keys(m, "esc", "2", "/", "shop", "enter")
	var pids []int
	for _, r := range m.list().rows {
		if !r.Context {
			pids = append(pids, r.Process.PID)
			if c := m.ix.ContainerOf(r.Process); c == nil || c.Compose == nil || c.Compose.Project != "shop" {
				t.Errorf("filter shop in the Processes view kept PID %d of %v", r.Process.PID, c)
			}
		}
	}
	if len(pids) != 2 {
		t.Errorf("filter shop kept processes %v, want the two compose containers' inits", pids)
	}
}

// TestContainersViewKeys: tab reaches the view, t says it is a list, and
// a selected container is what the actions act on (through its init).
func TestContainersViewKeys(t *testing.T) {
	m := containersModel(t)
	keys(m, "tab", "tab")
	if m.view != ContainersView {
		t.Fatalf("tab tab from Processes opened %v", m.view)
	}
	keys(m, "tab")
	if m.view != NamespacesView {
		t.Fatalf("tab from Containers opened %v", m.view)
	}
	keys(m, "4")
	if cmd := send(m, press("t")); cmd != nil {
		send(m, cmd())
	}
	if !strings.Contains(screen(m), "the Containers view is a list") {
		t.Errorf("t in the Containers view says nothing:\n%s", screen(m))
	}
	sel, ok := m.selection()
	c := selectedContainer(m)
	if !ok || sel.Kind != procview.KindContainer || sel.Container != c || sel.Process == nil || sel.Process.PID != c.InitPID {
		t.Errorf("selection %+v, want container %v with its init", sel, c)
	}
}

// TestHostileContainersTUI: container names, images, pods, compose
// projects and labels carrying terminal escapes, newlines, a C1 CSI, a
// bidi override and invalid UTF-8 (anyone who can run "docker run --name"
// or write a runtime's files chooses them) reach no view, detail pane or
// lesson unescaped, and no frame loses its shape.
func TestHostileContainersTUI(t *testing.T) {
	snap, err := hostile.Apply(loadFixture(t, "containers-2"), hostile.Classic)
	if err != nil {
		t.Fatal(err)
	}
	const w, h = 150, 40
	m := New(Options{Snapshot: snap, LoadedFrom: "evil.json"})
	send(m, tea.WindowSizeMsg{Width: w, Height: h})
	for _, view := range []string{"1", "2", "3", "4"} {
		keys(m, view)
		for _, step := range []string{"list", "down", "detail", "explain"} {
			switch step {
			case "down":
				keys(m, "down")
			case "detail":
				keys(m, "enter")
			case "explain":
				if cmd := send(m, press("i")); cmd != nil {
					send(m, cmd())
				}
			}
			checkFrame(t, "view "+view+" "+step+" (render)", m.render(), w, h)
			checkFrame(t, "view "+view+" "+step+" (View)", m.View().Content, w, h)
		}
		keys(m, "esc", "esc")
	}
	keys(m, "4")
	if s := screen(m); !strings.Contains(s, `\e[31mred\nrow`) {
		t.Errorf("the Containers view does not show the name escaped:\n%s", s)
	}
}
