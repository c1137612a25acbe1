package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/internal/testutil"
)

// nscope enter on a container must match the runtime's own exec on what
// the process is and may do: these tests run the same script both ways
// and compare, against real docker, podman (with runc) and runc.

// identityScript prints what a process inside is: every cgroup line, the
// user and groups, the capability, no_new_privs and seccomp lines of its
// status, its environment (without what the shell itself adds) and its
// namespace links.
const identityScript = `cat /proc/self/cgroup; id; grep -E '^(Cap|NoNewPrivs|Seccomp)' /proc/self/status; ` +
	`env | grep -v -E '^(PWD|SHLVL|_)=' | sort; ` +
	`for t in mnt pid net ipc uts user cgroup time; do echo "ns $t $(readlink /proc/self/ns/$t)"; done`

// busyboxApplets are linked in the test images.
var busyboxApplets = []string{"sh", "cat", "env", "id", "grep", "sort", "readlink", "dd", "sleep", "mkdir", "ps"}

// cmdResult is a command's output and exit code.
type cmdResult struct {
	stdout, stderr string
	code           int
}

// runCmd runs a command with extra environment; a failure to start fails
// the test, an exit code is returned.
func runCmd(t *testing.T, env []string, name string, args ...string) cmdResult {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cmdResult{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return res
}

// execCompare runs identityScript with the runtime's exec and with nscope
// enter on pid, and returns both outputs.
func execCompare(t *testing.T, env []string, runtimeExec []string, pid int) (exec, enter string) {
	t.Helper()
	r := runCmd(t, env, runtimeExec[0], append(runtimeExec[1:], "/bin/sh", "-c", identityScript)...)
	if r.code != 0 {
		t.Fatalf("%v: exit %d: %s", runtimeExec, r.code, r.stderr)
	}
	n := runNscope(t, "", "enter", strconv.Itoa(pid), "--", "/bin/sh", "-c", identityScript)
	if n.code != 0 {
		t.Fatalf("nscope enter %d: exit %d: %s", pid, n.code, n.stderr)
	}
	if n.stderr != "" {
		t.Errorf("nscope enter warned where the runtime's exec applies everything: %s", n.stderr)
	}
	return r.stdout, n.stdout
}

// checkIdentity compares the two outputs, section by section, and checks
// that they show a confined process, so that two equally wrong answers
// cannot pass: want lists status lines both must have.
func checkIdentity(t *testing.T, execOut, enterOut string, want ...string) {
	t.Helper()
	if diff := cmp.Diff(strings.Split(execOut, "\n"), strings.Split(enterOut, "\n")); diff != "" {
		t.Errorf("nscope enter differs from the runtime's exec (-exec +enter):\n%s", diff)
	}
	for _, w := range want {
		if !strings.Contains(enterOut, w+"\n") {
			t.Errorf("inside nscope enter: no line %q in\n%s", w, enterOut)
		}
	}
	hierarchies := 0
	for _, line := range strings.Split(enterOut, "\n") {
		if parts := strings.SplitN(line, ":", 3); len(parts) == 3 && parts[0] >= "0" && parts[0] <= "9" {
			hierarchies++
		}
	}
	if hierarchies < 2 {
		t.Errorf("inside nscope enter: %d cgroup lines, want one per hierarchy of this host", hierarchies)
	}
}

// checkOOM allocates 200 MiB against a 64 MiB limit with the runtime's
// exec and with nscope enter: both must be OOM-killed (137).
func checkOOM(t *testing.T, env []string, runtimeExec []string, pid int) {
	t.Helper()
	dd := []string{"dd", "if=/dev/zero", "of=/dev/null", "bs=200M", "count=1"}
	r := runCmd(t, env, runtimeExec[0], append(runtimeExec[1:], dd...)...)
	n := runNscope(t, "", append([]string{"enter", strconv.Itoa(pid), "--"}, dd...)...)
	if r.code != 137 || n.code != 137 {
		t.Errorf("200M over a 64M limit: the runtime's exec exited %d, nscope enter %d (%s); want both OOM-killed, 137", r.code, n.code, n.stderr)
	}
}

func TestEnterLikeDockerExec(t *testing.T) {
	cli := testutil.RequireDocker(t)
	name := testutil.DockerRun(t, cli, "nscope-enter", busyboxApplets, []string{"--user", "65534", "--memory", "64m"}, "sleep", "1000")
	pid, _ := strconv.Atoi(testutil.RunEnv(t, nil, cli, "inspect", "-f", "{{.State.Pid}}", name))
	docker := []string{cli, "exec", name}

	t.Run("identity", func(t *testing.T) {
		execOut, enterOut := execCompare(t, nil, docker, pid)
		checkIdentity(t, execOut, enterOut, "uid=65534 gid=0 groups=0", "CapEff:\t0000000000000000", "NoNewPrivs:\t0", "Seccomp:\t2")
		if !strings.Contains(enterOut, "memory:/docker/") {
			t.Errorf("not in docker's memory cgroup:\n%s", enterOut)
		}
	})
	t.Run("OOM-killed over the memory limit", func(t *testing.T) { checkOOM(t, nil, docker, pid) })
	t.Run("docker top lists the entered command", func(t *testing.T) {
		cmd := exec.Command(nscopeBinary(t), "enter", strconv.Itoa(pid), "--", "sleep", "31")
		cmd.Env = append(os.Environ(), "NSCOPE_STATE_DIR="+t.TempDir())
		testutil.StartGroup(t, cmd)
		testutil.WaitFor(t, "docker top to list sleep 31", func() bool {
			out, _ := exec.Command(cli, "top", name).CombinedOutput()
			return strings.Contains(string(out), "sleep 31")
		})
	})
	t.Run("privileged", func(t *testing.T) {
		n := runNscope(t, "", "enter", strconv.Itoa(pid), "--privileged", "--", "/bin/sh", "-c", identityScript)
		ours := statusLine(t, "CapEff")
		if n.code != 0 || !strings.Contains(n.stdout, "uid=0 gid=0") || !strings.Contains(n.stdout, ours+"\n") || !strings.Contains(n.stdout, "Seccomp:\t0\n") {
			t.Errorf("--privileged: exit %d, want root with nscope's %q and no seccomp:\n%s%s", n.code, ours, n.stdout, n.stderr)
		}
		if !strings.Contains(n.stderr, "warning: --privileged") {
			t.Errorf("--privileged printed no warning: %q", n.stderr)
		}
	})
	t.Run("host tools", func(t *testing.T) {
		testutil.RequireTools(t, "ps", "ip")
		n := runNscope(t, "", "enter", strconv.Itoa(pid), "--host-tools", "--", "/bin/sh", "-c",
			`ps -e -o pid=,comm=; echo --; ip -o link show | cut -d: -f2`)
		procs, links, _ := strings.Cut(n.stdout, "--\n")
		if n.code != 0 || !strings.HasPrefix(strings.TrimSpace(procs), "1 sleep") {
			t.Fatalf("host tools: exit %d, ps -e:\n%s%s", n.code, n.stdout, n.stderr)
		}
		for _, l := range strings.Split(strings.TrimSpace(procs), "\n") {
			f := strings.Fields(l)
			if len(f) != 2 || (f[1] != "sleep" && f[1] != "sh" && f[1] != "ps") {
				t.Errorf("ps -e inside --host-tools lists %q, not a process of the container", l)
			}
		}
		if got := strings.Fields(links); len(got) != 1 || got[0] != "lo" {
			t.Errorf("ip link inside --host-tools shows %v, want the container's only interface, lo (--network none)", got)
		}
	})
}

// statusLine returns our own "Key:\tvalue" line of /proc/self/status.
func statusLine(t *testing.T, key string) string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, key+":") {
			return l
		}
	}
	t.Fatalf("no %s in /proc/self/status", key)
	return ""
}

