package events

import (
	"os"
	"testing"
)

// requireRoot skips the test when not running as root.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: loads BPF programs, creates cgroups and namespaces (run make test as root)")
	}
}
