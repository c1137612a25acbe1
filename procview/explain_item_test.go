package procview

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/inspect"
)

// Namespaces of the holder host: each kept alive by something else than
// a process.
var (
	mntOther  = inspect.NSID{Dev: 4, Ino: 4026532700}
	utsBound  = inspect.NSID{Dev: 4, Ino: 4026532701}
	utsAway   = inspect.NSID{Dev: 4, Ino: 4026532702}
	ipcFD     = inspect.NSID{Dev: 4, Ino: 4026532703}
	userLeft  = inspect.NSID{Dev: 4, Ino: 4026532704}
	userChild = inspect.NSID{Dev: 4, Ino: 4026532705}
	utsHost   = inspect.NSID{Dev: 4, Ino: 4026531838}
)

// holderHost has a uts namespace bind-mounted at /run/x in the host's
// mount namespace, one bind-mounted in another mount namespace (whose
// process is 800), an ipc namespace held by fd 5 of bash 600, the named
// netns blue, and a user namespace kept only as the parent of another.
func holderHost(t *testing.T) *inspect.Snapshot {
	t.Helper()
	host := inspect.NSSet{}
	host[inspect.UserNS], host[inspect.PIDNS], host[inspect.MntNS], host[inspect.UTSNS] = userHost, pidHost, mntHost, utsHost
	other := host
	other[inspect.MntNS] = mntOther
	child := host
	child[inspect.UserNS] = userChild
	procs := []inspect.Process{
		proc(1, 0, "init", []int{1}, host, "/"),
		proc(600, 1, "bash", []int{600}, host, "/"),
		proc(800, 1, "sleep", []int{800}, other, "/"),
		proc(900, 1, "sleep", []int{900}, child, "/"),
	}
	snap := &inspect.Snapshot{
		SchemaVersion: inspect.SchemaVersion,
		Time:          t0,
		Host:          inspect.Host{Hostname: "holders", Root: true, InitNS: host, SelfNS: host},
		CgroupMode:    inspect.CgroupUnified,
		Processes:     procs,
		Namespaces: []inspect.Namespace{
			{ID: userHost, Type: inspect.UserNS, Initial: true, OwnerUID: 0, Members: []int{1, 600, 800}},
			{ID: userLeft, Type: inspect.UserNS, Owner: userHost, Parent: userHost, OwnerUID: 1000, Level: 1,
				Holders: []inspect.Holder{{Kind: inspect.HeldAsParent, Via: userChild}}},
			{ID: userChild, Type: inspect.UserNS, Owner: userLeft, Parent: userLeft, OwnerUID: 1000, Level: 2, Members: []int{900}},
			{ID: pidHost, Type: inspect.PIDNS, Owner: userHost, Initial: true, OwnerUID: -1, Members: []int{1, 600, 800, 900}},
			{ID: mntHost, Type: inspect.MntNS, Owner: userHost, Initial: true, OwnerUID: -1, Members: []int{1, 600, 900}},
			{ID: mntOther, Type: inspect.MntNS, Owner: userHost, OwnerUID: -1, Members: []int{800}},
			{ID: netBlue, Type: inspect.NetNS, Owner: userHost, OwnerUID: -1, Holders: []inspect.Holder{{Kind: inspect.HeldByNamedNetns, Name: "blue", Path: "/run/netns/blue", MountNS: mntHost}}},
			{ID: ipcFD, Type: inspect.IPCNS, Owner: userHost, OwnerUID: -1, Holders: []inspect.Holder{{Kind: inspect.HeldByFD, PID: 600, FD: 5}}},
			{ID: utsHost, Type: inspect.UTSNS, Owner: userHost, Initial: true, OwnerUID: -1, Members: []int{1, 600, 800, 900}},
			{ID: utsBound, Type: inspect.UTSNS, Owner: userHost, OwnerUID: -1, Holders: []inspect.Holder{{Kind: inspect.HeldByBindMount, Path: "/run/x", MountNS: mntHost}}},
			{ID: utsAway, Type: inspect.UTSNS, Owner: userLeft, OwnerUID: -1, Holders: []inspect.Holder{{Kind: inspect.HeldByBindMount, Path: "/tmp/u", MountNS: mntOther}}},
		},
	}
	return reload(t, snap)
}

