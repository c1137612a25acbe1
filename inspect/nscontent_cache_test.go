package inspect

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fixtureUserNS writes a proc tree with one process, 42, whose uid_map is
// uidMap, and returns a scanner over it and a snapshot with 42 as the only
// member of a user namespace.
func fixtureUserNS(t *testing.T, uidMap string) (*Scanner, *Snapshot, NSID, string) {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "42")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"uid_map": uidMap, "gid_map": "0 1000 1\n", "setgroups": "deny\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	id := NSID{Dev: 4, Ino: 4026532999}
	snap := &Snapshot{
		SchemaVersion: SchemaVersion,
		Processes:     []Process{{PID: 42, Comm: "sleep"}},
		Namespaces:    []Namespace{{ID: id, Type: UserNS, Level: 1, OwnerUID: 1000, Members: []int{42}}},
	}
	var buf bytes.Buffer
	if err := snap.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return New(ProcRoot(root)), loaded, id, filepath.Join(dir, "uid_map")
}

func TestUserContentOnAFixture(t *testing.T) {
	sc, snap, id, _ := fixtureUserNS(t, "         0       1000          1\n")
	c, err := sc.NamespaceContent(context.Background(), snap, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.Via != "process 42" || c.User.SetGroups != "deny" || c.User.Summary != "uid 0 inside is uid 1000 outside; gid 0 inside is gid 1000 outside" {
		t.Errorf("content %+v via %q", c.User, c.Via)
	}
	// What needs the live kernel says so.
	snap.Namespaces[0].Type = UTSNS
	if _, err := sc.NamespaceContent(context.Background(), snap, id); !errors.Is(err, ErrNotLive) {
		t.Errorf("uts on a fixture: err = %v, want ErrNotLive", err)
	}
}

func TestContentCacheKeepsOneGeneration(t *testing.T) {
	sc, snap, id, mapFile := fixtureUserNS(t, "0 1000 1\n")
	var cache ContentCache
	first, err := cache.Get(context.Background(), sc, 1, snap, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mapFile, []byte("0 2000 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	again, _ := cache.Get(context.Background(), sc, 1, snap, id)
	if again != first {
		t.Error("the same generation read the namespace again")
	}
	next, err := cache.Get(context.Background(), sc, 2, snap, id)
	if err != nil || next.User.UIDMap[0].Outside != 2000 {
		t.Errorf("a new generation kept the old content: %+v, %v", next, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := cache.Get(ctx, sc, 3, snap, id); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled read: err = %v", err)
	}
	if c, err := cache.Get(context.Background(), sc, 3, snap, id); err != nil || c == nil {
		t.Errorf("a cancelled read was kept: %v", err)
	}
}

// TestReachDoesNotBlockOnAFIFO points a bind-mount holder at a FIFO: the
// open must not wait for a writer, and the FIFO is not the namespace.
func TestReachDoesNotBlockOnAFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	id := NSID{Dev: 4, Ino: 4026532998}
	snap := &Snapshot{Namespaces: []Namespace{{ID: id, Type: UTSNS, Holders: []Holder{{Kind: HeldByBindMount, Path: fifo}}}}}
	snap.index()
	done := make(chan error, 1)
	go func() {
		_, _, err := New().openNS(snap, &snap.Namespaces[0], 0)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrUnreachable) {
			t.Errorf("err = %v, want ErrUnreachable", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("opening a FIFO holder blocked")
	}
}
