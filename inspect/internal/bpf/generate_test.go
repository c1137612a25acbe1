package bpf

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestGeneratedObjectsAreCurrent runs this package's bpf2go directives
// into a temporary directory and compares what they write with the
// committed files, byte for byte: a change to a .bpf.c file, records.h
// or vmlinux.h that was not followed by go generate fails here. It needs
// the clang that built the committed objects (clang-version.txt): another
// clang may compile the same sources to other bytes.
func TestGeneratedObjectsAreCurrent(t *testing.T) {
	for _, tool := range []string{"clang", "llvm-strip", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s to compile the BPF programs (Debian: apt-get install clang llvm libbpf-dev)", tool)
		}
	}
	if _, err := os.Stat("/usr/include/bpf/bpf_helpers.h"); err != nil {
		t.Skip("needs libbpf's headers to compile the BPF programs (Debian: apt-get install libbpf-dev)")
	}
	out, err := exec.Command("clang", "--version").Output()
	if err != nil {
		t.Fatalf("clang --version: %v", err)
	}
	installed, _, _ := strings.Cut(string(out), "\n")
	committed, err := os.ReadFile("clang-version.txt")
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimSpace(string(committed)); installed != want {
		t.Skipf("the committed objects were built by %q, this machine has %q: their bytes cannot be compared", want, installed)
	}

	dir := t.TempDir()
	runs := 0
	for _, args := range bpf2goDirectives(t) {
		// -output-dir goes before the positional arguments.
		args = slices.Insert(args, 1, "-output-dir", dir)
		cmd := exec.Command("go", append([]string{"tool"}, args...)...)
		cmd.Env = append(os.Environ(), "GOFILE=doc.go", "GOPACKAGE=bpf")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go tool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		runs++
	}
	if runs == 0 {
		t.Fatal("doc.go has no bpf2go directive")
	}

	generated, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	committedFiles, _ := filepath.Glob("*_bpfel.*")
	var names []string
	for _, e := range generated {
		names = append(names, e.Name())
		want, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(e.Name())
		if err != nil {
			t.Errorf("%s is generated but not committed: run go generate and commit it", e.Name())
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: it is not what the sources compile to; run go generate and commit it", e.Name())
		}
	}
	for _, name := range committedFiles {
		if !slices.Contains(names, name) {
			t.Errorf("%s is committed but no longer generated: remove it", name)
		}
	}
}

// bpf2goDirectives returns the arguments of doc.go's "go tool bpf2go"
// directives, from bpf2go on.
func bpf2goDirectives(t *testing.T) [][]string {
	t.Helper()
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var dirs [][]string
	for line := range strings.Lines(string(src)) {
		rest, ok := strings.CutPrefix(line, "//go:generate go tool ")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 || fields[0] != "bpf2go" || strings.ContainsAny(rest, `"'`) {
			t.Fatalf("doc.go: a directive this test cannot run: %s", line)
		}
		dirs = append(dirs, fields)
	}
	return dirs
}
