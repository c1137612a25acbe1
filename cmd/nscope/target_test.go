package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
)

// IDs of the target fixture's containers.
const (
	tgtDockerID = "9a3c1e7d5b2f4a6c8e0d1f3b5a7c9e1d3f5b7a9c1e3d5f7b9a1c3e5d7f9b1a3c"
	tgtPodmanID = "5e8f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f"
	tgtInfraID  = "11aa1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f"
	tgtPodID    = "77bb1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f"
	tgtCRIID    = "c0ffee2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f"
	tgtSandbox  = "5a4db0c3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f"
	tgtPodUID   = "1b2c3d4e-aaaa-bbbb-cccc-111122223333"
)

// Cgroup paths of the target fixture.
const (
	tgtDockerCg = "/docker/" + tgtDockerID
	tgtPodCg    = "/libpod_parent/" + tgtPodID
	tgtPodmanCg = tgtPodCg + "/libpod-" + tgtPodmanID
	tgtKubeCg   = "/kubepods/burstable/pod" + tgtPodUID
	tgtCRICg    = tgtKubeCg + "/" + tgtCRIID
)

// targetFixture is what a scan of a host with these containers gives:
// docker "web" and a podman "web" in pod "shop" (one name, two
// runtimes), the pod's infra container, Kubernetes container "api" of
// pod prod/api-7f9 with its sandbox, a runc container "split" whose
// cgroups are at different paths in the two hierarchies, and a stopped
// docker container "old".
func targetFixture(t *testing.T) *inspect.Snapshot {
	t.Helper()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	hier := []inspect.Hierarchy{
		{ID: 0, Version: 2, Controllers: []string{"cpu", "memory", "pids"}, Mount: "/sys/fs/cgroup"},
		{ID: 1, Version: 1, Controllers: []string{"memory"}, Mount: "/sys/fs/cgroup/memory"},
	}
	type def struct {
		pid      int
		runtime  string
		id, name string
		cgs      []inspect.ProcCgroup
		pod      *inspect.ContainerPod
		infra    bool
	}
	one := func(p string) []inspect.ProcCgroup {
		return []inspect.ProcCgroup{{Hierarchy: 0, Path: p}, {Hierarchy: 1, Path: p}}
	}
	podman := &inspect.ContainerPod{Name: "shop", ID: tgtPodID, Cgroup: tgtPodCg}
	kube := &inspect.ContainerPod{Name: "api-7f9", Namespace: "prod", UID: tgtPodUID, ID: tgtSandbox, Cgroup: tgtKubeCg}
	defs := []def{
		{631, "docker", tgtDockerID, "web", one(tgtDockerCg), nil, false},
		{700, "podman", tgtPodmanID, "web", one(tgtPodmanCg), podman, false},
		{699, "podman", tgtInfraID, "shop-infra", one(tgtPodCg + "/libpod-" + tgtInfraID), podman, true},
		{801, "containerd", tgtCRIID, "api", one(tgtCRICg), kube, false},
		{800, "containerd", tgtSandbox, "api-7f9", one(tgtKubeCg + "/" + tgtSandbox), kube, true},
		{900, "runc", "split", "split", []inspect.ProcCgroup{{Hierarchy: 0, Path: "/split"}, {Hierarchy: 1, Path: "/nest/split"}}, nil, false},
	}
	snap := &inspect.Snapshot{
		SchemaVersion: inspect.SchemaVersion, Time: at,
		Host:        inspect.Host{Hostname: "targets", Root: true, BootTime: at.Add(-time.Hour), CPUs: 2},
		CgroupMode:  inspect.CgroupHybrid,
		Hierarchies: hier,
		Processes:   []inspect.Process{{PID: 1, Comm: "init", Cgroups: one("/")}},
	}
	for _, d := range defs {
		ref := inspect.ContainerRef{Runtime: d.runtime, ID: d.id}
		snap.Processes = append(snap.Processes, inspect.Process{PID: d.pid, PPID: 1, Comm: "sleep", Cgroups: d.cgs, Container: ref, NSpid: []int{d.pid, 1}})
		snap.Containers = append(snap.Containers, inspect.Container{
			Runtime: d.runtime, ID: d.id, Name: d.name, InitPID: d.pid, State: "running", Cgroups: d.cgs, Pod: d.pod, Infra: d.infra, Source: "fixture",
		})
	}
	snap.Containers = append(snap.Containers, inspect.Container{Runtime: "docker", ID: strings.Repeat("0d", 32), Name: "old", State: "exited", Source: "fixture"})
	snap.ContainerSources = []inspect.ContainerSource{
		{Runtime: "docker", Path: "/var/lib/docker/containers", Containers: 2},
		{Runtime: "podman", Path: "/var/lib/containers/storage", Containers: 2},
	}
	var buf bytes.Buffer
	if err := snap.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	out, err := inspect.Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCgroupTargetOf(t *testing.T) {
	snap := targetFixture(t)
	tests := []struct {
		name, query string
		wantPath    string
		wantWhat    string
		// wantErr is in the error; errIs checks its kind.
		wantErr string
		errIs   func(error) bool
	}{
		{name: "runtime and name", query: "docker:web", wantPath: tgtDockerCg, wantWhat: "container docker:web"},
		{name: "id prefix", query: "9a3c1e", wantPath: tgtDockerCg, wantWhat: "container docker:web"},
		{name: "podman by runtime", query: "podman:web", wantPath: tgtPodmanCg},
		{name: "podman pod is its cgroup", query: "pod/shop", wantPath: tgtPodCg, wantWhat: "pod pod/shop"},
		{name: "container of a podman pod", query: "pod/shop/web", wantPath: tgtPodmanCg, wantWhat: "container podman:web"},
		{name: "kubernetes pod is its cgroup", query: "pod/prod/api-7f9", wantPath: tgtKubeCg, wantWhat: "pod pod/prod/api-7f9"},
		{name: "kubernetes container", query: "pod/prod/api-7f9/api", wantPath: tgtCRICg, wantWhat: "container pod/prod/api-7f9/api"},
		{name: "any kubernetes container", query: "k8s:api", wantPath: tgtCRICg},
		{name: "one name in two runtimes", query: "web", wantErr: "docker:web, podman:web", errIs: isAmbiguous},
		{name: "unknown names the runtimes looked at", query: "nope", wantErr: "looked at docker (2), podman (2)", errIs: isUnknown},
		{name: "stopped container", query: "old", wantErr: "not running (state exited)"},
		{name: "cgroups at different paths", query: "split", wantErr: "different paths in different hierarchies (memory /nest/split; v2 /split)"},
		{name: "different paths name the directories", query: "runc:split", wantErr: "name a directory instead, e.g. /sys/fs/cgroup/memory/nest/split or /sys/fs/cgroup/split"},
		{name: "bad pod form", query: "pod/a/b/c/d", wantErr: "too many parts", errIs: func(err error) bool { return errors.Is(err, inspect.ErrBadContainerQuery) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			target, what, err := cgroupTargetOf(snap, tc.query)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || (tc.errIs != nil && !tc.errIs(err)) {
					t.Fatalf("cgroupTargetOf(%q) = %v, %q, %v; want an error with %q", tc.query, target, what, err, tc.wantErr)
				}
				return
			}
			if err != nil || target.Path != tc.wantPath || target.Hierarchy != nil {
				t.Fatalf("cgroupTargetOf(%q) = %+v, %v; want path %s", tc.query, target, err, tc.wantPath)
			}
			if tc.wantWhat != "" && what != tc.wantWhat {
				t.Errorf("cgroupTargetOf(%q) says %q, want %q", tc.query, what, tc.wantWhat)
			}
		})
	}
}

