// Command kernlab runs the project's cgroup v2 tests for real: it boots a
// Debian kernel under QEMU (TCG) with an initramfs holding the project's
// static test binaries and cmd/labinit as /init, reads the serial console,
// prints every TestLab test's result, and exits non-zero on any failure, a
// guest panic, or a timeout. See README.md in this directory.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
)

// Exit codes.
const (
	exitFailed = 1 // a test failed, or the guest did not finish
	exitUsage  = 2 // bad flags
)

// options are the command-line flags.
type options struct {
	run         string
	timeout     time.Duration
	testTimeout time.Duration
	verbose     bool
	keep        bool
	saveFixture string
	cacheDir    string
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("kernlab", flag.ContinueOnError)
	fs.StringVar(&o.run, "run", "^TestLab", "regular expression selecting the tests to run in the guest (go test -run syntax)")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "kill the guest if it has not powered off after this long")
	fs.DurationVar(&o.testTimeout, "test-timeout", 2*time.Minute, "-test.timeout of each test binary in the guest")
	fs.BoolVar(&o.verbose, "v", false, "show the whole serial console and every test's output")
	fs.BoolVar(&o.keep, "keep", false, "keep the work directory (binaries, initramfs, disk, console log)")
	fs.StringVar(&o.saveFixture, "save-fixture", "", "save the guest's /proc and cgroupfs layout into `DIR` (replacing DIR/proc, DIR/sys and DIR/etc)")
	fs.StringVar(&o.cacheDir, "cache", "", "cache `DIR` for the kernel and busybox (default: .cache/kernlab in the module root)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q: kernlab takes only flags", fs.Arg(0))
	}
	if _, err := regexp.Compile(o.run); err != nil {
		return o, fmt.Errorf("-run %q is not a valid regular expression: %v", o.run, err)
	}
	if o.timeout < 10*time.Second {
		return o, fmt.Errorf("-timeout %s is too short: a boot alone takes about 5s under TCG (use at least 10s)", o.timeout)
	}
	if o.testTimeout <= 0 {
		return o, fmt.Errorf("-test-timeout %s must be positive", o.testTimeout)
	}
	return o, nil
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kernlab:", err)
		os.Exit(exitUsage)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "kernlab:", err)
		os.Exit(exitFailed)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "kernlab: "+format+"\n", args...)
}

