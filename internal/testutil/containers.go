package testutil

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Helpers for tests against the real container runtimes: docker, podman
// (with runc) and runc alone, with images made from the host's
// busybox-static (there is no registry to pull from), podman configured
// for this kind of host, the daemons started when installed but down.

// DockerCLI returns Debian's docker client, which matches Debian's daemon
// (/usr/local/bin/docker may be a newer client shadowing it), or "".
func DockerCLI() string {
	if _, err := os.Stat("/usr/bin/docker"); err == nil {
		return "/usr/bin/docker"
	}
	if p, err := exec.LookPath("docker"); err == nil {
		return p
	}
	return ""
}

// RequireDocker skips unless docker answers, starting containerd and
// dockerd first (.ci/start-runtimes) when they are installed but down,
// and returns the docker client.
func RequireDocker(tb testing.TB) string {
	tb.Helper()
	RequireRoot(tb, "runs docker containers")
	cli := DockerCLI()
	if cli == "" {
		tb.Skip("needs docker (make deps installs docker.io and containerd as root)")
	}
	if exec.Command(cli, "info").Run() != nil {
		StartRuntimes(tb)
		if out, err := exec.Command(cli, "info").CombinedOutput(); err != nil {
			tb.Fatalf("docker is installed but does not answer after .ci/start-runtimes: %v\n%s", err, out)
		}
	}
	return cli
}

// StartRuntimes runs the repository's .ci/start-runtimes, which starts
// containerd and dockerd when they are installed but down.
func StartRuntimes(tb testing.TB) {
	tb.Helper()
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", ".ci", "start-runtimes")
	out, err := exec.Command(script).CombinedOutput()
	tb.Logf("started the container daemons: %s", out)
	if err != nil {
		tb.Fatalf(".ci/start-runtimes: %v", err)
	}
}

// RequirePodman skips unless podman can run containers here (root, with
// runc and catatonit), and returns the environment that points it at a
// test-owned containers.conf (see PodmanEnv).
func RequirePodman(tb testing.TB) []string {
	tb.Helper()
	RequireRoot(tb, "runs podman containers")
	RequireTools(tb, "podman", "runc", "catatonit")
	return PodmanEnv(tb)
}

// PodmanEnv returns the environment that points podman at a test-owned
// containers.conf: the runc runtime (crun refuses hybrid cgroups),
// explicit ulimits (the bounding set may lack CAP_SYS_RESOURCE), cgroupfs
// (no systemd), file events. It skips unless root with podman and runc.
func PodmanEnv(tb testing.TB) []string {
	tb.Helper()
	RequireRoot(tb, "starts podman containers")
	RequireTools(tb, "podman", "runc")
	conf := filepath.Join(tb.TempDir(), "containers.conf")
	err := os.WriteFile(conf, []byte(`[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
`), 0o644)
	if err != nil {
		tb.Fatal(err)
	}
	return []string{"CONTAINERS_CONF=" + conf}
}

// DefaultApplets are the busybox applets BusyboxRootfs links when a test
// names none.
var DefaultApplets = []string{"sh", "sleep", "cat", "ls", "ps"}

// BusyboxRootfs makes a root filesystem in dir of busybox-static with the
// applets linked (DefaultApplets when none are named), /etc with an
// os-release, and the mount points and directories a runtime needs
// (systemd-nspawn insists on /usr and /etc/os-release).
func BusyboxRootfs(tb testing.TB, dir string, applets ...string) {
	tb.Helper()
	bin, err := os.ReadFile("/bin/busybox")
	if err != nil {
		tb.Skip("needs busybox-static (make deps installs it as root)")
	}
	if len(applets) == 0 {
		applets = DefaultApplets
	}
	for _, d := range []string{"bin", "usr", "etc", "proc", "sys", "dev", "tmp", "run", "var"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "bin/busybox"), bin, 0o755); err != nil {
		tb.Fatal(err)
	}
	for _, a := range applets {
		if err := os.Symlink("busybox", filepath.Join(dir, "bin", a)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "etc/os-release"), []byte("ID=busybox\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// ImportBusybox imports a BusyboxRootfs as image name with cli ("docker"
// or "podman", env for its environment) and removes it when the test ends.
func ImportBusybox(tb testing.TB, cli, name string, env []string, applets ...string) {
	tb.Helper()
	dir := tb.TempDir()
	BusyboxRootfs(tb, dir, applets...)
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
		tb.Fatal(err)
	}
	cmd := exec.Command(cli, "import", "-", name)
	cmd.Stdin = &buf
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("%s import: %v\n%s", cli, err, out)
	}
	tb.Cleanup(func() {
		c := exec.Command(cli, "rmi", "-f", name)
		c.Env = cmd.Env
		_ = c.Run()
	})
}

