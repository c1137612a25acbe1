package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
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

// cgroupContainerFinder tells a container's process by its cgroup path, as
// the runtimes name their cgroups (procview.ContainerFromCgroup).
type cgroupContainerFinder struct{ procRoot string }

// newContainerFinder returns the finder enter uses.
func newContainerFinder() control.ContainerFinder {
	return cgroupContainerFinder{procRoot: global.procRoot}
}

// ContainerOf implements control.ContainerFinder.
func (f cgroupContainerFinder) ContainerOf(pid int) *control.EnterContainer {
	data, err := os.ReadFile(filepath.Join(f.procRoot, fmt.Sprint(pid), "cgroup"))
	if err != nil {
		return nil
	}
	for _, pc := range inspect.ParseProcCgroup(data) {
		name := procview.ContainerFromCgroup(pc.Path)
		if name == "" || strings.HasPrefix(name, "nscope:") {
			continue
		}
		rt, id, _ := strings.Cut(name, ":")
		return &control.EnterContainer{Runtime: rt, ID: id, Name: id}
	}
	return nil
}
