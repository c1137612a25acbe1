package inspect

// TestLabLegacy tests apply to the kernel lab's legacy configuration
// (6.1-legacy): v1 hierarchies only, each controller on its own plus
// name=systemd, and no cgroup2 mount anywhere (so /proc/PID/cgroup has no
// "0::" line). They prove the mode detection, the hierarchies and the
// cgroup tree the scanner reads there, with /proc alone and with the BPF
// iterators, and run the v1 live tests of the hybrid test machine again
// on a host without any v2 hierarchy.

import (
	"github.com/nscope/nscope/internal/testutil"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
)

// needLegacyLab skips outside the legacy lab guest.
func needLegacyLab(t *testing.T) {
	t.Helper()
	labproto.Need(t, labproto.CgroupLegacy)
}

// legacyMount is the hierarchy's mount point the lab makes: its one
// controller's name, or the name= option's.
func legacyMount(h Hierarchy) string {
	if h.Name != "" {
		return "/sys/fs/cgroup/" + h.Name
	}
	return "/sys/fs/cgroup/" + strings.Join(h.Controllers, ",")
}

func TestLabLegacyLayout(t *testing.T) {
	needLegacyLab(t)
	self := map[int]string{} // hierarchy ID -> controller field of /proc/self/cgroup
	selfCg, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, pc := range parseProcCgroup(selfCg) {
		self[pc.Hierarchy] = pc.Controllers
	}
	for _, mode := range scanModes(t) {
		t.Run(mode.name, func(t *testing.T) {
			s := New(append(mode.opts, WithFDs(false), WithMounts(false))...)
			layout := s.Layout()
			if layout.Mode != CgroupLegacy {
				t.Fatalf("mode = %q, want %q: v1 hierarchies are mounted and no cgroup2", layout.Mode, CgroupLegacy)
			}
			if h := layout.Unified(); h != nil {
				t.Errorf("a v2 hierarchy in a host without cgroup2: %+v", h)
			}
			got := map[int]string{}
			for _, h := range layout.Hierarchies {
				if h.Version != 1 || len(h.Controllers)+len(h.Name) == 0 || len(h.Controllers) > 1 || (h.Name != "" && len(h.Controllers) > 0) {
					t.Errorf("hierarchy %+v: want v1 with one controller or a name", h)
				}
				if h.Mount != legacyMount(h) {
					t.Errorf("hierarchy %s mounted at %s, want %s", h.Label(), h.Mount, legacyMount(h))
				}
				got[h.ID] = h.keyString()
			}
			if diff := cmp.Diff(self, got); diff != "" {
				t.Errorf("hierarchies by ID, against /proc/self/cgroup (-self +layout):\n%s", diff)
			}
			snap := liveScan(t, append(mode.opts, WithFDs(false), WithMounts(false))...)
			if snap.CgroupMode != CgroupLegacy {
				t.Errorf("snapshot mode = %q, want legacy", snap.CgroupMode)
			}
			if diff := cmp.Diff(layout.Hierarchies, snap.Hierarchies); diff != "" {
				t.Errorf("snapshot hierarchies differ from the layout (-layout +snapshot):\n%s", diff)
			}
			for i := range snap.Processes {
				p := &snap.Processes[i]
				if p.State == "Z" || len(p.Cgroups) == 0 {
					continue
				}
				if len(p.Cgroups) != len(self) {
					t.Errorf("process %d (%s) has %d cgroups, want one per hierarchy (%d): %+v", p.PID, p.Comm, len(p.Cgroups), len(self), p.Cgroups)
				}
				if _, ok := p.CgroupPath(0); ok {
					t.Errorf("process %d (%s) has a v2 cgroup on a legacy host: %+v", p.PID, p.Comm, p.Cgroups)
				}
			}
		})
	}
}

