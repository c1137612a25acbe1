package procview

import (
	"bytes"
	"testing"
	"time"

	"github.com/nscope/nscope/inspect"
)

// Namespace IDs of the test host. The initial namespaces use the inode
// numbers the kernel gives them; the container's are made up.
var (
	userHost = inspect.NSID{Dev: 4, Ino: 4026531837}
	pidHost  = inspect.NSID{Dev: 4, Ino: 4026531836}
	netHost  = inspect.NSID{Dev: 4, Ino: 4026531840}
	mntHost  = inspect.NSID{Dev: 4, Ino: 4026531841}
	pidCtr   = inspect.NSID{Dev: 4, Ino: 4026532201}
	netCtr   = inspect.NSID{Dev: 4, Ino: 4026532204}
	mntCtr   = inspect.NSID{Dev: 4, Ino: 4026532199}
	netBlue  = inspect.NSID{Dev: 4, Ino: 4026532300}
	userCtr  = inspect.NSID{Dev: 4, Ino: 4026532400}
	pidNest  = inspect.NSID{Dev: 4, Ino: 4026532401}
)

const dockerID = "3f4e5d6c7b8a9f0e1d2c3b4a5968778695a4b3c2d1e0f9e8d7c6b5a4f3e2d1c0"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func i64(v int64) *int64 { return &v }

func proc(pid, ppid int, comm string, nspid []int, ns inspect.NSSet, cg string) inspect.Process {
	return inspect.Process{
		PID: pid, PPID: ppid, Comm: comm, Cmdline: []string{"/usr/bin/" + comm},
		UID: 0, User: "root", State: "S", StartTime: t0.Add(time.Duration(pid) * time.Second),
		Threads: 1, NSpid: nspid, NS: ns, RSSBytes: int64(pid) << 20,
		Cgroups: []inspect.ProcCgroup{{Hierarchy: 0, Path: cg}},
	}
}

