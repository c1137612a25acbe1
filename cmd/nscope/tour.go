package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
	"github.com/nscope/nscope/tui"
)

func newTourCmd() *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "tour [--name NAME]",
		Short: "A guided tour of namespaces and cgroups on a small lab it builds and removes",
		Long: `tour builds a small lab with nscope's own launcher (as "nscope run" does)
and walks through it in the TUI, one step at a time, with a lesson panel:
what to look at, why it is so, and the command from the articles that makes
the same thing. n or → goes on, p or ← back, q ends.

The lab: user and pid namespaces nested two levels deep by an unprivileged
user (unshare --user --map-root-user --pid --fork, twice, as uid 1000); two
network namespaces joined by a veth pair, one of them with no process, kept
by a bind mount at /run/netns/NAME; a busy loop in a cgroup limited to 20% of
a CPU. Its cgroups are under /NAME in every hierarchy.

Everything is removed when the tour ends, by q, ^C, SIGTERM, SIGHUP or an
error: the processes (their namespaces and the veth pair go with them), the
bind mount and the cgroups. It needs root, and unshare and setpriv from
util-linux.`,
		Example: `  sudo nscope tour
  sudo nscope tour --name lesson-1   # cgroups /lesson-1/..., /run/netns/lesson-1`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if name == "" {
				name = fmt.Sprintf("nscope-tour-%d", os.Getpid())
			}
			if err := checkTourName(name); err != nil {
				return usagef("--name %v", err)
			}
			if global.readOnly {
				return usagef("the tour creates namespaces, a veth pair, a bind mount and cgroups: it cannot run with --read-only")
			}
			if err := tourPrerequisites(); err != nil {
				return err
			}
			if !term.IsTerminal(os.Stdin.Fd()) || !term.IsTerminal(os.Stdout.Fd()) {
				return usagef("the tour runs in the TUI and needs a terminal")
			}
			return runTour(cmd.Context(), name)
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "name of the lab: its cgroup parent /NAME and /run/netns/NAME (default nscope-tour-PID)")
	return cmd
}

// runTour builds the lab, runs the TUI tour on it and removes the lab,
// also on ^C, SIGTERM or SIGHUP. While the lab is built, any of them stops
// the building. While the TUI runs, Bubble Tea ends it on SIGINT and
// SIGTERM itself (a second handler cancelling its context as well races
// with Bubble Tea's, which then blocks its own shutdown for good), and
// SIGHUP, which it does not handle, cancels its context. Either way the
// TUI returns and the lab goes.
func runTour(ctx context.Context, name string) error {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	buildCtx, stopBuild := context.WithCancel(ctx)
	defer stopBuild()
	tuiCtx, stopTUI := context.WithCancel(ctx)
	defer stopTUI()
	var inTUI atomic.Bool
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case s := <-sigs:
				switch {
				case !inTUI.Load():
					stopBuild()
				case s == syscall.SIGHUP:
					stopTUI()
				default:
					// Bubble Tea quits on it; should the signal have come
					// before Bubble Tea listened, end the TUI anyway.
					time.AfterFunc(3*time.Second, stopTUI)
				}
			case <-done:
				return
			}
		}
	}()
	return withTourLab(buildCtx, name, func(lab *tourLab) error {
		_, noColor := os.LookupEnv("NO_COLOR")
		opts := tui.Options{
			Interval: tui.DefaultInterval,
			NoColor:  noColor && os.Getenv("NO_COLOR") != "",
			Tour:     tourSteps(lab),
		}
		scanner := newScanner()
		defer scanner.Close()
		opts.Source = scanner
		if ed, err := newEditor(); err == nil {
			opts.Editor = ed
		}
		if err := buildCtx.Err(); err != nil {
			return err
		}
		inTUI.Store(true)
		err := tui.Run(tuiCtx, opts)
		if errors.Is(err, tea.ErrInterrupted) {
			return nil
		}
		return err
	})
}

