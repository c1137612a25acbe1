package control

// TestLab tests run in the kernel lab's QEMU guest (go run ./cmd/kernlab).
// These apply to the cgroup v2 configurations (6.1-v2, 6.12-v2): pure
// cgroup v2 with cpu, memory, pids and io enabled at the root, as root.
// They cover what this hybrid machine cannot: placement at birth with
// clone3 CLONE_INTO_CGROUP, v2 limit files, and enter joining a v2 cgroup.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
	"github.com/nscope/nscope/inspect"
)

// needLab skips outside a cgroup v2 kernel lab guest.
func needLab(t *testing.T) *Launcher {
	t.Helper()
	labproto.Need(t, labproto.CgroupV2)
	needRootForLaunch(t)
	l := testLauncher(t)
	layout, err := l.cgroupLayout()
	if err != nil {
		t.Fatal(err)
	}
	if layout.Mode != inspect.CgroupUnified {
		t.Fatalf("the lab guest has cgroup mode %s, want unified", layout.Mode)
	}
	return l
}

// The init is born in the new cgroup (no write to cgroup.procs happens on
// v2), with the limits already in place, and both it and the command are
// members as the host sees them.
func TestLabLaunchBornInItsCgroup(t *testing.T) {
	l := needLab(t)
	parent := testCgroupParent(t, l)
	lc, err := l.Launch(LaunchRequest{Command: []string{"sleep", "30"}, CPU: "0.25", Memory: "32M", Pids: "8",
		CgroupParent: parent, Name: "born"})
	if err != nil {
		t.Fatal(err)
	}
	if err := lc.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = syscall.Kill(lc.InitPID(), syscall.SIGKILL)
		_ = lc.Wait()
	}()
	if len(lc.Plan.Cgroups) != 1 {
		t.Fatalf("cgroups %+v, want one on v2", lc.Plan.Cgroups)
	}
	cg := lc.Plan.Cgroups[0]
	for _, pid := range []int{lc.InitPID(), lc.PID()} {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := string(data), "0::"+cg.Path+"\n"; got != want {
			t.Errorf("/proc/%d/cgroup = %q, want %q", pid, got, want)
		}
	}
	want := map[string]string{"cpu.max": "25000 100000", "memory.max": "33554432", "pids.max": "8", "pids.current": "2"}
	got := map[string]string{}
	for file := range want {
		data, err := os.ReadFile(filepath.Join(cg.Dir, file))
		if err != nil {
			t.Fatal(err)
		}
		got[file] = strings.TrimSpace(string(data))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cgroup files (-want +got):\n%s", diff)
	}
}

// With a new cgroup namespace the command sees its cgroup as the root.
func TestLabLaunchCgroupNamespaceIsRootedAtItsCgroup(t *testing.T) {
	l := needLab(t)
	parent := testCgroupParent(t, l)
	out, lc, err := launchOutput(t, l, LaunchRequest{Command: []string{"cat", "/proc/self/cgroup"},
		NS: []inspect.NSType{inspect.CgroupNS}, CgroupParent: parent, Name: "cgns"})
	if err != nil {
		t.Fatal(err)
	}
	if out != "0::/\n" {
		t.Errorf("inside: /proc/self/cgroup = %q, want %q", out, "0::/\n")
	}
	if _, err := os.Stat(lc.Plan.Cgroups[0].Dir); !os.IsNotExist(err) {
		t.Errorf("cgroup %s still there after exit (%v)", lc.Plan.Cgroups[0].Dir, err)
	}
}

// Enter joins the target's v2 cgroup with its namespaces by default, and
// leaves ours alone when only other namespaces are asked for.
func TestLabEnterJoinsTheTargetsCgroup(t *testing.T) {
	l := needLab(t)
	parent := testCgroupParent(t, l)
	target, err := l.Launch(LaunchRequest{Command: []string{"sleep", "30"}, CgroupParent: parent, Name: "target"})
	if err != nil {
		t.Fatal(err)
	}
	if err := target.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = syscall.Kill(target.InitPID(), syscall.SIGKILL)
		_ = target.Wait()
	}()
	ours, err := readV2CgroupPath("/proc", "self")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		req  EnterRequest
		want string
	}{
		{name: "default: namespaces and cgroup", req: EnterRequest{PID: target.PID()}, want: "0::/\n"},
		{name: "net only: our cgroup", req: EnterRequest{PID: target.PID(), NS: []inspect.NSType{inspect.NetNS}}, want: "0::" + ours + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Command = []string{"cat", "/proc/self/cgroup"}
			out, err := enterAndRun(t, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if out != tc.want {
				t.Errorf("/proc/self/cgroup inside = %q, want %q", out, tc.want)
			}
		})
	}
}
