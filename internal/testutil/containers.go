package testutil

import (
	"archive/tar"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Helpers for tests against the real container runtimes: docker, podman
// (with runc) and runc alone, with images made from the host's
// busybox-static.

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

// RequireDocker skips unless root and docker answers, starting containerd
// and dockerd first (.ci/start-runtimes) when they are installed but down.
// It returns the client to use.
func RequireDocker(tb testing.TB) string {
	tb.Helper()
	RequireRoot(tb, "starts docker containers")
	cli := DockerCLI()
	if cli == "" {
		tb.Skip("needs docker (make deps installs docker.io and containerd as root)")
	}
	if exec.Command(cli, "info").Run() != nil {
		startRuntimes(tb)
		if out, err := exec.Command(cli, "info").CombinedOutput(); err != nil {
			tb.Fatalf("docker is installed but does not answer after .ci/start-runtimes: %v\n%s", err, out)
		}
	}
	return cli
}

// startRuntimes runs the repository's .ci/start-runtimes.
func startRuntimes(tb testing.TB) {
	tb.Helper()
	dir, _ := os.Getwd()
	for ; dir != "/"; dir = filepath.Dir(dir) {
		script := filepath.Join(dir, ".ci", "start-runtimes")
		if _, err := os.Stat(script); err == nil {
			out, err := exec.Command(script).CombinedOutput()
			tb.Logf("started the container daemons: %s", out)
			if err != nil {
				tb.Fatalf("%s: %v", script, err)
			}
			return
		}
	}
	tb.Fatal("no .ci/start-runtimes above the test's directory")
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

// BusyboxRootfs makes a root filesystem in dir of busybox-static with the
// applets linked, /etc and the mount points a runtime needs.
func BusyboxRootfs(tb testing.TB, dir string, applets ...string) {
	tb.Helper()
	bin, err := os.ReadFile("/bin/busybox")
	if err != nil {
		tb.Skip("needs busybox-static (make deps installs it as root)")
	}
	for _, d := range []string{"bin", "etc", "proc", "sys", "dev", "tmp", "run"} {
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
