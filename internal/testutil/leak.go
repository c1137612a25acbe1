package testutil

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// CheckLeaks makes the test fail when, at its end, this process has
// goroutines (goleak) or open file descriptors that it did not have when
// CheckLeaks was called. Call it first, before what the test starts, so
// that its check runs after the test's own cleanups. Tests that use it
// must not run in parallel with others.
//
// What the test started may still be finishing (a Close handed to a
// goroutine, a timer command that sleeps a second): the check polls for
// up to WaitTimeout before it reports what is left.
func CheckLeaks(tb testing.TB) { checkLeaks(tb, WaitTimeout) }

// checkLeaks is CheckLeaks polling for up to wait.
func checkLeaks(tb testing.TB, wait time.Duration) {
	tb.Helper()
	before := openFDs(tb)
	ignore := goleak.IgnoreCurrent()
	tb.Cleanup(func() {
		var fds []string
		var goroutines error
		for deadline := time.Now().Add(wait); ; time.Sleep(20 * time.Millisecond) {
			fds = newFDs(before, openFDs(tb))
			goroutines = goleak.Find(ignore)
			if (len(fds) == 0 && goroutines == nil) || time.Now().After(deadline) {
				break
			}
		}
		if len(fds) > 0 {
			tb.Errorf("the test leaked %d file descriptors:\n%s", len(fds), strings.Join(fds, "\n"))
		}
		if goroutines != nil {
			tb.Errorf("the test leaked goroutines: %v", goroutines)
		}
	})
}

// openFDs returns this process's open file descriptors, each as "N ->
// target".
func openFDs(tb testing.TB) []string {
	tb.Helper()
	f, err := os.Open("/proc/self/fd")
	if err != nil {
		tb.Fatal(err)
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		target, err := os.Readlink("/proc/self/fd/" + n)
		if err != nil {
			continue // the directory's own fd, closed since
		}
		out = append(out, fmt.Sprintf("%s -> %s", n, target))
	}
	slices.Sort(out)
	return out
}

// newFDs returns the descriptors in after that are not in before.
func newFDs(before, after []string) []string {
	var out []string
	for _, fd := range after {
		if _, found := slices.BinarySearch(before, fd); !found {
			out = append(out, fd)
		}
	}
	return out
}
