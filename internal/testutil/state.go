package testutil

import (
	"fmt"
	"os"
	"testing"
)

// RunIsolated runs a package's tests with NSCOPE_STATE_DIR pointing at a
// fresh directory, unless the environment already names one, and exits
// with their status: a test that journals a change (a launch, a set, the
// tour) must never append to the machine's own journal in
// /var/lib/nscope. Tests that need a journal of their own still set
// NSCOPE_STATE_DIR themselves. Call it from TestMain.
func RunIsolated(m *testing.M) {
	if os.Getenv("NSCOPE_STATE_DIR") != "" {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "nscope-test-state-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testutil: state directory:", err)
		os.Exit(2)
	}
	os.Setenv("NSCOPE_STATE_DIR", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
