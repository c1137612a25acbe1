package procview

import (
	"testing"

	"github.com/nscope/nscope/inspect"
)

func TestContainerFromCgroup(t *testing.T) {
	tests := []struct {
		name, path, want string
	}{
		{"root", "/", ""},
		{"plain service", "/system.slice/ssh.service", ""},
		{"docker cgroupfs driver", "/docker/" + dockerID, "docker:3f4e5d6c7b8a"},
		{"docker systemd driver", "/system.slice/docker-" + dockerID + ".scope", "docker:3f4e5d6c7b8a"},
		{"docker service is no container", "/system.slice/docker.service", ""},
		{"containerd scope", "/system.slice/cri-containerd-" + dockerID + ".scope", "containerd:3f4e5d6c7b8a"},
		{"podman", "/machine.slice/libpod-" + dockerID + ".scope", "podman:3f4e5d6c7b8a"},
		{"podman pod's own cgroup is no container", "/libpod_parent/" + dockerID, ""},
		{"podman container in its pod", "/libpod_parent/" + dockerID + "/libpod-" + dockerID[1:] + "0", "podman:f4e5d6c7b8a9"},
		{"crio", "/crio-" + dockerID + ".scope", "cri-o:3f4e5d6c7b8a"},
		{"k8s cgroupfs", "/kubepods/burstable/pod1b2c3d4e-aaaa-bbbb-cccc-111122223333/" + dockerID, "k8s:3f4e5d6c7b8a"},
		{"k8s systemd", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c3d4e_aaaa.slice/cri-containerd-" + dockerID + ".scope", "containerd:3f4e5d6c7b8a"},
		{"k8s pod level is no container", "/kubepods/besteffort/pod1b2c3d4e-aaaa-bbbb-cccc-111122223333", ""},
		{"kubepods slice alone", "/kubepods.slice/kubepods-besteffort.slice", ""},
		{"lxc", "/lxc/web01", "lxc:web01"},
		{"lxc payload", "/lxc.payload.web01/init.scope", "lxc:web01"},
		// Without systemd as the service manager a machine-NAME.scope is
		// only a directory's name (ContainerFromCgroup cannot tell).
		{"machine scope without systemd", `/machine.slice/machine-build\x2d7.scope`, ""},
		{"nscope run", "/nscope-run-demo", "nscope:nscope-run-demo"},
		{"nscope run nested", "/nscope-run-demo/sub", "nscope:nscope-run-demo"},
		{"nscope run default parent", "/nscope/web", "nscope:web"},
		{"short hex is no id", "/docker/abc", ""},
		{"a directory named like a unit is no container", "/x.service", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ContainerFromCgroup(tc.path); got != tc.want {
				t.Errorf("ContainerFromCgroup(%q) = %q, want %q", tc.path, got, tc.want)
			}
		})
	}
	if got := cgroupPathLabel(`/machine.slice/machine-build\x2d7.scope`, true); got != "nspawn:build-7" {
		t.Errorf("machine scope with systemd = %q, want nspawn:build-7", got)
	}
}

// TestIndexContainerFromPaths is a snapshot without containers (saved
// before nscope read the runtimes' files): names come from cgroup paths.
func TestIndexContainerFromPaths(t *testing.T) {
	ix := NewIndex(testHost(t, t0, 1), nil)
	tests := []struct {
		name string
		pid  int
		want string
	}{
		{"host process", 100, ""},
		{"docker scope", 202, "docker:3f4e5d6c7b8a"},
		// Its own user and pid namespaces do not make a sandbox a
		// container: its init's command is no container name.
		{"unshare'd sandbox", 300, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ix.Container(ix.Snap.Process(tc.pid)); got != tc.want {
				t.Errorf("Container(PID %d) = %q, want %q", tc.pid, got, tc.want)
			}
		})
	}
	if got := ix.Where(ix.Snap.Process(100)); got != "/system.slice/docker.service" {
		t.Errorf("Where(dockerd) = %q, want its cgroup path", got)
	}
	if got := ix.Where(ix.Snap.Process(300)); got != "/user.slice" {
		t.Errorf("Where(sandbox) = %q, want its cgroup path", got)
	}
	scope := ix.Snap.Cgroup(0, "/system.slice/docker-"+dockerID+".scope")
	if name, starts := ix.CgroupStartsContainer(scope); name != "docker:3f4e5d6c7b8a" || !starts {
		t.Errorf("CgroupStartsContainer(scope) = %q, %v", name, starts)
	}
	if name, starts := ix.CgroupStartsContainer(ix.Snap.Cgroup(0, "/system.slice")); name != "" || starts {
		t.Errorf("CgroupStartsContainer(/system.slice) = %q, %v", name, starts)
	}
	// Without containers, a namespace all of whose processes are in one
	// container's cgroup is that container's; the host's are nobody's.
	if got := ix.NamespaceContainer(ix.Snap.Namespace(netCtr)); got != "docker:3f4e5d6c7b8a" {
		t.Errorf("NamespaceContainer(web's net) without containers = %q", got)
	}
	for _, id := range []inspect.NSID{netHost, userCtr, netBlue} {
		if got := ix.NamespaceContainer(ix.Snap.Namespace(id)); got != "" {
			t.Errorf("NamespaceContainer(%s) without containers = %q", id, got)
		}
	}
}

