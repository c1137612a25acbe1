package main

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// labPackage is a package that has TestLab tests.
type labPackage struct {
	ImportPath string
	Dir        string
	Rel        string // directory relative to the module root, "." for the root
}

// binaryName is the test binary's file name in the guest.
func (p labPackage) binaryName() string {
	if p.Rel == "." {
		return "root.test"
	}
	return strings.ReplaceAll(p.Rel, "/", "_") + ".test"
}

// labTestFunc matches the declaration of a TestLab test.
var labTestFunc = regexp.MustCompile(`(?m)^func TestLab[A-Za-z0-9_]*\(`)

// discoverLabPackages lists the module's packages whose test files declare
// a TestLab function.
func discoverLabPackages(ctx context.Context, root string) ([]labPackage, error) {
	out, err := goOutput(ctx, root, nil, "list", "-f", `{{.ImportPath}}	{{.Dir}}	{{join .TestGoFiles ","}},{{join .XTestGoFiles ","}}`, "./...")
	if err != nil {
		return nil, err
	}
	var pkgs []labPackage
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			continue
		}
		has := false
		for _, name := range strings.Split(f[2], ",") {
			if name == "" {
				continue
			}
			data, err := os.ReadFile(filepath.Join(f[1], name))
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", name, err)
			}
			if labTestFunc.Match(data) {
				has = true
				break
			}
		}
		if !has {
			continue
		}
		rel, err := filepath.Rel(root, f[1])
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, labPackage{ImportPath: f[0], Dir: f[1], Rel: rel})
	}
	return pkgs, nil
}

// goOutput runs the go tool in dir and returns stdout; errors carry
// stderr, so compile errors reach the user.
func goOutput(ctx context.Context, dir string, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// usesCgo reports whether the package or a non-standard dependency
// (including test dependencies) has cgo files.
func usesCgo(ctx context.Context, root, importPath string, test bool) (bool, error) {
	args := []string{"list", "-deps", "-f", `{{if not .Standard}}{{len .CgoFiles}}{{end}}`}
	if test {
		args = append(args, "-test")
	}
	out, err := goOutput(ctx, root, nil, append(args, importPath)...)
	if err != nil {
		return false, err
	}
	for _, f := range strings.Fields(string(out)) {
		if f != "0" {
			return true, nil
		}
	}
	return false, nil
}

// staticBuild returns the environment and flags for a static binary:
// CGO_ENABLED=0 when the code has no cgo, else external linking with
// -static (the nsenter constructor pattern needs cgo).
func staticBuild(cgo bool) (env, flags []string) {
	if !cgo {
		return []string{"CGO_ENABLED=0"}, nil
	}
	return []string{"CGO_ENABLED=1"}, []string{"-tags", "netgo,osusergo", "-ldflags", "-linkmode external -extldflags -static"}
}

// buildJob is one binary to build.
type buildJob struct {
	what   string // for messages
	args   []string
	target string
	pkg    string
	test   bool
}

// buildAll builds the jobs, two at a time (the machine has two cores and
// the go tool parallelises each build), and checks each result is static.
func buildAll(ctx context.Context, root string, jobs []buildJob) error {
	var wg sync.WaitGroup
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, 2)
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = buildOne(ctx, root, j)
		}()
	}
	wg.Wait()
	var msgs []string
	for _, err := range errs {
		if err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	if len(msgs) > 0 {
		return fmt.Errorf("build failed:\n%s", strings.Join(msgs, "\n"))
	}
	return nil
}

func buildOne(ctx context.Context, root string, j buildJob) error {
	cgo, err := usesCgo(ctx, root, j.pkg, j.test)
	if err != nil {
		return fmt.Errorf("%s: %w", j.what, err)
	}
	env, flags := staticBuild(cgo)
	args := append(append(append([]string(nil), j.args...), flags...), "-o", j.target, j.pkg)
	if _, err := goOutput(ctx, root, env, args...); err != nil {
		return fmt.Errorf("%s: %w", j.what, err)
	}
	if _, err := os.Stat(j.target); err != nil {
		return fmt.Errorf("%s: go %s wrote no binary (no test files?)", j.what, strings.Join(args, " "))
	}
	if err := checkStatic(j.target); err != nil {
		return fmt.Errorf("%s: %w", j.what, err)
	}
	return nil
}

// checkStatic fails if the ELF binary needs a dynamic loader or shared
// libraries: the guest has neither.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked (has an ELF interpreter); the guest has no libc", path)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		return fmt.Errorf("%s needs shared libraries %v; the guest has none", path, libs)
	}
	return nil
}
