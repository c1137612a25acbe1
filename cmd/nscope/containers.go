package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

type containersOptions struct {
	json   bool
	all    bool
	sample time.Duration
	// runtimeRoot is where the runtimes' files are read (hidden: for
	// fixture trees).
	runtimeRoot string
}

func newContainersCmd() *cobra.Command {
	var o containersOptions
	cmd := &cobra.Command{
		Use:   "containers [CONTAINER...]",
		Short: "List every runtime's containers, like docker ps across docker, podman, containerd, runc, LXC and nspawn",
		Long: `containers lists the containers of every runtime on the host, read from
the runtimes' own state files (no daemon is asked, so it works while dockerd
or the kubelet hangs): docker, containerd (Kubernetes through CRI), CRI-O,
podman (root and rootless) with its pods, runc and crun run directly, LXC,
systemd-nspawn machines and nscope's own launches. Where no state is
readable, a container is still named from its cgroup path.

Columns: NAME, RUNTIME, IMAGE; POD (Kubernetes NAMESPACE/POD, podman pod,
or compose:PROJECT); CPU (time used, or use over --sample); QUOTA (the CPU
limit in force in the cgroup); THROTTLED; MEMORY (current / limit); PIDS;
STATE as the runtime believes it; SHARED, the namespaces it shares with
the host or another container (net=host, net=<infra container>).

A CONTAINER argument is a name, an ID prefix, RUNTIME:NAME, or
pod/NAMESPACE/POD[/CONTAINER] (pod/POD[/CONTAINER] for podman); an
ambiguous one lists the candidates and exits 2.`,
		Example: `  nscope containers
  nscope containers --all
  nscope containers --sample 1s
  nscope containers web podman:db pod/prod/api-7f9
  nscope containers --json | jq '.containers[] | select(.compose.project == "shop") | .init_pid'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.sample < 0 || o.sample > time.Minute {
				return usagef("--sample %s: want a duration from 0 (totals) to 1m", o.sample)
			}
			return runContainers(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o, args)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON (the snapshot's container objects)")
	cmd.Flags().BoolVarP(&o.all, "all", "a", false, "include stopped, exited and created containers")
	cmd.Flags().DurationVar(&o.sample, "sample", 0, "measure CPU and throttling over this long (two scans), e.g. 1s; 0 shows CPU time since start")
	cmd.Flags().StringVar(&o.runtimeRoot, "runtime-root", "", "directory the runtimes' state is read under (a fixture tree for tests)")
	_ = cmd.Flags().MarkHidden("runtime-root")
	return cmd
}

func runContainers(ctx context.Context, out, errOut io.Writer, o containersOptions, args []string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	opts := []inspect.Option{inspect.WithFDs(false), inspect.WithMounts(false)}
	if o.runtimeRoot != "" {
		opts = append(opts, inspect.ContainerRoot(o.runtimeRoot))
	}
	sc := newScanner(opts...)
	defer sc.Close()
	snap, err := sc.Scan(ctx)
	if err != nil {
		return err
	}
	var rates *procview.Rates
	if o.sample > 0 {
		select {
		case <-time.After(o.sample):
		case <-ctx.Done():
			return ctx.Err()
		}
		prev := snap
		if snap, err = sc.Scan(ctx); err != nil {
			return err
		}
		rates = procview.ComputeCgroupRates(prev, snap)
	}
	list, err := selectContainers(snap, args, o.all)
	if err != nil {
		return err
	}
	if o.json {
		err = writeJSON(out, struct {
			SchemaVersion int                       `json:"schema_version"`
			Containers    []inspect.Container       `json:"containers"`
			Drift         []containerDrift          `json:"drift,omitempty"`
			Sources       []inspect.ContainerSource `json:"container_sources,omitempty"`
			Unreadable    []inspect.Unreadable      `json:"unreadable,omitempty"`
		}{inspect.SchemaVersion, list, driftOf(snap, list), snap.ContainerSources, snap.Unreadable})
	} else {
		err = writeContainersTable(out, snap, list, rates)
		if err == nil {
			// On stderr, like the other notes: the table stays parseable.
			writeDriftLegend(errOut, driftOf(snap, list))
		}
		if err == nil && len(list) == 0 && len(args) == 0 {
			fmt.Fprintln(errOut, containersNoneText(snap, o.all))
		}
	}
	if err == nil {
		warnUnreadable(errOut, snap)
	}
	return err
}

// selectContainers returns the containers named by args, or all of them
// (running and paused ones unless all).
func selectContainers(snap *inspect.Snapshot, args []string, all bool) ([]inspect.Container, error) {
	list := []inspect.Container{}
	if len(args) == 0 {
		for _, c := range snap.Containers {
			if all || c.InitPID != 0 || c.State == "running" || c.State == "paused" {
				list = append(list, c)
			}
		}
		return list, nil
	}
	for _, q := range args {
		c, err := snap.ResolveContainer(q)
		if err != nil {
			var amb *inspect.AmbiguousContainerError
			var unknown *inspect.UnknownContainerError
			if errors.As(err, &amb) || errors.As(err, &unknown) || errors.Is(err, inspect.ErrBadContainerQuery) {
				return nil, &usageError{err}
			}
			return nil, err
		}
		list = append(list, *c)
	}
	return list, nil
}

// containersNoneText says why the list is empty.
func containersNoneText(snap *inspect.Snapshot, all bool) string {
	if len(snap.Containers) > 0 && !all {
		return fmt.Sprintf("nscope: no running containers (%d stopped; --all lists them)", len(snap.Containers))
	}
	if len(snap.ContainerSources) == 0 {
		return "nscope: no containers: no runtime state found (docker, containerd, podman, CRI-O, runc, crun, LXC, machined) and no cgroup path names one"
	}
	return "nscope: no containers"
}

// containerHeader is the containers table's header; containerCells
// one row's cells.
var containerHeader = []string{"NAME", "RUNTIME", "IMAGE", "POD", "CPU", "QUOTA", "THROTTLED", "MEMORY", "PIDS", "STATE", "SHARED"}

func writeContainersTable(w io.Writer, snap *inspect.Snapshot, list []inspect.Container, rates *procview.Rates) error {
	t := newTable(w, containerHeader...)
	for i := range list {
		t.row(containerCells(snap, &list[i], rates)...)
	}
	return t.flush()
}

// containerCells are c's cells in the containers table.
func containerCells(snap *inspect.Snapshot, c *inspect.Container, rates *procview.Rates) []string {
	cpuH, cpuacctH := snap.HierarchyFor("cpu"), snap.HierarchyFor("cpuacct")
	memH, pidsH := snap.HierarchyFor("memory"), snap.HierarchyFor("pids")
	cg := func(c *inspect.Container, h *inspect.Hierarchy) *inspect.Cgroup {
		if h == nil {
			return nil
		}
		return snap.ContainerCgroup(c, h.ID)
	}
	cpu, acct := cg(c, cpuH), cg(c, cpuacctH)
	if acct == nil || acct.Usage.CPUUsageUS == nil {
		acct = cpu
	}
	mem, pids := cg(c, memH), cg(c, pidsH)
	drift := control.ContainerDrift(snap, c)
	// The table escapes every cell: names, images, pods and states are
	// the runtimes' files' text.
	return []string{c.Name, c.Runtime, orDash(c.Image), procview.ContainerPodText(c),
		containerCPUText(acct, rates), cpuLimitText(cpu) + driftMark(drift, "cpu", "cpu shares", "cpu weight"), containerThrottledText(cpu, rates),
		containerMemText(mem) + driftMark(drift, "memory"), containerPidsText(pids) + driftMark(drift, "pids"), orDash(c.State), procview.ContainerSharedText(snap, c)}
}

// containerCPUText is the CPU used over the sample, or since the cgroup
// was made.
func containerCPUText(c *inspect.Cgroup, rates *procview.Rates) string {
	if c == nil {
		return "-"
	}
	if rates != nil {
		if r := rates.Cgroup(c); r.HasCPU {
			return procview.FormatPercent(r.CPUCores * 100)
		}
		return "-"
	}
	return cpuUsedText(c)
}

func containerThrottledText(c *inspect.Cgroup, rates *procview.Rates) string {
	if rates != nil && c != nil {
		if r := rates.Cgroup(c); r.HasThrottle {
			return procview.FormatPercent(r.ThrottledPercent)
		}
		return "-"
	}
	return throttledText(c)
}

func containerMemText(c *inspect.Cgroup) string {
	if c == nil {
		return "-"
	}
	return memCurrentText(c) + " / " + memLimitText(c)
}

func containerPidsText(c *inspect.Cgroup) string { return pidsText(c) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// shortContainerID is the 12-character form docker ps shows.
func shortContainerID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