func TestExplainNamespace(t *testing.T) {
	nested := NewIndex(nestedHost(t), nil)
	holders := NewIndex(holderHost(t), nil)
	tests := []struct {
		name string
		ix   *Index
		id   inspect.NSID
		want []string
	}{
		{"inner pid namespace: place, ownership apart from nesting, init, PID chains, holder", nested, pidInner, []string{
			"Pid namespace 4026532511 is at nesting level 2: inside pid 4026532501 (level 1), inside the host's pid namespace.",
			"It belongs to user namespace 4026532510, not to the owner of its parent (user 4026532500): here ownership and nesting part, as when each level of unshare --pid also made a user namespace.",
			"Its init is PID 502 (sleep), PID 1 here: it reaps orphans, and when it exits the kernel kills every other process in this namespace.",
			"PID 502 is PID 1 here, 2 in its parent, 502 on the host.",
			"PID 503 is PID 2 here, 3 in its parent, 503 on the host.",
			"2 processes are in it; besides them, children of PID 501 start here (its pid_for_children); PID 501 stays in pid 4026532501; its child PID 502 is PID 1 here (as after unshare --pid --fork); it goes when PID 501 and everything it forked into it are gone.",
		}},
		{"an empty pid namespace", nested, pidEmpty, []string{
			"Pid namespace 4026532520 is at nesting level 1: inside the host's pid namespace.",
			"This namespace has no process; children of PID 600 start here (its pid_for_children); PID 600 stays in pid 4026531836; no process is here yet: its next child becomes PID 1 here (as after unshare --pid without --fork); it goes when PID 600 and everything it forked into it are gone.",
		}},
		{"outer user namespace: what it owns", nested, userOuter, []string{
			"User namespace 4026532500 is at nesting level 1, created by uid 1000: inside the host's user namespace.",
			"It owns 3 namespaces (1 mnt, 1 pid, 1 user), 1 of them child user namespaces nested in it.",
			"2 processes are in it, and nothing else holds it: it goes when the last one exits.",
		}},
		{"bind mount in the host's mount namespace", holders, utsBound, []string{
			"Uts namespace 4026532701 belongs to the host's user namespace: capabilities there are what allow changing it.",
			"This namespace has no process; the bind mount /run/x keeps it; `umount /run/x` frees it.",
		}},
		{"bind mount in another mount namespace", holders, utsAway, []string{
			"Uts namespace 4026532702 belongs to user namespace 4026532704 (created by uid 1000): capabilities there are what allow changing it.",
			"This namespace has no process; the bind mount /tmp/u (in mount namespace 4026532700) keeps it; `nsenter --mount=/proc/800/ns/mnt umount /tmp/u` frees it.",
		}},
		{"named netns", holders, netBlue, []string{
			"Net namespace 4026532300 belongs to the host's user namespace: capabilities there are what allow changing it.",
			"This namespace has no process; the named netns \"blue\" (a bind mount at /run/netns/blue) keeps it; `ip netns delete blue` frees it.",
		}},
		{"fd", holders, ipcFD, []string{
			"Ipc namespace 4026532703 belongs to the host's user namespace: capabilities there are what allow changing it.",
			"This namespace has no process; fd 5 of PID 600 (bash) keeps it; it goes when that process closes the fd or exits.",
		}},
		{"kept as a parent", holders, userLeft, []string{
			"User namespace 4026532704 is at nesting level 1, created by uid 1000: inside the host's user namespace.",
			"It owns 2 namespaces (1 uts, 1 user), 1 of them child user namespaces nested in it.",
			"This namespace has no process; it is the parent of 4026532705, which keeps it until that namespace goes.",
		}},
		{"the host's", holders, utsHost, []string{
			"This is the host's initial uts namespace: PID 1 and, unless moved, every process are in it.",
			"4 processes are in it, and nothing else holds it: it goes when the last one exits.",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, ok := tc.ix.ExplainItem(NamespaceKey(tc.id))
			if !ok {
				t.Fatal("not found")
			}
			if diff := cmp.Diff(tc.want, l.About); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if l.Type == nil || l.Type.SeeAlso == "" {
				t.Errorf("no type lesson: %+v", l.Type)
			}
		})
	}
}

