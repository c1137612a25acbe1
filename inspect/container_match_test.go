package inspect

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect/runtimes"
)

const (
	dockerID1 = "1111111111111111111111111111111111111111111111111111111111111111"
	dockerID9 = "9999999999999999999999999999999999999999999999999999999999999999"
	podmanPod = "5555555555555555555555555555555555555555555555555555555555555555"
	infraID   = "2222222222222222222222222222222222222222222222222222222222222222"
	memberID  = "3333333333333333333333333333333333333333333333333333333333333333"
)

var testBoot = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// hostBuilder builds a small snapshot of a host with containers of every
// kind, in two v1 hierarchies (cpu, freezer).
type hostBuilder struct {
	snap *Snapshot
	// members[key] are the PIDs in each cgroup.
	members map[CgroupKey][]int
}

func nsid(n uint64) NSID { return NSID{Dev: 4, Ino: n} }

// hostNS are the initial namespaces: inodes 1 to 8.
func hostNS() NSSet {
	var s NSSet
	for t := range NumNSTypes {
		s[t] = nsid(uint64(t) + 1)
	}
	return s
}

func newHostBuilder() *hostBuilder {
	return &hostBuilder{
		snap: &Snapshot{
			SchemaVersion: SchemaVersion,
			Host:          Host{BootTime: testBoot, InitNS: hostNS()},
			CgroupMode:    CgroupLegacy,
			Hierarchies: []Hierarchy{
				{ID: 1, Version: 1, Controllers: []string{"cpu"}, Mount: "/sys/fs/cgroup/cpu"},
				{ID: 4, Version: 1, Controllers: []string{"freezer"}, Mount: "/sys/fs/cgroup/freezer"},
			},
		},
		members: map[CgroupKey][]int{},
	}
}

// proc adds a process started ticks after boot, in cgroup cg in both
// hierarchies (cpuCg in cpu when it differs), with ns overriding the
// host's namespaces.
func (b *hostBuilder) proc(pid, ppid int, ticks uint64, cmdline string, cg string, ns map[NSType]uint64, nspid ...int) {
	p := Process{PID: pid, PPID: ppid, Cmdline: strings.Fields(cmdline), State: "S",
		StartTime: testBoot.Add(time.Duration(ticks) * (time.Second / clockTicks)), NS: hostNS()}
	p.Comm = p.Cmdline[0]
	if i := strings.LastIndexByte(p.Comm, '/'); i >= 0 {
		p.Comm = p.Comm[i+1:]
	}
	for t, ino := range ns {
		p.NS[t] = nsid(ino)
	}
	p.NSpid = append([]int{pid}, nspid...)
	for _, h := range []int{1, 4} {
		p.Cgroups = append(p.Cgroups, ProcCgroup{Hierarchy: h, Path: cg})
		b.members[CgroupKey{h, cg}] = append(b.members[CgroupKey{h, cg}], pid)
	}
	b.snap.Processes = append(b.snap.Processes, p)
}

// finish adds the cgroups (with their parents) and namespaces and
// indexes the snapshot.
func (b *hostBuilder) finish(frozen ...string) *Snapshot {
	s := b.snap
	seen := map[CgroupKey]bool{}
	var add func(k CgroupKey)
	add = func(k CgroupKey) {
		if seen[k] {
			return
		}
		seen[k] = true
		if k.Path != "/" {
			parent := k.Path[:strings.LastIndexByte(k.Path, '/')]
			if parent == "" {
				parent = "/"
			}
			add(CgroupKey{k.Hierarchy, parent})
		}
		cg := Cgroup{Hierarchy: k.Hierarchy, Path: k.Path, Procs: b.members[k]}
		if k.Hierarchy == 4 {
			f := false
			for _, p := range frozen {
				f = f || p == k.Path
			}
			cg.Limits.Frozen = &f
		}
		s.Cgroups = append(s.Cgroups, cg)
	}
	for _, h := range []int{1, 4} {
		add(CgroupKey{h, "/"})
	}
	for k := range b.members {
		add(k)
	}
	members := map[NSID][]int{}
	for _, p := range s.Processes {
		for _, id := range p.NS {
			members[id] = append(members[id], p.PID)
		}
	}
	for t := range NumNSTypes {
		for id, pids := range members {
			if id.Ino%10 == uint64(t)+1 {
				s.Namespaces = append(s.Namespaces, Namespace{ID: id, Type: NSType(t), Members: pids, Initial: id == nsid(uint64(t)+1)})
			}
		}
	}
	s.sortAll()
	s.index()
	return s
}

