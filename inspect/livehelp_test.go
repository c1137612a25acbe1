package inspect

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// requireRoot skips the test when not running as root.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates namespaces, cgroups and bind mounts (run make test as root)")
	}
}

// requireTools skips the test when a command it drives is missing.
func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (make deps installs it as root)", tool)
		}
	}
}

// uniqueName returns a name no other test run on this machine uses.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d-%04x", prefix, os.Getpid(), rand.IntN(1<<16))
}

// startProc starts a command in its own process group and kills the
// group when the test ends.
func startProc(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s %v: %v", name, args, err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	return cmd
}

// run runs a command and fails the test with its output on error.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// waitFor polls cond until it returns true or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// children returns the PIDs of pid's children.
func children(pid int) []int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return nil
	}
	var out []int
	for _, f := range strings.Fields(string(data)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// comm returns a process's command name.
func comm(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(b))
}

// waitZombie waits until pid has exited and not been waited for.
func waitZombie(t *testing.T, pid int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("process %d to be a zombie", pid), func() bool {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		st, err := ParseProcStat(b)
		return err == nil && st.State == 'Z'
	})
}

// waitDescendant waits until pid has a descendant at the given depth
// running wantComm, and returns the chain of PIDs from pid down to it.
func waitDescendant(t *testing.T, pid, depth int, wantComm string) []int {
	t.Helper()
	var chain []int
	waitFor(t, fmt.Sprintf("a %s under %d", wantComm, pid), func() bool {
		chain = []int{pid}
		cur := pid
		for range depth {
			kids := children(cur)
			if len(kids) == 0 {
				return false
			}
			cur = kids[0]
			chain = append(chain, cur)
		}
		return comm(cur) == wantComm
	})
	return chain
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