func TestEnterLikePodmanExec(t *testing.T) {
	env := testutil.PodmanEnv(t)
	name := testutil.UniqueName("nscope-enter")
	img := "localhost/nscope-enter/busybox:" + name[len("nscope-enter-"):]
	testutil.ImportBusybox(t, "podman", img, env, busyboxApplets...)
	t.Cleanup(func() {
		c := exec.Command("podman", "rm", "-f", "-t", "0", name)
		c.Env = append(os.Environ(), env...)
		_ = c.Run()
	})
	testutil.RunEnv(t, env, "podman", "run", "-d", "--name", name, "--network", "none", "--memory", "64m", img, "sleep", "1000")
	pid, _ := strconv.Atoi(testutil.RunEnv(t, env, "podman", "inspect", "-f", "{{.State.Pid}}", name))
	podman := []string{"podman", "exec", name}
	execOut, enterOut := execCompare(t, env, podman, pid)
	// podman exec gives the container's configured environment, where its
	// init also has HOSTNAME; nscope takes the target's environment.
	hostname := ""
	for _, l := range strings.Split(enterOut, "\n") {
		if strings.HasPrefix(l, "HOSTNAME=") {
			hostname = l + "\n"
		}
	}
	if hostname == "" || strings.Contains(execOut, hostname) {
		t.Errorf("expected podman exec to lack the init's HOSTNAME and nscope enter to have it:\nexec:\n%s\nenter:\n%s", execOut, enterOut)
	}
	checkIdentity(t, execOut, strings.Replace(enterOut, hostname, "", 1), "uid=0 gid=0", "CapEff:\t00000000a80425fb", "NoNewPrivs:\t0", "Seccomp:\t2")
	checkOOM(t, env, podman, pid)
}

