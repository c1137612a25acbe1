package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nscope/nscope/inspect"
)

// runtimeFixture is the runtimes' captured state (docker, containerd,
// podman, runc, crun, LXC, machined) from inspect/runtimes/testdata.
var runtimeFixture = filepath.Join("..", "..", "inspect", "runtimes", "testdata", "host")

// hostileRuntimeTree is a docker data root holding one container whose
// name, image and compose project carry terminal escapes and a bidi
// override, as anyone who can run "docker run --name" can choose.
func hostileRuntimeTree(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	id := strings.Repeat("ab", 32)
	dir := filepath.Join(root, "var", "lib", "docker", "containers", id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]any{
		"ID": id, "Name": "/evil\x1b]0;pwned\x07\x1b[31mred", "Created": time.Now(),
		"State":  map[string]any{"Running": true, "Pid": 999999999},
		"Config": map[string]any{"Image": "img\u202etxt.exe", "Labels": map[string]string{"com.docker.compose.project": "p\u009bq"}},
	}
	data, err := json.Marshal(cfg)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "config.v2.json"), data, 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestContainersCLIFixture(t *testing.T) {
	out, errOut, err := runInspectCLI(t, "containers", "--all", "--runtime-root", runtimeFixture)
	if err != nil {
		t.Fatalf("nscope containers: %v\n%s", err, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[0], "NAME ") || !strings.Contains(lines[0], "SHARED") {
		t.Errorf("header %q", lines[0])
	}
	rows := map[string][]string{}
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		rows[f[0]+" "+f[1]] = f
	}
	for _, want := range [][]string{
		{"nsct-explore", "docker", "nscope-ct/busybox", "compose:shop"},
		{"api", "containerd", "registry.local/api:1.4", "prod/api-7f9"},
		{"api-7f9", "containerd", "-", "prod/api-7f9"},
		{"nsct-pa", "podman", "localhost/nscope-ct/busybox:latest", "nsct-pod"},
		{"nsct-lxc", "lxc", "busybox", "-"},
		{"nsct-runc", "runc", "-", "-"},
		{"nsct-crun", "crun", "-", "-"},
		{"nsct-machine", "nspawn", "/var/lib/machines/nsct-machine", "-"},
	} {
		got := rows[want[0]+" "+want[1]]
		if len(got) < 4 || strings.Join(got[:4], " ") != strings.Join(want, " ") {
			t.Errorf("row %v, want it to start %v:\n%s", got, want, out)
		}
	}

	out, _, err = runInspectCLI(t, "containers", "--all", "--json", "--runtime-root", runtimeFixture)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		SchemaVersion int                       `json:"schema_version"`
		Containers    []inspect.Container       `json:"containers"`
		Sources       []inspect.ContainerSource `json:"container_sources"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("--json output: %v\n%.400s", err, out)
	}
	found := map[string]inspect.Container{}
	for _, c := range doc.Containers {
		found[c.Runtime+":"+c.Name] = c
	}
	web := found["docker:nsct-explore"]
	if doc.SchemaVersion != inspect.SchemaVersion || web.Compose == nil || web.Compose.Project != "shop" || web.Limits.MemoryMax == nil || *web.Limits.MemoryMax != 64<<20 {
		t.Errorf("docker container in the JSON: %+v", web)
	}
	if api := found["containerd:api"]; api.Pod == nil || api.Pod.Namespace != "prod" || api.Pod.Name != "api-7f9" || api.Image != "registry.local/api:1.4" {
		t.Errorf("CRI container in the JSON: %+v", api)
	}
	if len(doc.Sources) < 5 {
		t.Errorf("container_sources: %+v", doc.Sources)
	}

	// Names as targets: one, and the errors for ambiguous and unknown.
	out, _, err = runInspectCLI(t, "containers", "--runtime-root", runtimeFixture, "pod/prod/api-7f9/api")
	if err != nil || !strings.Contains(out, "registry.local/api:1.4") {
		t.Errorf("nscope containers pod/prod/api-7f9/api: %v\n%s", err, out)
	}
	for _, tc := range []struct{ query, want string }{
		{"pod/nsct-pod", `"pod/nsct-pod" names 2 containers: podman:nsct-pa, podman:nsct-pb`},
		{"nope", `no container "nope" (looked at docker (1), containerd (2), podman (3), runc (1), crun (1), lxc (1), nspawn (1), and at cgroup paths)`},
		{"pod/a/b/c/d", "too many parts"},
	} {
		_, _, err := runInspectCLI(t, "containers", "--runtime-root", runtimeFixture, tc.query)
		var usage *usageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("nscope containers %s: %v; want a usage error (exit 2) saying %q", tc.query, err, tc.want)
		}
	}
	if _, _, err := runInspectCLI(t, "containers", "--sample", "-1s"); err == nil {
		t.Error("a negative --sample was accepted")
	}
}

// TestContainersCLIEscapes: host strings reach the terminal escaped and
// the JSON with their exact bytes.
func TestContainersCLIEscapes(t *testing.T) {
	root := hostileRuntimeTree(t)
	out, _, err := runInspectCLI(t, "containers", "--all", "--runtime-root", root)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"\x1b", "\x07", "\u202e", "\u009b"} {
		if strings.Contains(out, bad) {
			t.Errorf("the table passes %q to the terminal:\n%q", bad, out)
		}
	}
	for _, want := range []string{`evil\e]0;pwned\a\e[31mred`, `img\u202etxt.exe`, `compose:p\u009bq`} {
		if !strings.Contains(out, want) {
			t.Errorf("the table does not show %s:\n%s", want, out)
		}
	}
	out, _, err = runInspectCLI(t, "containers", "--all", "--json", "--runtime-root", root)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Containers []inspect.Container }
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	// The host's own running containers are there too, named by their
	// cgroups (the runtime root is the test's).
	var c inspect.Container
	for _, x := range doc.Containers {
		if x.ID == strings.Repeat("ab", 32) {
			c = x
		}
	}
	if c.Name != "evil\x1b]0;pwned\x07\x1b[31mred" || c.Image != "img\u202etxt.exe" || c.RuntimePID != 999999999 || c.InitPID != 0 {
		t.Errorf("JSON container %+v", c)
	}
	// The query is hostile too: refused with its escapes visible.
	_, _, err = runInspectCLI(t, "containers", "--runtime-root", root, "a\x1b[2Jb")
	if err == nil || strings.Contains(err.Error(), "\x1b") {
		t.Errorf("a query with an escape: %q", err)
	}
}

// TestContainersCLISeesRunLaunch: a command launched with "nscope run" is
// a container named after its cgroup, its init the nscope-init process.
func TestContainersCLISeesRunLaunch(t *testing.T) {
	needRootCLI(t)
	parent := cliCgroupParent(t)
	name := fmt.Sprintf("ctrtest-%d", os.Getpid())
	cmd := exec.Command(nscopeBinary(t), "run", "--yes", "--cgroup-parent", parent, "--name", name, "--", "/bin/sleep", "60")
	cmd.Env = append(os.Environ(), "NSCOPE_STATE_DIR="+t.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var runOut strings.Builder
	cmd.Stdout, cmd.Stderr = &runOut, &runOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	var initPID int
	deadline := time.Now().Add(10 * time.Second)
	for initPID == 0 && time.Now().Before(deadline) {
		// Any of nscope's threads may have forked it.
		var kids []string
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", cmd.Process.Pid))
		for _, task := range tasks {
			data, _ := os.ReadFile(task)
			kids = append(kids, strings.Fields(string(data))...)
		}
		for _, f := range kids {
			pid, _ := strconv.Atoi(f)
			if argv, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); strings.HasPrefix(string(argv), "nscope-init\x00") {
				initPID = pid
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if initPID == 0 {
		t.Fatalf("no nscope-init under nscope run (pid %d): %s", cmd.Process.Pid, runOut.String())
	}
	var c inspect.Container
	for time.Now().Before(deadline) {
		res := runNscope(t, "", "containers", "--json", "nscope:"+name)
		var doc struct{ Containers []inspect.Container }
		if res.code == 0 && json.Unmarshal([]byte(res.stdout), &doc) == nil && len(doc.Containers) == 1 {
			c = doc.Containers[0]
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if c.Name != name || c.InitPID != initPID || c.State != "running" || c.Source != fmt.Sprintf("process %d (nscope-init)", initPID) {
		t.Errorf("nscope run launch: %+v; want %s with init %d", c, name, initPID)
	}
	if sh := sharedTypes(c); strings.Contains(sh, "pid") || strings.Contains(sh, "net") {
		t.Errorf("the launch shares %s with the host; nscope run makes new pid and net namespaces", sh)
	}
}

func sharedTypes(c inspect.Container) string {
	var out []string
	for _, s := range c.Shared {
		out = append(out, s.Type.String())
	}
	return strings.Join(out, ",")
}
