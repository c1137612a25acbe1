package control

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestLaunchIntoEmptyCpusetExplains: under a v1 cpuset parent whose
// cpuset.cpus and cpuset.mems are empty (made by someone else, without
// cgroup.clone_children), the new cgroup inherits nothing and the kernel
// refuses the init with ENOSPC; the error says why and what to set.
func TestLaunchIntoEmptyCpusetExplains(t *testing.T) {
	needRootForLaunch(t)
	l := testLauncher(t)
	layout, err := l.cgroupLayout()
	if err != nil {
		t.Fatal(err)
	}
	cpuset := layout.ForController("cpuset")
	if cpuset == nil || cpuset.Version != 1 {
		t.Skip("needs the v1 cpuset controller")
	}
	parent := testCgroupParent(t, l)
	cgs, err := l.planCgroups(parent, "x")
	if err != nil {
		t.Fatal(err)
	}
	var parentDir string
	for _, cg := range cgs {
		if cg.Hierarchy.ID == cpuset.ID {
			parentDir = filepath.Dir(cg.Dir)
		}
	}
	// The parent exists already, with empty cpus and mems.
	if err := os.Mkdir(parentDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if cpus, _ := os.ReadFile(filepath.Join(parentDir, "cpuset.cpus")); len(strings.TrimSpace(string(cpus))) != 0 {
		t.Skipf("a new cpuset cgroup here gets cpus %q (cgroup.clone_children set?)", cpus)
	}
	_, _, err = launchOutput(t, l, LaunchRequest{Command: []string{"true"}, CgroupParent: parent, Name: "cpuset"})
	if !errors.Is(err, unix.ENOSPC) || !strings.Contains(err.Error(), "cpuset.cpus and cpuset.mems of") ||
		!strings.Contains(err.Error(), "takes no process until both cpuset.cpus and cpuset.mems are set") {
		t.Fatalf("launch under an empty cpuset parent: %v, want ENOSPC explained", err)
	}
}
