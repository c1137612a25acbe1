package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
)

// defaultParallel is how many guests boot at once by default: one per two
// host CPUs, since each guest has two virtual CPUs under TCG.
func defaultParallel() int { return max(1, runtime.NumCPU()/2) }

// configRun is one configuration's boot and what came of it.
type configRun struct {
	config   labConfig
	kernel   *kernel
	results  *consoleResults
	problems []string
	seconds  float64 // QEMU's wall time
	out      bytes.Buffer
	// ssh is the guest's SSH setup (kernlab -ssh), or nil.
	ssh *sshGuest
}

// run is the whole lab: fetch, build once, then pack, boot and report
// each configuration.
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
	runs, err := fetchKernels(ctx, o)
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
	shared, err := buildGuest(ctx, root, work, pkgs, bb, o)
	if err != nil {
		return err
	}
	built := time.Since(start)
	logf("built %d test binaries in %.1fs; booting %s, %d at a time", len(pkgs), built.Seconds(), configList(runs), min(o.parallel, len(runs)))

	var want []string
	for _, p := range pkgs {
		want = append(want, p.ImportPath)
	}
	bootAll(ctx, qemu, shared, work, want, runs, o)

	failed, ran := false, 0
	for _, r := range runs {
		pass, fail, skip := r.results.counts()
		ran += pass + fail
		fmt.Printf("kernlab: %s: %d passed, %d failed, %d skipped in %d packages; kernel %s; %.1fs in QEMU\n",
			r.config.Label(), pass, fail, skip, len(r.results.Packages), orUnknown(r.results.Kernel), r.seconds)
		failed = failed || len(r.problems) > 0
	}
	noun := "configurations"
	if len(runs) == 1 {
		noun = "configuration"
	}
	fmt.Printf("kernlab: %d %s in %.1fs (build %.1fs)\n", len(runs), noun, time.Since(start).Seconds(), built.Seconds())
	if ran == 0 && !failed {
		return fmt.Errorf("FAIL: no TestLab test passed or failed in any configuration: -run %q matched none, or all skipped", o.run)
	}
	if failed {
		var lines []string
		for _, r := range runs {
			for _, p := range r.problems {
				lines = append(lines, r.config.Label()+": "+p)
			}
		}
		return fmt.Errorf("FAIL:\n  %s", strings.Join(lines, "\n  "))
	}
	return nil
}

// fetchKernels fetches each configuration's kernel (once per
// metapackage) and checks it has what the configuration needs.
func fetchKernels(ctx context.Context, o options) ([]*configRun, error) {
	byMeta := map[string]*kernel{}
	var runs []*configRun
	for _, c := range o.configs {
		k := byMeta[c.Meta]
		if k == nil {
			var err error
			if k, err = fetchKernel(ctx, o.cacheDir, c.Meta, c.Series, logf); err != nil {
				return nil, fmt.Errorf("configuration %s: %w", c.Name, err)
			}
			byMeta[c.Meta] = k
		}
		if err := checkSetupFeatures(k, c.Cgroup); err != nil {
			return nil, fmt.Errorf("configuration %s: %w", c.Name, err)
		}
		runs = append(runs, &configRun{config: c, kernel: k, results: &consoleResults{}})
	}
	return runs, nil
}

// bootAll boots the configurations, o.parallel at a time. One at a time,
// each prints as its packages end; in parallel, each prints when its
// guest is done, so that reports do not interleave.
func bootAll(ctx context.Context, qemu string, shared *initramfs, work string, want []string, runs []*configRun, o options) {
	var printMu sync.Mutex
	sem := make(chan struct{}, o.parallel)
	var wg sync.WaitGroup
	for _, r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var w io.Writer = &r.out
			if o.parallel == 1 {
				w = os.Stdout
			}
			r.boot(ctx, qemu, shared, work, want, w, o)
			if o.parallel > 1 {
				printMu.Lock()
				_, _ = os.Stdout.Write(r.out.Bytes())
				printMu.Unlock()
			}
		}()
		if o.parallel == 1 {
			wg.Wait() // in matrix order
		}
	}
	wg.Wait()
}

