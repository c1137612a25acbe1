package main

import (
	"context"
	"io"
	"strings"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
)

// printEnterPlan prints what "nscope enter" would join and take.
func printEnterPlan(w io.Writer, p *control.EnterPlan) {
	msgf(w, "enter %d:\n", p.PID)
	names := func(ts []inspect.NSType) string {
		if len(ts) == 0 {
			return "none"
		}
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = t.String()
		}
		return strings.Join(s, " ")
	}
	msgf(w, "  %-15s %s\n", "join", names(p.Join))
	msgf(w, "  %-15s %s\n", "shared already", names(p.Shared))
	root := "nscope's"
	if p.Root {
		root = "the target's"
	}
	msgf(w, "  %-15s %s\n", "root, cwd", root)
	for _, it := range p.Items() {
		label := it.Label
		if it.Warn && label != "warning" {
			label += " (!)"
		}
		msgf(w, "  %-15s %s\n", label, it.Value)
	}
	msgf(w, "  %-15s %s\n", "command", strings.Join(p.Command, " "))
}

// scanContainerFinder scans the host once, when enter first asks which
// container a process is in.
type scanContainerFinder struct {
	ctx  context.Context
	snap *inspect.Snapshot
	err  error
}

// newContainerFinder returns the finder enter uses.
func newContainerFinder(ctx context.Context) control.ContainerFinder {
	return &scanContainerFinder{ctx: ctx}
}

// ContainerOf implements control.ContainerFinder.
func (f *scanContainerFinder) ContainerOf(pid int) (*control.EnterContainer, error) {
	if f.snap == nil && f.err == nil {
		f.snap, f.err = scan(f.ctx, inspect.WithFDs(false), inspect.WithMounts(false))
	}
	if f.err != nil {
		return nil, f.err
	}
	return control.SnapshotContainers{Snap: f.snap}.ContainerOf(pid)
}
