package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
)

func newRunCmd() *cobra.Command {
	var (
		req    control.LaunchRequest
		nsList string
		yes    bool
	)
	cmd := &cobra.Command{
		Use:   "run [--ns LIST | --all] [--hostname H] [--cpu N] [--memory M] [--pids N] [--cgroup-parent P] [--name N] [--map-root] [--keep] -- CMD [ARGS...]",
		Short: "Run a command in new namespaces and its own cgroup",
		Long: `Run CMD in new namespaces, in a cgroup of its own with optional limits.

A small init runs as PID 1 of the new pid namespace: it makes / private
and mounts a fresh /proc, sets the hostname, brings lo up, starts CMD,
forwards signals to it and reaps every child. nscope exits with CMD's exit
status (128+N when signal N killed it; 125 when nscope could not launch it,
126 when CMD cannot be run, 127 when it does not exist).

Namespaces: by default mnt, pid, net, ipc, uts and cgroup; --ns picks
others (pid and mnt are always created), --all creates all eight. A new
network namespace has only lo. --map-root adds a user namespace in which
root is you. A time namespace applies to CMD, not to the init (it can only
be unshared).

Cgroup: one named --name (default nscope-run-PID) in every hierarchy,
under --cgroup-parent: an absolute path inside each hierarchy (default
/nscope, created if missing and left in place), or a relative one, taken
beneath nscope's own cgroup. On cgroup v2 CMD's init is born in it
(clone3 CLONE_INTO_CGROUP); on v1 it waits until its PID is in every
hierarchy. So the limits hold from CMD's first instruction. The cgroup is
removed when CMD exits, unless --keep. The cgroups are journaled (see
"nscope history"): if nscope is killed before it removes them, the next
run removes them once they hold no process. A parent that is not nscope's own
asks first, as "nscope set" does (--yes skips it; without a terminal it is
required): the root, a relative parent (inside whatever started nscope), a
systemd unit's or a container's cgroup, one that already holds processes.

On a terminal CMD is the foreground job: an interactive shell works, ^C and
^Z reach CMD; without one (scripts, pipes) signals sent to nscope are
passed on.`,
		Example: `  nscope run -- bash
  nscope run --cpu 0.5 --memory 256M --pids 64 -- make -j8
  nscope run --ns net,uts --hostname lab -- ip addr
  nscope run --map-root --all -- id`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Command = args
			if cmd.Flags().Changed("ns") {
				if req.All {
					return usagef("--ns and --all exclude each other: --all creates every type")
				}
				types, err := inspect.ParseNSTypeList(nsList)
				if err != nil {
					return usagef("--ns: %v", err)
				}
				req.NS = types
			}
			if global.readOnly {
				return fmt.Errorf("refusing to run %s: %w: --read-only is set, and run creates namespaces and cgroups", args[0], control.ErrReadOnly)
			}
			return runLaunch(cmd, req, yes)
		},
	}
	f := cmd.Flags()
	// Flags after CMD belong to CMD: nscope run ls -la.
	f.SetInterspersed(false)
	f.StringVar(&nsList, "ns", "", "namespace types to create, comma-separated: mnt,pid,net,ipc,uts,user,cgroup,time (pid and mnt always)")
	f.BoolVar(&req.All, "all", false, "create every namespace type")
	f.StringVar(&req.Hostname, "hostname", "", "hostname in the new UTS namespace (default: the cgroup name)")
	f.StringVar(&req.CPU, "cpu", "", `CPU limit: CPUs ("0.5"), percent ("50%") or "max"`)
	f.StringVar(&req.Memory, "memory", "", `memory limit: bytes with K/M/G suffix ("256M") or "max"`)
	f.StringVar(&req.Pids, "pids", "", `limit on processes and threads ("64") or "max"`)
	f.StringVar(&req.CgroupParent, "cgroup-parent", "", "parent of the new cgroup: absolute in each hierarchy, or relative to nscope's own (default "+control.DefaultCgroupParent+")")
	f.StringVar(&req.Name, "name", "", "name of the new cgroup (default nscope-run-PID)")
	f.BoolVar(&req.MapRoot, "map-root", false, "create a user namespace in which root is you")
	f.BoolVar(&req.Keep, "keep", false, "keep the cgroup after CMD exits")
	f.BoolVarP(&yes, "yes", "y", false, "do not ask before creating the cgroup under a parent that is not nscope's own; needed when stdin is not a terminal")
	return cmd
}

// runLaunch launches req on this host and waits for it. A cgroup parent
// that is not nscope's own needs confirmation first (see
// parentConfirmations).
func runLaunch(cmd *cobra.Command, req control.LaunchRequest, yes bool) error {
	l := control.NewLauncher(control.WithLaunchProcRoot(global.procRoot), control.WithLaunchSysRoot(global.sysRoot))
	plan, err := l.Plan(req)
	if errors.Is(err, control.ErrInvalidValue) {
		return usagef("%v", err)
	}
	if err != nil {
		return enterExit(err)
	}
	if err := confirm(cmd, editFlags{yes: yes}, parentConfirmations(plan, req.CgroupParent), func(w io.Writer) { printLaunchCgroups(w, plan) }); err != nil {
		return err
	}
	if c := plan.Limits.CPU; c != nil {
		q, p := c.QuotaUS, c.PeriodUS
		if c.Cores > 0 {
			p = max(p, control.DefaultPeriodUS)
			q = int64(c.Cores * float64(p))
		}
		if w := control.CPUAboveHost(q, p, control.HostCPUs()); w != "" {
			msgf(cmd.ErrOrStderr(), "nscope: warning: %s\n", w)
		}
	}
	lc, err := l.Command(plan)
	if err != nil {
		return enterExit(err)
	}
	if err := lc.Start(); err != nil {
		return enterExit(err)
	}
	errOut := cmd.ErrOrStderr()
	if len(lc.Swept) > 0 {
		msgf(errOut, "nscope: removed %d cgroups left behind by nscope runs that were killed: %s\n", len(lc.Swept), strings.Join(lc.Swept, ", "))
	}
	if lc.SweepErr != nil {
		msgf(errOut, "nscope: warning: cgroups left behind by killed runs: %s\n", lc.SweepErr)
	}
	if lc.RecordErr != nil {
		msgf(errOut, "nscope: warning: the new cgroup is not journaled (%s): if nscope is killed, it stays behind\n", lc.RecordErr)
	}
	err = lc.Wait()
	if cerr := lc.CleanupErr(); cerr != nil {
		fmt.Fprintln(os.Stderr, "nscope: warning:", errorText(cerr))
	}
	return enterExit(err)
}