func isAmbiguous(err error) bool { var e *inspect.AmbiguousContainerError; return errors.As(err, &e) }
func isUnknown(err error) bool   { var e *inspect.UnknownContainerError; return errors.As(err, &e) }

// targetEditHost is fakeEditHost with the target fixture's containers and
// their cgroups, and a cgroup named like a container ("shop-infra").
func targetEditHost(t *testing.T) *control.FakeFS {
	t.Helper()
	fsys := fakeEditHost(t, inspect.CgroupUnified)
	_, layout := control.NewFakeHost(inspect.CgroupUnified)
	for _, p := range []string{tgtDockerCg, tgtPodmanCg, tgtCRICg, "/shop-infra"} {
		fsys.AddCgroup(layout, p)
	}
	snap := targetFixture(t)
	saved := targetHooks
	targetHooks.exists = func(dir string) bool { _, err := fsys.ResolveDir(dir); return err == nil }
	targetHooks.scan = func(context.Context) (*inspect.Snapshot, error) { return snap, nil }
	t.Cleanup(func() { targetHooks = saved })
	return fsys
}

// TestCommandsTakeContainers runs each command that takes a cgroup with
// each form of container target, and the precedence rules, against a
// fake cgroupfs.
func TestCommandsTakeContainers(t *testing.T) {
	fake := "/fake/sys/fs/cgroup"
	tests := []struct {
		name string
		args []string
		// wantOut is in stdout, wantErr in stderr (or the error).
		wantOut, wantErr string
		usage            bool
	}{
		{name: "set by runtime:name", args: []string{"set", "docker:web", "--cpu", "0.5", "--dry-run"},
			wantOut: `would write "50000 100000" to ` + fake + tgtDockerCg + "/cpu.max", wantErr: "docker:web is container docker:web, cgroup " + tgtDockerCg},
		{name: "set a podman pod's container", args: []string{"set", "pod/shop/web", "--memory", "64M", "--dry-run"},
			wantOut: fake + tgtPodmanCg + "/memory.max"},
		{name: "set a kubernetes pod", args: []string{"set", "pod/prod/api-7f9", "--pids", "50", "--dry-run"},
			wantOut: fake + tgtKubeCg + "/pids.max", wantErr: "is pod pod/prod/api-7f9, cgroup " + tgtKubeCg},
		{name: "freeze by id prefix", args: []string{"freeze", "c0ffee", "--dry-run"}, wantOut: fake + tgtCRICg + "/cgroup.freeze"},
		{name: "thaw by name", args: []string{"thaw", "api", "--dry-run"}, wantOut: fake + tgtCRICg + "/cgroup.freeze"},
		{name: "kill a podman pod", args: []string{"kill", "pod/shop", "--dry-run"}, wantOut: "kill " + tgtPodCg},
		{name: "ambiguous lists the candidates", args: []string{"set", "web", "--cpu", "1", "--dry-run"}, wantErr: `"web" names 2 containers: docker:web, podman:web`, usage: true},
		{name: "unknown says where it looked", args: []string{"freeze", "nope", "--dry-run"}, wantErr: `no /nope in any hierarchy) and no container "nope" (looked at docker (2), podman (2)`, usage: true},
		{name: "stopped container", args: []string{"kill", "old", "--dry-run"}, wantErr: "container docker:old: not running", usage: true},
		{name: "a relative path that exists is the cgroup", args: []string{"set", "app/web", "--cpu", "1", "--dry-run"}, wantOut: fake + "/app/web/cpu.max"},
		{name: "an existing cgroup wins over a container, with a note", args: []string{"set", "shop-infra", "--cpu", "1", "--dry-run"},
			wantOut: fake + "/shop-infra/cpu.max", wantErr: "note: shop-infra is the cgroup /shop-infra; it is also container podman:shop-infra at " + tgtPodCg},
		{name: "a number is a cgroup path", args: []string{"set", "9", "--cpu", "1", "--dry-run"}, wantErr: "cgroup /9 does not exist"},
		{name: "an absolute path is a cgroup path", args: []string{"set", "/web", "--cpu", "1", "--dry-run"}, wantErr: "cgroup /web does not exist"},
		{name: "dot dot is refused as before", args: []string{"set", "a/../web", "--cpu", "1", "--dry-run"}, wantErr: `".." is not allowed`, usage: true},
		{name: "history by container", args: []string{"history", "docker:web"}, wantOut: "no changes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			targetEditHost(t)
			out, errOut, err := runEditCLI(t, "", tc.args...)
			all := errOut
			if err != nil {
				all += err.Error()
			}
			if !strings.Contains(out, tc.wantOut) || !strings.Contains(all, tc.wantErr) || isUsage(err) != tc.usage {
				t.Errorf("nscope %s:\nstdout %s\nstderr %s\nerr %v (usage %v)\nwant stdout with %q, stderr with %q, usage %v",
					strings.Join(tc.args, " "), out, errOut, err, isUsage(err), tc.wantOut, tc.wantErr, tc.usage)
			}
			if strings.Contains(tc.name, "number") && strings.Contains(all, "container") {
				t.Errorf("a number was looked up as a container: %s", all)
			}
		})
	}
}

