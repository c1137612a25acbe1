// Command kernlab runs the project's kernel-lab tests for real: for each
// configuration of its matrix (Debian's 6.1 and 6.12 kernels with cgroup
// v2, and 6.1 with legacy v1 hierarchies only) it boots the kernel under
// QEMU (TCG) with an initramfs holding the project's static test binaries
// and cmd/labinit as /init, reads the serial console, prints every
// TestLab test's result and a count per configuration, and exits non-zero
// on any failure, a guest panic, or a timeout. See README.md in this
// directory.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
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

// defaultRun selects every lab test.
const defaultRun = "^TestLab"

// options are the command-line flags.
type options struct {
	run         string
	timeout     time.Duration
	testTimeout time.Duration
	verbose     bool
	keep        bool
	saveFixture string
	cacheDir    string
	configs     []labConfig
	parallel    int
	knownBugs   bool
	extras      extraList
	// ssh names the configuration whose guest is reachable over SSH
	// after its tests (ssh.go).
	ssh string
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("kernlab", flag.ContinueOnError)
	fs.StringVar(&o.run, "run", defaultRun, "regular expression selecting the tests to run in the guest (go test -run syntax)")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "kill the guest if it has not powered off after this long")
	fs.DurationVar(&o.testTimeout, "test-timeout", 2*time.Minute, "-test.timeout of each test binary in the guest")
	fs.BoolVar(&o.verbose, "v", false, "show the whole serial console and every test's output")
	fs.BoolVar(&o.keep, "keep", false, "keep the work directory (binaries, initramfs, disk, console log)")
	fs.StringVar(&o.saveFixture, "save-fixture", "", "save the guest's /proc and cgroupfs layout into `DIR` (replacing DIR/proc, DIR/sys and DIR/etc)")
	fs.StringVar(&o.cacheDir, "cache", "", "cache `DIR` for the kernels and busybox (default: .cache/kernlab in the module root)")
	configSpec := fs.String("config", "all", "configurations to boot: all, or a comma-separated list of "+configNames())
	fs.IntVar(&o.parallel, "parallel", defaultParallel(), "how many guests boot at once (each is QEMU with 2 virtual CPUs)")
	fs.Var(&o.extras, "extra", "put this host binary (and, if dynamic, its libraries) into the guest's /bin, and a busybox rootfs at /lab/rootfs; repeatable (-extra runc)")
	fs.StringVar(&o.ssh, "ssh", "", "make this cgroup v2 configuration's guest reachable over SSH after its tests and run the host's TestKernlabSSH tests (nscope -H) against it")
	fs.BoolVar(&o.knownBugs, "known-bugs", false, "also run the checks of known, tracked product bugs (labproto.KnownBug), which then fail")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	configs, err := selectConfigs(*configSpec)
	if err != nil {
		return o, err
	}
	o.configs = configs
	if o.parallel < 1 {
		return o, fmt.Errorf("-parallel %d: want at least 1", o.parallel)
	}
	if o.saveFixture != "" {
		// The fixture is a pure v2 host: one v2 guest makes it.
		if *configSpec == "all" {
			o.configs = matrix[:1]
		}
		if len(o.configs) != 1 || o.configs[0].Cgroup != labproto.CgroupV2 {
			return o, fmt.Errorf("-save-fixture needs exactly one cgroup v2 configuration (-config %s, or leave -config out)", matrix[0].Name)
		}
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q: kernlab takes only flags", fs.Arg(0))
	}
	if o.ssh != "" {
		// A configuration -config leaves out just has no SSH guest.
		found := false
		for _, c := range matrix {
			found = found || c.Name == o.ssh && c.Cgroup == labproto.CgroupV2
		}
		if !found {
			return o, fmt.Errorf("-ssh %q: want a cgroup v2 configuration of %s", o.ssh, configNames())
		}
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