// withContainers adds what a scan of the runtimes' files gives testHost:
// docker container "web" of compose project "shop" (image nginx:1.27)
// with its references on its processes, cgroup and namespaces, and a
// stopped podman container "web" in pod "api".
func withContainers(t *testing.T, snap *inspect.Snapshot) *inspect.Snapshot {
	t.Helper()
	ref := inspect.ContainerRef{Runtime: "docker", ID: dockerID}
	scope := "/system.slice/docker-" + dockerID + ".scope"
	for i := range snap.Processes {
		if p := &snap.Processes[i]; p.PID == 201 || p.PID == 202 {
			p.Container = ref
		}
	}
	for i := range snap.Cgroups {
		if c := &snap.Cgroups[i]; c.Path == scope {
			c.Container = ref
		}
	}
	for i := range snap.Namespaces {
		if n := &snap.Namespaces[i]; n.ID == pidCtr || n.ID == netCtr || n.ID == mntCtr {
			n.Container = ref
		}
	}
	init := snap.Process(201)
	snap.Containers = []inspect.Container{
		{
			Runtime: "docker", ID: dockerID, Name: "web", Image: "nginx:1.27", State: "running",
			Compose: &inspect.ContainerCompose{Project: "shop", Service: "frontend"},
			InitPID: 201, Cgroups: init.Cgroups, Namespaces: init.NS, Source: "/var/lib/docker/containers/" + dockerID + "/config.v2.json",
		},
		{
			Runtime: "podman", ID: "77" + dockerID[2:], Name: "web", Image: "localhost/db:2", State: "exited",
			Pod: &inspect.ContainerPod{Name: "api", ID: "aa" + dockerID[2:]}, Source: "podman",
		},
	}
	return reload(t, snap)
}

func TestIndexContainerFromReferences(t *testing.T) {
	ix := NewIndex(withContainers(t, testHost(t, t0, 1)), nil)
	s := ix.Snap
	for pid, want := range map[int]string{100: "", 201: "docker:web", 202: "docker:web", 300: ""} {
		if got := ix.Container(s.Process(pid)); got != want {
			t.Errorf("Container(PID %d) = %q, want %q", pid, got, want)
		}
	}
	if c := ix.ContainerOf(s.Process(202)); c == nil || c.Name != "web" || c.Runtime != "docker" {
		t.Errorf("ContainerOf(202) = %+v", c)
	}
	if got := ix.NamespaceContainer(s.Namespace(netCtr)); got != "docker:web" {
		t.Errorf("NamespaceContainer(net of web) = %q", got)
	}
	if got := ix.NamespaceContainer(s.Namespace(netHost)); got != "" {
		t.Errorf("NamespaceContainer(host net) = %q", got)
	}
	scope := s.Cgroup(0, "/system.slice/docker-"+dockerID+".scope")
	if name, starts := ix.CgroupStartsContainer(scope); name != "docker:web" || !starts {
		t.Errorf("CgroupStartsContainer(scope) = %q, %v", name, starts)
	}
	cg := ix.ContainerCgroupsOf(&s.Containers[0])
	if cg.CPU != scope || cg.Memory != scope || cg.Pids != scope {
		t.Errorf("ContainerCgroupsOf(web) = %+v, want its scope for each", cg)
	}
	if cg := ix.ContainerCgroupsOf(&s.Containers[1]); cg.CPU != nil || cg.Memory != nil {
		t.Errorf("ContainerCgroupsOf(stopped) = %+v, want none", cg)
	}
	if got := ix.ContainerMemory(&s.Containers[0]); got != 200<<20 {
		t.Errorf("ContainerMemory(web) = %d", got)
	}
}

