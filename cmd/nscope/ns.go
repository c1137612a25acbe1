package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/termtext"
	"github.com/nscope/nscope/procview"
)

type nsOptions struct {
	types string
	tree  bool
	json  bool
	more  nsMoreOptions
}

func newNSCmd() *cobra.Command {
	var o nsOptions
	cmd := &cobra.Command{
		Use:   "ns",
		Short: "List namespaces with their members, holders, parent and owner (like lsns)",
		Long: `ns lists every namespace on the host, like lsns, plus what holds each one
alive besides its processes (an open file descriptor, a bind mount, a named
netns under /run/netns, a process's pid_for_children), the parent of pid and
user namespaces and the user namespace that owns each one.

Namespaces that no process is in still appear, with what keeps them.

Columns: NS (inode), TYPE, NPROCS, PID (lowest member), USER, OWNER (owning
user namespace), PARENT (pid and user namespaces), HOLDERS, COMMAND.`,
		Example: `  nscope ns                     # every namespace
  nscope ns --type net,pid      # only network and pid namespaces
  nscope ns --tree              # user-namespace ownership and pid nesting
  nscope ns --json | jq '.namespaces[] | select(.holders)'`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			var types []inspect.NSType
			if cmd.Flags().Changed("type") {
				var err error
				if types, err = inspect.ParseNSTypeList(o.types); err != nil {
					return &usageError{fmt.Errorf("--type: %w", err)}
				}
			}
			if o.tree && o.json {
				return usagef("--tree and --json cannot be combined (the JSON has owner and parent fields)")
			}
			if err := o.more.check(cmd, o.tree, o.json); err != nil {
				return err
			}
			sc := newScanner(inspect.WithCgroups(false))
			defer sc.Close()
			snap, err := sc.Scan(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			switch {
			case o.json && o.more.content:
				err = writeNSContentJSON(cmd.Context(), out, sc, snap, types)
			case o.json:
				err = writeNSJSON(out, snap, types)
			case o.tree && o.more.format != "text":
				err = writeNSDiagram(cmd.Context(), out, sc, snap, types, o.more)
			case o.tree && o.more.nesting:
				err = writeNSNestingTree(out, snap, types)
			case o.tree:
				err = writeNSTree(out, snap, types)
			default:
				err = writeNSTable(out, snap, types)
			}
			if err == nil {
				warnUnreadable(cmd.ErrOrStderr(), snap)
			}
			return err
		},
	}
	cmd.Flags().StringVarP(&o.types, "type", "t", "", "only these types, comma-separated: mnt,pid,net,ipc,uts,user,cgroup,time")
	cmd.Flags().BoolVar(&o.tree, "tree", false, "draw user-namespace ownership and pid-namespace nesting")
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON (the snapshot's namespace objects)")
	addNSMoreFlags(cmd, &o.more)
	_ = cmd.RegisterFlagCompletionFunc("type", func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		var names []string
		for _, t := range inspect.AllNSTypes {
			names = append(names, t.String())
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// typeFilter reports whether t is selected (all types when none given).
func typeFilter(types []inspect.NSType) func(inspect.NSType) bool {
	if len(types) == 0 {
		return func(inspect.NSType) bool { return true }
	}
	return func(t inspect.NSType) bool {
		for _, x := range types {
			if x == t {
				return true
			}
		}
		return false
	}
}

func writeNSJSON(w io.Writer, snap *inspect.Snapshot, types []inspect.NSType) error {
	keep := typeFilter(types)
	list := []inspect.Namespace{}
	for _, n := range snap.Namespaces {
		if keep(n.Type) {
			list = append(list, n)
		}
	}
	return writeJSON(w, struct {
		SchemaVersion int                  `json:"schema_version"`
		Namespaces    []inspect.Namespace  `json:"namespaces"`
		Unreadable    []inspect.Unreadable `json:"unreadable,omitempty"`
	}{inspect.SchemaVersion, list, snap.Unreadable})
}

func writeNSTable(w io.Writer, snap *inspect.Snapshot, types []inspect.NSType) error {
	keep := typeFilter(types)
	t := newTable(w, "NS", "TYPE", "NPROCS", "PID", "USER", "OWNER", "PARENT", "HOLDERS", "COMMAND")
	for i := range snap.Namespaces {
		n := &snap.Namespaces[i]
		if !keep(n.Type) {
			continue
		}
		pid, user, command := "-", "-", ""
		if len(n.Members) > 0 {
			p := snap.Process(n.Members[0])
			pid, user, command = strconv.Itoa(p.PID), p.User, commandLine(p)
		}
		t.row(n.ID.String(), n.Type.String(), strconv.Itoa(len(n.Members)), pid, user,
			n.Owner.String(), n.Parent.String(), holderSummary(n), command)
	}
	return t.flush()
}

// holderSummary renders what holds a namespace besides its members:
// "fd 812:3", "mount /run/x (mnt 4026531832)", "netns blue",
// "for-children 812", "parent of 4026532301", "owner of 4026532302".
func holderSummary(n *inspect.Namespace) string {
	if len(n.Holders) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(n.Holders))
	for _, h := range n.Holders {
		parts = append(parts, holderText(h))
	}
	return strings.Join(parts, ", ")
}

func holderText(h inspect.Holder) string {
	switch h.Kind {
	case inspect.HeldByFD:
		return fmt.Sprintf("fd %d:%d", h.PID, h.FD)
	case inspect.HeldByBindMount:
		return fmt.Sprintf("mount %s (mnt %s)", h.Path, h.MountNS)
	case inspect.HeldByNamedNetns:
		return "netns " + h.Name
	case inspect.HeldForChildren:
		return fmt.Sprintf("for-children %d", h.PID)
	case inspect.HeldAsParent:
		return "parent of " + h.Via.String()
	case inspect.HeldAsOwner:
		return "owner of " + h.Via.String()
	}
	return string(h.Kind)
}

// writeNSTree draws the namespace tree: user namespaces own the
// namespaces created in them, pid namespaces nest. With a type filter,
// the ancestors of matching namespaces are kept so the tree has no gaps.
func writeNSTree(w io.Writer, snap *inspect.Snapshot, types []inspect.NSType) error {
	keep := typeFilter(types)
	var b strings.Builder
	for _, r := range nsTreeRows(snap, keep, procview.TreeOptions{}) {
		n := r.Namespace
		if prefix := r.TreePrefix(0); prefix != "" {
			b.WriteString(prefix + " ")
		}
		// The label holds process names and mount paths: escaped, and
		// capped like a table cell.
		b.WriteString(termtext.Cell(nsTreeLabel(snap, n, keep(n.Type)), maxCellWidth) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// nsTreeRows flattens the namespace tree opt asks for (ownership, or
// nesting with opt.Nesting) and keeps the namespaces keep selects and
// their ancestors in that tree, so that a filtered tree has no gaps.
func nsTreeRows(snap *inspect.Snapshot, keep func(inspect.NSType) bool, opt procview.TreeOptions) []procview.Row {
	up := snap.NamespaceTreeParent
	if opt.Nesting {
		up = func(n *inspect.Namespace) *inspect.Namespace { return procview.NestingParent(snap, n) }
	}
	visible := map[inspect.NSID]bool{}
	for i := range snap.Namespaces {
		n := &snap.Namespaces[i]
		if !keep(n.Type) {
			continue
		}
		for a := n; a != nil && !visible[a.ID]; a = up(a) {
			visible[a.ID] = true
		}
	}
	return procview.KeepRows(procview.NewIndex(snap, nil).NamespaceRows(opt),
		func(r *procview.Row) bool { return visible[r.Namespace.ID] })
}

// nsTreeLabel is one line of the tree: "pid 4026532301  level 1  3 procs
// (sh)  held by: fd 812:3". Ancestors kept only for structure are marked.
func nsTreeLabel(snap *inspect.Snapshot, n *inspect.Namespace, match bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", n.Type, n.ID)
	if n.Initial {
		b.WriteString(" (initial)")
	}
	if n.Type == inspect.UserNS && n.OwnerUID >= 0 {
		fmt.Fprintf(&b, " uid %d", n.OwnerUID)
	}
	if n.Type == inspect.PIDNS || n.Type == inspect.UserNS {
		fmt.Fprintf(&b, " level %d", n.Level)
		if p := snap.Namespace(n.Parent); p != nil && snap.NamespaceTreeParent(n) != p {
			fmt.Fprintf(&b, " parent %s", p.ID)
		}
	}
	switch len(n.Members) {
	case 0:
		b.WriteString(" no processes")
	case 1:
		fmt.Fprintf(&b, " 1 proc (%s)", snap.Process(n.Members[0]).Comm)
	default:
		fmt.Fprintf(&b, " %d procs (%s, ...)", len(n.Members), snap.Process(n.Members[0]).Comm)
	}
	if len(n.Holders) > 0 {
		b.WriteString(" held by: " + holderSummary(n))
	}
	if !match {
		b.WriteString("  [ancestor]")
	}
	return b.String()
}
