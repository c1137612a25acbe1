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
func CheckLeaks(tb testing.TB) { checkLeaks(tb, WaitTimeout) }

// checkLeaks is CheckLeaks waiting up to wait for descriptors to close.
func checkLeaks(tb testing.TB, wait time.Duration) {
	tb.Helper()
	before := openFDs(tb)
	ignore := goleak.IgnoreCurrent()
	tb.Cleanup(func() {
		// Closing and exiting may still be under way in goroutines the
		// test started (a Close handed to a goroutine): give them time.
		var leaked []string
		for deadline := time.Now().Add(wait); ; time.Sleep(20 * time.Millisecond) {
			leaked = newFDs(before, openFDs(tb))
			if len(leaked) == 0 || time.Now().After(deadline) {
				break
			}
		}
		if len(leaked) > 0 {
			tb.Errorf("the test leaked %d file descriptors:\n%s", len(leaked), strings.Join(leaked, "\n"))
		}
		if err := goleak.Find(ignore); err != nil {
			tb.Errorf("the test leaked goroutines: %v", err)
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
