package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

type cgOptions struct {
	tree      bool
	json      bool
	hierarchy string
	sample    time.Duration
}

// maxSample bounds --sample: a rate over minutes is no longer "now".
const maxSample = time.Minute

func newCGCmd() *cobra.Command {
	var o cgOptions
	cmd := &cobra.Command{
		Use:   "cg",
		Short: "List cgroups with their limits and usage in readable units",
		Long: `cg lists cgroups with their limits and usage: CPU quota ("20% of 1 CPU"),
the CPU used now (cores) and in total, throttling now and in total,
memory current and limit ("256 MiB"), OOM kills, pids and whether the
cgroup is frozen.

CPU and THROTTLED are rates: cg reads the counters twice, --sample apart
(default 1s; 0 skips the wait and the rates), as the TUI does between two
refreshes. THROTTLED is the share of the CFS periods in that time in which
the cgroup used up its quota; THROTTLED TOTAL counts the throttled periods
since the cgroup was created (a cgroup throttled an hour ago shows no
recent throttling, but keeps its total).

On a unified (cgroup v2) host each row is one cgroup. On hybrid and legacy
(v1) hosts the controllers live in separate hierarchies; a row merges the
cgroups with the same path across them (CPU from the cpu hierarchy, memory
from the memory hierarchy, ...), as the TUI's Cgroups view does.
--hierarchy shows one hierarchy as it is. --json prints every cgroup of
every hierarchy unmerged, with the raw counters and file text (no sample).`,
		Example: `  nscope cg
  nscope cg --tree
  nscope cg --sample 5s
  nscope cg --hierarchy memory
  nscope cg --json | jq '.cgroups[] | select(.limits.memory_max > 0) | .path'`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.tree && o.json {
				return usagef("--tree and --json cannot be combined")
			}
			if o.sample < 0 || o.sample > maxSample {
				return usagef("--sample %s: want a duration from 0 (no rates) to %s", o.sample, maxSample)
			}
			scanner := newScanner(inspect.WithFDs(false), inspect.WithMounts(false))
			defer scanner.Close()
			snap, err := scanner.Scan(cmd.Context())
			if err != nil {
				return err
			}
			var only *inspect.Hierarchy
			if o.hierarchy != "" {
				if only = findHierarchy(snap, o.hierarchy); only == nil {
					return usagef("--hierarchy %q: no such hierarchy (this host has: %s)", o.hierarchy, strings.Join(hierarchyNames(snap), ", "))
				}
			}
			out := cmd.OutOrStdout()
			if o.json {
				list := []inspect.Cgroup{}
				for _, c := range snap.Cgroups {
					if only == nil || c.Hierarchy == only.ID {
						list = append(list, c)
					}
				}
				err = writeJSON(out, struct {
					SchemaVersion int                  `json:"schema_version"`
					Mode          inspect.CgroupMode   `json:"cgroup_mode"`
					Hierarchies   []inspect.Hierarchy  `json:"hierarchies"`
					Cgroups       []inspect.Cgroup     `json:"cgroups"`
					Unreadable    []inspect.Unreadable `json:"unreadable,omitempty"`
				}{inspect.SchemaVersion, snap.CgroupMode, snap.Hierarchies, list, snap.Unreadable})
			} else {
				var ix *procview.Index
				if ix, err = sampleCgroups(cmd.Context(), scanner, snap, o.sample); err != nil {
					return err
				}
				fmt.Fprintf(out, "cgroup mode: %s\n", modeText(snap.CgroupMode))
				err = writeCGTable(out, ix, only, o.tree)
			}
			if err == nil {
				warnUnreadable(cmd.ErrOrStderr(), snap)
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&o.tree, "tree", false, "indent cgroups under their parents")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON (every cgroup of every hierarchy, unmerged, raw counters)")
	cmd.Flags().StringVar(&o.hierarchy, "hierarchy", "", "show one hierarchy only: v2, or a v1 controller such as cpu or memory, or name=systemd")
	cmd.Flags().DurationVar(&o.sample, "sample", time.Second, "read the counters twice this far apart for the CPU and throttling rates (0: no rates)")
	return cmd
}

// sampleCgroups reads snap's counters again after d (through the
// scanner's counter refresher; a second scan when it has none) and
// returns the index of the newer reading with the rates between the two.
// With d 0 the index has snap and no rates.
func sampleCgroups(ctx context.Context, scanner *inspect.Scanner, snap *inspect.Snapshot, d time.Duration) (*procview.Index, error) {
	if d <= 0 {
		return procview.NewIndex(snap, nil), nil
	}
	ref, err := scanner.Refresher(snap)
	if err == nil {
		defer ref.Close()
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(d):
	}
	var later *inspect.Snapshot
	if ref != nil {
		// A changed structure (a process came or went) leaves the
		// counters complete: the rates stand.
		res, rerr := ref.Refresh(time.Now())
		if rerr == nil || errors.Is(rerr, inspect.ErrStructureChanged) {
			later = res.Snapshot
		}
	}
	if later == nil {
		if later, err = scanner.Scan(ctx); err != nil {
			return nil, err
		}
	}
	return procview.NewIndex(later, procview.ComputeCgroupRates(snap, later)), nil
}

// modeText explains the cgroup mode in a few words.
func modeText(m inspect.CgroupMode) string {
	switch m {
	case inspect.CgroupUnified:
		return "unified (cgroup v2)"
	case inspect.CgroupHybrid:
		return "hybrid (v1 controllers, v2 without controllers)"
	case inspect.CgroupLegacy:
		return "legacy (cgroup v1)"
	}
	return "none found"
}

// findHierarchy finds a hierarchy by "v2", a controller or "name=X".
func findHierarchy(snap *inspect.Snapshot, name string) *inspect.Hierarchy {
	for i := range snap.Hierarchies {
		h := &snap.Hierarchies[i]
		if name == h.Label() || (name == "v2" && h.Version == 2) || (h.Version == 1 && h.Has(name)) {
			return h
		}
	}
	return nil
}

func hierarchyNames(snap *inspect.Snapshot) []string {
	var out []string
	for i := range snap.Hierarchies {
		out = append(out, snap.Hierarchies[i].Label())
	}
	return out
}

func writeCGTable(w io.Writer, ix *procview.Index, only *inspect.Hierarchy, tree bool) error {
	t := newTable(w, "PATH", "PROCS", "CPU LIMIT", "CPU", "CPU TIME", "THROTTLED", "THROTTLED TOTAL", "MEMORY", "MEM LIMIT", "OOM", "PIDS", "FROZEN")
	sampled := ix.Rates != nil && ix.Rates.Interval > 0
	for _, r := range procview.MergeCgroups(ix.Snap, only) {
		name := r.Path
		if tree && r.Path != "/" {
			depth := strings.Count(r.Path, "/")
			name = strings.Repeat("  ", depth-1) + "└ " + r.Path[strings.LastIndexByte(r.Path, '/')+1:]
		}
		rate := ix.MergedRate(r)
		t.row(name, strconv.Itoa(len(r.Procs)), cpuLimitText(r.CPU), cpuNowText(rate, sampled), cpuUsedText(r.CPUUsage),
			throttledNowText(r.CPU, rate, sampled), throttledText(r.CPU), memCurrentText(r.Memory), memLimitText(r.Memory),
			oomText(r.Memory), pidsText(r.Pids), frozenText(r.Freezer))
	}
	return t.flush()
}

// cpuNowText is the CPU used over the sample, in cores.
func cpuNowText(r procview.CgroupRate, sampled bool) string {
	if !sampled || !r.HasCPU {
		return "-"
	}
	return procview.FormatCores(r.CPUCores)
}

// throttledNowText is the share of the sample's enforcement periods in
// which the cgroup was throttled; a cgroup with throttling counters that
// had no period in the sample (idle, or no quota) was not throttled.
func throttledNowText(c *inspect.Cgroup, r procview.CgroupRate, sampled bool) string {
	if !sampled || c == nil || c.Usage.NrPeriods == nil || c.Usage.NrThrottled == nil {
		return "-"
	}
	if !r.HasThrottle {
		return "0%"
	}
	return procview.FormatPercent(r.ThrottledPercent)
}

func cpuLimitText(c *inspect.Cgroup) string {
	if c == nil || c.Limits.CPUQuotaUS == nil || c.Limits.CPUPeriodUS == nil {
		return "-"
	}
	return procview.FormatCPUQuota(*c.Limits.CPUQuotaUS, *c.Limits.CPUPeriodUS)
}

func cpuUsedText(c *inspect.Cgroup) string {
	if c == nil || c.Usage.CPUUsageUS == nil {
		return "-"
	}
	return procview.FormatUS(*c.Usage.CPUUsageUS)
}

// throttledText is "N/M (P%)": the periods throttled of all periods
// since the cgroup was created.
func throttledText(c *inspect.Cgroup) string {
	if c == nil || c.Usage.NrPeriods == nil || c.Usage.NrThrottled == nil {
		return "-"
	}
	if *c.Usage.NrPeriods == 0 {
		return "0"
	}
	pct := float64(*c.Usage.NrThrottled) * 100 / float64(*c.Usage.NrPeriods)
	return fmt.Sprintf("%d/%d (%s)", *c.Usage.NrThrottled, *c.Usage.NrPeriods, procview.FormatPercent(pct))
}

func memCurrentText(c *inspect.Cgroup) string {
	if c == nil {
		return "-"
	}
	return procview.FormatBytesPtr(c.Usage.MemoryCurrent)
}

func memLimitText(c *inspect.Cgroup) string {
	if c == nil {
		return "-"
	}
	return procview.FormatBytesPtr(c.Limits.MemoryMax)
}

func oomText(c *inspect.Cgroup) string {
	if c == nil || c.Usage.MemoryEvents == nil {
		return "-"
	}
	return strconv.FormatInt(c.Usage.MemoryEvents.OOMKill, 10)
}

func pidsText(c *inspect.Cgroup) string {
	if c == nil || c.Usage.PidsCurrent == nil {
		return "-"
	}
	return strconv.FormatInt(*c.Usage.PidsCurrent, 10) + "/" + procview.FormatLimit(c.Limits.PidsMax)
}

func frozenText(c *inspect.Cgroup) string {
	if c == nil || c.Limits.Frozen == nil {
		return "-"
	}
	if *c.Limits.Frozen {
		return "yes"
	}
	return "no"
}