// RunEnv runs a command with extra environment and returns its trimmed
// output, failing the test with the output on error.
func RunEnv(tb testing.TB, env []string, name string, args ...string) string {
	tb.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// DockerRun imports a busybox image with the applets, runs a detached
// container of it with a unique name (prefix-...), --network none, the
// extra docker run flags and the command, removes both when the test ends,
// and returns the container's name.
func DockerRun(tb testing.TB, cli, prefix string, applets, flags []string, command ...string) string {
	tb.Helper()
	name := UniqueName(prefix)
	img := prefix + "/busybox:" + strings.TrimPrefix(name, prefix+"-")
	ImportBusybox(tb, cli, img, nil, applets...)
	tb.Cleanup(func() { _ = exec.Command(cli, "rm", "-f", name).Run() })
	args := append(append([]string{"run", "-d", "--name", name, "--network", "none"}, flags...), img)
	RunEnv(tb, nil, cli, append(args, command...)...)
	return name
}

// RemovePodmanPodAtCleanup removes podman pod (env for podman's
// configuration) when the test ends, with its containers, and the cgroups
// podman leaves behind: its pod cgroup in the hierarchies it does not
// manage (name=systemd, the empty v2 tree of a hybrid host), which the
// "podman container cleanup" conmon runs at each exit makes again, so
// they are removed after those finish.
func RemovePodmanPodAtCleanup(tb testing.TB, env []string, pod string) {
	tb.Helper()
	tb.Cleanup(func() {
		podman := func(args ...string) ([]byte, error) {
			c := exec.Command("podman", args...)
			c.Env = append(os.Environ(), env...)
			return c.Output()
		}
		out, err := podman("pod", "inspect", "--format", "{{.CgroupPath}} {{.ID}} {{range .Containers}}{{.ID}} {{end}}", pod)
		_, _ = podman("pod", "rm", "-f", "-t", "0", pod)
		fields := strings.Fields(string(out))
		if err != nil || len(fields) < 2 || !strings.HasPrefix(fields[0], "/") {
			return
		}
		podCgroup, ids := fields[0], fields[1:]
		for range 100 {
			if !anyProcessMentions(ids...) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		for _, mount := range cgroupMounts() {
			for _, d := range []string{"conmon", ""} {
				dir := filepath.Join(mount, podCgroup, d)
				for range 50 { // conmon may still be leaving it
					if err := syscall.Rmdir(dir); err == nil || err == syscall.ENOENT {
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		}
	})
}

// anyProcessMentions reports whether a process's command line holds one
// of ids.
func anyProcessMentions(ids ...string) bool {
	dirs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, d := range dirs {
		data, _ := os.ReadFile(d)
		for _, id := range ids {
			if id != "" && strings.Contains(string(data), id) {
				return true
			}
		}
	}
	return false
}

// cgroupMounts returns the mount points of every cgroup and cgroup2
// filesystem, from /proc/self/mounts.
func cgroupMounts() []string {
	data, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 2 && (f[2] == "cgroup" || f[2] == "cgroup2") {
			out = append(out, f[1])
		}
	}
	return out
}

// RuncBundle writes an OCI bundle of busybox (see BusyboxRootfs) running
// args, in no network namespace of its own, with cgroupsPath as given
// (relative to the test's own cgroups when relative), and returns its
// directory.
func RuncBundle(tb testing.TB, cgroupsPath string, args ...string) string {
	tb.Helper()
	dir := tb.TempDir()
	BusyboxRootfs(tb, filepath.Join(dir, "rootfs"))
	cmd := exec.Command("runc", "spec")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("runc spec: %v\n%s", err, out)
	}
	var spec map[string]any
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err == nil {
		err = json.Unmarshal(data, &spec)
	}
	if err != nil {
		tb.Fatal(err)
	}
	proc := spec["process"].(map[string]any)
	proc["terminal"] = false
	proc["args"] = args
	linux := spec["linux"].(map[string]any)
	linux["cgroupsPath"] = cgroupsPath
	var nss []any
	for _, n := range linux["namespaces"].([]any) {
		if n.(map[string]any)["type"] != "network" {
			nss = append(nss, n)
		}
	}
	linux["namespaces"] = nss
	if data, err = json.Marshal(spec); err == nil {
		err = os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

// RuncRun starts container id of bundle detached with "runc run -d", and
// deletes it (runc delete -f) when the test ends. The container inherits
// runc's stdio: a file, not a pipe that would stay open as long as it
// runs.
func RuncRun(tb testing.TB, bundle, id string) {
	tb.Helper()
	tb.Cleanup(func() { _ = exec.Command("runc", "delete", "-f", id).Run() })
	logPath := filepath.Join(tb.TempDir(), "runc.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command("runc", "run", "-d", "--bundle", bundle, id)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Run(); err != nil {
		out, _ := os.ReadFile(logPath)
		tb.Fatalf("runc run: %v\n%s", err, out)
	}
}

// ReadTrim reads a small file (a cgroup or proc file) without its
// surrounding white space, failing the test when it cannot.
func ReadTrim(tb testing.TB, path string) string {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}
