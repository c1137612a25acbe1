package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/procview"
)

// parentConfirmations are the reasons "nscope run" asks before it
// creates its cgroup under the parent the plan names, as "nscope set"
// asks before changing a cgroup that is not plainly the user's: the root
// of a hierarchy, a parent relative to nscope's own cgroup (which
// belongs to whatever started nscope), one a systemd unit or a container
// runtime owns, or one that already holds processes. The default parent
// (/nscope, nscope's own) asks nothing.
func parentConfirmations(plan *control.LaunchPlan, requested string) []string {
	var reasons []string
	add := func(format string, args ...any) {
		r := fmt.Sprintf(format, args...)
		for _, have := range reasons {
			if have == r {
				return
			}
		}
		reasons = append(reasons, r)
	}
	if requested != "" && !filepath.IsAbs(requested) {
		var own []string
		for _, cg := range plan.Cgroups {
			own = append(own, cg.Hierarchy.Label()+":"+filepath.Dir(cg.Path))
		}
		add("--cgroup-parent %s is relative: the cgroup goes inside nscope's own cgroup (%s), which belongs to whatever started nscope",
			requested, strings.Join(dedupe(own), ", "))
	}
	for _, cg := range plan.Cgroups {
		parent, parentDir := filepath.Dir(cg.Path), filepath.Dir(cg.Dir)
		switch {
		case parent == "/":
			add("the cgroup goes right under the root cgroup, beside the host's own services")
			continue
		case parent == control.DefaultCgroupParent:
			continue
		}
		if unit := control.SystemdUnit(parent); unit != "" {
			add("%s belongs to systemd unit %s, which may move or remove what nscope puts there", parent, unit)
		}
		if c := procview.ContainerFromCgroup(parent); c != "" {
			add("%s belongs to container %s; its runtime may move or remove what nscope puts there", parent, c)
		}
		if n, example := processesBelow(parentDir); n > 0 {
			add("%s (%s hierarchy) already holds %d processes (e.g. PID %s): it belongs to something else", parent, cg.Hierarchy.Label(), n, example)
		}
	}
	return reasons
}

// processesBelow counts the processes in dir's cgroup and below, with
// one of them as an example; 0 when dir does not exist.
func processesBelow(dir string) (int, string) {
	n, example := 0, ""
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		data, err := os.ReadFile(filepath.Join(path, "cgroup.procs"))
		if err != nil {
			return nil
		}
		for _, f := range strings.Fields(string(data)) {
			if example == "" {
				example = f
			}
			n++
		}
		return nil
	})
	return n, example
}

func dedupe(list []string) []string {
	sort.Strings(list)
	out := list[:0]
	for i, s := range list {
		if i == 0 || s != list[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// printLaunchCgroups shows where the launch puts its cgroup.
func printLaunchCgroups(w io.Writer, plan *control.LaunchPlan) {
	msgf(w, "run %s: creates the cgroup %s in:\n", plan.Command[0], plan.Name)
	for _, cg := range plan.Cgroups {
		msgf(w, "  %s\n", cg.Dir)
	}
}