// testHost is a host with: a docker container with an exec'd process and
// a nested cgroup; a podman pod (infra and a member sharing its network,
// IPC and UTS namespaces); a runc container whose recorded PID was
// reused; an LXC container with no PID on record; a docker container no
// state file names; an nspawn machine without machined; an nscope launch;
// a runc container on the host network whose freezer cgroup is frozen.
// Namespace inodes end in the type's number + 1 (net: 3, pid: 2).
func testHost(withCgroups bool) (*Snapshot, runtimes.Result) {
	b := newHostBuilder()
	b.proc(1, 0, 1, "/sbin/init", "/", nil)
	b.proc(100, 1, 10, "containerd-shim-runc-v2", "/", nil)
	b.proc(101, 100, 500, "sleep 3600", "/docker/"+dockerID1, map[NSType]uint64{MntNS: 11, PIDNS: 12, NetNS: 13}, 1)
	b.proc(102, 100, 900, "sh", "/docker/"+dockerID1+"/sub", map[NSType]uint64{MntNS: 11, PIDNS: 12, NetNS: 13}, 7)
	b.proc(200, 100, 100, "/catatonit -P", "/libpod_parent/"+podmanPod+"/libpod-"+infraID, map[NSType]uint64{PIDNS: 22, NetNS: 23, IPCNS: 24, UTSNS: 25}, 1)
	b.proc(199, 1, 90, "conmon", "/libpod_parent/"+podmanPod+"/conmon", nil)
	b.proc(201, 199, 200, "sleep 3600", "/libpod_parent/"+podmanPod+"/libpod-"+memberID, map[NSType]uint64{PIDNS: 32, NetNS: 23, IPCNS: 24, UTSNS: 25}, 1)
	b.proc(300, 1, 3000, "bash", "/", nil)
	b.proc(399, 1, 390, "[lxc monitor] /var/lib/lxc web", "/lxc.monitor.web", nil)
	b.proc(400, 399, 400, "/sbin/init", "/lxc.payload.web", map[NSType]uint64{PIDNS: 42, NetNS: 43}, 1)
	b.proc(401, 400, 410, "syslogd", "/lxc.payload.web", map[NSType]uint64{PIDNS: 42, NetNS: 43}, 2)
	b.proc(500, 100, 600, "nginx", "/docker/"+dockerID9, map[NSType]uint64{PIDNS: 52}, 1)
	b.proc(600, 1, 700, "systemd-nspawn -D /m/box -M box --register=no sleep 9", "/", nil)
	b.proc(601, 600, 701, "sleep 9", "/", map[NSType]uint64{PIDNS: 62, MntNS: 61}, 1)
	b.proc(602, 601, 702, "sleep 1", "/", map[NSType]uint64{PIDNS: 62, MntNS: 61}, 2)
	b.proc(699, 1, 790, "nscope run --name job1 sleep 1", "/", nil)
	b.proc(700, 699, 800, "nscope-init sleep 1", "/nscope/job1", map[NSType]uint64{PIDNS: 72}, 1)
	b.proc(800, 1, 850, "sleep 5", "/hostnet", map[NSType]uint64{PIDNS: 82})
	snap := b.finish("/hostnet")
	if !withCgroups {
		snap.Cgroups = nil
		snap.index()
	}
	records := []runtimes.Record{
		{Runtime: runtimes.Docker, ID: dockerID1, Name: "web", Image: "nginx:1", State: "running", PID: 101,
			Compose: &runtimes.Compose{Project: "shop", Service: "web"}, Source: "/var/lib/docker/containers/" + dockerID1 + "/config.v2.json"},
		{Runtime: runtimes.Podman, ID: infraID, Name: "p-infra", Infra: true, State: "running", PID: 200, Pod: &runtimes.Pod{Name: "pod1", ID: podmanPod}},
		{Runtime: runtimes.Podman, ID: memberID, Name: "db", State: "running", PID: 201, Pod: &runtimes.Pod{Name: "pod1", ID: podmanPod}},
		{Runtime: runtimes.Runc, ID: "old", Name: "old", State: "running", PID: 300, PIDStart: 2999},
		{Runtime: runtimes.LXC, ID: "web", Name: "web", Image: "busybox"},
		{Runtime: runtimes.Runc, ID: "hostnet", Name: "hostnet", State: "running", PID: 800, PIDStart: 850},
	}
	return snap, runtimes.Result{Records: records, Sources: []runtimes.Source{{Runtime: "docker", Path: "/var/lib/docker/containers", Containers: 1}}}
}