// testHost is a unified (cgroup v2) host with init, kthreadd and a
// worker, dockerd, one container (pid ns nested in the host's, own net
// and mnt ns, a docker scope cgroup with limits), a rootless sandbox
// (its own user ns owning a pid ns) and a named netns "blue" with no
// process. cpuUS is added to every process's CPU time and to the
// cgroups' usage, so two calls give two snapshots a second apart.
func testHost(t *testing.T, at time.Time, cpuUS int64) *inspect.Snapshot {
	t.Helper()
	host := inspect.NSSet{}
	host[inspect.UserNS], host[inspect.PIDNS], host[inspect.NetNS], host[inspect.MntNS] = userHost, pidHost, netHost, mntHost
	ctr := host
	ctr[inspect.PIDNS], ctr[inspect.NetNS], ctr[inspect.MntNS] = pidCtr, netCtr, mntCtr
	sandbox := host
	sandbox[inspect.UserNS], sandbox[inspect.PIDNS] = userCtr, pidNest
	scope := "/system.slice/docker-" + dockerID + ".scope"

	procs := []inspect.Process{
		proc(1, 0, "init", []int{1}, host, "/init.scope"),
		proc(2, 0, "kthreadd", []int{2}, host, "/"),
		proc(3, 2, "kworker/0:1", []int{3}, host, "/"),
		proc(100, 1, "dockerd", []int{100}, host, "/system.slice/docker.service"),
		proc(201, 100, "nginx", []int{201, 1}, ctr, scope),
		proc(202, 201, "nginx", []int{202, 2}, ctr, scope),
		proc(300, 1, "bwrap", []int{300, 1}, sandbox, "/user.slice"),
	}
	procs[1].Kernel, procs[2].Kernel = true, true
	for i := range procs {
		procs[i].UTimeUS = cpuUS * int64(procs[i].PID%7)
		procs[i].STimeUS = cpuUS
	}
	snap := &inspect.Snapshot{
		SchemaVersion: inspect.SchemaVersion,
		Time:          at,
		Host:          inspect.Host{Hostname: "testhost", UID: 0, Root: true, SelfPID: 300, InitNS: host, CPUs: 4},
		CgroupMode:    inspect.CgroupUnified,
		Hierarchies:   []inspect.Hierarchy{{ID: 0, Version: 2, Controllers: []string{"cpu", "memory", "pids"}, Mount: "/sys/fs/cgroup"}},
		Processes:     procs,
		Namespaces: []inspect.Namespace{
			{ID: userHost, Type: inspect.UserNS, OwnerUID: 0, Initial: true, Members: []int{1, 2, 3, 100, 201, 202}},
			{ID: userCtr, Type: inspect.UserNS, Owner: userHost, Parent: userHost, OwnerUID: 1000, Level: 1, Members: []int{300}},
			{ID: pidHost, Type: inspect.PIDNS, Owner: userHost, OwnerUID: -1, Initial: true, Members: []int{1, 2, 3, 100}},
			{ID: pidCtr, Type: inspect.PIDNS, Owner: userHost, Parent: pidHost, OwnerUID: -1, Level: 1, Members: []int{201, 202}},
			{ID: pidNest, Type: inspect.PIDNS, Owner: userCtr, Parent: pidHost, OwnerUID: -1, Level: 1, Members: []int{300}},
			{ID: netHost, Type: inspect.NetNS, Owner: userHost, OwnerUID: -1, Initial: true, Members: []int{1, 2, 3, 100, 300}},
			{ID: netCtr, Type: inspect.NetNS, Owner: userHost, OwnerUID: -1, Members: []int{201, 202}},
			{ID: netBlue, Type: inspect.NetNS, Owner: userHost, OwnerUID: -1, Holders: []inspect.Holder{{Kind: inspect.HeldByNamedNetns, Name: "blue", Path: "/run/netns/blue"}}},
			{ID: mntHost, Type: inspect.MntNS, Owner: userHost, OwnerUID: -1, Initial: true, Members: []int{1, 2, 3, 100, 300}},
			{ID: mntCtr, Type: inspect.MntNS, Owner: userHost, OwnerUID: -1, Members: []int{201, 202}},
		},
		Cgroups: []inspect.Cgroup{
			{Hierarchy: 0, Path: "/", Procs: []int{2, 3}, Usage: inspect.Usage{CPUUsageUS: i64(40 * cpuUS)}},
			{Hierarchy: 0, Path: "/init.scope", Procs: []int{1}, Usage: inspect.Usage{CPUUsageUS: i64(cpuUS)}},
			{Hierarchy: 0, Path: "/system.slice", Usage: inspect.Usage{CPUUsageUS: i64(3 * cpuUS)}},
			{Hierarchy: 0, Path: "/system.slice/docker.service", Procs: []int{100}, Usage: inspect.Usage{CPUUsageUS: i64(cpuUS)}},
			{
				Hierarchy: 0, Path: scope, Procs: []int{201, 202},
				Limits: inspect.Limits{CPUQuotaUS: i64(50000), CPUPeriodUS: i64(100000), MemoryMax: i64(256 << 20), PidsMax: i64(100)},
				Usage: inspect.Usage{
					CPUUsageUS: i64(2 * cpuUS), NrPeriods: i64(cpuUS / 100), NrThrottled: i64(cpuUS / 400),
					MemoryCurrent: i64(200 << 20), PidsCurrent: i64(2),
					MemoryEvents: &inspect.MemoryEvents{OOMKill: cpuUS / 1_000_000},
				},
			},
			{Hierarchy: 0, Path: "/user.slice", Procs: []int{300}, Usage: inspect.Usage{CPUUsageUS: i64(cpuUS)}},
		},
	}
	return reload(t, snap)
}

// reload round-trips a snapshot through JSON so that its indexes are
// built, as "nscope --load" does.
func reload(t *testing.T, s *inspect.Snapshot) *inspect.Snapshot {
	t.Helper()
	var buf bytes.Buffer
	if err := s.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	out, err := inspect.Load(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