// TestSetHistoryUndoByContainer: a change made through a container's name
// is journaled under its cgroup, and history and undo find it by the
// same name.
func TestSetHistoryUndoByContainer(t *testing.T) {
	fsys := targetEditHost(t)
	if _, errOut, err := runEditCLI(t, "", "set", "docker:web", "--pids", "64"); err != nil {
		t.Fatalf("set: %v\n%s", err, errOut)
	}
	file := "/fake/sys/fs/cgroup" + tgtDockerCg + "/pids.max"
	if got, _ := fsys.ReadFile(file); strings.TrimSpace(string(got)) != "64" {
		t.Fatalf("pids.max is %q after set", got)
	}
	out, _, err := runEditCLI(t, "", "history", "9a3c")
	if err != nil || !strings.Contains(out, tgtDockerCg) || !strings.Contains(out, "pids.max") {
		t.Fatalf("history 9a3c: %v\n%s", err, out)
	}
	out, _, err = runEditCLI(t, "", "history", "podman:web")
	if err != nil || !strings.Contains(out, "no changes") {
		t.Errorf("history podman:web shows docker:web's change: %v\n%s", err, out)
	}
	if _, errOut, err := runEditCLI(t, "", "undo", "docker:web"); err != nil {
		t.Fatalf("undo: %v\n%s", err, errOut)
	}
	if got, _ := fsys.ReadFile(file); strings.TrimSpace(string(got)) != "max" {
		t.Errorf("pids.max is %q after undo, want max", got)
	}
}

