package inspect

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/nscope/nscope/internal/testutil"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Helpers for the live container tests: the real runtimes, images built
// from the host's busybox-static, the kernel's own view to compare with.

// dockerCLI returns Debian's docker client, which matches Debian's
// daemon (/usr/local/bin/docker may be a newer client shadowing it).
func dockerCLI() string {
	if _, err := os.Stat("/usr/bin/docker"); err == nil {
		return "/usr/bin/docker"
	}
	if p, err := exec.LookPath("docker"); err == nil {
		return p
	}
	return ""
}

// requireDocker skips unless docker answers, starting containerd and
// dockerd first (.ci/start-runtimes) when they are installed but down.
func requireDocker(t *testing.T) string {
	t.Helper()
	testutil.RequireRoot(t, "reads container runtimes")
	cli := dockerCLI()
	if cli == "" {
		t.Skip("needs docker (make deps installs docker.io and containerd as root)")
	}
	if exec.Command(cli, "info").Run() != nil {
		startRuntimes(t)
		if out, err := exec.Command(cli, "info").CombinedOutput(); err != nil {
			t.Fatalf("docker is installed but does not answer after .ci/start-runtimes: %v\n%s", err, out)
		}
	}
	return cli
}

// requireContainerd skips unless containerd answers, starting it first
// when it is installed but down.
func requireContainerd(t *testing.T) {
	t.Helper()
	testutil.RequireRoot(t, "reads container runtimes")
	testutil.RequireTools(t, "ctr", "containerd")
	if exec.Command("ctr", "version").Run() != nil {
		startRuntimes(t)
		if out, err := exec.Command("ctr", "version").CombinedOutput(); err != nil {
			t.Fatalf("containerd is installed but does not answer after .ci/start-runtimes: %v\n%s", err, out)
		}
	}
}

func startRuntimes(t *testing.T) {
	t.Helper()
	out, err := exec.Command(filepath.Join("..", ".ci", "start-runtimes")).CombinedOutput()
	t.Logf("started the container daemons: %s", out)
	if err != nil {
		t.Fatalf(".ci/start-runtimes: %v", err)
	}
}

// busyboxRootfs makes a root filesystem of busybox-static with its
// applets linked, and the directories systemd-nspawn insists on.
func busyboxRootfs(t *testing.T, dir string) {
	t.Helper()
	bin, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skip("needs busybox-static (make deps installs it as root)")
	}
	for _, d := range []string{"bin", "usr", "etc", "proc", "sys", "dev", "tmp", "run", "var"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "bin/busybox"), bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"sh", "sleep", "cat", "ls", "ps"} {
		if err := os.Symlink("busybox", filepath.Join(dir, "bin", a)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "etc/os-release"), []byte("ID=busybox\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// rootfsTar returns a tar stream of busyboxRootfs, for "docker import".
func rootfsTar(t *testing.T) []byte {
	t.Helper()
	dir := t.TempDir()
	busyboxRootfs(t, dir)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		link := ""
		if info.Mode()&os.ModeSymlink != 0 {
			link, _ = os.Readlink(p)
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = rel
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			_, err = tw.Write(data)
			return err
		}
		return nil
	})
	if err == nil {
		err = tw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// importImage imports the busybox root filesystem as image name with
// cli ("docker" or "podman") and removes it when the test ends.
func importImage(t *testing.T, cli, name string, env ...string) {
	t.Helper()
	cmd := exec.Command(cli, "import", "-", name)
	cmd.Stdin = bytes.NewReader(rootfsTar(t))
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s import: %v\n%s", cli, err, out)
	}
	t.Cleanup(func() {
		c := exec.Command(cli, "rmi", "-f", name)
		c.Env = cmd.Env
		_ = c.Run()
	})
}

// runEnv runs a command with extra environment and fails the test with
// its output on error.
func runEnv(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
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
