package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
)

func TestConsoleMarkersStartLines(t *testing.T) {
	var buf bytes.Buffer
	c := newConsole(&buf)
	c.marker(labproto.Marker{Kind: labproto.KindBegin, Package: "p"})
	_, _ = c.Write([]byte("=== RUN   TestLabA\n--- PASS: TestLabA (0.00s)\nno newline at the end"))
	c.marker(labproto.Marker{Kind: labproto.KindEnd, Package: "p", Exit: 0, Seconds: 1})
	_, _ = c.Write([]byte("ends with newline\n"))
	c.marker(labproto.Marker{Kind: labproto.KindDone})
	want := "@@kernlab begin p\n=== RUN   TestLabA\n--- PASS: TestLabA (0.00s)\nno newline at the end\n" +
		"@@kernlab end p exit=0 seconds=1.00\nends with newline\n@@kernlab done failures=0\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("console (-want +got):\n%s", diff)
	}
}

// enableControllers on a directory that is not cgroupfs: the errors must
// name the controller and what is available.
func TestEnableControllersErrors(t *testing.T) {
	tests := []struct {
		name    string
		avail   string
		errPart string
	}{
		{"controller missing", "cpu memory pids", `controller io is not available (cgroup.controllers: "cpu memory pids")`},
		// A plain file keeps only the last write, so the read-back check
		// finds the others missing, as it would if the kernel ignored them.
		{"read back lacks one", "cpu memory pids io", `reads "+io" after enabling, missing cpu`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A cgroup directory has both files; the kernel makes them.
			// (enableControllers writes with mode 0: a file it had to
			// create only root could write to a second time.)
			dir := t.TempDir()
			for name, content := range map[string]string{"cgroup.controllers": tc.avail + "\n", "cgroup.subtree_control": ""} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := enableControllers(dir, labControllers)
			if err == nil || !strings.Contains(err.Error(), tc.errPart) {
				t.Errorf("error = %v, want one containing %q", err, tc.errPart)
			}
		})
	}
	if err := enableControllers(t.TempDir(), labControllers); err == nil || !strings.Contains(err.Error(), "read available controllers") {
		t.Errorf("no cgroup.controllers: error = %v", err)
	}
}

func TestHasWord(t *testing.T) {
	tests := []struct {
		s, w string
		want bool
	}{
		{"cpu memory pids", "memory", true},
		{"cpuset cpu", "cpu", true},
		{"cpuset io", "cpu", false},
		{"", "io", false},
	}
	for _, tc := range tests {
		if got := hasWord(tc.s, tc.w); got != tc.want {
			t.Errorf("hasWord(%q, %q) = %v, want %v", tc.s, tc.w, got, tc.want)
		}
	}
}

// Started anywhere but as PID 1 of the lab guest, labinit must change
// nothing and say how to run the lab.
func TestRefusesToRunOutsideTheGuest(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "labinit")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("labinit outside the guest: err = %v, want exit code 2", err)
	}
	if !strings.Contains(string(out), "must run as PID 1") || !strings.Contains(string(out), "go run ./cmd/kernlab") {
		t.Errorf("message = %q, want it to say PID 1 and how to run the lab", out)
	}
	if code := runHelper([]string{"bogus"}); code != 2 {
		t.Errorf("unknown helper exit code = %d, want 2", code)
	}
}