func TestPIDChainSentence(t *testing.T) {
	ix := NewIndex(nestedHost(t), nil)
	s := ix.Snap
	tests := []struct {
		name string
		pid  int
		here inspect.NSID
		want string
	}{
		{"from its own namespace", 503, pidInner, "PID 503 is PID 2 here, 3 in its parent, 503 on the host"},
		{"from the parent", 503, pidOuter, "PID 503 is PID 3 here, 503 on the host"},
		{"its own, when none is given", 501, inspect.NSID{}, "PID 501 is PID 1 here, 501 on the host"},
		{"a host process", 1, pidHost, "PID 1 is PID 1 here"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ix.PIDChainSentence(s.Process(tc.pid), s.Namespace(tc.here)); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestExplainProcess(t *testing.T) {
	ix := NewIndex(testHost(t, t0, 1), nil)
	tests := []struct {
		name string
		pid  int
		want []string
	}{
		{"container process", 202, []string{
			"PID 202 is PID 2 here, 202 in its parent: a pid namespace sees its own processes and those of the namespaces nested in it, each under its own number.",
			"It is in the host's user namespace; mnt, pid and net namespaces shared with other processes.",
			"It runs in " + ix.Container(ix.Snap.Process(202)) + ".",
		}},
		{"host process", 100, []string{"It is in every one of the host's namespaces: nothing isolates it."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, ok := ix.ExplainItem(ProcessKey(ix.Snap.Process(tc.pid)))
			if !ok {
				t.Fatal("not found")
			}
			if diff := cmp.Diff(tc.want, l.About); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestExplainCgroup(t *testing.T) {
	prev := testHost(t, t0, 1_000_000)
	cur := testHost(t, t0.Add(2*time.Second), 2_000_000)
	ix := NewIndex(cur, ComputeRates(prev, cur))
	scope := ix.Snap.Cgroup(0, "/system.slice/docker-"+dockerID+".scope")
	l, ok := ix.ExplainItem(CgroupKey(scope))
	if !ok {
		t.Fatal("not found")
	}
	want := []string{
		"2 processes are directly in it; limits apply to its whole subtree.",
		"cpu.max says 50000 µs every 100000 µs: in each 100ms period its processes together may run 50ms, 50% of one CPU; when that is used up they wait for the next period (they are throttled).",
		"In the last interval it used 1.00 CPU, 200% of its quota.",
		"It was throttled in 25% of the periods of the last interval: its processes had work but had used the quota, so they waited; that shows as latency, not as CPU use.",
		"Since it was made, 5000 of its 20000 periods were throttled (cpu.stat nr_throttled, nr_periods).",
		"memory.max is 256 MiB: above it the kernel reclaims its page cache and swaps; when that is not enough, the OOM killer kills a process in it. It uses 200 MiB now, 78% of the limit.",
		"The OOM killer killed 2 processes in it since it was made (oom_kill); 0 times it hit memory.max with nothing left to reclaim (oom), 0 times its use reached the limit (max); 1 kill in the last interval.",
		"pids.max is 100: fork and clone fail with EAGAIN once 100 tasks (threads count) are in it; 2 now.",
		"It has no pressure files (PSI): the kernel runs without them (boot with psi=1).",
	}
	if diff := cmp.Diff(want, l.About); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// Pressure, an unlimited quota and a v1 memory limit.
	c := *scope
	c.Usage.PSI = &inspect.PSI{CPU: &inspect.Pressure{Some: inspect.PressureLine{Avg10: 4.5}, Full: &inspect.PressureLine{Avg10: 1.25}}}
	got := psiSentences(&c, true)
	if want := []string{"cpu.pressure some avg10 4.50: in the last 10 s, at least one of its tasks was waiting for a CPU 4.5% of the time; full 1.25: all of them at once 1.2% of the time (time lost outright)."}; !cmp.Equal(want, got) {
		t.Errorf("psi: %q", got)
	}
	unlimited := int64(inspect.Unlimited)
	c.Limits.CPUQuotaUS, c.Limits.MemoryMax = &unlimited, &unlimited
	if got := cpuSentences(cur, &c, CgroupRate{}, false); len(got) == 0 || !strings.HasPrefix(got[0], "cpu.cfs_quota_us and cpu.cfs_period_us sets no quota") {
		t.Errorf("v1 unlimited cpu: %q", got)
	}
	if got := memorySentences(&c, CgroupRate{}, false); len(got) == 0 || got[0] != "memory.limit_in_bytes is max: no memory limit of its own (a parent's still applies). It uses 200 MiB now." {
		t.Errorf("v1 unlimited memory: %q", got)
	}
}

func TestShellQuote(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain path", "/run/netns/blue", "/run/netns/blue"},
		{"command in the name", "x; rm -rf /", `'x; rm -rf /'`},
		{"quote in the name", "it's", `'it'\''s'`},
		{"empty", "", "''"},
		{"substitution", "$(reboot)", `'$(reboot)'`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := shellQuote(tc.in); got != tc.want {
				t.Errorf("shellQuote(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestExplainItemGone(t *testing.T) {
	ix := NewIndex(testHost(t, t0, 1), nil)
	if _, ok := ix.ExplainItem(NamespaceKey(inspect.NSID{Dev: 9, Ino: 9})); ok {
		t.Error("a namespace not in the snapshot was explained")
	}
}
