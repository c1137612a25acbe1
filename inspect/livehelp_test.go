package inspect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"

	"github.com/nscope/nscope/internal/testutil"
)

// waitFor and startProc are testutil's, under the names the BPF tests
// (bpfproc_test.go) use.
var (
	waitFor   = testutil.WaitFor
	startProc = testutil.StartProc
)

// waitZombie waits until pid has exited and not been waited for.
func waitZombie(t *testing.T, pid int) {
	t.Helper()
	testutil.WaitFor(t, fmt.Sprintf("process %d to be a zombie", pid), func() bool {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		st, err := ParseProcStat(b)
		return err == nil && st.State == 'Z'
	})
}

// newScanner returns New(opts...), closed when the test ends.
func newScanner(t testing.TB, opts ...Option) *Scanner {
	t.Helper()
	s := New(opts...)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close scanner: %v", err)
		}
	})
	return s
}

// liveScan scans the real host.
func liveScan(t *testing.T, opts ...Option) *Snapshot {
	t.Helper()
	snap, err := newScanner(t, opts...).Scan(context.Background())
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return snap
}

// nsOf returns the namespace of type typ that process pid is in, failing
// the test when the scan does not have it.
func nsOf(t *testing.T, snap *Snapshot, pid int, typ NSType) *Namespace {
	t.Helper()
	p := snap.Process(pid)
	if p == nil {
		t.Fatalf("scan has no process %d", pid)
	}
	n := snap.Namespace(p.NS[typ])
	if n == nil {
		t.Fatalf("scan has no %s namespace for process %d (id %v)", typ, pid, p.NS[typ])
	}
	return n
}

// linkID reads the namespace ID of a /proc ns link with stat(2), the
// kernel's own answer the scanner must match.
func linkID(t *testing.T, path string) NSID {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	return NSID{Dev: st.Dev, Ino: st.Ino}
}

// runAs runs a command as the given uid/gid with NSCOPE_AS_NOBODY=1.
func runAs(uid int, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "NSCOPE_AS_NOBODY=1")
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// scanMode is a way of scanning the live host.
type scanMode struct {
	name string
	opts []Option
}

// scanModes returns /proc alone, and the BPF iterators when this kernel
// can load them. On a kernel with BTF, as root, a failure to load them is
// a test failure, not a skip: it would mean a bug in the programs.
func scanModes(t *testing.T) []scanMode {
	t.Helper()
	modes := []scanMode{{"procfs", []Option{WithBPF(false)}}}
	err := newScanner(t).BPFErr()
	switch {
	case err == nil:
		modes = append(modes, scanMode{"bpf", nil})
	case errors.Is(err, errNoBTF):
		t.Logf("BPF iterators not tested: %v", err)
	default:
		t.Errorf("BPF iterators do not load on a kernel with BTF: %v", err)
	}
	return modes
}
