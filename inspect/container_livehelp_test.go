package inspect

import (
	"encoding/json"
	"fmt"
	"github.com/nscope/nscope/internal/testutil"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Helpers for the live container tests: the real runtimes, images built
// from the host's busybox-static, the kernel's own view to compare with.

// requireDocker skips unless docker answers (testutil.RequireDocker).
func requireDocker(t *testing.T) string {
	t.Helper()
	return testutil.RequireDocker(t)
}

// requireContainerd skips unless containerd answers, starting it first
// when it is installed but down.
func requireContainerd(t *testing.T) {
	t.Helper()
	testutil.RequireRoot(t, "reads container runtimes")
	testutil.RequireTools(t, "ctr", "containerd")
	if exec.Command("ctr", "version").Run() != nil {
		testutil.StartRuntimes(t)
		if out, err := exec.Command("ctr", "version").CombinedOutput(); err != nil {
			t.Fatalf("containerd is installed but does not answer after .ci/start-runtimes: %v\n%s", err, out)
		}
	}
}

// busyboxRootfs makes a busybox root filesystem in dir.
func busyboxRootfs(t *testing.T, dir string) {
	t.Helper()
	testutil.BusyboxRootfs(t, dir)
}

// importImage imports the busybox root filesystem as image name with
// cli and removes it when the test ends.
func importImage(t *testing.T, cli, name string, env ...string) {
	t.Helper()
	testutil.ImportBusybox(t, cli, name, env)
}

// runEnv runs a command with extra environment and fails the test with
// its output on error.
func runEnv(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	return testutil.RunEnv(t, env, name, args...)
}

// inspectJSON runs a runtime's inspect command and decodes its output
// (a one-element array for docker and podman) into v.
func inspectJSON(t *testing.T, env []string, v any, name string, args ...string) {
	t.Helper()
	out := runEnv(t, env, name, args...)
	if strings.HasPrefix(out, "[") {
		var list []json.RawMessage
		if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
			t.Fatalf("%s %v: want one object: %v\n%s", name, args, err, out)
		}
		out = string(list[0])
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// scanUntil scans until cond holds for the snapshot, and returns it.
func scanUntil(t *testing.T, what string, cond func(*Snapshot) bool) *Snapshot {
	t.Helper()
	var snap *Snapshot
	deadline := time.Now().Add(20 * time.Second)
	for {
		snap = liveScan(t, WithFDs(false), WithMounts(false))
		if cond(snap) {
			return snap
		}
		if time.Now().After(deadline) {
			var names []string
			for _, c := range snap.Containers {
				names = append(names, fmt.Sprintf("%s(init %d, %s)", ContainerTarget(&c), c.InitPID, c.State))
			}
			t.Fatalf("timed out waiting for %s; the scan has %s", what, strings.Join(names, ", "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// byName finds a container of runtime by name, or nil.
func byName(snap *Snapshot, runtime, name string) *Container {
	for i := range snap.Containers {
		if c := &snap.Containers[i]; c.Runtime == runtime && c.Name == name {
			return c
		}
	}
	return nil
}

// running reports whether the scan has the container with a running init.
func running(runtime, name string) func(*Snapshot) bool {
	return func(s *Snapshot) bool { c := byName(s, runtime, name); return c != nil && c.InitPID != 0 }
}

// checkKernelView compares a container with the kernel's own files for
// its init: /proc/PID/cgroup line by line, and every /proc/PID/ns link.
func checkKernelView(t *testing.T, c *Container, pid int) {
	t.Helper()
	if c.InitPID != pid {
		t.Errorf("%s: init PID %d, the runtime says %d", c.Name, c.InitPID, pid)
		return
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	want := parseProcCgroupFunc(data, func(b []byte) string { return string(b) })
	if len(want) != len(c.Cgroups) {
		t.Errorf("%s: %d cgroups, /proc/%d/cgroup has %d", c.Name, len(c.Cgroups), pid, len(want))
	}
	for i := range min(len(want), len(c.Cgroups)) {
		if want[i] != c.Cgroups[i] {
			t.Errorf("%s: cgroup %+v, /proc says %+v", c.Name, c.Cgroups[i], want[i])
		}
	}
	for t2 := range NumNSTypes {
		id := linkID(t, fmt.Sprintf("/proc/%d/ns/%s", pid, NSType(t2)))
		if c.Namespaces[t2] != id {
			t.Errorf("%s: %s namespace %v, /proc says %v", c.Name, NSType(t2), c.Namespaces[t2], id)
		}
	}
}

// shared returns what c shares of type typ: "host", the container's
// ref, or "" when nothing.
func shared(c *Container, typ NSType) string {
	for _, s := range c.Shared {
		if s.Type == typ {
			if s.Container != nil {
				return s.Container.Runtime + ":" + s.Container.ID
			}
			return s.With
		}
	}
	return ""
}