func TestContainerRows(t *testing.T) {
	prev := withContainers(t, testHost(t, t0, 1))
	cur := withContainers(t, testHost(t, t0.Add(1e9), 2))
	ix := NewIndex(cur, ComputeRates(prev, cur))
	names := func(rows []Row) []string {
		var out []string
		for _, r := range rows {
			out = append(out, ContainerLabel(r.Container))
		}
		return out
	}
	tests := []struct {
		name   string
		filter string
		sort   SortKey
		want   []string
	}{
		// A stopped container comes after the running ones in any order.
		{"by name", "", SortName, []string{"docker:web", "podman:web"}},
		{"by cpu", "", SortCPU, []string{"docker:web", "podman:web"}},
		{"by pid", "", SortPID, []string{"docker:web", "podman:web"}},
		{"name matches both", "WEB", SortName, []string{"docker:web", "podman:web"}},
		{"image", "nginx", SortName, []string{"docker:web"}},
		{"compose project", "shop", SortName, []string{"docker:web"}},
		{"compose service", "frontend", SortName, []string{"docker:web"}},
		{"pod name", "api", SortName, []string{"podman:web"}},
		{"runtime", "podman", SortName, []string{"podman:web"}},
		{"id prefix", "3f4e5d", SortName, []string{"docker:web"}},
		{"init pid", "201", SortName, []string{"docker:web"}},
		{"numeric id prefix", "77", SortName, []string{"podman:web"}},
		{"no match", "postgres", SortName, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := names(ix.ContainerRows(TreeOptions{Sort: tc.sort, Filter: ParseFilter(tc.filter)}))
			if len(got) != len(tc.want) {
				t.Fatalf("rows %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("rows %v, want %v", got, tc.want)
				}
			}
		})
	}
	if cores, ok := ix.ContainerCPU(&cur.Containers[0]); !ok || cores <= 0 {
		t.Errorf("ContainerCPU(web) = %v, %v; want a rate", cores, ok)
	}
	k := ContainerKey(&cur.Containers[0])
	if c, ok := ix.Lookup(k).(*inspect.Container); !ok || c.Name != "web" {
		t.Errorf("Lookup(%s) = %v", k, ix.Lookup(k))
	}
	if got := k.String(); got != "ct:docker:3f4e5d6c7b8a" {
		t.Errorf("key %q", got)
	}
}

// TestFilterThroughContainer: a process, cgroup or namespace row matches
// what its container matches (name, image, pod, compose project), but a
// number still matches only its own PID.
func TestFilterThroughContainer(t *testing.T) {
	ix := NewIndex(withContainers(t, testHost(t, t0, 1)), nil)
	pids := func(rows []Row) map[int]bool {
		out := map[int]bool{}
		for _, r := range rows {
			if !r.Context {
				out[r.Process.PID] = true
			}
		}
		return out
	}
	for _, q := range []string{"nginx:1.27", "shop", "frontend", "docker:web"} {
		got := pids(ix.ProcessRows(TreeOptions{Filter: ParseFilter(q), Flat: true}))
		if !got[201] || !got[202] || got[100] || got[300] {
			t.Errorf("processes matching %q: %v, want 201 and 202", q, got)
		}
	}
	if got := pids(ix.ProcessRows(TreeOptions{Filter: ParseFilter("201"), Flat: true})); len(got) != 1 || !got[201] {
		t.Errorf("processes matching 201: %v, want only 201", got)
	}
	var cgs []string
	for _, r := range ix.CgroupRows(TreeOptions{Filter: ParseFilter("shop"), Flat: true}) {
		cgs = append(cgs, r.Cgroup.Path)
	}
	if len(cgs) != 1 || cgs[0] != "/system.slice/docker-"+dockerID+".scope" {
		t.Errorf("cgroups matching shop: %v", cgs)
	}
	nss := 0
	for _, r := range ix.NamespaceRows(TreeOptions{Filter: ParseFilter("nginx:1.27"), Flat: true}) {
		if r.Namespace.Container.ID != dockerID {
			t.Errorf("namespace %s matches nginx:1.27", r.Namespace.ID)
		}
		nss++
	}
	if nss != 3 {
		t.Errorf("%d namespaces match nginx:1.27, want web's 3", nss)
	}
}
