package testutil

import (
	"bytes"
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

// UniqueName returns a name no other test run on this machine uses:
// prefix, this process's PID and a random number.
func UniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d-%04x", prefix, os.Getpid(), rand.IntN(1<<16))
}

// StartGroup starts cmd in a process group of its own, which is killed
// (SIGKILL to the group) and waited for when the test ends, and returns
// its PID.
func StartGroup(tb testing.TB, cmd *exec.Cmd) int {
	tb.Helper()
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %v: %v", cmd.Args, err)
	}
	tb.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	return cmd.Process.Pid
}

// StartProc starts a command with StartGroup, its standard error going to
// the test's, and returns it.
func StartProc(tb testing.TB, name string, args ...string) *exec.Cmd {
	tb.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stderr = os.Stderr
	StartGroup(tb, cmd)
	return cmd
}

// Children returns the PIDs of pid's children (of its main thread).
func Children(pid int) []int {
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

// Comm returns a process's command name, "" when it is gone.
func Comm(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(b))
}

// WaitDescendant waits until pid has a descendant depth levels down
// (following first children) running comm, and returns the chain of PIDs
// from pid down to it.
func WaitDescendant(tb testing.TB, pid, depth int, comm string) []int {
	tb.Helper()
	var chain []int
	WaitFor(tb, fmt.Sprintf("a %s %d levels under %d", comm, depth, pid), func() bool {
		chain = []int{pid}
		cur := pid
		for range depth {
			kids := Children(cur)
			if len(kids) == 0 {
				return false
			}
			cur = kids[0]
			chain = append(chain, cur)
		}
		return Comm(cur) == comm
	})
	return chain
}

// FindDescendant follows first children down from pid, however deep
// (unshare may fork once or twice), until a process runs comm, and
// returns its PID.
func FindDescendant(tb testing.TB, pid int, comm string) int {
	tb.Helper()
	var found int
	WaitFor(tb, fmt.Sprintf("a %s under %d", comm, pid), func() bool {
		var ok bool
		found, ok = descendant(pid, comm)
		return ok
	})
	return found
}

// descendant follows first children down from pid to a process running
// comm.
func descendant(pid int, comm string) (int, bool) {
	for cur := pid; ; {
		if Comm(cur) == comm {
			return cur, true
		}
		kids := Children(cur)
		if len(kids) == 0 {
			return 0, false
		}
		cur = kids[0]
	}
}

// StartUnshare runs "unshare ARGS... sleep 1000" in a process group that
// is killed when the test ends, and returns the PID of the sleep (the
// innermost process when unshare forks). It skips the test without
// unshare, and fails it with unshare's own message when no sleep starts.
func StartUnshare(tb testing.TB, args ...string) int {
	tb.Helper()
	RequireTools(tb, "unshare")
	cmd := exec.Command("unshare", append(args, "sleep", "1000")...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	pid := StartGroup(tb, cmd)
	for deadline := time.Now().Add(WaitTimeout); ; time.Sleep(10 * time.Millisecond) {
		if sleep, ok := descendant(pid, "sleep"); ok {
			return sleep
		}
		if time.Now().After(deadline) {
			// Stop it first: its standard error is written until it exits.
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = cmd.Wait()
			tb.Fatalf("unshare %s started no sleep in %s: %s", strings.Join(args, " "), WaitTimeout, stderr.String())
		}
	}
}

// Run runs a command and returns its output, failing the test with the
// output when it fails.
func Run(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
