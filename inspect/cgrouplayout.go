package inspect

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// CgroupLayout is how cgroups are mounted on the host: the mode and every
// hierarchy with its mount point.
type CgroupLayout struct {
	Mode        CgroupMode
	Hierarchies []Hierarchy
}

// Hierarchy returns the hierarchy with the given ID, or nil.
func (l *CgroupLayout) Hierarchy(id int) *Hierarchy {
	for i := range l.Hierarchies {
		if l.Hierarchies[i].ID == id {
			return &l.Hierarchies[i]
		}
	}
	return nil
}

// ForController returns the hierarchy that carries the controller: the v1
// hierarchy bound to it, or the v2 hierarchy when it lists it. Nil if none.
func (l *CgroupLayout) ForController(controller string) *Hierarchy {
	for i := range l.Hierarchies {
		if l.Hierarchies[i].Has(controller) {
			return &l.Hierarchies[i]
		}
	}
	return nil
}

// Unified returns the cgroup2 hierarchy, or nil.
func (l *CgroupLayout) Unified() *Hierarchy {
	for i := range l.Hierarchies {
		if l.Hierarchies[i].Version == 2 {
			return &l.Hierarchies[i]
		}
	}
	return nil
}

// DetectCgroupLayout finds the cgroup mode and hierarchies from the
// scanner's own mountinfo and cgroup membership (procRoot/self/...).
// Mount points under /sys are looked up below sysRoot, so fixture trees
// work. The mode follows the kernel's layout: cgroup2 at /sys/fs/cgroup is
// unified; v1 hierarchies plus a cgroup2 mount is hybrid; v1 only is legacy.
// See cgroups(7).
func DetectCgroupLayout(procRoot, sysRoot string) (CgroupLayout, error) {
	var layout CgroupLayout
	mi, err := os.ReadFile(filepath.Join(procRoot, "self", "mountinfo"))
	if err != nil {
		return layout, fmt.Errorf("detect cgroup layout: %w", err)
	}
	mounts, err := ParseMountInfo(mi)
	if err != nil {
		return layout, fmt.Errorf("detect cgroup layout: %w", err)
	}
	// /proc/self/cgroup gives the hierarchy IDs; a read failure only loses
	// the IDs of v1 hierarchies, which then fall back to mount order.
	selfCg, _ := os.ReadFile(filepath.Join(procRoot, "self", "cgroup"))
	idByControllers := map[string]int{}
	for _, pc := range parseProcCgroup(selfCg) {
		idByControllers[canonicalControllers(pc.Controllers)] = pc.Hierarchy
	}

	seen := map[string]bool{}
	unifiedAtTop := false
	nextFallbackID := 1000
	for _, m := range mounts {
		if m.FSType != "cgroup" && m.FSType != "cgroup2" {
			continue
		}
		// A second mount of the same hierarchy, or one whose root is a
		// subdirectory (a bind or a cgroup namespace view), adds nothing.
		if m.Root != "/" {
			continue
		}
		h := Hierarchy{Mount: remapSys(m.MountPoint, sysRoot)}
		if m.FSType == "cgroup2" {
			h.Version = 2
			h.ID = 0
			if data, err := os.ReadFile(filepath.Join(h.Mount, "cgroup.controllers")); err == nil {
				h.Controllers = strings.Fields(string(data))
			}
			if m.MountPoint == "/sys/fs/cgroup" {
				unifiedAtTop = true
			}
		} else {
			h.Version = 1
			h.Controllers, h.Name = v1Controllers(m.SuperOptions)
			key := canonicalControllers(h.keyString())
			if id, ok := idByControllers[key]; ok {
				h.ID = id
			} else {
				h.ID = nextFallbackID
				nextFallbackID++
			}
		}
		k := strconv.Itoa(h.Version) + ":" + strconv.Itoa(h.ID)
		if seen[k] {
			continue
		}
		seen[k] = true
		layout.Hierarchies = append(layout.Hierarchies, h)
	}
	var v1, v2 bool
	for _, h := range layout.Hierarchies {
		if h.Version == 1 {
			v1 = true
		} else {
			v2 = true
		}
	}
	switch {
	case unifiedAtTop || (v2 && !v1):
		layout.Mode = CgroupUnified
	case v1 && v2:
		layout.Mode = CgroupHybrid
	case v1:
		layout.Mode = CgroupLegacy
	default:
		layout.Mode = CgroupNone
	}
	// v1 hierarchies in ID order, the v2 one last in hybrid mode (it has no
	// controllers there), first in unified mode.
	sort.SliceStable(layout.Hierarchies, func(i, j int) bool {
		a, b := layout.Hierarchies[i], layout.Hierarchies[j]
		if a.Version != b.Version {
			return (a.Version == 2) == (layout.Mode == CgroupUnified)
		}
		return a.ID < b.ID
	})
	return layout, nil
}

