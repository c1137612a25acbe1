package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/inspect/events"
	"github.com/nscope/nscope/internal/testutil"
)

// liveTargets are the real containers TestContainerTargetsLive runs:
// docker and podman containers with one name (the podman one in a pod),
// and a docker container to kill.
type liveTargets struct {
	name, pod, kill      string
	dockerID, podmanID   string
	dockerPID, podmanPID int
	killID               string
	podCgroup            string
	env                  []string
	docker               string
}

// startLiveTargets starts the containers (--network none, busybox images
// imported for the test) and removes them when the test ends.
func startLiveTargets(t *testing.T) *liveTargets {
	t.Helper()
	cli := testutil.RequireDocker(t)
	env := testutil.RequirePodman(t)
	u := testutil.UniqueName("nscope-tg")
	tag := strings.ReplaceAll(u, "nscope-tg-", "t")
	dimg, pimg := "nscope-tg/busybox:"+tag, "localhost/nscope-tg/busybox:"+tag
	testutil.ImportBusybox(t, cli, dimg, nil)
	testutil.ImportBusybox(t, "podman", pimg, env)
	lt := &liveTargets{name: u, pod: u + "-pod", kill: u + "-k", env: env, docker: cli}
	t.Cleanup(func() { _ = exec.Command(cli, "rm", "-f", "-v", lt.name, lt.kill).Run() })
	testutil.RemovePodmanPodAtCleanup(t, env, lt.pod)
	testutil.Run(t, cli, "run", "-d", "--name", lt.name, "--network", "none", "-l", "com.docker.compose.project="+u+"-shop",
		"-l", "com.docker.compose.service=web", dimg, "sleep", "600")
	testutil.Run(t, cli, "run", "-d", "--name", lt.kill, "--network", "none", dimg, "sleep", "600")
	testutil.RunEnv(t, env, "podman", "pod", "create", "--name", lt.pod, "--network", "none")
	testutil.RunEnv(t, env, "podman", "run", "-d", "--pod", lt.pod, "--name", lt.name, pimg, "sleep", "600")

	fields := func(out string, n int) []string {
		f := strings.Fields(out)
		if len(f) != n {
			t.Fatalf("want %d fields: %q", n, out)
		}
		return f
	}
	f := fields(testutil.Run(t, cli, "inspect", "-f", "{{.Id}} {{.State.Pid}}", lt.name), 2)
	lt.dockerID, lt.dockerPID = f[0], atoi(t, f[1])
	lt.killID = strings.TrimSpace(testutil.Run(t, cli, "inspect", "-f", "{{.Id}}", lt.kill))
	f = fields(testutil.RunEnv(t, env, "podman", "inspect", "--format", "{{.Id}} {{.State.Pid}}", lt.name), 2)
	lt.podmanID, lt.podmanPID = f[0], atoi(t, f[1])
	lt.podCgroup = testutil.RunEnv(t, env, "podman", "pod", "inspect", "--format", "{{.CgroupPath}}", lt.pod)
	return lt
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// cgroupFile returns a v1 controller's file of cgroup path, or the v2
// one on a unified host.
func cgroupFile(controller, path, v1, v2 string) string {
	if dir := filepath.Join("/sys/fs/cgroup", controller); dirExists(dir) {
		return filepath.Join(dir, path, v1)
	}
	return filepath.Join("/sys/fs/cgroup", path, v2)
}

func dirExists(dir string) bool { st, err := os.Stat(dir); return err == nil && st.IsDir() }

// TestContainerTargetsLive runs nscope's commands against real docker
// and podman containers named by each target form, and compares what
// they did with the runtimes' own inspect and the kernel's files.
func TestContainerTargetsLive(t *testing.T) {
	lt := startLiveTargets(t)
	state := t.TempDir()
	run := func(args ...string) cliResult { t.Helper(); return runNscopeIn(t, state, args...) }
	want := func(res cliResult, code int, in ...string) {
		t.Helper()
		all := res.stdout + res.stderr
		for _, s := range in {
			if !strings.Contains(all, s) {
				t.Errorf("output lacks %q:\n%s", s, all)
			}
		}
		if res.code != code {
			t.Errorf("exit %d, want %d:\n%s", res.code, code, all)
		}
	}
	dockerT, podmanT := "docker:"+lt.name, "podman:"+lt.name
	dockerCg := "/docker/" + lt.dockerID
	testutil.WaitFor(t, "nscope to see both containers", func() bool {
		return run("containers", dockerT, podmanT).code == 0
	})

	t.Run("ps CONTAINER column and --container", func(t *testing.T) {
		res := run("ps", "--container", dockerT)
		want(res, 0, "CONTAINER", dockerT)
		var rows []string
		for _, line := range strings.Split(strings.TrimSpace(res.stdout), "\n")[1:] {
			rows = append(rows, strings.Fields(line)[0])
		}
		if len(rows) != 1 || rows[0] != strconv.Itoa(lt.dockerPID) {
			t.Errorf("ps --container %s lists PIDs %v, docker inspect says %d", dockerT, rows, lt.dockerPID)
		}
		var out struct{ Processes []inspect.Process }
		res = run("ps", "--container", "pod/"+lt.pod, "--json")
		if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
			t.Fatal(err)
		}
		pids := map[int]bool{}
		for _, p := range out.Processes {
			pids[p.PID] = true
			if p.Container.Runtime != "podman" {
				t.Errorf("ps --container pod/%s lists PID %d of %v", lt.pod, p.PID, p.Container)
			}
		}
		if !pids[lt.podmanPID] || pids[lt.dockerPID] {
			t.Errorf("ps --container pod/%s: %v, want podman's %d and not docker's %d", lt.pod, pids, lt.podmanPID, lt.dockerPID)
		}
	})

	t.Run("cg and ns --container", func(t *testing.T) {
		res := run("cg", "--container", lt.dockerID[:12])
		want(res, 0, dockerCg, dockerT)
		for _, line := range strings.Split(strings.TrimSpace(res.stdout), "\n")[2:] {
			if !strings.HasPrefix(line, dockerCg) {
				t.Errorf("cg --container lists %q", line)
			}
		}
		var out struct{ Namespaces []inspect.Namespace }
		res = run("ns", "--container", podmanT, "--json")
		if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
			t.Fatal(err)
		}
		// Its own mount namespace is marked as its; the pod's network
		// namespace, which it shares, as the infra container's.
		mntIno, netIno := nsInode(t, lt.podmanPID, "mnt"), nsInode(t, lt.podmanPID, "net")
		found := 0
		for _, n := range out.Namespaces {
			switch n.ID.Ino {
			case mntIno:
				found++
				if n.Container != (inspect.ContainerRef{Runtime: "podman", ID: lt.podmanID}) {
					t.Errorf("%s's mnt namespace is marked %v", podmanT, n.Container)
				}
			case netIno:
				found++
				if n.Container.Runtime != "podman" || n.Container.ID == lt.podmanID {
					t.Errorf("the pod's net namespace is marked %v, want its infra container", n.Container)
				}
			}
		}
		if found != 2 || len(out.Namespaces) < 7 {
			t.Errorf("ns --container %s: %d namespaces, its mnt %d and net %d found: %d", podmanT, len(out.Namespaces), mntIno, netIno, found)
		}
		want(run("ns", "--container", dockerT), 0, "CONTAINER", dockerT)
	})

	t.Run("ambiguous and unknown", func(t *testing.T) {
		want(run("set", lt.name, "--cpu", "0.5", "--dry-run"), 2, "names 2 containers", dockerT, podmanT)
		want(run("enter", lt.name, "--", "true"), 2, "names 2 containers", dockerT, podmanT)
		want(run("ps", "--container", lt.name), 2, "--container", dockerT, podmanT)
		want(run("freeze", lt.name+"-nope", "--dry-run"), 2, "no container", "looked at", "docker (", "podman (")
	})

	t.Run("set, history and undo by name", func(t *testing.T) {
		want(run("set", dockerT, "--cpu", "0.5", "--dry-run"), 0, "is container "+dockerT, dockerCg)
		pidsMax := cgroupFile("pids", dockerCg, "pids.max", "pids.max")
		before := testutil.ReadTrim(t, pidsMax)
		want(run("set", lt.dockerID[:12], "--pids", "77", "--yes"), 0, dockerCg)
		if got := testutil.ReadTrim(t, pidsMax); got != "77" {
			t.Fatalf("%s is %s after set", pidsMax, got)
		}
		want(run("history", dockerT), 0, "pids.max", dockerCg)
		want(run("undo", dockerT), 0, dockerCg)
		if got := testutil.ReadTrim(t, pidsMax); got != before {
			t.Errorf("%s is %s after undo, was %s", pidsMax, got, before)
		}
	})

	t.Run("freeze and thaw by name and pod", func(t *testing.T) {
		podmanCg := ""
		for _, line := range strings.Split(testutil.ReadTrim(t, fmt.Sprintf("/proc/%d/cgroup", lt.podmanPID)), "\n") {
			if parts := strings.SplitN(line, ":", 3); len(parts) == 3 && (parts[1] == "freezer" || parts[0] == "0") {
				podmanCg = parts[2]
			}
		}
		state := cgroupFile("freezer", podmanCg, "freezer.state", "cgroup.freeze")
		want(run("freeze", podmanT, "--yes"), 0, podmanCg)
		if got := testutil.ReadTrim(t, state); got != "FROZEN" && got != "1" {
			t.Errorf("%s is %s after freeze", state, got)
		}
		want(run("thaw", "pod/"+lt.pod+"/"+lt.name), 0, podmanCg)
		if got := testutil.ReadTrim(t, state); got != "THAWED" && got != "0" {
			t.Errorf("%s is %s after thaw", state, got)
		}
		want(run("freeze", "pod/"+lt.pod, "--dry-run"), 0, "is pod pod/"+lt.pod+", cgroup "+lt.podCgroup)
	})

	t.Run("enter by name and pod", func(t *testing.T) {
		hostname := strings.TrimSpace(testutil.Run(t, lt.docker, "inspect", "-f", "{{.Config.Hostname}}", lt.name))
		want(run("enter", dockerT, "--", "cat", "/proc/sys/kernel/hostname", "/etc/os-release"), 0, hostname, "ID=busybox", "init PID "+strconv.Itoa(lt.dockerPID))
		podHost := testutil.RunEnv(t, lt.env, "podman", "exec", lt.name, "cat", "/proc/sys/kernel/hostname")
		want(run("enter", "pod/"+lt.pod, "--", "cat", "/proc/sys/kernel/hostname"), 0, podHost, "init PID "+strconv.Itoa(lt.podmanPID))
	})

	t.Run("events by name", func(t *testing.T) {
		r := startEvents(t, t.TempDir(), "--container", dockerT, "--kind", "exec")
		// A command run on the host first, then one in the container:
		// only the second is the container's.
		hostTag, ctrTag := "nsev-host-"+lt.name, "nsev-ctr-"+lt.name
		testutil.Run(t, "sh", "-c", ": "+hostTag)
		testutil.Run(t, lt.docker, "exec", lt.name, "sh", "-c", ": "+ctrTag)
		got := r.wait(t, "the exec in "+dockerT, func(ev *events.Event) bool { return ev.Kind == events.Exec }, func(evs []events.Event) bool {
			return strings.Contains(strings.Join(evs[len(evs)-1].Args, " "), ctrTag)
		})
		for _, ev := range got {
			if ev.Cgroup != dockerCg || strings.Contains(strings.Join(ev.Args, " "), hostTag) {
				t.Errorf("events --container %s printed %+v (cgroup %s)", dockerT, ev, ev.Cgroup)
			}
		}
		want(run("events", "--container", lt.name), 2, "--container", "names 2 containers")
		want(run("events", "--container", dockerT, "--cgroup", "/"), 2, "exclude each other")
	})

	t.Run("kill by id prefix", func(t *testing.T) {
		want(run("kill", lt.killID[:10], "--yes"), 0, "/docker/"+lt.killID, "killed 1 processes")
		testutil.WaitFor(t, "docker to see its container killed", func() bool {
			out, _ := exec.Command(lt.docker, "inspect", "-f", "{{.State.Running}}", lt.kill).Output()
			return strings.TrimSpace(string(out)) == "false"
		})
	})
}

// nsInode returns the inode of /proc/PID/ns/TYPE.
func nsInode(t *testing.T, pid int, typ string) uint64 {
	t.Helper()
	link, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, typ))
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseUint(strings.TrimSuffix(link[strings.IndexByte(link, '[')+1:], "]"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
