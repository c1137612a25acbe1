package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// modulePath is the nscope module, used to find the checkout.
const modulePath = "github.com/nscope/nscope"

// moduleRoot finds the nscope checkout containing the working directory.
func moduleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if isNscopeModule(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		if dir == filepath.Dir(dir) {
			return "", fmt.Errorf("no go.mod of %s in %s or above: run benchhost from the nscope checkout, or give -nscope PATH", modulePath, wd)
		}
	}
}

// isNscopeModule reports whether the go.mod at path declares the nscope module.
func isNscopeModule(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "module" {
			return f[1] == modulePath
		}
	}
	return false
}

// nscopeBinary returns the nscope binary to measure: the -nscope flag's
// path as given, else bin/nscope built from this checkout with "go build"
// (always: a binary left from an earlier build would measure old code,
// and the build is a no-op when nothing changed).
func nscopeBinary(ctx context.Context, flagPath string) (string, error) {
	if flagPath != "" {
		p, err := filepath.Abs(flagPath)
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("-nscope %s: %w", flagPath, err)
		}
		return p, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = "/usr/local/go/bin/go"
	}
	logf("go build -o bin/nscope ./cmd/nscope")
	build := exec.CommandContext(ctx, goTool, "build", "-o", "bin/nscope", "./cmd/nscope")
	build.Dir = root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("build bin/nscope: %w", err)
	}
	return filepath.Join(root, "bin", "nscope"), nil
}
