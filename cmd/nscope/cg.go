package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

type cgOptions struct {
	tree      bool
	json      bool
	hierarchy string
}

func newCGCmd() *cobra.Command {
	var o cgOptions
	cmd := &cobra.Command{
		Use:   "cg",
		Short: "List cgroups with their limits and usage in readable units",
		Long: `cg lists cgroups with their limits and usage: CPU quota ("20% of 1 CPU"),
CPU time used and throttling, memory current and limit ("256 MiB"), OOM
kills, pids and whether the cgroup is frozen.

On a unified (cgroup v2) host each row is one cgroup. On hybrid and legacy
(v1) hosts the controllers live in separate hierarchies; a row merges the
cgroups with the same path across them (CPU from the cpu hierarchy, memory
from the memory hierarchy, ...). --hierarchy shows one hierarchy as it is.
--json prints every cgroup of every hierarchy unmerged, with raw file text.`,
		Example: `  nscope cg
  nscope cg --tree
  nscope cg --hierarchy memory
  nscope cg --json | jq '.cgroups[] | select(.limits.memory_max > 0) | .path'`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.tree && o.json {
				return usagef("--tree and --json cannot be combined")
			}
			snap, err := scan(cmd.Context(), inspect.WithFDs(false), inspect.WithMounts(false))
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
				fmt.Fprintf(out, "cgroup mode: %s\n", modeText(snap.CgroupMode))
				err = writeCGTable(out, snap, only, o.tree)
			}
			if err == nil {
				warnUnreadable(cmd.ErrOrStderr(), snap)
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&o.tree, "tree", false, "indent cgroups under their parents")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON (every cgroup of every hierarchy, unmerged)")
	cmd.Flags().StringVar(&o.hierarchy, "hierarchy", "", "show one hierarchy only: v2, or a v1 controller such as cpu or memory, or name=systemd")
	return cmd
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

// cgRow is one line of the cgroup table: the cgroups of one path, with
// each controller's data taken from the hierarchy that carries it.
type cgRow struct {
	path   string
	procs  map[int]bool
	cpu    *inspect.Cgroup // quota, throttling
	cpuacc *inspect.Cgroup // usage
	memory *inspect.Cgroup
	pids   *inspect.Cgroup
	freeze *inspect.Cgroup
}

// mergeCgroups builds the table rows: with only set, one row per cgroup of
// that hierarchy; otherwise one row per path across hierarchies.
func mergeCgroups(snap *inspect.Snapshot, only *inspect.Hierarchy) []*cgRow {
	byPath := map[string]*cgRow{}
	var paths []string
	for i := range snap.Cgroups {
		c := &snap.Cgroups[i]
		if only != nil && c.Hierarchy != only.ID {
			continue
		}
		h := snap.Hierarchy(c.Hierarchy)
		// In hybrid mode the v2 tree has no controllers and only repeats
		// paths; leave it to --hierarchy v2.
		if only == nil && snap.CgroupMode == inspect.CgroupHybrid && h.Version == 2 {
			continue
		}
		r := byPath[c.Path]
		if r == nil {
			r = &cgRow{path: c.Path, procs: map[int]bool{}}
			byPath[c.Path] = r
			paths = append(paths, c.Path)
		}
		for _, pid := range c.Procs {
			r.procs[pid] = true
		}
		l, u := &c.Limits, &c.Usage
		if l.CPUQuotaUS != nil || u.NrPeriods != nil {
			r.cpu = c
		}
		if u.CPUUsageUS != nil && (r.cpuacc == nil || h.Version == 2) {
			r.cpuacc = c
		}
		if l.MemoryMax != nil || u.MemoryCurrent != nil {
			r.memory = c
		}
		if l.PidsMax != nil || u.PidsCurrent != nil {
			r.pids = c
		}
		if l.Frozen != nil {
			r.freeze = c
		}
	}
	sort.SliceStable(paths, func(i, j int) bool { return pathLess(paths[i], paths[j]) })
	rows := make([]*cgRow, len(paths))
	for i, p := range paths {
		rows[i] = byPath[p]
	}
	return rows
}

// pathLess orders cgroup paths parents first, children right after.
func pathLess(a, b string) bool {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if as[i] != bs[i] {
			return as[i] < bs[i]
		}
	}
	return len(as) < len(bs)
}

func writeCGTable(w io.Writer, snap *inspect.Snapshot, only *inspect.Hierarchy, tree bool) error {
	t := newTable(w, "PATH", "PROCS", "CPU LIMIT", "CPU USED", "THROTTLED", "MEMORY", "MEM LIMIT", "OOM", "PIDS", "FROZEN")
	for _, r := range mergeCgroups(snap, only) {
		name := r.path
		if tree && r.path != "/" {
			depth := strings.Count(r.path, "/")
			name = strings.Repeat("  ", depth-1) + "└ " + r.path[strings.LastIndexByte(r.path, '/')+1:]
		}
		t.row(name, strconv.Itoa(len(r.procs)), cpuLimitText(r.cpu), cpuUsedText(r.cpuacc),
			throttledText(r.cpu), memCurrentText(r.memory), memLimitText(r.memory),
			oomText(r.memory), pidsText(r.pids), frozenText(r.freeze))
	}
	return t.flush()
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

// throttledText is "N of M periods" since the cgroup was created.
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
