package testutil

import (
	"os"
	"os/exec"
	"testing"
)

// RequireRoot skips the test when not running as root, saying why it
// needs root ("creates cgroups") and that make test runs it as root.
func RequireRoot(tb testing.TB, why string) {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skipf("needs root: %s (make test runs it as root)", why)
	}
}

// RequireTools skips the test when a command it drives is missing.
func RequireTools(tb testing.TB, tools ...string) {
	tb.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Skipf("needs %s (make deps installs it as root)", tool)
		}
	}
}