// The cgroup tree of a legacy host: a parent and a child in the cpu,
// memory, pids, freezer and name=systemd hierarchies, a process in each
// child, as both scan methods read them.
func TestLabLegacyTree(t *testing.T) {
	needLegacyLab(t)
	layout := New(WithBPF(false)).Layout()
	var hs []*Hierarchy
	for _, key := range []string{"cpu", "memory", "pids", "freezer"} {
		hs = append(hs, layout.ForController(key))
	}
	for i := range layout.Hierarchies {
		if layout.Hierarchies[i].Name == "systemd" {
			hs = append(hs, &layout.Hierarchies[i])
		}
	}
	parent := "/" + testutil.UniqueName("nscope-test")
	child := parent + "/child"
	for _, h := range hs {
		if h == nil {
			t.Fatalf("the legacy guest lacks a hierarchy: %+v", layout.Hierarchies)
		}
		for _, p := range []string{parent, child} {
			if err := os.Mkdir(filepath.Join(h.Mount, p), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		t.Cleanup(func() {
			for _, p := range []string{child, parent} {
				if err := os.Remove(filepath.Join(h.Mount, p)); err != nil {
					t.Errorf("remove %s in %s: %v", p, h.Label(), err)
				}
			}
		})
	}
	sleeper := testutil.StartProc(t, "sleep", "600")
	pid := sleeper.Process.Pid
	for _, h := range hs {
		testutil.WriteCgroupFile(t, filepath.Join(h.Mount, child), "cgroup.procs", strconv.Itoa(pid))
	}
	// Killed before the cgroups are removed (cleanups run last first).
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL); _ = sleeper.Wait() })

	for _, mode := range scanModes(t) {
		t.Run(mode.name, func(t *testing.T) {
			snap := liveScan(t, mode.opts...)
			p := snap.Process(pid)
			if p == nil {
				t.Fatalf("no process %d in the scan", pid)
			}
			for _, h := range snap.Hierarchies {
				want := "/"
				if slices.ContainsFunc(hs, func(x *Hierarchy) bool { return x.ID == h.ID }) {
					want = child
				}
				if got, _ := p.CgroupPath(h.ID); got != want {
					t.Errorf("process %d in %s: %q, want %q", pid, h.Label(), got, want)
				}
			}
			for _, h := range hs {
				c, pc := snap.Cgroup(h.ID, child), snap.Cgroup(h.ID, parent)
				if c == nil || pc == nil {
					t.Errorf("%s: scan lacks %s or %s", h.Label(), parent, child)
					continue
				}
				if diff := cmp.Diff([]int{pid}, c.Procs); diff != "" {
					t.Errorf("%s %s members (-want +got):\n%s", h.Label(), child, diff)
				}
				if len(pc.Procs) != 0 {
					t.Errorf("%s %s has members %v, want none", h.Label(), parent, pc.Procs)
				}
				kids := snap.CgroupChildren(pc)
				if len(kids) != 1 || kids[0].Path != child {
					t.Errorf("%s: children of %s = %v, want %s", h.Label(), parent, cgroupPaths(kids), child)
				}
				if root := snap.Cgroup(h.ID, "/"); root == nil || !containsCgroup(snap.CgroupChildren(root), parent) {
					t.Errorf("%s: %s is not a child of the root", h.Label(), parent)
				}
			}
			if got := len(snap.CgroupRoots()); got != len(snap.Hierarchies) {
				t.Errorf("%d cgroup roots for %d hierarchies", got, len(snap.Hierarchies))
			}
		})
	}
}

func cgroupPaths(list []*Cgroup) []string {
	out := make([]string, len(list))
	for i, c := range list {
		out[i] = c.Path
	}
	return out
}

// The v1 live tests of the hybrid test machine, on a legacy host: limits,
// usage, membership and freeze read back; a process moved mid-scan and a
// zombie do not give their css_set's siblings the wrong cgroups.
func TestLabLegacyLiveV1(t *testing.T) {
	needLegacyLab(t)
	for _, tc := range []struct {
		name string
		test func(*testing.T)
	}{
		{"limits, usage, membership and freeze", TestLiveV1Cgroups},
		{"a process moved mid-scan", TestCgroupsOfAProcessMovedMidScan},
		{"an exiting process's cgroups", TestCgroupsNotTakenFromAnExitingProcess},
	} {
		t.Run(tc.name, tc.test)
	}
}