// keyString returns the controller list as /proc/PID/cgroup prints it.
func (h *Hierarchy) keyString() string {
	parts := append([]string(nil), h.Controllers...)
	if h.Name != "" {
		parts = append(parts, "name="+h.Name)
	}
	return strings.Join(parts, ",")
}

// canonicalControllers sorts a comma-separated controller list so that
// mount options and /proc/PID/cgroup compare equal.
func canonicalControllers(s string) string {
	parts := strings.Split(s, ",")
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// v1Controllers extracts controller names and the name= option from v1
// super options such as "rw,cpu,cpuacct" or "rw,xattr,name=systemd".
func v1Controllers(superOpts string) ([]string, string) {
	var ctrls []string
	name := ""
	for _, opt := range strings.Split(superOpts, ",") {
		switch {
		case opt == "" || opt == "rw" || opt == "ro" || opt == "noprefix" ||
			opt == "clone_children" || opt == "xattr" || opt == "cpuset_v2_mode" ||
			opt == "favordynmods" || opt == "none" || opt == "all":
		case strings.HasPrefix(opt, "name="):
			name = strings.TrimPrefix(opt, "name=")
		case strings.Contains(opt, "="):
			// release_agent=... and other valued options.
		default:
			ctrls = append(ctrls, opt)
		}
	}
	return ctrls, name
}

// remapSys moves a mount point under /sys to the same place under sysRoot.
func remapSys(mountPoint, sysRoot string) string {
	if sysRoot == "/sys" {
		return mountPoint
	}
	if mountPoint == "/sys" || strings.HasPrefix(mountPoint, "/sys/") {
		return filepath.Join(sysRoot, strings.TrimPrefix(mountPoint, "/sys"))
	}
	return mountPoint
}

// parseProcCgroup parses /proc/PID/cgroup ("ID:controllers:path" lines).
// Malformed lines are skipped: the file is written by the kernel and a
// partial line only appears if the read raced with exit.
func parseProcCgroup(data []byte) []ProcCgroup {
	return parseProcCgroupFunc(data, func(b []byte) string { return string(b) })
}

// parseProcCgroupFunc is parseProcCgroup with a function that turns the
// controller and path bytes into strings (to intern them).
func parseProcCgroupFunc(data []byte, str func([]byte) string) []ProcCgroup {
	out := make([]ProcCgroup, 0, bytes.Count(data, []byte{'\n'})+1)
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		c1 := bytes.IndexByte(line, ':')
		if c1 <= 0 {
			continue
		}
		c2 := bytes.IndexByte(line[c1+1:], ':')
		if c2 < 0 {
			continue
		}
		c2 += c1 + 1
		id, err := strconv.Atoi(string(line[:c1]))
		if err != nil {
			continue
		}
		out = append(out, ProcCgroup{
			Hierarchy:   id,
			Controllers: str(line[c1+1 : c2]),
			Path:        str(line[c2+1:]),
		})
	}
	return out
}