func TestEnterLikeRuncExec(t *testing.T) {
	testutil.RequireRoot(t, "runs a runc container")
	testutil.RequireTools(t, "runc")
	bundle := t.TempDir()
	testutil.BusyboxRootfs(t, filepath.Join(bundle, "rootfs"), busyboxApplets...)
	testutil.RunEnv(t, nil, "runc", "spec", "--bundle", bundle)
	var spec map[string]any
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil || json.Unmarshal(data, &spec) != nil {
		t.Fatalf("runc spec: %v", err)
	}
	proc := spec["process"].(map[string]any)
	proc["terminal"] = false
	proc["args"] = []string{"sleep", "1000"}
	linux := spec["linux"].(map[string]any)
	linux["resources"] = map[string]any{"memory": map[string]any{"limit": 64 << 20}}
	// A filter with no_new_privs (runc's default): mkdir is refused, so
	// the copy shows in what the command may do.
	linux["seccomp"] = map[string]any{"defaultAction": "SCMP_ACT_ALLOW", "architectures": []string{"SCMP_ARCH_X86_64"},
		"syscalls": []any{map[string]any{"names": []string{"mkdir", "mkdirat"}, "action": "SCMP_ACT_ERRNO", "errnoRet": 1}}}
	data, _ = json.Marshal(spec)
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	id := testutil.UniqueName("nscope-enter")
	t.Cleanup(func() { _ = exec.Command("runc", "delete", "-f", id).Run() })
	// The container keeps runc's stdio: a file, not a pipe that would
	// stay open as long as it runs.
	logf, err := os.Create(filepath.Join(t.TempDir(), "runc.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	run := exec.Command("runc", "run", "-d", "--bundle", bundle, id)
	run.Stdout, run.Stderr = logf, logf
	if err := run.Run(); err != nil {
		out, _ := os.ReadFile(logf.Name())
		t.Fatalf("runc run: %v\n%s", err, out)
	}
	var state struct{ Pid int }
	if err := json.Unmarshal([]byte(testutil.RunEnv(t, nil, "runc", "state", id)), &state); err != nil || state.Pid == 0 {
		t.Fatalf("runc state: %v", err)
	}
	runc := []string{"runc", "exec", id}
	execOut, enterOut := execCompare(t, nil, runc, state.Pid)
	checkIdentity(t, execOut, enterOut, "uid=0 gid=0", "CapEff:\t0000000020000420", "NoNewPrivs:\t1", "Seccomp:\t2")
	mk := runNscope(t, "", "enter", strconv.Itoa(state.Pid), "--", "mkdir", "/tmp/x")
	if mk.code == 0 || !strings.Contains(mk.stderr+mk.stdout, "Operation not permitted") {
		t.Errorf("mkdir under the copied filter: exit %d, %q; want refused with EPERM as in runc exec", mk.code, mk.stderr)
	}
	checkOOM(t, nil, runc, state.Pid)
}
