package main

// TestLabLegacy tests apply to the kernel lab's legacy configuration
// (6.1-legacy): the nscope binary on a host with v1 hierarchies only
// (each controller on its own, name=systemd) and no cgroup2 anywhere.

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
	"github.com/nscope/nscope/inspect"
)

// legacyRoot is where the legacy guest mounts its v1 hierarchies, each in
// a directory named after its controller (or name=).
const legacyRoot = "/sys/fs/cgroup"

// legacyCgroup makes a uniquely named cgroup at the root of each named
// hierarchy ("cpu", "memory", "systemd", ...) and removes it when the
// test ends, thawed and emptied first. It returns the cgroup's path.
func legacyCgroup(t *testing.T, hierarchies ...string) string {
	t.Helper()
	path := fmt.Sprintf("/nscope-test-%d-%08x", os.Getpid(), rand.Uint32())
	for _, h := range hierarchies {
		dir := filepath.Join(legacyRoot, h, path)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatalf("create cgroup in the %s hierarchy: %v", h, err)
		}
		t.Cleanup(func() { removeLegacyCgroup(t, dir) })
	}
	return path
}

// removeLegacyCgroup thaws dir, kills its members and removes it.
func removeLegacyCgroup(t *testing.T, dir string) {
	t.Helper()
	_ = os.WriteFile(filepath.Join(dir, "freezer.state"), []byte("THAWED"), 0)
	var err error
	for range 100 {
		if procs, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs")); len(procs) > 0 {
			for _, f := range strings.Fields(string(procs)) {
				if pid, _ := strconv.Atoi(f); pid > 0 {
					_ = unix.Kill(pid, unix.SIGKILL)
				}
			}
		}
		if err = unix.Rmdir(dir); err == nil || err == unix.ENOENT {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("remove %s: %v", dir, err)
}

// startPlacedIn starts argv, with extra clone flags, and writes its PID to
// cgroup.procs of path in each hierarchy (v1 has no placement at birth).
func startPlacedIn(t *testing.T, path string, hierarchies []string, cloneflags uintptr, argv ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: cloneflags}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", argv, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	for _, h := range hierarchies {
		file := filepath.Join(legacyRoot, h, path, "cgroup.procs")
		if err := os.WriteFile(file, []byte(strconv.Itoa(cmd.Process.Pid)), 0); err != nil {
			t.Fatalf("place %d: %v", cmd.Process.Pid, err)
		}
	}
	return cmd
}

func readTrimmed(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// nscope cg, set, freeze, thaw, undo and kill on a legacy host, against
// the v1 files they read and write.
func TestLabLegacyCLICgroups(t *testing.T) {
	bin := labBinary(t, labproto.CgroupLegacy)
	t.Setenv("NSCOPE_STATE_DIR", t.TempDir())
	hs := []string{"cpu", "cpuacct", "memory", "pids", "freezer"}
	path := legacyCgroup(t, hs...)
	sleeper := startPlacedIn(t, path, hs, 0, "/bin/sleep", "60")

	var got struct {
		Mode        inspect.CgroupMode  `json:"cgroup_mode"`
		Hierarchies []inspect.Hierarchy `json:"hierarchies"`
		Cgroups     []inspect.Cgroup    `json:"cgroups"`
	}
	out := labRun(t, bin, "cg", "--json")
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("nscope cg --json is not JSON: %v\n%s", err, out)
	}
	if got.Mode != inspect.CgroupLegacy {
		t.Errorf("cgroup_mode = %q, want legacy", got.Mode)
	}
	ids := map[string]int{}
	for _, h := range got.Hierarchies {
		if h.Version != 1 {
			t.Errorf("hierarchy %+v on a legacy host", h)
		}
		ids[h.Label()] = h.ID
	}
	for _, h := range hs {
		found := false
		for _, c := range got.Cgroups {
			if c.Hierarchy == ids[h] && c.Path == path {
				found = true
				if diff := cmp.Diff([]int{sleeper.Process.Pid}, c.Procs); diff != "" {
					t.Errorf("%s %s members (-want +got):\n%s", h, path, diff)
				}
			}
		}
		if !found {
			t.Errorf("nscope cg --json lacks %s in the %s hierarchy", path, h)
		}
	}
	if table := labRun(t, bin, "cg"); !strings.Contains(table, "cgroup mode: legacy (cgroup v1)") || !strings.Contains(table, path) {
		t.Errorf("nscope cg does not say legacy or lacks %s:\n%s", path, table)
	}

	file := func(h, name string) string { return readTrimmed(t, filepath.Join(legacyRoot, h, path, name)) }
	state := func() string {
		return file("cpu", "cpu.cfs_quota_us") + " " + file("cpu", "cpu.cfs_period_us") + " " + file("memory", "memory.limit_in_bytes") + " " + file("pids", "pids.max")
	}
	orig := state()
	if orig != "-1 100000 9223372036854771712 max" {
		t.Fatalf("a new v1 cgroup reads %q", orig)
	}
	out = labRun(t, bin, "set", path, "--cpu", "0.25", "--memory", "128M", "--pids", "20", "--yes")
	for _, want := range []string{"/sys/fs/cgroup/cpu" + path + "/cpu.cfs_quota_us", "/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes", "/sys/fs/cgroup/pids" + path + "/pids.max"} {
		if !strings.Contains(out, want) {
			t.Errorf("nscope set output lacks %s:\n%s", want, out)
		}
	}
	if got := state(); got != "25000 100000 134217728 20" {
		t.Errorf("after nscope set: %q, want 25000 100000 134217728 20", got)
	}
	labRun(t, bin, "undo", path)
	if got := state(); got != orig {
		t.Errorf("after nscope undo: %q, want %q", got, orig)
	}

	labRun(t, bin, "freeze", path, "--yes")
	if got := file("freezer", "freezer.state"); got != "FROZEN" {
		t.Errorf("freezer.state after nscope freeze = %q", got)
	}
	labRun(t, bin, "thaw", path)
	if got := file("freezer", "freezer.state"); got != "THAWED" {
		t.Errorf("freezer.state after nscope thaw = %q", got)
	}

	labRun(t, bin, "kill", path, "--yes")
	for _, h := range hs {
		if procs := file(h, "cgroup.procs"); procs != "" {
			t.Errorf("%s cgroup.procs after nscope kill = %q", h, procs)
		}
	}
	if err := sleeper.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("sleeper ended with %v, want killed", err)
	}
}

