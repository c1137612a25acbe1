package remote

import (
	"errors"
	"os/exec"
	"strconv"
	"testing"
)

// exitErrorFor returns the *exec.ExitError of a process that exited
// with code.
func exitErrorFor(t *testing.T, code int) error {
	t.Helper()
	err := exec.Command("sh", "-c", "exit "+strconv.Itoa(code)).Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("sh -c 'exit %d': %v", code, err)
	}
	return err
}