// run is the whole lab: fetch, build, pack, boot, report.
func run(ctx context.Context, o options) error {
	start := time.Now()
	qemu, err := findQEMU()
	if err != nil {
		return err
	}
	for _, tool := range []string{"apt-get", "apt-cache", "dpkg-deb", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found: the lab needs a Debian host with the Go toolchain on PATH", tool)
		}
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	if o.cacheDir == "" {
		o.cacheDir = filepath.Join(root, ".cache", "kernlab")
	}
	if err := os.MkdirAll(o.cacheDir, 0o755); err != nil {
		return fmt.Errorf("cache directory: %w", err)
	}
	k, err := fetchKernel(ctx, o.cacheDir, logf)
	if err != nil {
		return err
	}
	bb, err := fetchBusybox(ctx, o.cacheDir, logf)
	if err != nil {
		return err
	}

	pkgs, err := discoverLabPackages(ctx, root)
	if err != nil {
		return err
	}
	if len(pkgs) == 0 {
		return errors.New("no package has a TestLab test")
	}
	work, err := os.MkdirTemp("", "kernlab-")
	if err != nil {
		return err
	}
	if o.keep {
		logf("work directory: %s", work)
	} else {
		defer os.RemoveAll(work)
	}

	fsys, err := buildGuest(ctx, root, work, pkgs, k, bb, o)
	if err != nil {
		return err
	}
	initrd := filepath.Join(work, "initramfs.cpio")
	if err := fsys.write(initrd); err != nil {
		return err
	}
	disk := filepath.Join(work, "disk.img")
	if err := makeDisk(disk, 64<<20); err != nil {
		return err
	}
	built := time.Since(start)
	logf("built %d test binaries in %.1fs; booting %s", len(pkgs), built.Seconds(), filepath.Base(k.Package))

	results, bootErr := bootAndReport(ctx, qemu, k, initrd, disk, work, o)
	var want []string
	for _, p := range pkgs {
		want = append(want, p.ImportPath)
	}
	problems := verdict(results, bootErr, want)
	if o.saveFixture != "" {
		if results.FixtureOK {
			n, err := saveFixture(results.Fixture, o.saveFixture)
			if err != nil {
				problems = append(problems, err.Error())
			} else {
				logf("saved the guest fixture (%d files) to %s", n, o.saveFixture)
			}
		} else {
			problems = append(problems, "no intact fixture arrived from the guest")
		}
	}
	pass, fail, skip := results.counts()
	fmt.Printf("kernlab: %d passed, %d failed, %d skipped in %d packages; kernel %s; %.1fs (build %.1fs)\n",
		pass, fail, skip, len(results.Packages), results.Kernel, time.Since(start).Seconds(), built.Seconds())
	if len(problems) > 0 {
		if !results.Done {
			fmt.Printf("last console lines:\n%s", results.tailText())
		}
		logf("console log: %s", filepath.Join(o.cacheDir, "last-console.log"))
		return fmt.Errorf("FAIL:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// bootAndReport boots the guest, prints each package's result as it
// ends, and keeps the whole console in the cache's last-console.log.
func bootAndReport(ctx context.Context, qemu string, k *kernel, initrd, disk, work string, o options) (*consoleResults, error) {
	results := &consoleResults{}
	rep := &reporter{w: os.Stdout, verbose: o.verbose}
	// The log is written in the work directory and copied to the cache
	// at the end, so that concurrent runs each leave a whole log.
	logPath := filepath.Join(work, "console.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return results, err
	}
	defer func() {
		logFile.Close()
		if data, err := os.ReadFile(logPath); err == nil {
			_ = os.WriteFile(filepath.Join(o.cacheDir, "last-console.log"), data, 0o644)
		}
	}()
	bootStart := time.Now()
	err = boot(ctx, qemu, qemuRun{
		Kernel:  k.Vmlinuz,
		Initrd:  initrd,
		Disk:    disk,
		Timeout: o.timeout,
		OnLine: func(line string) {
			fmt.Fprintln(logFile, line)
			if o.verbose {
				fmt.Printf("  | %s\n", line)
			}
			if p := results.feed(line); p != nil {
				rep.packageDone(p)
			}
		},
	})
	if o.verbose {
		logf("guest ran %.1fs", time.Since(bootStart).Seconds())
	}
	return results, err
}

// buildGuest builds the binaries and describes the initramfs.
func buildGuest(ctx context.Context, root, work string, pkgs []labPackage, k *kernel, bb *busybox, o options) (*initramfs, error) {
	bin := filepath.Join(work, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return nil, err
	}
	fsys := &initramfs{Symlinks: map[string]string{}}
	jobs := []buildJob{
		{what: "cmd/labinit", args: []string{"build"}, target: filepath.Join(work, "init"), pkg: "./cmd/labinit"},
		{what: "cmd/nscope", args: []string{"build"}, target: filepath.Join(bin, "nscope"), pkg: "./cmd/nscope"},
	}
	fsys.Files = append(fsys.Files,
		guestFile{Src: filepath.Join(work, "init"), Dst: "/init", Perm: 0o755},
		guestFile{Src: filepath.Join(bin, "nscope"), Dst: "/bin/nscope", Perm: 0o755},
		guestFile{Src: bb.Path, Dst: "/bin/busybox", Perm: 0o755},
	)
	for _, a := range bb.Applets {
		if a != "busybox" && a != "nscope" && a != "init" {
			fsys.Symlinks["/bin/"+a] = "busybox"
		}
	}
	man := labproto.Manifest{
		Disk:    "vda",
		Run:     o.run,
		Timeout: labproto.Duration(o.testTimeout),
		Fixture: o.saveFixture != "",
	}
	for _, m := range k.Modules {
		fsys.Files = append(fsys.Files, guestFile{Src: m, Dst: guestModulePath(m), Perm: 0o644})
		man.Modules = append(man.Modules, guestModulePath(m))
	}
	for _, p := range pkgs {
		target := filepath.Join(bin, p.binaryName())
		jobs = append(jobs, buildJob{what: p.ImportPath + " tests", args: []string{"test", "-c"}, target: target, pkg: p.ImportPath, test: true})
		guestBin := "/lab/bin/" + p.binaryName()
		fsys.Files = append(fsys.Files, guestFile{Src: target, Dst: guestBin, Perm: 0o755})
		dir := "/src/" + filepath.ToSlash(p.Rel)
		fsys.Dirs = append(fsys.Dirs, dir)
		man.Tests = append(man.Tests, labproto.TestBinary{Package: p.ImportPath, Binary: guestBin, Dir: dir})
	}
	fsys.Manifest = man
	if err := addTestdata(fsys, root, pkgs); err != nil {
		return nil, err
	}
	if err := buildAll(ctx, root, jobs); err != nil {
		return nil, err
	}
	return fsys, nil
}

// moduleRoot returns the directory of the main module's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := goOutput(ctx, ".", nil, "env", "GOMOD")
	if err != nil {
		return "", err
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the nscope module: run kernlab from the repository (go run ./cmd/kernlab)")
	}
	return filepath.Dir(gomod), nil
}

// makeDisk creates the sparse raw image the guest sees as /dev/vda.
func makeDisk(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return fmt.Errorf("disk image: %w", err)
	}
	return f.Close()
}