// nscope run on a legacy host: the child is held until its PID is in
// every hierarchy's new cgroup, with the limits written in the cpu,
// memory and pids hierarchies, and the cgroups are gone afterwards.
func TestLabLegacyCLIRun(t *testing.T) {
	bin := labBinary(t, labproto.CgroupLegacy)
	t.Setenv("NSCOPE_STATE_DIR", t.TempDir())
	layout, err := inspect.DetectCgroupLayout("/proc", "/sys")
	if err != nil {
		t.Fatal(err)
	}
	parent := fmt.Sprintf("/nscope-test-%d-%08x", os.Getpid(), rand.Uint32())
	t.Cleanup(func() {
		for _, h := range layout.Hierarchies {
			if _, err := os.Stat(filepath.Join(h.Mount, parent)); err == nil {
				removeLegacyCgroup(t, filepath.Join(h.Mount, parent))
			}
		}
	})
	name := "run-child"
	script := `cat /proc/self/cgroup; cat /sys/fs/cgroup/cpu` + parent + "/" + name + `/cpu.cfs_quota_us /sys/fs/cgroup/memory` +
		parent + "/" + name + `/memory.limit_in_bytes /sys/fs/cgroup/pids` + parent + "/" + name + `/pids.max`
	out := labRun(t, bin, "run", "--ns", "pid,mnt", "--cgroup-parent", parent, "--name", name,
		"--cpu", "0.2", "--memory", "64M", "--pids", "16", "--", "/bin/sh", "-c", script)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(layout.Hierarchies)+3 {
		t.Fatalf("want one /proc/self/cgroup line per hierarchy (%d) and 3 limits:\n%s", len(layout.Hierarchies), out)
	}
	for _, line := range lines[:len(layout.Hierarchies)] {
		if !strings.HasSuffix(line, ":"+parent+"/"+name) || strings.HasPrefix(line, "0::") {
			t.Errorf("cgroup line %q inside nscope run, want a v1 hierarchy at %s/%s", line, parent, name)
		}
	}
	if diff := cmp.Diff([]string{"20000", "67108864", "16"}, lines[len(layout.Hierarchies):]); diff != "" {
		t.Errorf("limits seen by the command (-want +got):\n%s", diff)
	}
	for _, h := range layout.Hierarchies {
		if _, err := os.Stat(filepath.Join(h.Mount, parent, name)); !os.IsNotExist(err) {
			t.Errorf("%s: cgroup %s/%s still there after the command exited (stat: %v)", h.Label(), parent, name, err)
		}
	}
}

// nscope enter on a legacy host joins the target's namespaces and, like
// docker exec, its cgroup in every hierarchy (issue #11).
func TestLabLegacyCLIEnter(t *testing.T) {
	bin := labBinary(t, labproto.CgroupLegacy)
	hs := []string{"cpu", "cpuacct", "memory", "pids", "freezer", "systemd"}
	path := legacyCgroup(t, hs...)
	target := startPlacedIn(t, path, hs, unix.CLONE_NEWUTS, "/bin/sh", "-c", "hostname lab-target && exec sleep 60")
	waitEnteredHostname(t, bin, target.Process.Pid, "lab-target")
	out := labRun(t, bin, "enter", strconv.Itoa(target.Process.Pid), "--", "/bin/sh", "-c", "hostname; cat /proc/self/cgroup")
	host, cgroups, _ := strings.Cut(out, "\n")
	if host != "lab-target" {
		t.Errorf("hostname inside nscope enter = %q, want lab-target", host)
	}
	theirs := readTrimmed(t, fmt.Sprintf("/proc/%d/cgroup", target.Process.Pid))
	if diff := cmp.Diff(theirs, strings.TrimSpace(cgroups)); diff != "" {
		t.Errorf("/proc/self/cgroup inside nscope enter (-target +inside):\n%s", diff)
	}
}