// withTourLab builds the lab, runs fn on it and removes the lab however fn
// ends: returning, failing or panicking (the removal is deferred, and the
// panic goes on after it).
func withTourLab(ctx context.Context, name string, fn func(lab *tourLab) error) (err error) {
	fmt.Fprintf(os.Stderr, "nscope tour: building the lab %s…\n", name)
	lab, err := buildTourLab(ctx, name)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := lab.close(); cerr != nil {
			fmt.Fprintf(os.Stderr, "nscope tour: could not remove everything: %v\n", cerr)
			if err == nil {
				err = cerr
			}
			return
		}
		fmt.Fprintf(os.Stderr, "nscope tour: removed %s\n", lab.what())
	}()
	return fn(lab)
}

// tourSteps are the tour's steps over lab.
func tourSteps(lab *tourLab) *tui.Tour {
	nestInit, inner := lab.nest.cmd.InitPID(), lab.innerPID
	process := func(pid int) func(ix *procview.Index) (procview.Key, bool) {
		return func(ix *procview.Index) (procview.Key, bool) {
			p := ix.Snap.Process(pid)
			if p == nil {
				return procview.Key{}, false
			}
			return procview.ProcessKey(p), true
		}
	}
	// innerNS walks from the innermost sleep's namespace of type t up
	// `up` parents.
	innerNS := func(t inspect.NSType, up int) func(ix *procview.Index) (procview.Key, bool) {
		return func(ix *procview.Index) (procview.Key, bool) {
			p := ix.Snap.Process(inner)
			if p == nil {
				return procview.Key{}, false
			}
			n := ix.Snap.Namespace(p.NS[t])
			for i := 0; i < up && n != nil; i++ {
				n = ix.Snap.Namespace(n.Parent)
			}
			if n == nil {
				return procview.Key{}, false
			}
			return procview.NamespaceKey(n.ID), true
		}
	}
	netOf := func(ix *procview.Index) (procview.Key, bool) {
		p := ix.Snap.Process(lab.web.cmd.PID())
		if p == nil || ix.Snap.Namespace(p.NS[inspect.NetNS]) == nil {
			return procview.Key{}, false
		}
		return procview.NamespaceKey(p.NS[inspect.NetNS]), true
	}
	blue := func(ix *procview.Index) (procview.Key, bool) {
		if ix.Snap.Namespace(lab.blueID) == nil {
			return procview.Key{}, false
		}
		return procview.NamespaceKey(lab.blueID), true
	}
	busyCgroup := func(ix *procview.Index) (procview.Key, bool) {
		path := lab.parent + "/busy"
		var found *inspect.Cgroup
		for i := range ix.Snap.Cgroups {
			c := &ix.Snap.Cgroups[i]
			if c.Path != path {
				continue
			}
			if h := ix.Snap.Hierarchy(c.Hierarchy); h != nil && (h.Has("cpu") || (found == nil && h.Version == 2)) {
				found = c
			}
		}
		if found == nil {
			return procview.Key{}, false
		}
		return procview.CgroupKey(found), true
	}
	return &tui.Tour{Title: "Tour", Steps: []tui.TourStep{
		{
			Title:  "the lab",
			View:   tui.ProcessesView,
			Target: process(nestInit), Expand: true,
			Look: fmt.Sprintf("PID %d is the init nscope launched as PID 1 of a new pid namespace. Under it, uid %d ran unshare twice, each making a user and a pid namespace; sleep is PID 1 of the innermost. NSPID is each one's PID in its own pid namespace.", nestInit, tourUID),
			Why:  "A container is processes in their own namespaces; the host sees them all, in its own tree, with its own PIDs.",
			Try:  "unshare --user --map-root-user --pid --fork --mount-proc sh (as an ordinary user; twice to nest)",
		},
		{
			Title:  "one process, a PID at every level",
			View:   tui.ProcessesView,
			Target: process(inner),
			Look:   fmt.Sprintf("The detail pane lists the PID of %d in each pid namespace, outermost first: %d on the host, 1 in the innermost. Press i for the same in one sentence.", inner, inner),
			Why:    "A pid namespace sees its own processes and those of the namespaces nested in it, each under its own number; a child never sees its parent's.",
			Try:    fmt.Sprintf("grep NSpid /proc/%d/status", inner),
		},
		{
			Title:  "who owns what",
			View:   tui.NamespacesView,
			Target: innerNS(inspect.UserNS, 1), Expand: true,
			Look: fmt.Sprintf("The ownership tree hangs each namespace under the user namespace its creator was in. This one, made by uid %d, owns a mount and a pid namespace and the next user namespace. Holds: uid_map 0 %d 1, root inside is uid %d outside.", tourUID, tourUID, tourUID),
			Why:  "unshare --map-root-user writes that map. Root inside has capabilities only over what this user namespace owns.",
			Try:  fmt.Sprintf("cat /proc/%d/uid_map (from the host); id inside", inner),
		},
		{
			Title:   "how they nest",
			View:    tui.NamespacesView,
			Nesting: true,
			Target:  innerNS(inspect.PIDNS, 0),
			Look:    "o switched to the nesting tree: the innermost pid namespace sits under the second one, under nscope's, under the host's, although each has another owner (OWNER, accented where they part).",
			Why:     "Ownership (NS_GET_USERNS) and nesting (NS_GET_PARENT) are two trees. They part when each unshare --pid also made a user namespace.",
			Try:     "nscope ns --tree --nesting; nscope ns --tree",
		},
		{
			Title:  "two network namespaces, one cable",
			View:   tui.NamespacesView,
			Target: netOf,
			Look:   fmt.Sprintf("tour-web's network namespace holds lo and %s %s; its peer %s is in another namespace. enter, then enter on the peer line follows the cable; esc comes back.", vethWeb, addrWeb, vethBlue),
			Why:    "A veth pair is two interfaces joined back to back, each in one network namespace: how a container gets a network.",
			Try:    fmt.Sprintf("ip netns add %s; ip link add %s type veth peer name %s netns %s", lab.name, vethWeb, vethBlue, lab.name),
		},
		{
			Title:  "kept alive by a bind mount",
			View:   tui.NamespacesView,
			Target: blue,
			Look:   fmt.Sprintf("This network namespace has no process (PROCS 0): the bind mount %s holds it, as ip netns add does. It holds %s %s. Press i: it says what frees it.", lab.bluePath, vethBlue, addrBlue),
			Why:    "A namespace lives while something refers to it: a process, an open file descriptor, or a bind mount of its /proc/PID/ns file.",
			Try:    fmt.Sprintf("ip netns add %s; ip netns delete %s (or umount %s) frees it", lab.name, lab.name, lab.bluePath),
		},
		{
			Title:  "a cgroup with a CPU limit",
			View:   tui.CgroupsView,
			Target: busyCgroup,
			Look:   "The busy loop may use 20% of one CPU: CPU shows its use, QUOTA how much of the limit that is, THR how often it was throttled. Press i for what the numbers mean.",
			Why:    "The CPU controller gives a quota of run time per period (cpu.max, or cpu.cfs_quota_us and cpu.cfs_period_us on v1); a group that used it waits for the next period.",
			Try:    "mkdir /sys/fs/cgroup/cpu/my-container; echo 20000 > .../cpu.cfs_quota_us; echo $$ > .../tasks",
		},
		{
			Title: "the end",
			View:  tui.NamespacesView,
			Look:  fmt.Sprintf("q ends the tour and removes the lab: it stops the processes (their namespaces and the veth pair go with them), unmounts %s and removes the cgroups under %s. ^C and SIGTERM do the same.", lab.bluePath, lab.parent),
			Why:   "Namespaces have no name and no delete: they go when nothing refers to them any more.",
			Try:   "nscope --view ns to look at your own host; nscope ns --tree --format svg > ns.svg for a slide",
		},
	}}
}
