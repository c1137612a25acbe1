package control

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nscope/nscope/inspect"
)

// EnterCgroup is the target's cgroup in one hierarchy, as enter joins it:
// every hierarchy, v1 controllers and v2, the way docker exec does, so the
// target's limits apply to the command.
type EnterCgroup struct {
	// Hierarchy is the hierarchy's label ("memory", "cpu,cpuacct",
	// "name=systemd", "v2"); Version its cgroup version.
	Hierarchy string `json:"hierarchy"`
	Version   int    `json:"version"`
	// Controllers are the resource controllers in force there: the v1
	// hierarchy's, or those enabled for the cgroup on v2 (its
	// cgroup.controllers). Empty means membership only (a name= hierarchy,
	// or the controller-less v2 tree of a hybrid host): no limit of the
	// target's lives there.
	Controllers []string `json:"controllers,omitempty"`
	// Path is the target's cgroup in the hierarchy.
	Path string `json:"path"`
	// Procs is the cgroup.procs file written to join it; empty when
	// nscope is in that cgroup already (Same).
	Procs string `json:"procs,omitempty"`
	Same  bool   `json:"same,omitempty"`
}

// Limits reports whether resource limits live in this hierarchy.
func (c EnterCgroup) Limits() bool { return len(c.Controllers) > 0 }

// planCgroups fills in the target's cgroup in every mounted hierarchy and
// notes the ones that cannot be joined.
func (e *Enterer) planCgroups(plan *EnterPlan) error {
	layout := e.layout
	if layout == nil {
		l, err := inspect.DetectCgroupLayout(e.procRoot, e.sysRoot)
		if err != nil {
			return fmt.Errorf("enter %d: %w", plan.PID, err)
		}
		layout = &l
	}
	if len(layout.Hierarchies) == 0 {
		return nil
	}
	data, err := readProcFile(filepath.Join(e.procRoot, pidDir(plan.PID), "cgroup"))
	if err != nil {
		return procError(plan.PID, "read the cgroups", err)
	}
	ourData, err := readProcFile(filepath.Join(e.procRoot, "self", "cgroup"))
	if err != nil {
		return fmt.Errorf("read our own cgroups: %w", err)
	}
	ours := map[int]string{}
	for _, pc := range inspect.ParseProcCgroup(ourData) {
		ours[pc.Hierarchy] = pc.Path
	}
	for _, pc := range inspect.ParseProcCgroup(data) {
		h := layout.Hierarchy(pc.Hierarchy)
		if pc.Hierarchy == 0 {
			h = layout.Unified()
		}
		label := pc.Controllers
		if pc.Hierarchy == 0 {
			label = "v2"
		}
		if h == nil {
			plan.CgroupNotes = append(plan.CgroupNotes, fmt.Sprintf("the %s hierarchy is not mounted here, so its cgroup %s cannot be joined", label, sanitizeCgroupPath(pc.Path)))
			continue
		}
		if why := unjoinablePath(pc.Path); why != "" {
			plan.CgroupNotes = append(plan.CgroupNotes, fmt.Sprintf("%s cgroup %s not joined: %s", h.Label(), sanitizeCgroupPath(pc.Path), why))
			continue
		}
		c := EnterCgroup{Hierarchy: h.Label(), Version: h.Version, Path: pc.Path}
		if h.Version == 1 {
			c.Controllers = slices.Clone(h.Controllers)
		} else if data, err := readProcFile(filepath.Join(h.Mount, pc.Path, "cgroup.controllers")); err == nil {
			// On v2 the controllers in force are those enabled for this
			// cgroup (its parent's subtree_control), not the root's.
			c.Controllers = strings.Fields(string(data))
		}
		if ours[pc.Hierarchy] == pc.Path {
			c.Same = true
		} else {
			c.Procs = filepath.Join(h.Mount, pc.Path, "cgroup.procs")
		}
		plan.Cgroups = append(plan.Cgroups, c)
	}
	return nil
}

// unjoinablePath says why a cgroup path from /proc/PID/cgroup cannot be
// joined, or "": it is outside our cgroup namespace's view (".."), or
// holds bytes no cgroup path nscope writes to may have.
func unjoinablePath(p string) string {
	if !strings.HasPrefix(p, "/") {
		return "not an absolute path"
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return "it is outside nscope's cgroup namespace (the path climbs with ..)"
		}
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return "its path has a control character"
		}
	}
	return ""
}

// sanitizeCgroupPath quotes a path for a message when it has control
// characters; the caller's sinks escape the rest.
func sanitizeCgroupPath(p string) string {
	if strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return fmt.Sprintf("%q", p)
	}
	return p
}

// CgroupsJoined returns the cgroups the command moves into.
func (p *EnterPlan) CgroupsJoined() []EnterCgroup {
	var out []EnterCgroup
	for _, c := range p.Cgroups {
		if !c.Same {
			out = append(out, c)
		}
	}
	return out
}

// procsFiles returns the cgroup.procs files to write.
func (p *EnterPlan) procsFiles() []string {
	var out []string
	for _, c := range p.CgroupsJoined() {
		out = append(out, c.Procs)
	}
	return out
}
