package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Bounds of the flags. A container is 3 processes; pid_max is checked
// against the total at build time.
const (
	maxContainers = 5000
	maxPlain      = 25000
	maxRuns       = 100
)

// defaultCPUCommands are what "benchhost cpu" measures when no command is
// given: the TUI against top, as the TUI issue asks.
var defaultCPUCommands = []string{"bin/nscope", "top -b -d 1 >/dev/null"}

// command is one parsed invocation: the subcommand and its flags.
type command struct {
	name string // compare, up, down or cpu
	host hostConfig

	runs   int    // compare: timed runs per command
	nscope string // compare: the nscope binary ("" means bin/nscope, built from the checkout)
	reuse  bool   // compare: measure on a running "benchhost up" host if there is one

	force bool // down: also remove the subtree of a benchhost still running

	duration time.Duration // cpu: sampling window
	settle   time.Duration // cpu: wait after starting before the first sample
	noHost   bool          // cpu: measure on the machine as it is
	cpuCmds  []string      // cpu: shell command lines, one per tmux window
}

const usageText = `benchhost builds a busy host (containers with their own pid, net, mnt, uts,
ipc and cgroup namespaces and v1 cgroups, plus plain sleep processes) and
measures nscope on it. Needs root; run it from the nscope checkout.

Usage:
  benchhost [compare] [-containers N] [-plain N] [-runs N] [-nscope PATH] [-reuse]
      build the host, time "nscope snapshot", "lsns -J" and
      "ps -e -o pid,ppid,cgroup,comm" side by side (median, min, peak RSS,
      ratios, PASS/MISS against the targets), then remove everything;
      with -reuse, measure on a running "benchhost up" host if there is one
  benchhost up [-containers N] [-plain N]
      build the host and keep it until SIGINT/SIGTERM, then remove it
  benchhost down [-force]
      remove what an earlier run left behind (cgroups named nscope-bench-PID
      and their processes); a running benchhost's host only with -force
  benchhost cpu [-duration D] [-settle D] [-nohost] [-- CMD ...]
      run each CMD in a tmux window (160x50, private socket) on the bench
      host (a running "up" host, else one built for the measurement) and
      print its CPU use in percent of one core;
      default CMDs: "bin/nscope" "top -b -d 1 >/dev/null"

`

// flagOutput, when set, receives the -h usage instead of standard output
// (tests).
var flagOutput io.Writer

// parseArgs parses the command line: an optional subcommand name, then its
// flags (and for cpu, the commands after "--").
func parseArgs(args []string) (*command, error) {
	c := &command{name: "compare"}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		c.name = args[0]
		args = args[1:]
	}
	fs := flag.NewFlagSet("benchhost "+c.name, flag.ContinueOnError)
	// The flag package's own messages are dropped: a bad flag is reported
	// once by the caller, and -h prints the usage on standard output.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	switch c.name {
	case "compare", "up", "cpu":
		fs.IntVar(&c.host.Containers, "containers", 300, "number of containers (each: shell + sleep in 6 new namespaces, plus its unshare parent)")
		fs.IntVar(&c.host.Plain, "plain", 3000, "number of plain sleep processes")
	case "down":
	default:
		return nil, fmt.Errorf("unknown subcommand %q (allowed: compare, up, down, cpu)", c.name)
	}
	switch c.name {
	case "compare":
		fs.IntVar(&c.runs, "runs", 5, "timed runs of each command, after one warm-up run")
		fs.StringVar(&c.nscope, "nscope", "", "nscope binary to time (default bin/nscope, built from this checkout first)")
		fs.BoolVar(&c.reuse, "reuse", false, "measure on the host of a running \"benchhost up\" instead of building one, if there is one")
	case "down":
		fs.BoolVar(&c.force, "force", false, "also remove the host of a benchhost that is still running")
	case "cpu":
		fs.DurationVar(&c.duration, "duration", 30*time.Second, "how long to measure each command's CPU use")
		fs.DurationVar(&c.settle, "settle", 3*time.Second, "wait this long after starting the commands before measuring")
		fs.BoolVar(&c.noHost, "nohost", false, "do not build a bench host; measure on the machine as it is")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			out := flagOutput
			if out == nil {
				out = os.Stdout
			}
			fmt.Fprint(out, usageText)
			fmt.Fprintf(out, "Flags of benchhost %s (see 'benchhost SUBCOMMAND -h' for the others):\n", c.name)
			fs.SetOutput(out)
			fs.PrintDefaults()
		}
		return nil, err
	}
	if c.name == "cpu" {
		c.cpuCmds = fs.Args()
		if len(c.cpuCmds) == 0 {
			c.cpuCmds = defaultCPUCommands
		}
	} else if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: benchhost %s takes only flags", fs.Arg(0), c.name)
	}
	return c, c.validate()
}

// validate checks the flag values and names the bad one and what is allowed.
func (c *command) validate() error {
	if c.name != "down" {
		if c.host.Containers < 0 || c.host.Containers > maxContainers {
			return fmt.Errorf("-containers %d is out of range: allowed 0 to %d", c.host.Containers, maxContainers)
		}
		if c.host.Plain < 0 || c.host.Plain > maxPlain {
			return fmt.Errorf("-plain %d is out of range: allowed 0 to %d", c.host.Plain, maxPlain)
		}
	}
	switch c.name {
	case "compare":
		if c.runs < 1 || c.runs > maxRuns {
			return fmt.Errorf("-runs %d is out of range: allowed 1 to %d", c.runs, maxRuns)
		}
	case "cpu":
		if c.duration < time.Second {
			return fmt.Errorf("-duration %s is too short: allowed 1s or more (CPU times tick at 10 ms)", c.duration)
		}
		if c.settle < 0 {
			return fmt.Errorf("-settle %s is negative: allowed 0 or more", c.settle)
		}
		for i, cmd := range c.cpuCmds {
			if strings.TrimSpace(cmd) == "" {
				return fmt.Errorf("command %d after -- is empty: give each command as one non-empty argument, e.g. 'top -b -d 1 >/dev/null'", i+1)
			}
		}
	}
	return nil
}

// run runs the subcommand.
func (c *command) run(ctx context.Context) error {
	switch c.name {
	case "compare":
		return runCompare(ctx, c)
	case "up":
		return runUp(ctx, c)
	case "down":
		return runDown(os.Stdout, downOptions{force: c.force})
	case "cpu":
		return runCPU(ctx, c)
	}
	return fmt.Errorf("unknown subcommand %q", c.name)
}
