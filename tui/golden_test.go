package tui

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenSizes are the terminal sizes every golden view is checked at.
var goldenSizes = [][2]int{{80, 24}, {160, 50}}

// TestGolden renders views of the saved-snapshot fixtures, driven by the
// messages the running app gets (window size, scan results, key presses),
// and compares the screens without colours with testdata/golden. Run
// "go test ./tui -run TestGolden -update" after an intended change and
// review the diff.
func TestGolden(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		keys    []string
	}{
		// The small host (tui/fixture_gen_test.go describes it): two scans
		// a second apart, so CPU, quota and throttling rates show.
		{name: "processes", fixture: "small"},
		{name: "processes-by-cpu-flat", fixture: "small", keys: []string{"s", "t"}},
		{name: "namespaces", fixture: "small", keys: []string{"1"}},
		// The merged cgroup tree (the default) on the v2 host, sorted by
		// CPU with the top selected.
		{name: "cgroups", fixture: "small", keys: []string{"3"}},
		{name: "cgroups-by-cpu", fixture: "small", keys: []string{"3", "s"}},
		// Select the nginx master, open its links, go down past its
		// parent and its host PID to its PID inside the container.
		{name: "process-detail-links", fixture: "small", keys: []string{"/", "nginx: master", "enter", "enter", "down", "down"}},
		// Follow the link: the Namespaces view opens on the container's
		// pid namespace.
		{name: "follow-link", fixture: "small", keys: []string{"/", "nginx: master", "enter", "enter", "down", "down", "enter"}},
		// esc comes back to the process with the link still focused.
		{name: "follow-link-back", fixture: "small", keys: []string{"/", "nginx: master", "enter", "enter", "down", "down", "enter", "esc"}},
		{name: "filter-namespace-id", fixture: "small", keys: []string{"/", "4026532600", "enter", "1", "/", "4026532600", "enter"}},
		{name: "cgroup-detail", fixture: "small", keys: []string{"3", "/", "nscope", "enter"}},
		{name: "collapsed", fixture: "small", keys: []string{"down", "left", "down", "down", "left"}},
		{name: "help", fixture: "small", keys: []string{"?"}},
		{name: "explain-user-ns", fixture: "small", keys: []string{"1", "down", "i"}},
		// The real host (tui/testdata/make-host-fixture.sh): a container
		// in v1 cgroups with a CPU quota it hits, namespaces held by a
		// bind mount, an fd and "ip netns add".
		{name: "host-processes", fixture: "host"},
		{name: "host-namespaces", fixture: "host", keys: []string{"1"}},
		{name: "host-cgroups", fixture: "host", keys: []string{"3", "/", "nscope-run-web", "enter"}},
		// The merged tree on the hybrid host: one row per path, each
		// number from its hierarchy; v shows the hierarchies apart.
		{name: "host-cgroups-merged", fixture: "host", keys: []string{"3"}},
		{name: "host-cgroups-per-hierarchy", fixture: "host", keys: []string{"3", "v"}},
	}
	for _, tc := range tests {
		for _, size := range goldenSizes {
			name := tc.name + "-" + itoa(size[0]) + "x" + itoa(size[1])
			t.Run(name, func(t *testing.T) {
				m := liveModel(t, size[0], size[1], loadFixture(t, tc.fixture+"-1"), loadFixture(t, tc.fixture+"-2"))
				keys(m, tc.keys...)
				checkGolden(t, name, screen(m))
			})
		}
	}
}

// checkGolden compares a screen with testdata/golden/NAME.txt, or writes
// it there with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".txt")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("screen differs from %s (-want +got):\n%s", path, diff)
	}
}
