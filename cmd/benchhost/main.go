// Command benchhost builds a busy host on this machine and measures nscope
// on it side by side with the tools operators already have.
//
// The busy host is about 300 "containers" and 3,000 plain processes:
//
//   - each container is a shell (PID 1 of its own pid namespace) and a
//     sleep, started by "unshare --pid --net --mount --uts --ipc --cgroup
//     --fork --kill-child --mount-proc", so it has its own pid, net, mnt,
//     uts, ipc and cgroup namespaces (6 per container, ~1,800 in all); the
//     unshare process stays outside the pid namespace as its parent, like a
//     container runtime's shim. Before it unshares, each container is put
//     into its own v1 cgroup in the cpu, cpuacct, memory, pids and freezer
//     hierarchies, with a CPU quota, a memory limit and a pids limit set;
//   - the plain processes are /bin/sleep, exec'd directly, children of
//     benchhost, tracked in a pids cgroup named "plain".
//
// Every cgroup is made beneath benchhost's own cgroup in each hierarchy
// (read from /proc/self/cgroup at run time), in a uniquely named subtree
// nscope-bench-PID, e.g. /sys/fs/cgroup/cpu/nscope-bench-1234/c17 when
// benchhost sits at the root of the cpu hierarchy. Everything is removed at
// the end, also on Ctrl-C or SIGTERM; if benchhost itself is killed, the
// kernel kills its processes (parent-death signal) and "benchhost down"
// removes the cgroups left behind.
//
// Usage (as root, from the nscope checkout):
//
//	benchhost [compare] [-containers 300] [-plain 3000] [-runs 5] [-nscope bin/nscope] [-reuse]
//	benchhost up   [-containers 300] [-plain 3000]
//	benchhost down [-force]
//	benchhost cpu  [-duration 30s] [-settle 3s] [-nohost] [-- CMD ...]
//
// compare (the default) builds the host, runs "nscope snapshot" (output to
// /dev/null; bin/nscope is built from this checkout first), "lsns -J" and "ps -e -o
// pid,ppid,cgroup,comm" once each to warm up and count what they saw, then
// -runs times each, interleaved, and prints the median and minimum wall
// time, the peak RSS (the command's ru_maxrss from wait4, taken by a small
// forking C helper, package forkrun, because a child started straight
// from Go reports benchhost's own peak RSS), the ratios lsns/nscope and
// ps/nscope, and PASS/MISS against the targets (snapshot
// ≤ 0.25 s, ≥ 3× faster than lsns, ≤ 60 MiB). The targets are
// informational: compare exits 0 unless the host could not be built or a
// command could not be run. With -reuse it measures on the host of a
// running "benchhost up" instead, if there is one.
//
// up builds the host, prints what it made, and keeps it until SIGINT or
// SIGTERM; down removes what an earlier run left behind (found by the
// nscope-bench- prefix; the subtree of a benchhost that is still running is
// left alone unless -force).
//
// cpu runs each CMD (a shell command line, default "bin/nscope" and "top -b
// -d 1 >/dev/null") in its own window of a detached tmux session sized
// 160x50 on a private tmux socket, waits -settle, then reports each
// command's CPU use in percent of one core over -duration, from the
// utime+stime deltas in /proc/PID/stat of the window's whole process tree.
// It runs on the host of a running "benchhost up" if there is one, else it
// builds its own (or none with -nohost).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"
)

// Exit codes.
const (
	exitFailure = 1 // the host could not be built, or a command could not be run
	exitUsage   = 2 // bad flags or arguments
)

// The kernel sends a child's parent-death signal when the thread that
// forked it exits, not the process (go.dev/issue/27505). Keeping the main
// goroutine, which starts the host's processes, on the main thread ties
// their lives to benchhost's.
func init() { runtime.LockOSThread() }

func main() {
	os.Exit(run(os.Args[1:]))
}

// run parses the arguments, runs the subcommand and returns the exit code.
func run(args []string) int {
	cmd, err := parseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchhost:", err)
		fmt.Fprintln(os.Stderr, "Run 'benchhost -h' for usage.")
		return exitUsage
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "benchhost: needs root: it creates namespaces and cgroups and reads every process (run it with sudo)")
		return exitFailure
	}
	// SIGPIPE too: "benchhost up | head" must tear down, not die with
	// the host still up when head exits.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE)
	defer stop()
	if err := cmd.run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "benchhost:", err)
		return exitFailure
	}
	return 0
}

// logf prints progress to standard error, so standard output holds only
// the results.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchhost: "+format+"\n", args...)
}
