package tui

import (
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// The Containers view (4) lists every runtime's containers, as the
// scan's runtimes' files and cgroup paths found them, one row each:
// running and paused ones first, sorted by name (s: PID, CPU, memory).
// Its detail pane links each container's init, processes, cgroups and
// namespaces; the actions on a process act on a selected container
// through its init (its cgroups, its namespaces).

// newContainersList returns the Containers view's list: flat, by name.
func newContainersList() *listView {
	l := newListView(ContainersView, procview.SortName, containerColumns)
	l.opt.Flat = true
	return l
}

// noContainersText is what the empty Containers view says.
func noContainersText(s *inspect.Snapshot) string {
	if len(s.ContainerSources) == 0 {
		return "no containers: no runtime's state was found, and no cgroup path names one"
	}
	return "no containers: the runtimes' state names none that runs or ran"
}

// containerState is the STATE column: the runtime's word, except that a
// container whose cgroup is frozen while its runtime says running (frozen
// by nscope freeze or a direct write, which the runtime does not see) is
// "frozen".
func containerState(ix *procview.Index, c *inspect.Container) (string, role) {
	if c.InitPID != 0 && c.State == "running" && containerFrozen(ix, c) {
		return "frozen", roleWarn
	}
	switch c.State {
	case "running":
		return c.State, roleOK
	case "paused", "frozen":
		return c.State, roleWarn
	case "":
		return "-", roleDim
	}
	return c.State, roleDim
}

// containerFrozen reports whether the container's freezer cgroup is
// frozen.
func containerFrozen(ix *procview.Index, c *inspect.Container) bool {
	cg := ix.ContainerCgroupsOf(c).Freezer
	return cg != nil && cg.Limits.Frozen != nil && *cg.Limits.Frozen
}

// shortID is the 12-character form of a container ID, as docker ps shows.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
