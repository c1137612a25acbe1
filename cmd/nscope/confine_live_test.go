package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
)

// liveV1Dir creates the cgroup rel (and its missing parents) in the v1
// hierarchy of controller and removes what it made when the test ends.
func liveV1Dir(t *testing.T, layout inspect.CgroupLayout, controller, rel string) string {
	t.Helper()
	h := layout.ForController(controller)
	if h == nil || h.Version != 1 {
		t.Skipf("needs the v1 %s controller", controller)
	}
	dir := h.Mount
	for _, part := range strings.Split(strings.Trim(rel, "/"), "/") {
		dir = filepath.Join(dir, part)
		err := os.Mkdir(dir, 0o755)
		if os.IsExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		made := dir
		t.Cleanup(func() {
			for range 100 {
				if unix.Rmdir(made) == nil {
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
			t.Errorf("remove %s", made)
		})
	}
	return dir
}

// TestSetDirectoryUnderAnotherMountLive: on real v1 cgroups, a directory
// under the pids mount does not take a memory or CPU limit, whether the
// pids cgroup is missing (the memory one exists) or is another cgroup
// that happens to share the path; nothing is written and the refusal
// names the directory the limit belongs in.
func TestSetDirectoryUnderAnotherMountLive(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates v1 cgroups")
	}
	layout, err := inspect.DetectCgroupLayout("/proc", "/sys")
	if err != nil || (layout.Mode != inspect.CgroupHybrid && layout.Mode != inspect.CgroupLegacy) {
		t.Skip("needs v1 controllers (a hybrid or legacy host)")
	}
	t.Setenv("NSCOPE_STATE_DIR", t.TempDir())
	name := fmt.Sprintf("nscope-test-%d-%08x", os.Getpid(), rand.Uint32())

	// A memory-only cgroup beneath our own memory cgroup.
	memRel := filepath.Join(ownCgroupIn(t, layout.ForController("memory").ID), name, "onlymem")
	memDir := liveV1Dir(t, layout, "memory", memRel)
	before, _ := os.ReadFile(filepath.Join(memDir, "memory.limit_in_bytes"))
	pidsDir := filepath.Join(layout.ForController("pids").Mount, memRel)
	_, _, err = runEditCLI(t, "", "set", pidsDir, "--memory", "100M", "--yes")
	if !isUsage(err) || !strings.Contains(err.Error(), "memory limits live in the memory hierarchy, at "+memDir) ||
		!strings.Contains(err.Error(), pidsDir+" does not exist") {
		t.Errorf("set %s --memory: %v, want a usage error naming %s", pidsDir, err, memDir)
	}
	if after, _ := os.ReadFile(filepath.Join(memDir, "memory.limit_in_bytes")); string(after) != string(before) {
		t.Errorf("memory.limit_in_bytes changed from %s to %s", before, after)
	}

	// The same path in the pids and cpu hierarchies, where our own cgroup
	// is the root: "another service's" cgroup.
	for _, c := range []string{"pids", "cpu"} {
		if own := ownCgroupIn(t, layout.ForController(c).ID); own != "/" {
			t.Skipf("our %s cgroup is %s, not the root", c, own)
		}
	}
	svc := "/" + name + "/svc"
	pidsSvc := liveV1Dir(t, layout, "pids", svc)
	cpuSvc := liveV1Dir(t, layout, "cpu", svc)
	_, _, err = runEditCLI(t, "", "set", pidsSvc, "--cpu", "0.5", "--yes")
	if !isUsage(err) || !strings.Contains(err.Error(), "cpu limits live in the cpu hierarchy, at "+cpuSvc) ||
		!strings.Contains(err.Error(), "is in the pids hierarchy, which has no cpu controller") {
		t.Errorf("set %s --cpu: %v, want a usage error naming %s", pidsSvc, err, cpuSvc)
	}
	if q, _ := os.ReadFile(filepath.Join(cpuSvc, "cpu.cfs_quota_us")); strings.TrimSpace(string(q)) != "-1" {
		t.Errorf("cpu.cfs_quota_us of %s is %s, want -1 (untouched)", cpuSvc, q)
	}
	// Its own controller in its own directory is still set.
	if _, _, err := runEditCLI(t, "", "set", pidsSvc, "--pids", "45", "--yes"); err != nil {
		t.Fatalf("set %s --pids 45: %v", pidsSvc, err)
	}
	if p, _ := os.ReadFile(filepath.Join(pidsSvc, "pids.max")); strings.TrimSpace(string(p)) != "45" {
		t.Errorf("pids.max = %s, want 45", p)
	}
}
