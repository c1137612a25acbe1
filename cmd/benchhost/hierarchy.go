package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/nscope/nscope/inspect"
)

// benchControllers are the v1 controllers a container gets a cgroup in.
// pids is required (it tracks every process benchhost starts); the others
// are used when mounted.
var benchControllers = []string{"cpu", "cpuacct", "memory", "pids", "freezer"}

// hierarchy is one v1 cgroup hierarchy the bench host uses.
type hierarchy struct {
	// Controllers are the controllers bound to it ("cpu" or "cpu,cpuacct").
	Controllers []string
	// Mount is where it is mounted, e.g. /sys/fs/cgroup/memory.
	Mount string
	// Own is benchhost's own cgroup in it, from /proc/self/cgroup ("/" at
	// the root).
	Own string
}

// has reports whether the hierarchy carries the controller.
func (h hierarchy) has(controller string) bool {
	for _, c := range h.Controllers {
		if c == controller {
			return true
		}
	}
	return false
}

// ownDir is the directory of benchhost's own cgroup.
func (h hierarchy) ownDir() string { return filepath.Join(h.Mount, h.Own) }

// label names the hierarchy as /proc/PID/cgroup does.
func (h hierarchy) label() string { return strings.Join(h.Controllers, ",") }

// findHierarchies returns the mounted v1 hierarchies carrying the bench
// controllers, each with benchhost's own cgroup in it. It fails on a host
// without v1 pids (e.g. cgroup v2 only), naming what it found.
func findHierarchies() ([]hierarchy, error) {
	layout, err := inspect.DetectCgroupLayout("/proc", "/sys")
	if err != nil {
		return nil, err
	}
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("read own cgroups: %w", err)
	}
	own := parseSelfCgroup(self)
	seen := map[int]bool{}
	var out []hierarchy
	for _, ctrl := range benchControllers {
		h := layout.ForController(ctrl)
		if h == nil || h.Version != 1 || seen[h.ID] {
			continue
		}
		seen[h.ID] = true
		path, ok := own[h.ID]
		if !ok {
			return nil, fmt.Errorf("hierarchy %d (%s) is mounted at %s but /proc/self/cgroup has no line for it", h.ID, strings.Join(h.Controllers, ","), h.Mount)
		}
		out = append(out, hierarchy{Controllers: h.Controllers, Mount: h.Mount, Own: path})
	}
	hasPids := false
	for _, h := range out {
		hasPids = hasPids || h.has("pids")
	}
	if !hasPids {
		return nil, fmt.Errorf("no cgroup v1 pids hierarchy is mounted (cgroup mode %s): benchhost builds its containers in v1 cgroups (cpu, cpuacct, memory, pids, freezer) and needs at least pids", layout.Mode)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Mount < out[j].Mount })
	return out, nil
}

// parseSelfCgroup parses /proc/PID/cgroup ("ID:controllers:path" lines)
// into hierarchy ID → cgroup path. Malformed lines are skipped.
func parseSelfCgroup(data []byte) map[int]string {
	out := map[int]string{}
	for _, line := range strings.Split(string(data), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[2], "/") {
			continue
		}
		id, err := strconv.Atoi(parts[0])
		if err != nil {
			continue
		}
		out[id] = parts[2]
	}
	return out
}
