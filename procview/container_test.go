package procview

import "testing"

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
		{"crio", "/crio-" + dockerID + ".scope", "crio:3f4e5d6c7b8a"},
		{"k8s cgroupfs", "/kubepods/burstable/pod1b2c3d4e-aaaa-bbbb-cccc-111122223333/" + dockerID, "k8s:3f4e5d6c7b8a"},
		{"k8s systemd", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c3d4e_aaaa.slice/cri-containerd-" + dockerID + ".scope", "k8s:3f4e5d6c7b8a"},
		{"k8s pod level", "/kubepods/besteffort/pod1b2c3d4e-aaaa-bbbb-cccc-111122223333", "k8s-pod:1b2c3d4e"},
		{"kubepods slice alone", "/kubepods.slice/kubepods-besteffort.slice", ""},
		{"lxc", "/lxc/web01", "lxc:web01"},
		{"lxc payload", "/lxc.payload.web01/init.scope", "lxc:web01"},
		{"nspawn", `/machine.slice/machine-build\x2d7.scope`, "machine:build-7"},
		{"nscope run", "/nscope-run-demo", "nscope:demo"},
		{"nscope run nested", "/nscope-run-demo/sub", "nscope:demo"},
		{"nscope run default parent", "/nscope/web", "nscope:web"},
		{"nscope run default name", "/nscope/nscope-run-4711", "nscope:4711"},
		{"short hex is no id", "/docker/abc", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ContainerFromCgroup(tc.path); got != tc.want {
				t.Errorf("ContainerFromCgroup(%q) = %q, want %q", tc.path, got, tc.want)
			}
		})
	}
}

func TestIndexContainer(t *testing.T) {
	ix := NewIndex(testHost(t, t0, 1), nil)
	tests := []struct {
		name string
		pid  int
		want string
	}{
		{"host process", 100, ""},
		{"docker scope", 202, "docker:3f4e5d6c7b8a"},
		// No container cgroup: the sandbox is named after its pid-ns init.
		{"pid ns init", 300, "bwrap"},
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
}
