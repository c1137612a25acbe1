package inspect

import (
	"context"
	"os"
	"slices"
	"strconv"
	"testing"

	"go.uber.org/goleak"
)

// TestScannerCloseLeaksNothing creates, uses and closes scanners: the
// process must have the same open files and goroutines after as before.
// As root on a kernel with BTF the scanners hold BPF iterator links,
// which are file descriptors; they must be open while the scanner is
// and closed by Close.
func TestScannerCloseLeaksNothing(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	withBPF := os.Geteuid() == 0
	if _, err := os.Stat(kernelBTFPath); err != nil {
		withBPF = false
	}
	if !withBPF {
		t.Log("BPF iterators not loaded (they need root and kernel BTF): checking the /proc scanner alone")
	}

	before := openFDs(t)
	for i := range 3 {
		s := New()
		snap, err := s.Scan(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if withBPF {
			if snap.ScanMethod != "bpf" {
				t.Fatalf("scan %d: method %s (%v), want bpf", i, snap.ScanMethod, s.BPFErr())
			}
			if added := diffFDs(before, openFDs(t)); len(added) < 4 {
				t.Errorf("scanner %d holds %d new files while open (%q), want its 4 iterator links", i, len(added), added)
			}
		}
		if err := s.Close(); err != nil {
			t.Errorf("close scanner %d: %v", i, err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("close scanner %d again: %v", i, err)
		}
		// A closed scanner still scans, through /proc.
		if snap, err := s.Scan(context.Background()); err != nil || snap.ScanMethod != "procfs" {
			t.Errorf("scan after close: method %v, error %v; want procfs", snap.ScanMethod, err)
		}
	}
	if added := diffFDs(before, openFDs(t)); len(added) > 0 {
		t.Errorf("files left open after closing the scanners: %q", added)
	}
}

// openFDs returns the process's open file descriptors and what each
// refers to.
func openFDs(t *testing.T) map[int]string {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	fds := make(map[int]string, len(entries))
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		// The directory read itself had one open; it is closed now.
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil {
			fds[fd] = target
		}
	}
	return fds
}

// diffFDs lists the descriptors open in after and not in before (or
// now referring to something else), as "fd -> target".
func diffFDs(before, after map[int]string) []string {
	var added []string
	for fd, target := range after {
		if before[fd] != target {
			added = append(added, strconv.Itoa(fd)+" -> "+target)
		}
	}
	slices.Sort(added)
	return added
}
