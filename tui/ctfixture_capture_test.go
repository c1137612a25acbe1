package tui

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/testutil"
)

// -capture-containers rewrites testdata/containers-1.json and -2.json:
// two real scans, a second apart, of this host with real containers
// running. The Containers view's golden screens are drawn from them.
var captureContainers = flag.Bool("capture-containers", false, "start real containers and rewrite testdata/containers-*.json from two scans of them")

// The captured containers, named so that nothing else on a host has them.
const (
	fxWeb    = "nsfx-web"
	fxDB     = "nsfx-db"
	fxPod    = "nsfx-api"
	fxServer = "nsfx-api-server"
	fxBatch  = "nsfx-batch"
)

// TestCaptureContainersFixture starts, as root:
//
//   - docker "nsfx-web" of compose project "shop" (labels, as compose
//     sets them): a busy loop limited to 0.2 CPUs (so it is throttled),
//     24 MiB written to its /dev/shm under a 64 MiB limit, 50 pids at
//     most, no network
//   - docker "nsfx-db" of the same project in nsfx-web's network
//     namespace and the host's pid namespace
//   - podman pod "nsfx-api" (its infra container holds the pod's
//     network namespace) with "nsfx-api-server" limited to 128 MiB
//   - podman "nsfx-web": a second container of that name, in podman
//   - runc "nsfx-batch", run directly
//
// scans the host twice a second apart, keeps the command lines of these
// containers' processes only (other processes keep argv[0]), writes the
// scans, and removes everything it started.
func TestCaptureContainersFixture(t *testing.T) {
	if !*captureContainers {
		t.Skip("run with -capture-containers to rewrite testdata/containers-*.json")
	}
	docker := testutil.RequireDocker(t)
	env := testutil.RequirePodman(t)
	dimg, pimg := "nsfx/busybox:1", "localhost/nsfx/busybox:1"
	testutil.ImportBusybox(t, docker, dimg, nil)
	testutil.ImportBusybox(t, "podman", pimg, env)
	t.Cleanup(func() { _ = exec.Command(docker, "rm", "-f", "-v", fxDB, fxWeb).Run() })
	t.Cleanup(func() {
		c := exec.Command("podman", "rm", "-f", "-t", "0", fxWeb)
		c.Env = append(os.Environ(), env...)
		_ = c.Run()
	})
	testutil.RemovePodmanPodAtCleanup(t, env, fxPod)

	shop := []string{"-l", "com.docker.compose.project=shop", "-l", "com.docker.compose.version=2.24.6"}
	testutil.Run(t, docker, append(append([]string{"run", "-d", "--name", fxWeb, "--network", "none", "--cpus", "0.2", "-m", "64m", "--pids-limit", "50"}, shop...),
		"-l", "com.docker.compose.service=web", dimg, "sh", "-c", "/bin/busybox dd if=/dev/zero of=/dev/shm/fill bs=1M count=24 2>/dev/null; while :; do :; done")...)
	testutil.Run(t, docker, append(append([]string{"run", "-d", "--name", fxDB, "--network", "container:" + fxWeb, "--pid", "host"}, shop...),
		"-l", "com.docker.compose.service=db", dimg, "sleep", "3600")...)
	testutil.RunEnv(t, env, "podman", "pod", "create", "--name", fxPod, "--network", "none")
	testutil.RunEnv(t, env, "podman", "run", "-d", "--pod", fxPod, "--name", fxServer, "--memory", "128m", pimg, "sleep", "3600")
	testutil.RunEnv(t, env, "podman", "run", "-d", "--name", fxWeb, "--network", "none", pimg, "sleep", "3600")
	startRuncBatch(t)

	sc := inspect.New(inspect.WithFDs(false))
	names := []string{"docker:" + fxWeb, "docker:" + fxDB, "podman:" + fxServer, "podman:" + fxWeb, "runc:" + fxBatch}
	deadline := time.Now().Add(30 * time.Second)
	for {
		snap, err := sc.Scan(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if allRunning(snap, names) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %v", names)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for i, name := range []string{"containers-1.json", "containers-2.json"} {
		if i > 0 {
			time.Sleep(time.Second)
		}
		snap, err := sc.Scan(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		writeCapture(t, filepath.Join("testdata", name), snap)
	}
}

// allRunning reports whether every named container has an init.
func allRunning(snap *inspect.Snapshot, names []string) bool {
	for _, n := range names {
		c, err := snap.ResolveContainer(n)
		if err != nil || c.InitPID == 0 {
			return false
		}
	}
	return true
}

// startRuncBatch runs "nsfx-batch" with runc, in a bundle of busybox with
// no network namespace of its own, and deletes it when the test ends.
func startRuncBatch(t *testing.T) {
	t.Helper()
	testutil.RequireTools(t, "runc")
	testutil.RuncRun(t, testutil.RuncBundle(t, fxBatch, "sleep", "3600"), fxBatch)
}

// writeCapture writes snap as JSON, cut down to the captured containers
// and what they hang from (the fixture is checked in; the host runs
// thousands of other processes): their processes and those processes'
// ancestors, PID 1 and 2, the namespaces and cgroups of those processes
// and everything above them. Command lines of processes outside the
// captured containers are cut to argv[0]: the machine runs other
// people's processes, whose arguments may carry what is not ours to keep.
func writeCapture(t *testing.T, path string, snap *inspect.Snapshot) {
	t.Helper()
	ours := map[inspect.ContainerRef]bool{}
	var containers []inspect.Container
	for _, c := range snap.Containers {
		if strings.HasPrefix(c.Name, "nsfx-") || c.Pod != nil && c.Pod.Name == fxPod {
			ours[c.Ref()] = true
			containers = append(containers, c)
		}
	}
	keep := map[int]bool{1: true, 2: true}
	for i := range snap.Processes {
		p := &snap.Processes[i]
		if !ours[p.Container] {
			continue
		}
		for q := p; q != nil && !keep[q.PID]; q = snap.Process(q.PPID) {
			keep[q.PID] = true
		}
	}
	var procs []inspect.Process
	nsKeep := map[inspect.NSID]bool{}
	cgKeep := map[inspect.CgroupKey]bool{}
	for _, p := range snap.Processes {
		if !keep[p.PID] {
			continue
		}
		if !ours[p.Container] && len(p.Cmdline) > 1 {
			p.Cmdline = p.Cmdline[:1]
		}
		procs = append(procs, p)
		for _, id := range p.NS {
			for n := snap.Namespace(id); n != nil && !nsKeep[n.ID]; n = snap.Namespace(n.Parent) {
				nsKeep[n.ID] = true
				if o := snap.Namespace(n.Owner); o != nil {
					nsKeep[o.ID] = true
				}
			}
		}
		for _, pc := range p.Cgroups {
			for dir := pc.Path; ; dir = filepath.Dir(dir) {
				cgKeep[inspect.CgroupKey{Hierarchy: pc.Hierarchy, Path: dir}] = true
				if dir == "/" || dir == "." {
					break
				}
			}
		}
	}
	members := func(pids []int) []int {
		var out []int
		for _, pid := range pids {
			if keep[pid] {
				out = append(out, pid)
			}
		}
		return out
	}
	var nss []inspect.Namespace
	for _, n := range snap.Namespaces {
		if nsKeep[n.ID] {
			n.Members = members(n.Members)
			var holders []inspect.Holder
			for _, h := range n.Holders {
				if h.PID == 0 || keep[h.PID] {
					holders = append(holders, h)
				}
			}
			n.Holders = holders
			nss = append(nss, n)
		}
	}
	var cgs []inspect.Cgroup
	for _, c := range snap.Cgroups {
		if cgKeep[c.Key()] {
			c.Procs = members(c.Procs)
			cgs = append(cgs, c)
		}
	}
	out := *snap
	out.Processes, out.Namespaces, out.Cgroups, out.Containers = procs, nss, cgs, containers
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := out.WriteJSON(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
