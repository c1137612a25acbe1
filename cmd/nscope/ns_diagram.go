package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
	"github.com/nscope/nscope/procview/diagram"
)

// nsMoreOptions are the ns flags beyond the table: what namespaces hold
// (--content) and the tree as a nesting tree or a diagram.
type nsMoreOptions struct {
	content bool
	nesting bool
	format  string
	around  string
}

// addNSMoreFlags registers --content, --nesting, --format and --around.
func addNSMoreFlags(cmd *cobra.Command, o *nsMoreOptions) {
	cmd.Flags().BoolVar(&o.content, "content", false, "with --json: add what each namespace holds (ID maps, host name, interfaces, mounts, IPC objects, cgroup root, clock offsets, init), read now")
	cmd.Flags().BoolVar(&o.nesting, "nesting", false, "with --tree: every pid namespace under its parent pid namespace and every user namespace under its parent, whatever owns them")
	cmd.Flags().StringVar(&o.format, "format", "text", "with --tree: text, dot (Graphviz) or svg (drawn by nscope); diagrams show user, pid and net namespaces unless --type says otherwise")
	cmd.Flags().StringVar(&o.around, "around", "", "with --format dot|svg: only the neighbourhood of a PID (812) or a namespace (4026532254 or net:[4026532254])")
	_ = cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"text", "dot", "svg"}, cobra.ShellCompDirectiveNoFileComp
	})
}

// check refuses flags that do not go together.
func (o *nsMoreOptions) check(cmd *cobra.Command, tree, json bool) error {
	switch {
	case o.content && !json:
		return usagef("--content goes with --json (the content is JSON)")
	case o.nesting && !tree:
		return usagef("--nesting goes with --tree")
	case cmd.Flags().Changed("format") && !tree:
		return usagef("--format goes with --tree")
	case o.format != "text" && o.format != "dot" && o.format != "svg":
		return usagef("--format %q: want text, dot or svg", o.format)
	case o.around != "" && o.format == "text":
		return usagef("--around goes with --format dot or svg")
	}
	if o.around != "" {
		if _, err := parseAround(o.around); err != nil {
			return &usageError{fmt.Errorf("--around: %w", err)}
		}
	}
	return nil
}

// pidMaxLimit is the largest PID Linux can give (PID_MAX_LIMIT, 2^22);
// namespace inode numbers are far above it.
const pidMaxLimit = 1 << 22

// aroundTarget is what --around names: a PID or a namespace inode.
type aroundTarget struct {
	pid int
	ino uint64
}

// parseAround reads "812" (a PID), "4026532254" or "net:[4026532254]" (a
// namespace).
func parseAround(s string) (aroundTarget, error) {
	if i := strings.Index(s, ":["); i > 0 && strings.HasSuffix(s, "]") {
		if _, err := inspect.ParseNSType(s[:i]); err != nil {
			return aroundTarget{}, err
		}
		s = s[i+2 : len(s)-1]
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return aroundTarget{}, fmt.Errorf("%q is not a namespace inode number", s)
		}
		return aroundTarget{ino: v}, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v == 0 {
		return aroundTarget{}, fmt.Errorf("%q: want a PID (812), a namespace inode (4026532254) or TYPE:[INODE]", s)
	}
	if v <= pidMaxLimit {
		return aroundTarget{pid: int(v)}, nil
	}
	return aroundTarget{ino: v}, nil
}

// writeNSDiagram draws the namespaces as DOT or SVG. When network
// namespaces are drawn, each one's interfaces are read (through its
// members or holders) to find the veth pairs between them.
func writeNSDiagram(ctx context.Context, w io.Writer, sc *inspect.Scanner, snap *inspect.Snapshot, types []inspect.NSType, o nsMoreOptions) error {
	opt := diagram.Options{Types: types}
	if len(types) == 0 {
		opt.Types = diagram.DefaultTypes
	}
	if typeFilter(opt.Types)(inspect.NetNS) {
		net := map[inspect.NSID]*inspect.NetContent{}
		for _, n := range snap.NamespacesOf(inspect.NetNS) {
			if c, err := sc.NamespaceContent(ctx, snap, n.ID); err == nil {
				net[n.ID] = c.Net
			}
		}
		opt.Veth = diagram.VethLinks(net)
	}
	if o.around != "" {
		t, err := parseAround(o.around)
		if err != nil {
			return &usageError{fmt.Errorf("--around: %w", err)}
		}
		k, err := aroundKey(snap, t)
		if err != nil {
			return &usageError{fmt.Errorf("--around %s: %w", o.around, err)}
		}
		opt.Around = &k
	}
	g, err := diagram.Build(snap, opt)
	if err != nil {
		return &usageError{err}
	}
	out := g.SVG()
	if o.format == "dot" {
		out = g.DOT()
	}
	_, err = io.WriteString(w, out)
	return err
}

// aroundKey finds the item --around names in the snapshot.
func aroundKey(snap *inspect.Snapshot, t aroundTarget) (procview.Key, error) {
	if t.pid > 0 {
		p := snap.Process(t.pid)
		if p == nil {
			return procview.Key{}, fmt.Errorf("no process %d on this host", t.pid)
		}
		return procview.ProcessKey(p), nil
	}
	for i := range snap.Namespaces {
		if snap.Namespaces[i].ID.Ino == t.ino {
			return procview.NamespaceKey(snap.Namespaces[i].ID), nil
		}
	}
	return procview.Key{}, fmt.Errorf("no namespace %d on this host", t.ino)
}
