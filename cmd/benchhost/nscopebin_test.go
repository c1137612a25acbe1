package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNscopeBinaryBuildsFromCheckout makes a stand-in checkout (go.mod of
// the nscope module and a cmd/nscope that prints a word) and checks that
// bin/nscope is built there, found from a subdirectory, and built again
// when the source changed: an old binary must not be measured.
func TestNscopeBinaryBuildsFromCheckout(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command on PATH")
	}
	root := t.TempDir()
	files := map[string]string{
		"go.mod":             "module " + modulePath + "\n\ngo 1.22\n",
		"cmd/nscope/main.go": "package main\n\nfunc main() { println(\"stand-in\") }\n",
		"some/sub/dir/.keep": "",
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(filepath.Join(root, "some", "sub", "dir"))
	bin, err := nscopeBinary(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if bin != filepath.Join(root, "bin", "nscope") {
		t.Fatalf("binary %s, want %s", bin, filepath.Join(root, "bin", "nscope"))
	}
	out, err := exec.Command(bin).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "stand-in") {
		t.Fatalf("the built binary printed %q (%v), want the stand-in", out, err)
	}
	// The source changes: the next call measures the new code.
	main := filepath.Join(root, "cmd/nscope/main.go")
	if err := os.WriteFile(main, []byte("package main\n\nfunc main() { println(\"changed\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if again, err := nscopeBinary(context.Background(), ""); err != nil || again != bin {
		t.Fatalf("second call: %s, %v", again, err)
	}
	if out, _ := exec.Command(bin).CombinedOutput(); !strings.Contains(string(out), "changed") {
		t.Errorf("bin/nscope was not rebuilt from the changed source: %q", out)
	}
}

func TestNscopeBinaryErrors(t *testing.T) {
	t.Chdir(t.TempDir())
	if _, err := nscopeBinary(context.Background(), ""); err == nil || !strings.Contains(err.Error(), "run benchhost from the nscope checkout") {
		t.Errorf("outside a checkout: error %v, want advice to run from the checkout", err)
	}
	if _, err := nscopeBinary(context.Background(), "no/such/nscope"); err == nil || !strings.Contains(err.Error(), "-nscope no/such/nscope") {
		t.Errorf("missing -nscope binary: error %v, want one naming the flag and path", err)
	}
}
