package inspect

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func fixtureSnapshot(t *testing.T) *Snapshot {
	t.Helper()
	root := filepath.Join("..", "testdata", "hybridhost")
	snap, err := New(ProcRoot(filepath.Join(root, "proc")), SysRoot(filepath.Join(root, "sys")),
		RunRoot(filepath.Join(root, "run")), EtcRoot(filepath.Join(root, "etc"))).Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// TestSnapshotJSONRoundTrip checks that a saved snapshot loads back equal,
// with working lookups, as "nscope --load" needs.
func TestSnapshotJSONRoundTrip(t *testing.T) {
	snap := fixtureSnapshot(t)
	var buf bytes.Buffer
	if err := snap.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(snap, loaded, cmpopts.IgnoreUnexported(Snapshot{}), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("round trip mismatch (-saved +loaded):\n%s", diff)
	}
	for _, p := range snap.Processes {
		if loaded.Process(p.PID) == nil {
			t.Errorf("loaded snapshot cannot find process %d", p.PID)
		}
	}
	for _, c := range snap.Cgroups {
		if loaded.Cgroup(c.Hierarchy, c.Path) == nil {
			t.Errorf("loaded snapshot cannot find cgroup %d:%s", c.Hierarchy, c.Path)
		}
	}
	if len(loaded.NamespaceRoots()) == 0 || len(loaded.CgroupRoots()) != len(loaded.Hierarchies) {
		t.Errorf("loaded trees: %d namespace roots, %d cgroup roots for %d hierarchies",
			len(loaded.NamespaceRoots()), len(loaded.CgroupRoots()), len(loaded.Hierarchies))
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"not json", "hello", "decode snapshot"},
		{"newer schema", `{"schema_version": 99}`, "schema version 99 is not supported"},
		{"no schema", `{}`, "schema version 0 is not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Load(%q) error = %v, want it to mention %q", tc.in, err, tc.wantErr)
			}
		})
	}
}

// TestNamespaceTree checks the tree rules on a hand-built snapshot: user
// namespaces nest by parent; a pid namespace nests under its parent when
// both have the same owner, else under its owner; others hang under their
// owner.
func TestNamespaceTree(t *testing.T) {
	id := func(n uint64) NSID { return NSID{Dev: 4, Ino: n} }
	snap := &Snapshot{SchemaVersion: SchemaVersion, Namespaces: []Namespace{
		{ID: id(1), Type: UserNS, OwnerUID: 0},
		{ID: id(2), Type: PIDNS, Owner: id(1)},
		{ID: id(3), Type: UserNS, Parent: id(1), Owner: id(1), Level: 1},
		{ID: id(4), Type: PIDNS, Parent: id(2), Owner: id(3), Level: 1},
		{ID: id(5), Type: PIDNS, Parent: id(4), Owner: id(3), Level: 2},
		{ID: id(6), Type: NetNS, Owner: id(3)},
		{ID: id(7), Type: NetNS, Owner: id(99)}, // owner not visible
	}}
	snap.sortAll()
	snap.index()
	parent := func(n uint64) uint64 {
		p := snap.NamespaceTreeParent(snap.Namespace(id(n)))
		if p == nil {
			return 0
		}
		return p.ID.Ino
	}
	got := map[uint64]uint64{}
	for n := uint64(1); n <= 7; n++ {
		got[n] = parent(n)
	}
	want := map[uint64]uint64{1: 0, 2: 1, 3: 1, 4: 3, 5: 4, 6: 3, 7: 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tree parents (-want +got):\n%s", diff)
	}
	var roots []uint64
	for _, r := range snap.NamespaceRoots() {
		roots = append(roots, r.ID.Ino)
	}
	if diff := cmp.Diff([]uint64{1, 7}, roots, cmpopts.SortSlices(func(a, b uint64) bool { return a < b })); diff != "" {
		t.Errorf("roots (-want +got):\n%s", diff)
	}
	var kids []uint64
	for _, c := range snap.NamespaceChildren(id(3)) {
		kids = append(kids, c.ID.Ino)
	}
	if diff := cmp.Diff([]uint64{4, 6}, kids, cmpopts.SortSlices(func(a, b uint64) bool { return a < b })); diff != "" {
		t.Errorf("children of user 3 (-want +got):\n%s", diff)
	}
}

// TestWriteJSONCompact checks that the streaming writer produces the same
// document as the indented one.
func TestWriteJSONCompact(t *testing.T) {
	t.Run("fixture", func(t *testing.T) { checkCompactJSON(t, fixtureSnapshot(t)) })
	// This host's own processes, with whatever command lines and holders
	// they have.
	t.Run("live", func(t *testing.T) { checkCompactJSON(t, liveScan(t)) })
}

func checkCompactJSON(t *testing.T, snap *Snapshot) {
	var pretty, compact bytes.Buffer
	if err := snap.WriteJSON(&pretty); err != nil {
		t.Fatal(err)
	}
	if err := snap.WriteJSONCompact(&compact); err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(pretty.Bytes(), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(compact.Bytes(), &b); err != nil {
		t.Fatalf("compact output is not JSON: %v\n%.300s", err, compact.String())
	}
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("compact and indented documents differ (-indented +compact):\n%s", diff)
	}
	if compact.Len() >= pretty.Len() {
		t.Errorf("compact output (%d bytes) is not smaller than indented (%d)", compact.Len(), pretty.Len())
	}
}
