package record

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
)

// diskFullEnv names the directory the re-executed test mounts its tiny
// tmpfs on.
const diskFullEnv = "NSCOPE_RECORD_DISKFULL_DIR"

// TestDiskFull fills a real file system: the test binary runs again in a
// private mount namespace (unshare(1)) with a 200 KiB tmpfs, records until
// write(2) fails with ENOSPC, and checks that the writer stops with
// ErrDiskFull and that everything written before reads back exactly.
func TestDiskFull(t *testing.T) {
	if dir := os.Getenv(diskFullEnv); dir != "" {
		diskFullInNamespace(t, dir)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: mounts a tmpfs in a private mount namespace")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("needs unshare(1) from util-linux")
	}
	dir := t.TempDir()
	cmd := exec.Command(unshare, "--mount", "--propagation", "private", os.Args[0], "-test.run=^TestDiskFull$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), diskFullEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestDiskFull") {
		t.Fatalf("the test in a private mount namespace: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

// diskFullInNamespace is the part of TestDiskFull that runs inside the
// private mount namespace.
func diskFullInNamespace(t *testing.T, dir string) {
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=200k,mode=0700"); err != nil {
		t.Fatalf("mount a tmpfs on %s: %v", dir, err)
	}
	rec := filepath.Join(dir, "rec")
	w, err := Create(rec, Options{FullEvery: 4 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var written []*inspect.Snapshot
	s := fixtureSnap(t)
	var addErr error
	for i := 1; i < 20000 && addErr == nil; i++ {
		s = next(t, s, time.Second, func(s *inspect.Snapshot) { step(s, i) })
		if _, addErr = w.Add(s, Extras{}, false); addErr == nil {
			written = append(written, s)
		}
	}
	if !errors.Is(addErr, ErrDiskFull) || !errors.Is(addErr, unix.ENOSPC) {
		t.Fatalf("after %d records: %v, want ErrDiskFull from ENOSPC", len(written), addErr)
	}
	t.Logf("the disk filled after %d records: %v", len(written), addErr)
	if _, err := w.Add(s, Extras{}, false); !errors.Is(err, ErrDiskFull) {
		t.Errorf("Add after the disk filled: %v, want the same ErrDiskFull", err)
	}
	if err := w.Close(); !errors.Is(err, ErrDiskFull) {
		t.Errorf("Close: %v, want ErrDiskFull", err)
	}
	r, err := Open(rec)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if p := r.Problems(); len(p) > 0 {
		t.Errorf("the writer left damage behind: %q", p)
	}
	// The record whose index entry did not fit is whole in its segment.
	if n := len(r.Entries()); n != len(written) && n != len(written)+1 {
		t.Errorf("%d records read back, %d written", n, len(written))
	}
	for i, want := range written {
		if i%5 != 0 && i != len(written)-1 {
			continue
		}
		got, err := r.At(want.Time)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if jsonOf(t, got) != jsonOf(t, want) {
			t.Fatalf("record %d reads back differently", i)
		}
	}
}
