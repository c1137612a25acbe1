package inspect

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestContainersJSON: containers and the references on processes,
// cgroups and namespaces survive a save and load, the compact writer
// writes the same document, and the lookups work on the loaded snapshot.
func TestContainersJSON(t *testing.T) {
	snap, res := testHost(true)
	attachTest(t, snap, res)
	checkCompactJSON(t, snap)
	var buf bytes.Buffer
	if err := snap.WriteJSONCompact(&buf); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(snap, loaded, cmpopts.IgnoreUnexported(Snapshot{}), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("round trip mismatch (-saved +loaded):\n%s", diff)
	}
	for i := range snap.Containers {
		c := &snap.Containers[i]
		lc := loaded.Container(c.Ref())
		if lc == nil {
			t.Fatalf("loaded snapshot has no %s", c.Ref())
		}
		if a, b := containerLine(snap, c), containerLine(loaded, lc); a != b {
			t.Errorf("loaded container differs:\n saved  %s\n loaded %s", a, b)
		}
		if len(snap.ContainerCgroups(c)) != len(loaded.ContainerCgroups(lc)) || len(snap.ContainerNamespaces(c)) != len(loaded.ContainerNamespaces(lc)) {
			t.Errorf("%s: cgroups or namespaces differ after loading", c.Ref())
		}
	}
}

// TestLoadSnapshotWithoutContainers: snapshots saved before containers
// were discovered load with none, and their lookups answer nil.
func TestLoadSnapshotWithoutContainers(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "tui", "testdata", "host-1.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	snap, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Containers) != 0 || snap.ContainerOf(1) != nil || snap.Container(ContainerRef{"docker", "x"}) != nil {
		t.Errorf("old snapshot: %d containers", len(snap.Containers))
	}
	if _, err := snap.ResolveContainer("web"); err == nil {
		t.Error("an old snapshot resolved a container")
	}
}
