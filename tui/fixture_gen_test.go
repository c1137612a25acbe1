package tui

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nscope/nscope/inspect"
)

// -update-fixtures rewrites testdata/small-1.json and small-2.json from
// smallHost below. The files are what the golden tests and the
// end-to-end test load; smallHost is the hand-checked description of
// them, kept here so a change to the host is a change to reviewable code.
var updateFixtures = flag.Bool("update-fixtures", false, "rewrite testdata/small-*.json from smallHost")

func TestWriteSmallFixtures(t *testing.T) {
	if !*updateFixtures {
		t.Skip("run with -update-fixtures to rewrite testdata/small-*.json")
	}
	for i, s := range []*inspect.Snapshot{smallHost(0), smallHost(1)} {
		f, err := os.Create(filepath.Join("testdata", []string{"small-1.json", "small-2.json"}[i]))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.WriteJSON(f); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func p64(v int64) *int64 { return &v }
func pbool(v bool) *bool { return &v }

// Namespace IDs of the small host: the initial ones as the kernel numbers
// them, the others made up but in the kernel's range.
var (
	smUser  = inspect.NSID{Dev: 4, Ino: 4026531837}
	smPID   = inspect.NSID{Dev: 4, Ino: 4026531836}
	smNet   = inspect.NSID{Dev: 4, Ino: 4026531840}
	smMnt   = inspect.NSID{Dev: 4, Ino: 4026531841}
	smUTS   = inspect.NSID{Dev: 4, Ino: 4026531838}
	smIPC   = inspect.NSID{Dev: 4, Ino: 4026531839}
	smCg    = inspect.NSID{Dev: 4, Ino: 4026531835}
	smTime  = inspect.NSID{Dev: 4, Ino: 4026531834}
	webMnt  = inspect.NSID{Dev: 4, Ino: 4026532201}
	webUTS  = inspect.NSID{Dev: 4, Ino: 4026532202}
	webIPC  = inspect.NSID{Dev: 4, Ino: 4026532203}
	webPID  = inspect.NSID{Dev: 4, Ino: 4026532204}
	webNet  = inspect.NSID{Dev: 4, Ino: 4026532206}
	webCg   = inspect.NSID{Dev: 4, Ino: 4026532207}
	podUser = inspect.NSID{Dev: 4, Ino: 4026532400}
	podMnt  = inspect.NSID{Dev: 4, Ino: 4026532401}
	podPID  = inspect.NSID{Dev: 4, Ino: 4026532402}
	podNet  = inspect.NSID{Dev: 4, Ino: 4026532403}
	runMnt  = inspect.NSID{Dev: 4, Ino: 4026532501}
	runUTS  = inspect.NSID{Dev: 4, Ino: 4026532502}
	runPID  = inspect.NSID{Dev: 4, Ino: 4026532504}
	runNet  = inspect.NSID{Dev: 4, Ino: 4026532506}
	blueNet = inspect.NSID{Dev: 4, Ino: 4026532600}
	fdNet   = inspect.NSID{Dev: 4, Ino: 4026532601}
)

const (
	webID = "9a3c1e7d5b2f4a6c8e0d1f3b5a7c9e1d3f5b7a9c1e3d5f7b9a1c3e5d7f9b1a3c"
	podID = "5e8f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f"
)

// smallHost is a unified (cgroup v2) host, small enough to check by hand:
//
//   - systemd, sshd, alice's bash, dockerd, containerd and two kernel threads
//   - docker container "web": nginx master (PID 1 inside) and two workers
//     in their own pid, net, mnt, uts, ipc and cgroup namespaces, in a
//     docker scope limited to half a CPU, 256 MiB (200 MiB used: 78%) and
//     100 pids
//   - rootless podman: alice's user namespace owning a pid, net and mnt
//     namespace with "sleep infinity" as PID 1
//   - nscope run "demo": sh and a busy stress process in cgroup
//     /nscope-run-demo, limited to 20% of a CPU and 64 MiB (60 MiB used:
//     94%), throttled and with OOM kills
//   - net namespace "blue" kept by "ip netns add" (no process) and one
//     kept open by an fd of alice's bash
//
// step 1 is the same host one second after step 0, with CPU counters
// advanced, so rates can be checked: stress 20% (a whole quota, throttled
// in 8 of 10 periods), nginx master 30%, each worker 10%, dockerd 5%.
func smallHost(step int) *inspect.Snapshot {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(step) * time.Second)
	boot := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	host := inspect.NSSet{smMnt, smPID, smNet, smIPC, smUTS, smUser, smCg, smTime}
	web := inspect.NSSet{webMnt, webPID, webNet, webIPC, webUTS, smUser, webCg, smTime}
	pod := inspect.NSSet{podMnt, podPID, podNet, smIPC, smUTS, podUser, smCg, smTime}
	run := inspect.NSSet{runMnt, runPID, runNet, smIPC, runUTS, smUser, smCg, smTime}
	webScope := "/system.slice/docker-" + webID + ".scope"
	podScope := "/user.slice/user-1000.slice/user@1000.service/app.slice/libpod-" + podID + ".scope"

	type pdef struct {
		pid, ppid  int
		comm, user string
		uid        int
		cmd        []string
		nspid      []int
		ns         inspect.NSSet
		cg         string
		cpuUS      int64 // CPU time at step 0
		rateUS     int64 // CPU µs per second
		rss        int64
		started    time.Duration // after boot
		kernel     bool
		state      string
		threads    int
	}
	defs := []pdef{
		{1, 0, "systemd", "root", 0, []string{"/sbin/init"}, []int{1}, host, "/init.scope", 4_200_000, 1000, 12 << 20, 0, false, "S", 1},
		{2, 0, "kthreadd", "root", 0, nil, []int{2}, host, "/", 10_000, 0, 0, 0, true, "S", 1},
		{3, 2, "kworker/0:0", "root", 0, nil, []int{3}, host, "/", 250_000, 2000, 0, 0, true, "I", 1},
		{410, 1, "sshd", "root", 0, []string{"sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"}, []int{410}, host, "/system.slice/ssh.service", 80_000, 0, 9 << 20, 20 * time.Second, false, "S", 1},
		{412, 410, "bash", "alice", 1000, []string{"-bash"}, []int{412}, host, "/user.slice/user-1000.slice/session-1.scope", 30_000, 0, 5 << 20, time.Hour, false, "S", 1},
		{500, 1, "dockerd", "root", 0, []string{"/usr/bin/dockerd", "-H", "fd://"}, []int{500}, host, "/system.slice/docker.service", 9_000_000, 50_000, 96 << 20, 30 * time.Second, false, "S", 18},
		{620, 1, "containerd-shim", "root", 0, []string{"/usr/bin/containerd-shim-runc-v2", "-namespace", "moby", "-id", webID[:12]}, []int{620}, host, "/system.slice/containerd.service", 400_000, 0, 14 << 20, 2 * time.Hour, false, "S", 11},
		{631, 620, "nginx", "root", 0, []string{"nginx: master process nginx -g daemon off;"}, []int{631, 1}, web, webScope, 1_500_000, 300_000, 8 << 20, 2 * time.Hour, false, "S", 1},
		{640, 631, "nginx", "www-data", 33, []string{"nginx: worker process"}, []int{640, 7}, web, webScope, 900_000, 100_000, 96 << 20, 2 * time.Hour, false, "S", 1},
		{641, 631, "nginx", "www-data", 33, []string{"nginx: worker process"}, []int{641, 8}, web, webScope, 880_000, 100_000, 94 << 20, 2 * time.Hour, false, "R", 1},
		{700, 412, "sleep", "alice", 1000, []string{"sleep", "infinity"}, []int{700, 1}, pod, podScope, 1_000, 0, 1 << 20, 3 * time.Hour, false, "S", 1},
		{800, 412, "sh", "root", 0, []string{"/bin/sh"}, []int{800, 1}, run, "/nscope-run-demo", 20_000, 0, 2 << 20, 3*time.Hour + 30*time.Minute, false, "S", 1},
		{801, 800, "stress", "root", 0, []string{"stress", "--cpu", "1", "--vm", "1", "--vm-bytes", "56M"}, []int{801, 2}, run, "/nscope-run-demo", 60_000_000, 200_000, 57 << 20, 3*time.Hour + 31*time.Minute, false, "R", 1},
	}
	var procs []inspect.Process
	for _, d := range defs {
		cpu := d.cpuUS + d.rateUS*int64(step)
		procs = append(procs, inspect.Process{
			PID: d.pid, PPID: d.ppid, Comm: d.comm, Cmdline: d.cmd, UID: d.uid, User: d.user,
			State: d.state, StartTime: boot.Add(d.started), Threads: d.threads,
			UTimeUS: cpu * 3 / 4, STimeUS: cpu - cpu*3/4, RSSBytes: d.rss, Kernel: d.kernel,
			NSpid: d.nspid, NS: d.ns, PIDForChildren: d.ns[inspect.PIDNS], TimeForChildren: d.ns[inspect.TimeNS],
			Cgroups: []inspect.ProcCgroup{{Hierarchy: 0, Path: d.cg}},
		})
	}
	members := func(pick func(p *inspect.Process) bool) []int {
		var out []int
		for i := range procs {
			if pick(&procs[i]) {
				out = append(out, procs[i].PID)
			}
		}
		return out
	}
	var nss []inspect.Namespace
	addNS := func(id inspect.NSID, t inspect.NSType, owner, parent inspect.NSID, ownerUID, level int, holders ...inspect.Holder) {
		nss = append(nss, inspect.Namespace{
			ID: id, Type: t, Owner: owner, Parent: parent, OwnerUID: ownerUID, Level: level,
			Initial: host[t] == id,
			Members: members(func(p *inspect.Process) bool { return p.NS[t] == id }),
			Holders: holders,
		})
	}
	for _, t := range inspect.AllNSTypes {
		if t == inspect.UserNS {
			addNS(smUser, t, inspect.NSID{}, inspect.NSID{}, 0, 0)
			continue
		}
		addNS(host[t], t, smUser, inspect.NSID{}, -1, 0)
	}
	for _, t := range []inspect.NSType{inspect.MntNS, inspect.UTSNS, inspect.IPCNS, inspect.NetNS, inspect.CgroupNS} {
		addNS(web[t], t, smUser, inspect.NSID{}, -1, 0)
	}
	addNS(webPID, inspect.PIDNS, smUser, smPID, -1, 1)
	addNS(podUser, inspect.UserNS, smUser, smUser, 1000, 1)
	addNS(podMnt, inspect.MntNS, podUser, inspect.NSID{}, -1, 0)
	addNS(podNet, inspect.NetNS, podUser, inspect.NSID{}, -1, 0)
	addNS(podPID, inspect.PIDNS, podUser, smPID, -1, 1)
	addNS(runMnt, inspect.MntNS, smUser, inspect.NSID{}, -1, 0)
	addNS(runUTS, inspect.UTSNS, smUser, inspect.NSID{}, -1, 0)
	addNS(runNet, inspect.NetNS, smUser, inspect.NSID{}, -1, 0)
	addNS(runPID, inspect.PIDNS, smUser, smPID, -1, 1)
	addNS(blueNet, inspect.NetNS, smUser, inspect.NSID{}, -1, 0,
		inspect.Holder{Kind: inspect.HeldByBindMount, Path: "/run/netns/blue", MountNS: smMnt},
		inspect.Holder{Kind: inspect.HeldByNamedNetns, Name: "blue", Path: "/run/netns/blue"})
	addNS(fdNet, inspect.NetNS, smUser, inspect.NSID{}, -1, 0, inspect.Holder{Kind: inspect.HeldByFD, PID: 412, FD: 5})

	cgProcs := func(path string) []int {
		return members(func(p *inspect.Process) bool { return p.Cgroups[0].Path == path })
	}
	cpuOf := func(paths ...string) int64 {
		var sum int64
		for i := range procs {
			for _, path := range paths {
				if len(procs[i].Cgroups[0].Path) >= len(path) && procs[i].Cgroups[0].Path[:len(path)] == path {
					sum += procs[i].CPUTimeUS()
					break
				}
			}
		}
		return sum
	}
	cg := func(path string, l inspect.Limits, u inspect.Usage) inspect.Cgroup {
		if u.CPUUsageUS == nil {
			u.CPUUsageUS = p64(cpuOf(path))
		}
		return inspect.Cgroup{Hierarchy: 0, Path: path, Procs: cgProcs(path), Controllers: []string{"cpu", "io", "memory", "pids"}, Limits: l, Usage: u}
	}
	unl := p64(inspect.Unlimited)
	noLimits := inspect.Limits{CPUQuotaUS: unl, CPUPeriodUS: p64(100000), CPUWeight: p64(100), MemoryMax: unl, MemoryHigh: unl, MemoryLow: p64(0), PidsMax: unl, Frozen: pbool(false)}
	events := func(max, oomKill int64) *inspect.MemoryEvents {
		return &inspect.MemoryEvents{Max: max, OOM: oomKill, OOMKill: oomKill}
	}
	psi := func(cpu, mem, io float64) *inspect.PSI {
		line := func(v float64) inspect.PressureLine {
			return inspect.PressureLine{Avg10: v, Avg60: v / 2, Avg300: v / 4, TotalUS: int64(v * 1e6)}
		}
		full := func(v float64) *inspect.PressureLine { l := line(v / 2); return &l }
		return &inspect.PSI{
			CPU:    &inspect.Pressure{Some: line(cpu), Full: full(cpu)},
			Memory: &inspect.Pressure{Some: line(mem), Full: full(mem)},
			IO:     &inspect.Pressure{Some: line(io), Full: full(io)},
		}
	}
	cur := func(mib int64) *int64 { return p64(mib << 20) }
	webLimits := noLimits
	webLimits.CPUQuotaUS, webLimits.MemoryMax, webLimits.PidsMax = p64(50000), p64(256<<20), p64(100)
	runLimits := noLimits
	runLimits.CPUQuotaUS, runLimits.MemoryMax, runLimits.MemoryHigh, runLimits.PidsMax = p64(20000), p64(64<<20), p64(60<<20), p64(32)
	cgroups := []inspect.Cgroup{
		cg("/", inspect.Limits{}, inspect.Usage{CPUUsageUS: p64(cpuOf("/") + 150_000_000 + 400_000*int64(step)), MemoryCurrent: cur(1900), PidsCurrent: p64(57), PSI: psi(2.5, 0.4, 1.1)}),
		cg("/init.scope", noLimits, inspect.Usage{MemoryCurrent: cur(30), PidsCurrent: p64(1), MemoryEvents: events(0, 0)}),
		cg("/nscope-run-demo", runLimits, inspect.Usage{
			NrPeriods: p64(5000 + 10*int64(step)), NrThrottled: p64(3900 + 8*int64(step)), ThrottledUS: p64(310_000_000 + 640_000*int64(step)),
			MemoryCurrent: cur(60), PidsCurrent: p64(2), MemoryEvents: events(240+int64(step)*3, 1+int64(step)), PSI: psi(78.2, 12.5, 0.0),
		}),
		cg("/system.slice", noLimits, inspect.Usage{MemoryCurrent: cur(420), PidsCurrent: p64(33), MemoryEvents: events(0, 0)}),
		cg("/system.slice/containerd.service", noLimits, inspect.Usage{MemoryCurrent: cur(40), PidsCurrent: p64(11), MemoryEvents: events(0, 0)}),
		cg(webScope, webLimits, inspect.Usage{
			NrPeriods: p64(72000 + 10*int64(step)), NrThrottled: p64(300 + int64(step)), ThrottledUS: p64(4_100_000 + 20_000*int64(step)),
			MemoryCurrent: cur(200), PidsCurrent: p64(3), MemoryEvents: events(0, 0), PSI: psi(3.2, 0.0, 0.2),
		}),
		cg("/system.slice/docker.service", noLimits, inspect.Usage{MemoryCurrent: cur(110), PidsCurrent: p64(18), MemoryEvents: events(0, 0)}),
		cg("/system.slice/ssh.service", noLimits, inspect.Usage{MemoryCurrent: cur(6), PidsCurrent: p64(1), MemoryEvents: events(0, 0)}),
		cg("/user.slice", noLimits, inspect.Usage{MemoryCurrent: cur(180), PidsCurrent: p64(2), MemoryEvents: events(0, 0)}),
		cg("/user.slice/user-1000.slice", noLimits, inspect.Usage{MemoryCurrent: cur(170), PidsCurrent: p64(2), MemoryEvents: events(0, 0)}),
		cg("/user.slice/user-1000.slice/session-1.scope", noLimits, inspect.Usage{MemoryCurrent: cur(12), PidsCurrent: p64(1), MemoryEvents: events(0, 0)}),
		cg("/user.slice/user-1000.slice/user@1000.service", noLimits, inspect.Usage{MemoryCurrent: cur(150), PidsCurrent: p64(1), MemoryEvents: events(0, 0)}),
		cg("/user.slice/user-1000.slice/user@1000.service/app.slice", noLimits, inspect.Usage{MemoryCurrent: cur(140), PidsCurrent: p64(1), MemoryEvents: events(0, 0)}),
		cg(podScope, noLimits, inspect.Usage{MemoryCurrent: cur(2), PidsCurrent: p64(1), MemoryEvents: events(0, 0)}),
	}
	return &inspect.Snapshot{
		SchemaVersion: inspect.SchemaVersion,
		Time:          at,
		ScanDuration:  12 * time.Millisecond,
		Host: inspect.Host{
			Hostname: "demo", Kernel: "6.1.0-demo", UID: 0, Root: true, SelfPID: 412,
			SelfNS: host, InitNS: host, BootTime: boot, CPUs: 4, MemTotal: 8 << 30,
		},
		CgroupMode:  inspect.CgroupUnified,
		Hierarchies: []inspect.Hierarchy{{ID: 0, Version: 2, Controllers: []string{"cpu", "io", "memory", "pids"}, Mount: "/sys/fs/cgroup"}},
		Processes:   procs,
		Namespaces:  nss,
		Cgroups:     cgroups,
	}
}
