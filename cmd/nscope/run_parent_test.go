package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nscope/nscope/inspect"
)

// TestRunCLIParentNeedsConfirmation: "run --cgroup-parent" asks, as "set"
// does, before it puts its cgroup somewhere that is not nscope's own: a
// relative parent (inside whatever started nscope), the root, a systemd
// unit's, one holding other processes. Without a terminal that is exit 2
// and nothing is created; --yes goes ahead.
func TestRunCLIParentNeedsConfirmation(t *testing.T) {
	needRootCLI(t)
	layout, err := inspect.DetectCgroupLayout("/proc", "/sys")
	if err != nil || layout.ForController("pids") == nil {
		t.Skip("needs cgroups")
	}
	name := fmt.Sprintf("nscope-parenttest-%d-%08x", os.Getpid(), rand.Uint32())
	created := func() []string {
		var found []string
		_ = filepath.WalkDir("/sys/fs/cgroup", func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() && (d.Name() == name || d.Name() == "system.slice") {
				found = append(found, p)
			}
			return nil
		})
		return found
	}
	if c := created(); len(c) > 0 {
		t.Skipf("found %v before the test", c)
	}

	// A parent that holds a process not nscope's: a test cgroup at the
	// root of the pids hierarchy, where our own cgroup is.
	pids := layout.ForController("pids")
	if own := ownCgroupIn(t, pids.ID); own != "/" {
		t.Skipf("our pids cgroup is %s, not the root", own)
	}
	busyRel := fmt.Sprintf("/nscope-busy-%d-%08x", os.Getpid(), rand.Uint32())
	busy := liveV1Dir(t, layout, "pids", busyRel)
	sleeper := exec.Command("sleep", "1000")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sleeper.Process.Kill(); _ = sleeper.Wait() })
	if err := os.WriteFile(filepath.Join(busy, "cgroup.procs"), []byte(strconv.Itoa(sleeper.Process.Pid)), 0); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct{ parent, want string }{
		{".", "is relative: the cgroup goes inside nscope's own cgroup"},
		{"/", "right under the root cgroup"},
		{"/system.slice", "belongs to systemd unit system.slice"},
		{busyRel, "already holds 1 processes (e.g. PID " + strconv.Itoa(sleeper.Process.Pid) + ")"},
	} {
		res := runNscope(t, "", "run", "--cgroup-parent", tc.parent, "--name", name, "--", "true")
		if res.code != 2 || !strings.Contains(res.stderr, "needs confirmation") || !strings.Contains(res.stderr, tc.want) || !strings.Contains(res.stderr, "--yes") {
			t.Fatalf("run --cgroup-parent %s without --yes: exit %d, stderr %q; want 2 saying %q", tc.parent, res.code, res.stderr, tc.want)
		}
		if c := created(); len(c) > 0 {
			t.Fatalf("run --cgroup-parent %s created %v", tc.parent, c)
		}
	}
	// Confirmed, a relative parent (inside our own cgroups) is used; a
	// CPU limit above the host's CPUs is taken with a warning.
	res := runNscope(t, "", "run", "--yes", "--ns", "pid,mnt", "--cgroup-parent", ".", "--name", name, "--cpu", "1000000%",
		"--", "/bin/sh", "-c", "cat /proc/self/cgroup")
	if res.code != 0 || !strings.Contains(res.stdout, "/"+name) {
		t.Errorf("run --yes --cgroup-parent .: exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stderr, "warning: a CPU limit of 10000 CPUs is more than the") {
		t.Errorf("run --cpu 1000000%%: no warning about the host's CPUs in %q", res.stderr)
	}
	if c := created(); len(c) > 0 {
		t.Errorf("the launch's cgroups are still there: %v", c)
	}
}