func TestEnterTakesContainers(t *testing.T) {
	snap := targetFixture(t)
	saved := targetHooks
	targetHooks.scan = func(context.Context) (*inspect.Snapshot, error) { return snap, nil }
	t.Cleanup(func() { targetHooks = saved })
	tests := []struct {
		name, arg string
		wantPID   int
		wantErr   string
	}{
		{name: "a PID", arg: "631", wantPID: 631},
		{name: "container name", arg: "docker:web", wantPID: 631},
		{name: "kubernetes pod is its app container", arg: "pod/prod/api-7f9", wantPID: 801},
		{name: "podman pod with one app container", arg: "pod/shop", wantPID: 700},
		{name: "ambiguous", arg: "web", wantErr: "docker:web, podman:web"},
		{name: "unknown", arg: "nope", wantErr: `PID "nope": not a process ID (a positive decimal number as ps shows it) nor a container: no container "nope" (looked at docker (2), podman (2)`},
		{name: "stopped", arg: "old", wantErr: "container docker:old is not running (state exited)"},
		{name: "hex is a bad PID, not a container", arg: "0x1f", wantErr: `PID "0x1f"`},
		{name: "signed is a bad PID", arg: "+631", wantErr: `PID "+631"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := newEnterCmd()
			var errOut bytes.Buffer
			cmd.SetErr(&errOut)
			cmd.SetContext(context.Background())
			var ticks uint64 = 7 // given with --start-time: kept
			pid, err := resolveEnterArg(cmd, tc.arg, &ticks)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("resolveEnterArg(%q) = %d, %v; want an error with %q", tc.arg, pid, err, tc.wantErr)
				}
				return
			}
			if err != nil || pid != tc.wantPID || ticks != 7 {
				t.Fatalf("resolveEnterArg(%q) = %d, %v, start %d; want %d", tc.arg, pid, err, ticks, tc.wantPID)
			}
		})
	}
}

// TestTargetHelp: the commands that take a target say so in their help.
func TestTargetHelp(t *testing.T) {
	for _, name := range []string{"set", "freeze", "thaw", "kill", "undo", "history", "enter"} {
		out, _, err := runEditCLI(t, "", name, "--help")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "CONTAINER") || !strings.Contains(out, "pod/NAMESPACE/POD[/CONTAINER]") || !strings.Contains(out, "exit 2") {
			t.Errorf("%s --help does not explain container targets:\n%s", name, out)
		}
	}
}
