package runtimes

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The fixtures under testdata/host are state files captured from real
// runtimes on a Debian 12 host (docker 20.10 with containerd 1.6 and runc
// 1.1, podman 4.3 with runc, a containerd task made with ctr carrying
// CRI annotations, runc run directly, LXC 5.0). crun's status and a
// machined machine file are written in the format of crun's status.c and
// machined's machine.c (neither can run on that host); testdata/crio is
// a podman spec given the annotations CRI-O writes. testdata/damaged
// holds truncated and garbled copies.

const dockerID = "9f3aebb03d665703f164b971e69668febc58715038e34290e86398759bba7017"

func fixture(t *testing.T, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", rel))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseDockerConfig(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		wantState string
	}{
		{name: "running", file: "host/var/lib/docker/containers/" + dockerID + "/config.v2.json", wantState: "running"},
		{name: "paused", file: "files/docker-paused.config.v2.json", wantState: "paused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseDockerConfig(fixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			want := &Record{
				Runtime: Docker, ID: dockerID, Name: "nsct-explore", Image: "nscope-ct/busybox",
				Labels:  map[string]string{"com.docker.compose.project": "shop", "com.docker.compose.service": "web"},
				Compose: &Compose{Project: "shop", Service: "web"},
				State:   tc.wantState, PID: 14944,
				Created: time.Date(2026, 12, 2, 6, 46, 6, 191125847, time.UTC),
			}
			if diff := cmp.Diff(want, r); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseDockerHostConfig(t *testing.T) {
	l, err := ParseDockerHostConfig(fixture(t, "host/var/lib/docker/containers/"+dockerID+"/hostconfig.json"))
	if err != nil {
		t.Fatal(err)
	}
	// docker run --cpus 0.5 -m 64m --pids-limit 50
	want := Limits{CPUQuotaUS: int64p(50000), CPUPeriodUS: int64p(100000), MemoryMax: int64p(64 << 20), MemorySwap: int64p(128 << 20), PidsMax: int64p(50)}
	if diff := cmp.Diff(want, l); diff != "" {
		t.Errorf("limits (-want +got):\n%s", diff)
	}
	l, err = ParseDockerHostConfig([]byte(`{"CpuQuota":25000,"CpuPeriod":50000,"CpuShares":512,"PidsLimit":-1}`))
	if err != nil {
		t.Fatal(err)
	}
	want = Limits{CPUQuotaUS: int64p(25000), CPUPeriodUS: int64p(50000), CPUShares: int64p(512)}
	if diff := cmp.Diff(want, l); diff != "" {
		t.Errorf("explicit quota (-want +got):\n%s", diff)
	}
}

func TestParseRuncState(t *testing.T) {
	tests := []struct {
		name string
		file string
		want *Record
	}{
		{
			name: "docker's",
			file: "host/run/docker/runtime-runc/moby/" + dockerID + "/state.json",
			want: &Record{Runtime: Runc, ID: dockerID, Name: dockerID, PID: 14944, PIDStart: 46573,
				Created:         time.Date(2026, 12, 2, 6, 46, 6, 471284193, time.UTC),
				CgroupsPath:     "/docker/" + dockerID,
				Namespaces:      []NamespaceSpec{{Type: "mount"}, {Type: "network"}, {Type: "uts"}, {Type: "pid"}, {Type: "ipc"}},
				NamespacesKnown: true, Bundle: "/run/containerd/io.containerd.runtime.v2.task/moby/" + dockerID,
				Limits: Limits{CPUQuotaUS: int64p(50000), CPUPeriodUS: int64p(100000), MemoryMax: int64p(64 << 20), MemorySwap: int64p(128 << 20), PidsMax: int64p(50)}},
		},
		{
			name: "run directly without a cgroupsPath",
			file: "host/run/runc/nsct-runc/state.json",
			want: &Record{Runtime: Runc, ID: "nsct-runc", Name: "nsct-runc", PID: 26371, PIDStart: 60803,
				Created:         time.Date(2026, 12, 2, 6, 48, 28, 773877757, time.UTC),
				CgroupsPath:     "nsct-runc",
				Namespaces:      []NamespaceSpec{{Type: "pid"}, {Type: "ipc"}, {Type: "uts"}, {Type: "mount"}},
				NamespacesKnown: true, Bundle: "/tmp/nsct/bundle"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseRuncState(fixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, r); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRecordFromContainerdBundle(t *testing.T) {
	const uid = "0b5c2a1e-8a7d-4e61-9d5f-1c2b3a4d5e6f"
	pod := &Pod{Name: "api-7f9", Namespace: "prod", UID: uid, ID: "nsct-sandbox"}
	tests := []struct {
		name, ns, id string
		wantName     string
		wantImage    string
		wantPod      *Pod
		wantInfra    bool
		wantRuntime  string
		wantNS       []NamespaceSpec
	}{
		{name: "CRI sandbox", ns: "nscope-test", id: "nsct-sandbox", wantName: "api-7f9", wantPod: pod, wantInfra: true, wantRuntime: Containerd,
			wantNS: []NamespaceSpec{{Type: "pid"}, {Type: "ipc"}, {Type: "uts"}, {Type: "mount"}, {Type: "network"}}},
		{name: "CRI container", ns: "nscope-test", id: "nsct-app", wantName: "api", wantImage: "registry.local/api:1.4", wantPod: pod, wantRuntime: Containerd,
			wantNS: []NamespaceSpec{{Type: "pid"}, {Type: "ipc", Path: "/proc/13491/ns/ipc"}, {Type: "uts"}, {Type: "mount"}, {Type: "network", Path: "/proc/13491/ns/net"}}},
		{name: "docker's", ns: "moby", id: dockerID, wantName: dockerID[:12], wantRuntime: Docker,
			wantNS: []NamespaceSpec{{Type: "mount"}, {Type: "network"}, {Type: "uts"}, {Type: "pid"}, {Type: "ipc"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := ParseOCISpec(fixture(t, "host/run/containerd/io.containerd.runtime.v2.task/"+tc.ns+"/"+tc.id+"/config.json"))
			if err != nil {
				t.Fatal(err)
			}
			r := RecordFromContainerdBundle(tc.ns, tc.id, spec)
			got := []any{r.Runtime, r.Name, r.Image, r.Pod, r.Infra, r.Namespaces}
			want := []any{tc.wantRuntime, tc.wantName, tc.wantImage, tc.wantPod, tc.wantInfra, tc.wantNS}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("runtime, name, image, pod, infra, namespaces (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRecordFromCRIOSpec(t *testing.T) {
	const (
		sandbox = "1f0c6d2b9a8e7f6d5c4b3a29181716151413121110f0e0d0c0b0a09080706050"
		ctr     = "2e1d0c9b8a7f6e5d4c3b2a19081726354453627180918273645546372819a0b1"
		uid     = "7d3c2b1a-0f9e-4d8c-b7a6-5f4e3d2c1b0a"
	)
	tests := []struct {
		name, id  string
		wantName  string
		wantImage string
		wantInfra bool
	}{
		{name: "sandbox", id: sandbox, wantName: "web-5d8f", wantInfra: true},
		{name: "container", id: ctr, wantName: "nginx", wantImage: "registry.local/web:2.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec, err := ParseOCISpec(fixture(t, "crio/var/lib/containers/storage/overlay-containers/"+tc.id+"/userdata/config.json"))
			if err != nil {
				t.Fatal(err)
			}
			if !IsCRIOSpec(spec) {
				t.Fatal("not recognised as CRI-O's")
			}
			r := RecordFromCRIOSpec(tc.id, spec)
			want := []any{CRIO, tc.wantName, tc.wantImage, tc.wantInfra, &Pod{Name: "web-5d8f", Namespace: "shop", UID: uid, ID: sandbox}}
			if diff := cmp.Diff(want, []any{r.Runtime, r.Name, r.Image, r.Infra, r.Pod}); diff != "" {
				t.Errorf("runtime, name, image, infra, pod (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseLibpodDB(t *testing.T) {
	recs, skipped, err := ParseLibpodDB(fixture(t, "host/var/lib/containers/storage/libpod/bolt_state.db"))
	if err != nil || skipped != 0 {
		t.Fatalf("ParseLibpodDB: %d skipped, %v", skipped, err)
	}
	const podID = "39f73d8342d13f614e21bc0deed17ea900e39d1d803309816f0098c4bb2f4772"
	type row struct {
		ID12, Name, Image, State string
		PID                      int
		Infra                    bool
		Pod                      Pod
		Cgroup                   string
	}
	var got []row
	for _, r := range recs {
		got = append(got, row{r.ID[:12], r.Name, r.Image, r.State, r.PID, r.Infra, *r.Pod, r.CgroupsPath})
	}
	pod := Pod{Name: "nsct-pod", ID: podID}
	want := []row{
		{"5765522a4b36", "39f73d8342d1-infra", "localhost/podman-pause:4.3.1-0", "running", 21790, true, pod, "/libpod_parent/" + podID + "/libpod-5765522a4b36a26a23038aa2483a0fbbc3da86afc3b186e206fc5b8a370303e7"},
		{"6a7f8d7fd288", "nsct-pa", "localhost/nscope-ct/busybox:latest", "running", 21812, false, pod, "/libpod_parent/" + podID + "/libpod-6a7f8d7fd2880839f1c224db420ba925018bc48d8fea16f184af7dabb85f3cca"},
		{"cbf445e91c59", "nsct-pb", "localhost/nscope-ct/busybox:latest", "running", 21842, false, pod, "/libpod_parent/" + podID + "/libpod-cbf445e91c59357d0a76623dee400c14435684ddf48950852cc5d46e5a5627dd"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("containers (-want +got):\n%s", diff)
	}
}

func TestParseDamaged(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		parse func([]byte) error
	}{
		{"docker config truncated", "damaged/var/lib/docker/containers/" + dockerID + "/config.v2.json", func(b []byte) error { _, err := ParseDockerConfig(b); return err }},
		{"docker hostconfig wrong type", "damaged/var/lib/docker/containers/8e3aebb03d665703f164b971e69668febc58715038e34290e86398759bba7017/hostconfig.json", func(b []byte) error { _, err := ParseDockerHostConfig(b); return err }},
		{"runc state truncated", "damaged/run/docker/runtime-runc/moby/" + dockerID + "/state.json", func(b []byte) error { _, err := ParseRuncState(b); return err }},
		{"spec without linux", "damaged/run/containerd/io.containerd.runtime.v2.task/default/broken/config.json", func(b []byte) error { _, err := ParseOCISpec(b); return err }},
		{"pid file not a number", "damaged/run/containerd/io.containerd.runtime.v2.task/default/broken/init.pid", func(b []byte) error { _, err := ParsePIDFile(b); return err }},
		{"libpod database truncated", "damaged/var/lib/containers/storage/libpod/bolt_state.db", func(b []byte) error { _, _, err := ParseLibpodDB(b); return err }},
		{"containers.json truncated", "damaged/var/lib/containers/storage/overlay-containers/containers.json", func(b []byte) error { _, err := ParseStorageContainers(b); return err }},
		{"crun status wrong type", "damaged/run/crun/bad/status", func(b []byte) error { _, err := ParseCrunStatus("bad", b); return err }},
		{"lxc config bad line", "damaged/var/lib/lxc/bad/config", func(b []byte) error { _, err := ParseLXCConfig(b); return err }},
		{"machine without a name", "damaged/run/systemd/machines/noname", func(b []byte) error { _, err := ParseMachine(b); return err }},
		{"daemon.json truncated", "damaged/etc/docker/daemon.json", func(b []byte) error { _, err := ParseDockerDaemonConfig(b); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.parse(fixture(t, tc.file)); err == nil {
				t.Errorf("parsed %s without an error", tc.file)
			}
		})
	}
}

func TestParseBoltDamagedMeta(t *testing.T) {
	db := fixture(t, "host/var/lib/containers/storage/libpod/bolt_state.db")
	tests := []struct {
		name    string
		mutate  func([]byte) []byte
		wantErr bool
	}{
		{name: "intact", mutate: func(b []byte) []byte { return b }},
		// One bad meta page: bbolt falls back to the other, so do we.
		{name: "first meta checksum broken", mutate: func(b []byte) []byte { b[16+40] ^= 0xff; return b }},
		{name: "both meta pages broken", mutate: func(b []byte) []byte { b[16+40] ^= 0xff; b[4096+16+40] ^= 0xff; return b }, wantErr: true},
		{name: "empty", mutate: func(b []byte) []byte { return nil }, wantErr: true},
		{name: "not bolt", mutate: func(b []byte) []byte { return []byte("SQLite format 3\x00" + string(make([]byte, 200))) }, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.mutate(append([]byte(nil), db...))
			recs, _, err := ParseLibpodDB(data)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err == nil && len(recs) != 3 {
				t.Errorf("%d containers, want 3", len(recs))
			}
			if err != nil && !errors.Is(err, ErrBoltFormat) {
				t.Errorf("err = %v, want ErrBoltFormat", err)
			}
		})
	}
}

func TestParseSmallFormats(t *testing.T) {
	lxc, err := ParseLXCConfig(fixture(t, "host/var/lib/lxc/nsct-lxc/config"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&LXCConfig{UTSName: "nsct-lxc", Rootfs: "dir:/var/lib/lxc/nsct-lxc/rootfs", Template: "busybox"}, lxc); diff != "" {
		t.Errorf("LXC config (-want +got):\n%s", diff)
	}
	lxc, err = ParseLXCConfig([]byte("lxc.cgroup2.cpu.max = 50000 100000\nlxc.cgroup.memory.limit_in_bytes = 256M\nlxc.cgroup2.pids.max = max\nlxc.cgroup.dir = \"lxc/web\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&LXCConfig{CgroupDir: "lxc/web", Limits: Limits{CPUQuotaUS: int64p(50000), CPUPeriodUS: int64p(100000), MemoryMax: int64p(256 << 20)}}, lxc); diff != "" {
		t.Errorf("LXC limits (-want +got):\n%s", diff)
	}
	crun, err := ParseCrunStatus("nsct-crun", fixture(t, "host/run/crun/nsct-crun/status"))
	if err != nil {
		t.Fatal(err)
	}
	if crun.PID != 26399 || crun.PIDStart != 60900 || crun.CgroupsPath != "/nsct-crun" || crun.Bundle != "/tmp/nsct/bundle" || crun.Created.IsZero() {
		t.Errorf("crun status = %+v", crun)
	}
	m, err := ParseMachine(fixture(t, "host/run/systemd/machines/nsct-machine"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&Machine{Name: "nsct-machine", Scope: `machine-nsct\x2dmachine.scope`, Root: "/var/lib/machines/nsct-machine", Class: "container", Leader: 27374}, m); diff != "" {
		t.Errorf("machine (-want +got):\n%s", diff)
	}
	if c := ParseStorageConfig(fixture(t, "relocated/etc/containers/storage.conf")); c != (StorageConfig{GraphRoot: "/data/containers", RunRoot: "/run/containers/storage"}) {
		t.Errorf("storage.conf = %+v", c)
	}
	if c := ParseContainerdConfig([]byte("version = 2\nroot = \"/srv/containerd\" # moved\n[plugins.\"x\"]\n  state = \"/not/this\"\n")); c != (ContainerdConfig{Root: "/srv/containerd"}) {
		t.Errorf("containerd config = %+v", c)
	}
	if got := ParseLXCSystemConfig([]byte("# comment\nlxc.lxcpath = /srv/lxc\n")); got != "/srv/lxc" {
		t.Errorf("lxc.lxcpath = %q", got)
	}
}

func TestNspawnMachine(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantName   string
		wantRoot   string
		wantNspawn bool
	}{
		{name: "machine flag", args: []string{"systemd-nspawn", "-D", "/tmp/r", "-M", "web", "--register=no", "/bin/sleep", "3600"}, wantName: "web", wantRoot: "/tmp/r", wantNspawn: true},
		{name: "name from directory", args: []string{"/usr/bin/systemd-nspawn", "--directory=/var/lib/machines/db/", "--bind", "/srv:/srv", "sh"}, wantName: "db", wantRoot: "/var/lib/machines/db/", wantNspawn: true},
		{name: "joined short", args: []string{"systemd-nspawn", "-Mbox", "-i", "/img/fedora.raw"}, wantName: "box", wantRoot: "/img/fedora.raw", wantNspawn: true},
		{name: "image name", args: []string{"systemd-nspawn", "--image", "/img/fedora.raw", "-b"}, wantName: "fedora", wantRoot: "/img/fedora.raw", wantNspawn: true},
		{name: "flags of the command are not nspawn's", args: []string{"systemd-nspawn", "-D", "/r", "cmd", "-M", "no"}, wantName: "r", wantRoot: "/r", wantNspawn: true},
		{name: "not nspawn", args: []string{"sleep", "-M", "x"}},
		{name: "empty", args: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name, root, ok := NspawnMachine(tc.args)
			if name != tc.wantName || root != tc.wantRoot || ok != tc.wantNspawn {
				t.Errorf("NspawnMachine(%q) = %q, %q, %v; want %q, %q, %v", tc.args, name, root, ok, tc.wantName, tc.wantRoot, tc.wantNspawn)
			}
		})
	}
}

func TestFromCgroupPath(t *testing.T) {
	const id = "9f3aebb03d665703f164b971e69668febc58715038e34290e86398759bba7017"
	const pod = "39f73d8342d13f614e21bc0deed17ea900e39d1d803309816f0098c4bb2f4772"
	tests := []struct {
		name    string
		path    string
		systemd bool
		want    CgroupHint
		wantOK  bool
	}{
		{name: "docker cgroupfs", path: "/docker/" + id, want: CgroupHint{Runtime: Docker, ID: id, Path: "/docker/" + id}, wantOK: true},
		{name: "docker nested cgroup", path: "/docker/" + id + "/init.scope", want: CgroupHint{Runtime: Docker, ID: id, Path: "/docker/" + id}, wantOK: true},
		{name: "docker systemd", path: "/system.slice/docker-" + id + ".scope", want: CgroupHint{Runtime: Docker, ID: id, Path: "/system.slice/docker-" + id + ".scope"}, wantOK: true},
		{name: "podman pod member", path: "/libpod_parent/" + pod + "/libpod-" + id, want: CgroupHint{Runtime: Podman, ID: id, Path: "/libpod_parent/" + pod + "/libpod-" + id, PodID: pod, PodPath: "/libpod_parent/" + pod}, wantOK: true},
		{name: "podman pod's conmon is no container", path: "/libpod_parent/" + pod + "/conmon", want: CgroupHint{PodID: pod, PodPath: "/libpod_parent/" + pod}, wantOK: true},
		{name: "podman pod itself", path: "/libpod_parent/" + pod, want: CgroupHint{PodID: pod, PodPath: "/libpod_parent/" + pod}, wantOK: true},
		{name: "podman systemd pod", path: "/machine.slice/machine-libpod_pod_" + pod + ".slice/libpod-" + id + ".scope",
			want: CgroupHint{Runtime: Podman, ID: id, Path: "/machine.slice/machine-libpod_pod_" + pod + ".slice/libpod-" + id + ".scope", PodID: pod, PodPath: "/machine.slice/machine-libpod_pod_" + pod + ".slice"}, wantOK: true},
		{name: "kubepods cgroupfs", path: "/kubepods/burstable/pod0b5c2a1e-8a7d-4e61-9d5f-1c2b3a4d5e6f/" + id,
			want: CgroupHint{Runtime: K8s, ID: id, Path: "/kubepods/burstable/pod0b5c2a1e-8a7d-4e61-9d5f-1c2b3a4d5e6f/" + id, PodUID: "0b5c2a1e-8a7d-4e61-9d5f-1c2b3a4d5e6f", PodPath: "/kubepods/burstable/pod0b5c2a1e-8a7d-4e61-9d5f-1c2b3a4d5e6f"}, wantOK: true},
		{name: "kubepods systemd containerd", path: "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0b5c2a1e_8a7d_4e61_9d5f_1c2b3a4d5e6f.slice/cri-containerd-" + id + ".scope",
			want: CgroupHint{Runtime: Containerd, ID: id, Path: "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0b5c2a1e_8a7d_4e61_9d5f_1c2b3a4d5e6f.slice/cri-containerd-" + id + ".scope",
				PodUID: "0b5c2a1e-8a7d-4e61-9d5f-1c2b3a4d5e6f", PodPath: "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0b5c2a1e_8a7d_4e61_9d5f_1c2b3a4d5e6f.slice"}, wantOK: true},
		{name: "lxc payload", path: "/lxc.payload.web", want: CgroupHint{Runtime: LXC, ID: "web", Path: "/lxc.payload.web"}, wantOK: true},
		{name: "lxc monitor is no container", path: "/lxc.monitor.web"},
		{name: "nscope launch", path: "/nscope/job1", want: CgroupHint{Runtime: Nscope, ID: "job1", Path: "/nscope/job1"}, wantOK: true},
		{name: "machine scope with systemd", path: `/machine.slice/machine-my\x2dbox.scope/payload`, systemd: true, want: CgroupHint{Runtime: Nspawn, ID: "my-box", Path: `/machine.slice/machine-my\x2dbox.scope`}, wantOK: true},
		{name: "machine scope without systemd is a directory", path: `/machine.slice/machine-my\x2dbox.scope`},
		{name: "a service directory", path: "/system.slice/x.service"},
		{name: "root", path: "/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := FromCgroupPath(tc.path, tc.systemd)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tc.wantOK, got)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("hint (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTrimLabels(t *testing.T) {
	in := map[string]string{"com.docker.compose.project": "shop", "z": string(make([]byte, 300))}
	for i := range 40 {
		in["org.opencontainers.image.label"+string(rune('a'+i%26))+string(rune('a'+i/26))] = "v"
	}
	out := TrimLabels(in)
	if len(out) != 32 || out["com.docker.compose.project"] != "shop" || len(out["z"]) != 256 {
		t.Errorf("TrimLabels kept %d labels, compose %q, z %d bytes", len(out), out["com.docker.compose.project"], len(out["z"]))
	}
	if got := cut("ab\u00e9", 3); got != "ab" {
		t.Errorf("cut in a rune = %q, want %q", got, "ab")
	}
}
