package inspect

import (
	"encoding/json"
	"fmt"
	"github.com/nscope/nscope/internal/testutil"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The live container tests start uniquely named containers with the real
// runtimes and compare what the scan found with the runtime's own
// inspect or state output and with the kernel's /proc files. Each removes
// what it made, also when it fails.

// tagOf makes an image tag of a unique name.
func tagOf(u string) string { return strings.ReplaceAll(u, "nscope-ct-", "t") }

func TestLiveDockerContainers(t *testing.T) {
	cli := requireDocker(t)
	u := testutil.UniqueName("nscope-ct")
	img := "nscope-ct/busybox:" + tagOf(u)
	importImage(t, cli, img)
	web, db := u+"-web", u+"-db"
	t.Cleanup(func() { _ = exec.Command(cli, "rm", "-f", "-v", db, web).Run() })
	// A compose-style pair (labels only: no compose binary): db shares
	// web's network namespace and the host's pid namespace.
	project := "com.docker.compose.project=" + u
	testutil.Run(t, cli, "run", "-d", "--name", web, "--network", "none", "--cpus", "0.5", "-m", "64m", "--pids-limit", "50",
		"-l", project, "-l", "com.docker.compose.service=web", img, "sleep", "600")
	testutil.Run(t, cli, "run", "-d", "--name", db, "--network", "container:"+web, "--pid", "host",
		"-l", project, "-l", "com.docker.compose.service=db", img, "sleep", "601")
	testutil.Run(t, cli, "exec", "-d", web, "sleep", "602")
	var execPID int
	snap := scanUntil(t, "both containers and the exec'd process", func(s *Snapshot) bool {
		execPID = 0
		for i := range s.Processes {
			if strings.Join(s.Processes[i].Cmdline, " ") == "sleep 602" {
				execPID = s.Processes[i].PID
			}
		}
		return running("docker", web)(s) && running("docker", db)(s) && execPID != 0
	})

	type dockerInspect struct {
		ID     string `json:"Id"`
		Name   string
		Config struct {
			Image  string
			Labels map[string]string
		}
		State struct {
			Pid    int
			Status string
		}
		HostConfig struct {
			NanoCpus  int64
			Memory    int64
			PidsLimit int64
		}
	}
	ids := map[string]string{}
	for _, name := range []string{web, db} {
		var want dockerInspect
		inspectJSON(t, nil, &want, cli, "inspect", name)
		ids[name] = want.ID
		c := byName(snap, "docker", name)
		if c.ID != want.ID || "/"+c.Name != want.Name || c.Image != want.Config.Image || c.State != want.State.Status {
			t.Errorf("%s: id %s name %s image %s state %s; docker inspect: %s %s %s %s", name, c.ID, c.Name, c.Image, c.State,
				want.ID, want.Name, want.Config.Image, want.State.Status)
		}
		if c.Compose == nil || c.Compose.Project != want.Config.Labels["com.docker.compose.project"] || c.Compose.Service != want.Config.Labels["com.docker.compose.service"] {
			t.Errorf("%s: compose %+v, labels %v", name, c.Compose, want.Config.Labels)
		}
		checkKernelView(t, c, want.State.Pid)
		if name == web {
			l := c.Limits
			if l.CPUQuotaUS == nil || *l.CPUQuotaUS != want.HostConfig.NanoCpus*100000/1e9 || l.MemoryMax == nil || *l.MemoryMax != want.HostConfig.Memory ||
				l.PidsMax == nil || *l.PidsMax != want.HostConfig.PidsLimit {
				t.Errorf("%s: limits %s, docker inspect %+v", name, limitsText(l), want.HostConfig)
			}
		}
	}
	webC, dbC := byName(snap, "docker", web), byName(snap, "docker", db)
	if got := shared(webC, NetNS) + "|" + shared(webC, PIDNS); got != "|" {
		t.Errorf("%s shares net|pid %q, want none", web, got)
	}
	if got := shared(dbC, NetNS) + "|" + shared(dbC, PIDNS); got != "docker:"+ids[web]+"|host" {
		t.Errorf("%s shares net|pid %q, want docker:%s|host", db, got, ids[web])
	}
	if n := snap.Namespace(webC.Namespaces[NetNS]); n == nil || n.Container != webC.Ref() {
		t.Errorf("%s's network namespace is marked %+v", web, n)
	}
	if p := snap.Process(execPID); p.Container != webC.Ref() {
		t.Errorf("docker exec'd process %d is in %v, want %v", execPID, p.Container, webC.Ref())
	}
	if len(snap.ContainerCgroups(webC)) < len(webC.Cgroups) {
		t.Errorf("%s: %d cgroups marked for %d hierarchies", web, len(snap.ContainerCgroups(webC)), len(webC.Cgroups))
	}
	for _, q := range []string{web, "docker:" + web, ids[web][:12], "moby:" + web} {
		if c, err := snap.ResolveContainer(q); err != nil || c.ID != ids[web] {
			t.Errorf("ResolveContainer(%q) = %v, %v", q, c, err)
		}
	}

	// docker pause: docker's own word, which it keeps in config.v2.json.
	testutil.Run(t, cli, "pause", web)
	scanUntil(t, web+" paused", func(s *Snapshot) bool { c := byName(s, "docker", web); return c != nil && c.State == "paused" })
	var paused dockerInspect
	inspectJSON(t, nil, &paused, cli, "inspect", web)
	if paused.State.Status != "paused" {
		t.Errorf("docker inspect says %s after docker pause", paused.State.Status)
	}
	testutil.Run(t, cli, "unpause", web)
}

// podmanEnv points podman at a test-owned containers.conf: the runc
// runtime (crun refuses hybrid cgroups), explicit ulimits (the bounding
// set may lack CAP_SYS_RESOURCE), cgroupfs (no systemd), file events.
func podmanEnv(t *testing.T) []string {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "containers.conf")
	err := os.WriteFile(conf, []byte(`[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	return []string{"CONTAINERS_CONF=" + conf}
}

func TestLivePodmanPod(t *testing.T) {
	testutil.RequireRoot(t, "reads container runtimes")
	testutil.RequireTools(t, "podman", "runc", "catatonit")
	env := podmanEnv(t)
	u := testutil.UniqueName("nscope-ct")
	img := "localhost/nscope-ct/busybox:" + tagOf(u)
	importImage(t, "podman", img, env...)
	pod, a, b := u+"-pod", u+"-a", u+"-b"
	var podCgroup string
	var ctrIDs []string
	t.Cleanup(func() {
		c := exec.Command("podman", "pod", "rm", "-f", "-t", "0", pod)
		c.Env = append(os.Environ(), env...)
		_ = c.Run()
		// podman leaves the pod's cgroup in the hierarchies it does not
		// manage (name=systemd, the empty v2 tree of a hybrid host), and
		// the "podman container cleanup" conmon runs at each exit makes it
		// again: wait for those to finish first.
		if podCgroup == "" {
			return
		}
		podID := filepath.Base(podCgroup)
		for range 100 {
			if !anyProcessMentions(append([]string{podID}, ctrIDs...)...) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		for _, h := range New().Layout().Hierarchies {
			for _, d := range []string{"conmon", ""} {
				dir := filepath.Join(h.Mount, podCgroup, d)
				for range 50 { // conmon may still be leaving it
					if err := syscall.Rmdir(dir); err == nil || err == syscall.ENOENT {
						break
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		}
	})
	runEnv(t, env, "podman", "pod", "create", "--name", pod, "--network", "none")
	runEnv(t, env, "podman", "run", "-d", "--pod", pod, "--name", a, img, "sleep", "600")
	runEnv(t, env, "podman", "run", "-d", "--pod", pod, "--name", b, img, "sleep", "601")
	var podInfo struct {
		ID         string `json:"Id"`
		Name       string
		Infra      string `json:"InfraContainerID"`
		CgroupPath string
	}
	inspectJSON(t, env, &podInfo, "podman", "pod", "inspect", pod)
	podCgroup = podInfo.CgroupPath
	snap := scanUntil(t, "the pod's three containers", func(s *Snapshot) bool {
		infra := s.Container(ContainerRef{"podman", podInfo.Infra})
		return running("podman", a)(s) && running("podman", b)(s) && infra != nil && infra.InitPID != 0
	})
	infraRef := ContainerRef{"podman", podInfo.Infra}
	for _, name := range []string{a, b, podInfo.Infra} {
		var want struct {
			ID        string `json:"Id"`
			Name      string
			ImageName string
			Pod       string
			IsInfra   bool
			State     struct {
				Pid    int
				Status string
			}
		}
		inspectJSON(t, env, &want, "podman", "inspect", name)
		ctrIDs = append(ctrIDs, want.ID)
		c := snap.Container(ContainerRef{"podman", want.ID})
		if c == nil {
			t.Fatalf("no podman container %s", want.ID)
		}
		if c.Name != want.Name || c.Image != want.ImageName || c.Infra != want.IsInfra || c.State != want.State.Status {
			t.Errorf("%s: name %s image %s infra %v state %s; podman inspect: %s %s %v %s", name, c.Name, c.Image, c.Infra, c.State,
				want.Name, want.ImageName, want.IsInfra, want.State.Status)
		}
		if c.Pod == nil || c.Pod.Name != podInfo.Name || c.Pod.ID != want.Pod || c.Pod.Cgroup != podInfo.CgroupPath {
			t.Errorf("%s: pod %+v; podman pod inspect: %s %s %s", name, c.Pod, podInfo.Name, podInfo.ID, podInfo.CgroupPath)
		}
		checkKernelView(t, c, want.State.Pid)
		wantShare := "podman:" + podInfo.Infra
		if want.IsInfra {
			wantShare = ""
		}
		for _, typ := range []NSType{NetNS, IPCNS, UTSNS} {
			if got := shared(c, typ); got != wantShare {
				t.Errorf("%s shares %s with %q, want %q", name, typ, got, wantShare)
			}
		}
		if got := shared(c, PIDNS); got != "" {
			t.Errorf("%s shares its pid namespace with %q", name, got)
		}
	}
	if n := snap.Namespace(snap.Container(infraRef).Namespaces[NetNS]); n == nil || n.Container != infraRef {
		t.Errorf("the pod's network namespace is marked %+v, want the infra container", n)
	}
	if c, err := snap.ResolveContainer("pod/" + pod + "/" + b); err != nil || c.Name != b {
		t.Errorf("ResolveContainer(pod/%s/%s) = %v, %v", pod, b, c, err)
	}
	if p, err := snap.ResolvePod("pod/" + pod); err != nil || len(p.Containers) != 3 || p.Containers[0].Ref() != infraRef {
		t.Errorf("ResolvePod = %+v, %v", p, err)
	}
}

// runcBundle writes an OCI bundle of busybox running args, in no network
// namespace of its own, with cgroupsPath relative to the test's own
// cgroups.
func runcBundle(t *testing.T, cgroup string, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	busyboxRootfs(t, filepath.Join(dir, "rootfs"))
	cmd := exec.Command("runc", "spec")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v\n%s", err, out)
	}
	var spec map[string]any
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err == nil {
		err = json.Unmarshal(data, &spec)
	}
	if err != nil {
		t.Fatal(err)
	}
	proc := spec["process"].(map[string]any)
	proc["terminal"] = false
	proc["args"] = args
	linux := spec["linux"].(map[string]any)
	linux["cgroupsPath"] = cgroup
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
		t.Fatal(err)
	}
	return dir
}

func TestLiveRunc(t *testing.T) {
	testutil.RequireRoot(t, "reads container runtimes")
	testutil.RequireTools(t, "runc")
	id := testutil.UniqueName("nscope-ct")
	bundle := runcBundle(t, id, "sleep", "600")
	t.Cleanup(func() { _ = exec.Command("runc", "delete", "-f", id).Run() })
	// The container inherits runc's stdio: a file, not a pipe that would
	// stay open as long as it runs.
	logPath := filepath.Join(t.TempDir(), "runc.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command("runc", "run", "-d", "--bundle", bundle, id)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Run(); err != nil {
		out, _ := os.ReadFile(logPath)
		t.Fatalf("runc run: %v\n%s", err, out)
	}
	type runcState struct {
		PID    int `json:"pid"`
		Status string
		Bundle string
	}
	var want runcState
	inspectJSON(t, nil, &want, "runc", "state", id)
	snap := scanUntil(t, "the runc container", running("runc", id))
	c := byName(snap, "runc", id)
	if c.State != want.Status || c.ID != id {
		t.Errorf("runc container state %s id %s; runc state: %s", c.State, c.ID, want.Status)
	}
	checkKernelView(t, c, want.PID)
	if got := shared(c, NetNS); got != "host" {
		t.Errorf("runc container shares net with %q, want host", got)
	}
	for _, pc := range c.Cgroups {
		if pc.Path != "/" && !strings.HasSuffix(pc.Path, "/"+id) {
			t.Errorf("cgroup %+v is not the relative cgroupsPath %s", pc, id)
		}
	}

	// runc pause freezes the cgroup and records nothing: "paused" comes
	// from the freezer, as runc state itself derives it.
	testutil.Run(t, "runc", "pause", id)
	scanUntil(t, "the runc container paused", func(s *Snapshot) bool { c := byName(s, "runc", id); return c != nil && c.State == "paused" })
	inspectJSON(t, nil, &want, "runc", "state", id)
	if want.Status != "paused" {
		t.Errorf("runc state says %s after runc pause", want.Status)
	}
	testutil.Run(t, "runc", "resume", id)
	testutil.Run(t, "runc", "kill", id, "KILL")
	scanUntil(t, "the runc container stopped", func(s *Snapshot) bool { c := byName(s, "runc", id); return c != nil && c.State == "stopped" })
}

// TestLiveContainerdCRI runs a pod sandbox and an app container in it
// with ctr, carrying the annotations containerd's CRI plugin writes, the
// app joined to the sandbox's network and IPC namespaces as kubelet asks.
func TestLiveContainerdCRI(t *testing.T) {
	requireContainerd(t)
	u := testutil.UniqueName("nscope-ct")
	ns := u // a containerd namespace of the test's own
	rootfs := filepath.Join(t.TempDir(), "rootfs")
	busyboxRootfs(t, rootfs)
	sandbox, app := "sandbox", "app"
	const uid = "0b5c2a1e-8a7d-4e61-9d5f-1c2b3a4d5e6f"
	t.Cleanup(func() {
		for _, id := range []string{app, sandbox} {
			_ = exec.Command("ctr", "-n", ns, "task", "kill", "-s", "KILL", id).Run()
			for range 50 {
				if exec.Command("ctr", "-n", ns, "task", "delete", id).Run() != nil {
					if out, _ := exec.Command("ctr", "-n", ns, "task", "ls", "-q").Output(); !strings.Contains(string(out), id) {
						break
					}
				}
				time.Sleep(100 * time.Millisecond)
			}
			_ = exec.Command("ctr", "-n", ns, "container", "delete", id).Run()
		}
		_ = exec.Command("ctr", "namespace", "remove", ns).Run()
		// containerd removes the tasks' cgroups, not the parent we named.
		for _, h := range New().Layout().Hierarchies {
			for _, d := range []string{app, sandbox, ""} {
				_ = syscall.Rmdir(filepath.Join(h.Mount, u, d))
			}
		}
	})
	ann := func(kv ...string) []string {
		var out []string
		for _, a := range kv {
			out = append(out, "--annotation", a)
		}
		return out
	}
	pod := []string{"io.kubernetes.cri.sandbox-id=" + sandbox, "io.kubernetes.cri.sandbox-name=api-7f9",
		"io.kubernetes.cri.sandbox-namespace=" + u, "io.kubernetes.cri.sandbox-uid=" + uid}
	// The cgroups are a uniquely named subtree of each hierarchy's root
	// (ctr names one cgroupsPath for every hierarchy).
	args := append([]string{"-n", ns, "run", "-d", "--cgroup", "/" + u + "/" + sandbox}, ann(append(pod, "io.kubernetes.cri.container-type=sandbox")...)...)
	testutil.Run(t, "ctr", append(args, "--rootfs", rootfs, sandbox, "/bin/sleep", "600")...)
	var sandboxPID int
	testutil.WaitFor(t, "the sandbox's task", func() bool {
		out, _ := exec.Command("ctr", "-n", ns, "task", "ls").Output()
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) >= 3 && f[0] == sandbox && f[2] == "RUNNING" {
				sandboxPID, _ = strconv.Atoi(f[1])
			}
		}
		return sandboxPID > 0
	})
	args = append([]string{"-n", ns, "run", "-d", "--cgroup", "/" + u + "/" + app,
		"--with-ns", fmt.Sprintf("network:/proc/%d/ns/net", sandboxPID), "--with-ns", fmt.Sprintf("ipc:/proc/%d/ns/ipc", sandboxPID)},
		ann(append(pod, "io.kubernetes.cri.container-type=container", "io.kubernetes.cri.container-name=api", "io.kubernetes.cri.image-name=registry.local/api:1.4")...)...)
	testutil.Run(t, "ctr", append(args, "--rootfs", rootfs, app, "/bin/sleep", "601")...)
	snap := scanUntil(t, "the CRI pod", func(s *Snapshot) bool {
		c := s.Container(ContainerRef{"containerd", app})
		return c != nil && c.InitPID != 0
	})
	pids := map[string]int{}
	out := testutil.Run(t, "ctr", "-n", ns, "task", "ls")
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 2 {
			pids[f[0]], _ = strconv.Atoi(f[1])
		}
	}
	sb, ap := snap.Container(ContainerRef{"containerd", sandbox}), snap.Container(ContainerRef{"containerd", app})
	if sb == nil || !sb.Infra || sb.Name != "api-7f9" || ap.Name != "api" || ap.Image != "registry.local/api:1.4" || ap.RuntimeNamespace != ns {
		t.Fatalf("sandbox %+v, app %+v", sb, ap)
	}
	if ap.Pod == nil || ap.Pod.Name != "api-7f9" || ap.Pod.Namespace != u || ap.Pod.UID != uid || ap.Pod.ID != sandbox {
		t.Errorf("app's pod %+v", ap.Pod)
	}
	checkKernelView(t, sb, pids[sandbox])
	checkKernelView(t, ap, pids[app])
	if got := shared(ap, NetNS) + "|" + shared(ap, IPCNS) + "|" + shared(ap, UTSNS); got != "containerd:sandbox|containerd:sandbox|" {
		t.Errorf("app shares net|ipc|uts %q", got)
	}
	if c, err := snap.ResolveContainer("pod/" + u + "/api-7f9/api"); err != nil || c != ap {
		t.Errorf("ResolveContainer(pod/%s/api-7f9/api) = %v, %v", u, c, err)
	}
}

func TestLiveLXC(t *testing.T) {
	testutil.RequireRoot(t, "reads container runtimes")
	testutil.RequireTools(t, "lxc-create", "lxc-start", "lxc-info", "lxc-destroy")
	name := testutil.UniqueName("nscope-ct")
	conf := filepath.Join(t.TempDir(), "lxc.conf")
	if err := os.WriteFile(conf, []byte("lxc.net.0.type = empty\nlxc.apparmor.profile = unconfined\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("lxc-create", "-n", name, "-t", "busybox", "-f", conf).CombinedOutput(); err != nil {
		t.Skipf("lxc-create -t busybox does not work here: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		_ = exec.Command("lxc-stop", "-n", name, "-k").Run()
		_ = exec.Command("lxc-destroy", "-n", name, "-f").Run()
	})
	testutil.Run(t, "lxc-start", "-n", name, "-d")
	lxcInfo := func() (state string, pid int) {
		for _, line := range strings.Split(testutil.Run(t, "lxc-info", "-n", name, "-s", "-p"), "\n") {
			k, v, _ := strings.Cut(line, ":")
			switch strings.TrimSpace(k) {
			case "State":
				state = strings.TrimSpace(v)
			case "PID":
				pid, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		return state, pid
	}
	snap := scanUntil(t, "the LXC container", running("lxc", name))
	state, pid := lxcInfo()
	c := byName(snap, "lxc", name)
	if state != "RUNNING" || c.State != "running" || c.Image != "busybox" {
		t.Errorf("lxc-info says %s; scan: state %s image %s", state, c.State, c.Image)
	}
	checkKernelView(t, c, pid)
	procs := snap.ContainerProcesses(c)
	if len(procs) < 2 {
		t.Errorf("%d processes in the LXC container (init and its getty/syslogd expected)", len(procs))
	}
	testutil.Run(t, "lxc-freeze", "-n", name)
	scanUntil(t, "the LXC container frozen", func(s *Snapshot) bool { c := byName(s, "lxc", name); return c != nil && c.State == "paused" })
	if state, _ = lxcInfo(); state != "FROZEN" {
		t.Errorf("lxc-info says %s after lxc-freeze", state)
	}
	testutil.Run(t, "lxc-unfreeze", "-n", name)
}

// TestLiveNspawn runs systemd-nspawn as it must run without systemd
// (--register=no --keep-unit) from a uniquely named cgroup, where it
// makes its supervisor and payload cgroups.
func TestLiveNspawn(t *testing.T) {
	testutil.RequireRoot(t, "reads container runtimes")
	testutil.RequireTools(t, "systemd-nspawn")
	name := testutil.UniqueName("nscope-ct")
	root := filepath.Join(t.TempDir(), "root")
	busyboxRootfs(t, root)
	// nspawn makes its supervisor and payload cgroups beneath its own in
	// the hierarchies systemd would manage: the v2 tree, and on hybrid
	// and legacy hosts name=systemd too. It starts in a uniquely named
	// cgroup in each (the test's own is the root there).
	var dirs []string
	for _, h := range New().Layout().Hierarchies {
		if h.Name == "systemd" || h.Version == 2 {
			dirs = append(dirs, filepath.Join(h.Mount, name))
		}
	}
	if len(dirs) == 0 {
		t.Skip("no name=systemd or cgroup2 hierarchy for nspawn's cgroups")
	}
	script := ""
	for _, d := range dirs {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		script += fmt.Sprintf("echo $$ > %s/cgroup.procs && ", d)
	}
	script += fmt.Sprintf("exec systemd-nspawn -q -D %s -M %s --register=no --keep-unit --private-network /bin/sleep 600", root, name)
	cmd := exec.Command("sh", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		for _, own := range dirs {
			for _, d := range []string{"payload", "supervisor", ""} {
				for range 50 {
					if err := syscall.Rmdir(filepath.Join(own, d)); err == nil || err == syscall.ENOENT {
						break
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		}
	})
	var init int
	testutil.WaitFor(t, "nspawn's container init", func() bool {
		for _, kid := range testutil.Children(cmd.Process.Pid) {
			if testutil.Comm(kid) == "sleep" {
				init = kid
			}
		}
		return init != 0
	})
	snap := scanUntil(t, "the nspawn machine", running("nspawn", name))
	c := byName(snap, "nspawn", name)
	checkKernelView(t, c, init)
	if c.Image != root || c.State != "running" {
		t.Errorf("machine image %q state %s; want %s running", c.Image, c.State, root)
	}
	if got := shared(c, NetNS) + "|" + shared(c, PIDNS); got != "|" {
		t.Errorf("machine shares net|pid %q, want neither (--private-network)", got)
	}
	if p := snap.Process(cmd.Process.Pid); !p.Container.IsZero() {
		t.Errorf("systemd-nspawn itself is marked %v", p.Container)
	}
	if out.Len() > 0 {
		t.Errorf("systemd-nspawn complained: %s", out)
	}
}

// limitsText formats limits for a message.
func limitsText(l ContainerLimits) string {
	f := func(p *int64) string {
		if p == nil {
			return "-"
		}
		return strconv.FormatInt(*p, 10)
	}
	return fmt.Sprintf("quota %s period %s memory %s pids %s", f(l.CPUQuotaUS), f(l.CPUPeriodUS), f(l.MemoryMax), f(l.PidsMax))
}

// anyProcessMentions reports whether a process's command line names one
// of the IDs (podman's conmon and its exit commands do).
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
