package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

func newPSCmd() *cobra.Command {
	var tree, asJSON bool
	cmd := &cobra.Command{
		Use:   "ps [FILTER]",
		Short: "List processes with their NSpid chain, namespaces and cgroups",
		Long: `ps lists every process with the PID it has at each pid-namespace level
(NSPID, outermost first: "4711,1" is PID 1 inside its container), the
namespace types in which it differs from the host (NS), its most specific
cgroup path and its command.

FILTER keeps the processes it matches, as the TUI's / does: text matches
the command name and line, the user, cgroup paths and the container name
(case-insensitive); a number matches a PID, also one inside a container.
With --tree the ancestors of a match are shown too. When nothing matches,
ps says so and exits 1, as pgrep does.`,
		Example: `  nscope ps
  nscope ps nginx
  nscope ps --tree docker
  nscope ps --json | jq '.processes[] | select(.nspid | length > 1) | .pid'`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if tree && asJSON {
				return usagef("--tree and --json cannot be combined (the JSON has ppid)")
			}
			var filter procview.Filter
			if len(args) == 1 {
				if strings.TrimSpace(args[0]) == "" {
					return usagef("FILTER is empty: give text to match (a command, user, cgroup or container) or a PID")
				}
				filter = procview.ParseFilter(args[0])
			}
			snap, err := scan(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			ix := procview.NewIndex(snap, nil)
			procs := snap.Processes
			if !filter.Empty() {
				procs = nil
				for i := range snap.Processes {
					// Like pgrep, never the nscope asking (its own
					// command line holds the filter).
					if p := &snap.Processes[i]; p.PID != snap.Host.SelfPID && filter.MatchProcess(p, ix.Container(p)) {
						procs = append(procs, *p)
					}
				}
				if len(procs) == 0 {
					warnUnreadable(cmd.ErrOrStderr(), snap)
					return &exitCodeError{code: exitFailure, msg: fmt.Sprintf("no process matches %q", args[0])}
				}
			}
			if asJSON {
				err = writeJSON(out, struct {
					SchemaVersion int                  `json:"schema_version"`
					Processes     []inspect.Process    `json:"processes"`
					Unreadable    []inspect.Unreadable `json:"unreadable,omitempty"`
				}{inspect.SchemaVersion, procs, snap.Unreadable})
			} else {
				err = writePSTable(out, ix, filter, tree)
			}
			if err == nil {
				warnUnreadable(cmd.ErrOrStderr(), snap)
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&tree, "tree", false, "show the process tree")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (the snapshot's process objects)")
	return cmd
}

// writePSTable prints the processes filter matches (the zero Filter
// matches all), with --tree their ancestors too.
func writePSTable(w io.Writer, ix *procview.Index, filter procview.Filter, tree bool) error {
	snap := ix.Snap
	t := newTable(w, "PID", "PPID", "NSPID", "USER", "S", "RSS", "NS", "CGROUP", "COMMAND")
	add := func(p *inspect.Process, prefix string) {
		t.row(strconv.Itoa(p.PID), strconv.Itoa(p.PPID), nspidChain(p), p.User, p.State,
			procview.FormatBytes(p.RSSBytes), nsDiff(snap, p), primaryCgroup(snap, p), prefix+commandLine(p))
	}
	if !tree {
		for i := range snap.Processes {
			if p := &snap.Processes[i]; filter.Empty() || (p.PID != snap.Host.SelfPID && filter.MatchProcess(p, ix.Container(p))) {
				add(p, "")
			}
		}
		return t.flush()
	}
	// The same tree the TUI shows, fully expanded (the TUI folds kernel
	// threads by default).
	open := procview.Expansion{}
	for i := range snap.Processes {
		open[procview.ProcessKey(&snap.Processes[i])] = true
	}
	for _, r := range ix.ProcessRows(procview.TreeOptions{Expansion: open, Filter: filter}) {
		prefix := r.TreePrefix(0)
		if prefix != "" {
			prefix += " "
		}
		add(r.Process, prefix)
	}
	return t.flush()
}

// nspidChain renders the NSpid chain, outermost first: "4711,1".
func nspidChain(p *inspect.Process) string {
	parts := make([]string, len(p.NSpid))
	for i, pid := range p.NSpid {
		parts[i] = strconv.Itoa(pid)
	}
	return strings.Join(parts, ",")
}

// nsDiff lists the namespace types in which p differs from the host's
// initial namespaces, "host" when none does, "?" when unreadable.
func nsDiff(snap *inspect.Snapshot, p *inspect.Process) string {
	if p.NS[inspect.UserNS].IsZero() {
		return "?"
	}
	var diff []string
	for _, t := range inspect.AllNSTypes {
		if id := p.NS[t]; !id.IsZero() && id != snap.Host.InitNS[t] {
			diff = append(diff, t.String())
		}
	}
	if len(diff) == 0 {
		return "host"
	}
	return strings.Join(diff, ",")
}

// primaryCgroup returns the process's most telling cgroup path: its v2
// path on a unified host, otherwise the longest of its v1 paths.
func primaryCgroup(snap *inspect.Snapshot, p *inspect.Process) string {
	best := ""
	for _, pc := range p.Cgroups {
		h := snap.Hierarchy(pc.Hierarchy)
		if h == nil {
			continue
		}
		if snap.CgroupMode == inspect.CgroupUnified && h.Version == 2 {
			return pc.Path
		}
		if h.Version == 1 && len(pc.Path) > len(best) {
			best = pc.Path
		}
	}
	if best == "" {
		return "-"
	}
	return best
}