func attachTest(t *testing.T, snap *Snapshot, res runtimes.Result) *unreadableCounter {
	t.Helper()
	bad := &unreadableCounter{}
	New().attachContainers(snap, res, bad)
	return bad
}

// containerLine is one container on one line, for comparing.
func containerLine(s *Snapshot, c *Container) string {
	var pids []string
	for _, p := range s.ContainerProcesses(c) {
		pids = append(pids, fmt.Sprint(p.PID))
	}
	var shared []string
	for _, sh := range c.Shared {
		if sh.Type == UserNS || sh.Type == CgroupNS || sh.Type == TimeNS || sh.Type == MntNS && sh.With == SharedWithHost {
			continue // the host's in every container here
		}
		w := sh.With
		if sh.Container != nil {
			w = sh.Container.String()
		}
		shared = append(shared, sh.Type.String()+"="+w)
	}
	pod := ""
	if c.Pod != nil {
		pod = fmt.Sprintf(" pod=%s/%s/%.12s cg=%s", c.Pod.Namespace, c.Pod.Name, c.Pod.ID, c.Pod.Cgroup)
	}
	return fmt.Sprintf("%s %s init=%d runtime_pid=%d state=%s procs=%s shared=%s%s src=%s", c.Ref(), c.Name, c.InitPID, c.RuntimePID, c.State,
		strings.Join(pids, ","), strings.Join(shared, ","), pod, c.Source)
}

func TestAttachContainers(t *testing.T) {
	for _, withCgroups := range []bool{true, false} {
		t.Run(fmt.Sprintf("cgroups walked %v", withCgroups), func(t *testing.T) {
			snap, res := testHost(withCgroups)
			attachTest(t, snap, res)
			var got []string
			for i := range snap.Containers {
				got = append(got, containerLine(snap, &snap.Containers[i]))
			}
			const podCg = " pod=/pod1/555555555555 cg=/libpod_parent/" + podmanPod
			const infra = "podman:222222222222"
			want := []string{
				"docker:999999999999 999999999999 init=500 runtime_pid=0 state=running procs=500 shared=net=host,ipc=host,uts=host src=cgroup path",
				"docker:111111111111 web init=101 runtime_pid=0 state=running procs=101,102 shared=ipc=host,uts=host src=/var/lib/docker/containers/" + dockerID1 + "/config.v2.json",
				"lxc:web web init=400 runtime_pid=0 state=running procs=400,401 shared=ipc=host,uts=host src=",
				"nscope:job1 job1 init=700 runtime_pid=0 state=running procs=700 shared=net=host,ipc=host,uts=host src=process 700 (nscope-init)",
				"nspawn:box box init=601 runtime_pid=0 state=running procs=601,602 shared=net=host,ipc=host,uts=host src=process 600 (systemd-nspawn)",
				"podman:333333333333 db init=201 runtime_pid=0 state=running procs=201 shared=net=" + infra + ",ipc=" + infra + ",uts=" + infra + podCg + " src=",
				infra + " p-infra init=200 runtime_pid=0 state=running procs=200 shared=" + podCg + " src=",
				"runc:hostnet hostnet init=800 runtime_pid=0 state=paused procs=800 shared=net=host,ipc=host,uts=host src=",
				"runc:old old init=0 runtime_pid=300 state=stopped procs= shared= src=",
			}
			if !withCgroups {
				// No freezer state without the cgroup walk.
				want[7] = strings.Replace(want[7], "state=paused", "state=running", 1)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("containers (-want +got):\n%s", diff)
			}
			if withCgroups {
				for _, path := range []string{"/docker/" + dockerID1, "/docker/" + dockerID1 + "/sub"} {
					if cg := snap.Cgroup(1, path); cg == nil || cg.Container != (ContainerRef{"docker", dockerID1}) {
						t.Errorf("cgroup %s container = %+v", path, cg)
					}
				}
				for _, path := range []string{"/", "/docker", "/libpod_parent/" + podmanPod, "/libpod_parent/" + podmanPod + "/conmon", "/lxc.monitor.web"} {
					if cg := snap.Cgroup(1, path); cg == nil || !cg.Container.IsZero() {
						t.Errorf("cgroup %s is marked %+v, want no container", path, cg)
					}
				}
			}
			// The pod's network namespace is the infra container's; the
			// machine's pid namespace is the machine's.
			for ino, want := range map[uint64]ContainerRef{23: {"podman", infraID}, 62: {"nspawn", "box"}, 13: {"docker", dockerID1}, 3: {}} {
				n := snap.Namespace(nsid(ino))
				if n == nil || n.Container != want {
					t.Errorf("namespace %d container = %+v, want %+v", ino, n, want)
				}
			}
			if p := snap.Process(199); !p.Container.IsZero() {
				t.Errorf("conmon is in container %v", p.Container)
			}
			if c := snap.ContainerOf(102); c == nil || c.Name != "web" {
				t.Errorf("ContainerOf(102) = %+v", c)
			}
		})
	}
}

