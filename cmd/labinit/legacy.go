package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// systemdHierarchy is the named v1 hierarchy without controllers that
// systemd keeps its own tree in on legacy hosts; the lab mounts it the
// same way (none,name=systemd at /sys/fs/cgroup/systemd).
const systemdHierarchy = "systemd"

// v1Controllers returns the controllers /proc/cgroups lists as enabled
// ("#subsys_name hierarchy num_cgroups enabled"), in the kernel's order.
// See cgroups(7).
func v1Controllers(procCgroups []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(procCgroups))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if f[3] == "1" {
			out = append(out, f[0])
		}
	}
	return out
}

// mountCgroupV1 makes the guest a legacy host: a tmpfs at /sys/fs/cgroup
// and every enabled controller mounted on its own beneath it, plus the
// name=systemd hierarchy. cgroup2 is never mounted, so the kernel does
// not show a "0::" line in /proc/PID/cgroup either. See
// Documentation/admin-guide/cgroup-v1/cgroups.rst, "Usage Examples".
func mountCgroupV1() ([]string, error) {
	data, err := os.ReadFile("/proc/cgroups")
	if err != nil {
		return nil, fmt.Errorf("list the v1 controllers: %w", err)
	}
	ctrls := v1Controllers(data)
	if len(ctrls) == 0 {
		return nil, fmt.Errorf("/proc/cgroups lists no enabled controller: %q", data)
	}
	mounts := []mountSpec{{"tmpfs", cgroupRoot, "tmpfs", cgroupMountFlags, "mode=0755"}}
	for _, c := range ctrls {
		mounts = append(mounts, mountSpec{"cgroup", filepath.Join(cgroupRoot, c), "cgroup", cgroupMountFlags, c})
	}
	mounts = append(mounts, mountSpec{"cgroup", filepath.Join(cgroupRoot, systemdHierarchy), "cgroup", cgroupMountFlags, "none,name=" + systemdHierarchy})
	if err := mountEach(mounts); err != nil {
		return nil, err
	}
	return ctrls, checkLegacy(ctrls)
}

// checkLegacy verifies the guest is what the legacy configuration
// promises: no cgroup2 mount, no v2 line in /proc/self/cgroup, and each
// controller in a hierarchy of its own.
func checkLegacy(ctrls []string) error {
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(mi), "\n") {
		if _, after, ok := strings.Cut(line, " - "); ok && strings.HasPrefix(after, "cgroup2 ") {
			return fmt.Errorf("a cgroup2 file system is mounted: %s", line)
		}
	}
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return err
	}
	ids := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(self)), "\n") {
		id, ctrl, ok := strings.Cut(line, ":")
		ctrl, _, _ = strings.Cut(ctrl, ":")
		if !ok || id == "0" || ctrl == "" {
			return fmt.Errorf("/proc/self/cgroup line %q: want ID:controller:/ for v1 hierarchies only", line)
		}
		if strings.Contains(ctrl, ",") {
			return fmt.Errorf("/proc/self/cgroup line %q: controllers share a hierarchy", line)
		}
		ids[ctrl] = true
	}
	for _, c := range append(ctrls, "name="+systemdHierarchy) {
		if !ids[c] {
			return fmt.Errorf("/proc/self/cgroup has no hierarchy for %s: %q", c, self)
		}
	}
	return nil
}

// thawAll thaws every frozen cgroup: v1 frozen tasks ignore SIGKILL until
// thawed, so leftovers are thawed before they are killed.
func thawAll() {
	for dir := range listCgroups(cgroupRoot) {
		if st, err := os.ReadFile(filepath.Join(dir, "freezer.state")); err == nil && strings.TrimSpace(string(st)) != "THAWED" {
			_ = os.WriteFile(filepath.Join(dir, "freezer.state"), []byte("THAWED"), 0)
		}
		if fr, err := os.ReadFile(filepath.Join(dir, "cgroup.freeze")); err == nil && strings.TrimSpace(string(fr)) == "1" {
			_ = os.WriteFile(filepath.Join(dir, "cgroup.freeze"), []byte("0"), 0)
		}
	}
}