// boot packs the configuration's initramfs, boots it, and records the
// results and problems.
func (r *configRun) boot(ctx context.Context, qemu string, shared *initramfs, work string, want []string, w io.Writer, o options) {
	c := r.config
	fmt.Fprintf(w, "== %s (%s, kernel package %s)\n", c.Label(), c.Name, r.kernel.Package)
	dir := filepath.Join(work, c.Name)
	fail := func(err error) { r.problems = append(r.problems, err.Error()) }
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail(err)
		return
	}
	initrd := filepath.Join(dir, "initramfs.cpio")
	fsys := shared.forConfig(c, r.kernel)
	if o.ssh == c.Name {
		var err error
		if r.ssh, err = prepareSSHGuest(ctx, o, r.kernel, dir); err == nil {
			err = r.ssh.addTo(ctx, fsys)
		}
		if err != nil {
			fail(err)
			return
		}
	}
	if err := fsys.write(initrd); err != nil {
		fail(err)
		return
	}
	disk := filepath.Join(dir, "disk.img")
	if err := makeDisk(disk, 64<<20); err != nil {
		fail(err)
		return
	}
	bootStart := time.Now()
	// The host's tests against the guest end with it at the latest.
	sshCtx, stopSSH := context.WithCancel(ctx)
	r.ssh.start(sshCtx, w, o)
	bootErr := r.bootAndReport(ctx, qemu, initrd, disk, dir, w, o)
	stopSSH()
	r.seconds = time.Since(bootStart).Seconds()
	r.problems = append(r.problems, verdict(r.results, bootErr, want, o.run == defaultRun)...)
	r.problems = append(r.problems, r.ssh.wait()...)
	if k := r.results.Kernel; k != "" && !seriesMatches(k, c.Series) {
		r.problems = append(r.problems, fmt.Sprintf("the guest runs kernel %s, not the %s series", k, c.Series))
	}
	if o.saveFixture != "" {
		if r.results.FixtureOK {
			n, err := saveFixture(r.results.Fixture, o.saveFixture)
			if err != nil {
				fail(err)
			} else {
				logf("saved the guest fixture (%d files) to %s", n, o.saveFixture)
			}
		} else {
			r.problems = append(r.problems, "no intact fixture arrived from the guest")
		}
	}
	if len(r.problems) > 0 {
		if !r.results.Done {
			fmt.Fprintf(w, "last console lines of %s:\n%s", c.Name, r.results.tailText())
		}
		fmt.Fprintf(w, "kernlab: console log of %s: %s\n", c.Name, r.consoleLog(o))
	}
}

// consoleLog is where the whole console of the configuration's last run
// is kept.
func (r *configRun) consoleLog(o options) string {
	return filepath.Join(o.cacheDir, "last-console-"+r.config.Name+".log")
}

// bootAndReport boots the guest, prints each package's result to w as it
// ends, and keeps the whole console in the cache.
func (r *configRun) bootAndReport(ctx context.Context, qemu, initrd, disk, dir string, w io.Writer, o options) error {
	rep := &reporter{w: w, verbose: o.verbose}
	// The log is written in the work directory and copied to the cache
	// at the end, so that concurrent runs each leave a whole log.
	logPath := filepath.Join(dir, "console.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer func() {
		logFile.Close()
		if data, err := os.ReadFile(logPath); err == nil {
			_ = os.WriteFile(r.consoleLog(o), data, 0o644)
		}
	}()
	return boot(ctx, qemu, qemuRun{
		Kernel:        r.kernel.Vmlinuz,
		Initrd:        initrd,
		Disk:          disk,
		Cmdline:       r.config.cmdline(),
		OneHostThread: r.config.OneHostThread,
		Timeout:       o.timeout,
		Extra:         r.ssh.qemuArgs(),
		OnLine: func(line string) {
			fmt.Fprintln(logFile, line)
			if o.verbose {
				fmt.Fprintf(w, "  %s | %s\n", r.config.Name, line)
			}
			if p := r.results.feed(line); p != nil {
				rep.packageDone(p)
			}
		},
	})
}

// configList names the configurations for the log.
func configList(runs []*configRun) string {
	names := make([]string, len(runs))
	for i, r := range runs {
		names[i] = r.config.Name
	}
	return strings.Join(names, ", ")
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown (the guest did not report)"
	}
	return s
}

// legacyFeatures are what a legacy guest needs beyond kernelFeatures: the
// v1 controllers the tests freeze and account CPU with.
var legacyFeatures = []kernelFeature{
	{Option: "CONFIG_CGROUP_FREEZER"},
	{Option: "CONFIG_CGROUP_CPUACCT"},
	{Option: "CONFIG_CPUSETS"},
}

// checkSetupFeatures checks the kernel's config for what the cgroup setup
// needs beyond what every guest does.
func checkSetupFeatures(k *kernel, setup labproto.CgroupSetup) error {
	if setup != labproto.CgroupLegacy {
		return nil
	}
	data, err := os.ReadFile(k.Config)
	if err != nil {
		return fmt.Errorf("kernel config: %w", err)
	}
	cfg := parseKernelConfig(data)
	var missing []string
	for _, f := range legacyFeatures {
		if cfg[f.Option] != "y" {
			missing = append(missing, fmt.Sprintf("%s=%q", f.Option, cfg[f.Option]))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("kernel %s lacks what a legacy cgroup v1 guest needs (want =y): %s", k.Release, strings.Join(missing, ", "))
	}
	return nil
}
