package testutil

import (
	"testing"
	"time"
)

// WaitTimeout is how long WaitFor polls before it fails the test: long,
// because the test machines are shared and loaded.
const WaitTimeout = 30 * time.Second

// WaitFor polls cond every 10 ms until it returns true, failing the test
// with what it waited for after WaitTimeout.
func WaitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(WaitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", WaitTimeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
