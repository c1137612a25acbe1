package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// recorder is a testing.TB that keeps the errors and cleanups of the code
// under test instead of failing the real test.
type recorder struct {
	testing.TB
	errors   []string
	cleanups []func()
}

func (r *recorder) Helper()          {}
func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Errorf(format string, a ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, a...))
}
func (r *recorder) Fatalf(format string, a ...any) { r.TB.Fatalf(format, a...) }
func (r *recorder) runCleanups() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func TestCheckLeaks(t *testing.T) {
	tests := []struct {
		name string
		// leak does what the checked test does, and returns what ends the
		// leak after the check.
		leak func(t *testing.T) func()
		want string
	}{
		{name: "nothing leaked", leak: func(*testing.T) func() { return func() {} }},
		{name: "an open file", want: "leaked 1 file descriptors", leak: func(t *testing.T) func() {
			f, err := os.Open("/proc/self/status")
			if err != nil {
				t.Fatal(err)
			}
			return func() { f.Close() }
		}},
		{name: "a goroutine", want: "leaked goroutines", leak: func(*testing.T) func() {
			stop := make(chan struct{})
			go func() { <-stop }()
			return func() { close(stop) }
		}},
		{name: "a file closed late", leak: func(t *testing.T) func() {
			f, err := os.Open("/proc/self/status")
			if err != nil {
				t.Fatal(err)
			}
			time.AfterFunc(50*time.Millisecond, func() { f.Close() })
			return func() {}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			checkLeaks(rec, time.Second)
			end := tc.leak(t)
			rec.runCleanups()
			end()
			got := strings.Join(rec.errors, "\n")
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("CheckLeaks reported %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDescendants(t *testing.T) {
	RequireTools(t, "sh", "sleep")
	// The shell stays: it has a command after the sleep.
	sh := StartProc(t, "sh", "-c", "sleep 1000; true")
	chain := WaitDescendant(t, sh.Process.Pid, 1, "sleep")
	if len(chain) != 2 || chain[0] != sh.Process.Pid || Comm(chain[1]) != "sleep" {
		t.Fatalf("WaitDescendant = %v, want the shell and its sleep", chain)
	}
	if got := FindDescendant(t, sh.Process.Pid, "sleep"); got != chain[1] {
		t.Errorf("FindDescendant = %d, want %d", got, chain[1])
	}
	if kids := Children(sh.Process.Pid); len(kids) != 1 || kids[0] != chain[1] {
		t.Errorf("Children = %v, want [%d]", kids, chain[1])
	}
}

func TestStartUnshare(t *testing.T) {
	// A new user namespace needs no privilege where the kernel allows
	// unprivileged user namespaces; root can always.
	if out, err := exec.Command("unshare", "--user", "true").CombinedOutput(); err != nil {
		t.Skipf("unshare --user fails here: %v %s", err, out)
	}
	pid := StartUnshare(t, "--user", "--fork")
	own, _ := os.Readlink("/proc/self/ns/user")
	theirs, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/user", pid))
	if err != nil || Comm(pid) != "sleep" || theirs == own {
		t.Errorf("StartUnshare gave %d (%s) in user namespace %s (%v); want a sleep outside ours (%s)", pid, Comm(pid), theirs, err, own)
	}
}