// TestAttachContainersStalePID: a PID the runtime recorded that now is a
// host process without the container's ID in its cgroups is not the
// container's init.
func TestAttachContainersStalePID(t *testing.T) {
	b := newHostBuilder()
	b.proc(1, 0, 1, "/sbin/init", "/", nil)
	b.proc(4242, 1, 77, "vim", "/user.slice", nil)
	snap := b.finish()
	res := runtimes.Result{Records: []runtimes.Record{{Runtime: runtimes.Docker, ID: dockerID1, Name: "gone", State: "running", PID: 4242}}}
	attachTest(t, snap, res)
	c := &snap.Containers[0]
	if c.InitPID != 0 || c.RuntimePID != 4242 || c.State != "running" || !snap.Process(4242).Container.IsZero() {
		t.Errorf("stale docker record = %s", containerLine(snap, c))
	}
}

func TestAttachContainersUnreadable(t *testing.T) {
	snap, _ := testHost(true)
	res := runtimes.Result{Errors: []runtimes.FileError{
		{Path: "/var/lib/docker/containers/x/config.v2.json", Err: &runtimes.FormatError{Path: "x", Err: fmt.Errorf("unexpected end of JSON input")}},
		{Path: "/run/user/1000/containers", Err: fmt.Errorf("open: %w", unix.EACCES)},
	}}
	bad := attachTest(t, snap, res)
	got := bad.list()
	want := []Unreadable{{Kind: UnreadableRuntime, Count: 2, Errno: "unknown format", Example: "/var/lib/docker/containers/x/config.v2.json"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unreadable (-want +got):\n%s", diff)
	}
}

// TestAttachContainersOneInitPerProcess: when a runc state and a runtime
// above it both record a process as their init (a state left behind),
// the runtime that names containers has it.
func TestAttachContainersOneInitPerProcess(t *testing.T) {
	b := newHostBuilder()
	b.proc(1, 0, 1, "/sbin/init", "/", nil)
	b.proc(100, 1, 10, "containerd-shim-runc-v2", "/", nil)
	b.proc(101, 100, 500, "sleep 3600", "/docker/"+dockerID1, map[NSType]uint64{PIDNS: 12}, 1)
	snap := b.finish()
	res := runtimes.Result{Records: []runtimes.Record{
		{Runtime: runtimes.Crun, ID: "leftover", Name: "leftover", State: "running", PID: 101, PIDStart: 500},
		{Runtime: runtimes.Docker, ID: dockerID1, Name: "web", State: "running", PID: 101},
	}}
	attachTest(t, snap, res)
	web, left := snap.Container(ContainerRef{"docker", dockerID1}), snap.Container(ContainerRef{"crun", "leftover"})
	if web.InitPID != 101 || left.InitPID != 0 || left.RuntimePID != 101 || left.State != "stopped" {
		t.Errorf("docker %s; crun %s", containerLine(snap, web), containerLine(snap, left))
	}
}
