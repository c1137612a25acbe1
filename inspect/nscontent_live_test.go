package inspect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/nscope/nscope/internal/testutil"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// TestLiveNSContent builds namespaces of every type with the standard
// tools, reads what each holds with NamespaceContent and compares it with
// what the standard tools say: ip -j (addresses, links, veth peers,
// routes), hostname and domainname through nsenter, /proc/PID/uid_map,
// findmnt -N, ipcs and an mqueue mount inside the namespace, the cgroup
// file seen through nsenter --cgroup, and timens_offsets. Namespaces with
// no process are read through what holds them: a named netns, an fd, a
// bind mount, a process's time_for_children.
func TestLiveNSContent(t *testing.T) {
	testutil.RequireRoot(t, "reads other namespaces")
	testutil.RequireTools(t, "unshare", "nsenter", "ip", "findmnt", "ipcmk", "ipcs", "hostname", "domainname", "sleep", "sh", "mount")
	sc := New(WithCgroups(false))

	// Network: two named namespaces joined by a veth pair, a bridge with
	// the B end as its port, addresses and a default route in A; and a
	// namespace held only by another process's fd.
	nsA, nsB := testutil.UniqueName("nscope-a"), testutil.UniqueName("nscope-b")
	for _, name := range []string{nsA, nsB} {
		testutil.Run(t, "ip", "netns", "add", name)
		t.Cleanup(func() { _ = exec.Command("ip", "netns", "delete", name).Run() })
	}
	testutil.Run(t, "ip", "-n", nsA, "link", "add", "va0", "type", "veth", "peer", "name", "vb0", "netns", nsB)
	testutil.Run(t, "ip", "-n", nsB, "link", "add", "br0", "type", "bridge")
	testutil.Run(t, "ip", "-n", nsB, "link", "set", "vb0", "master", "br0")
	testutil.Run(t, "ip", "-n", nsA, "addr", "add", "10.77.0.1/24", "dev", "va0")
	testutil.Run(t, "ip", "-n", nsA, "addr", "add", "fd77::1/64", "dev", "va0", "nodad")
	testutil.Run(t, "ip", "-n", nsA, "link", "set", "va0", "mtu", "1400", "up")
	testutil.Run(t, "ip", "-n", nsA, "link", "set", "lo", "up")
	testutil.Run(t, "ip", "-n", nsB, "link", "set", "br0", "up")
	testutil.Run(t, "ip", "-n", nsA, "route", "add", "default", "via", "10.77.0.2")
	netOwner := testutil.StartProc(t, "unshare", "--net", "sleep", "1000")
	testutil.WaitFor(t, "unshare --net to exec sleep", func() bool { return testutil.Comm(netOwner.Process.Pid) == "sleep" })
	netFile, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", netOwner.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	fdNetID := linkID(t, netFile.Name())
	netHolder := exec.Command("sleep", "1000")
	netHolder.ExtraFiles = []*os.File{netFile}
	netHolder.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := netHolder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = netHolder.Process.Kill(); _ = netHolder.Wait() })
	netFile.Close()
	_ = syscall.Kill(-netOwner.Process.Pid, syscall.SIGKILL)
	_ = netOwner.Wait()

	// UTS: one with a process, one held only by a bind mount.
	utsName := testutil.UniqueName("nscope-uts")
	utsProc := testutil.StartProc(t, "unshare", "--uts", "sh", "-c", "hostname "+utsName+" && domainname nscope.test && exec sleep 1000")
	testutil.WaitFor(t, "the uts sleeper", func() bool { return testutil.Comm(utsProc.Process.Pid) == "sleep" })
	utsBind := filepath.Join(t.TempDir(), "uts")
	if err := os.WriteFile(utsBind, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	testutil.Run(t, "unshare", "--uts="+utsBind, "hostname", "nscope-bound")
	t.Cleanup(func() { _ = syscall.Unmount(utsBind, syscall.MNT_DETACH) })

	// User: uid 1000 makes a user namespace and maps itself to root, then
	// (forking, so that a process stays at level 1) one more below it.
	userProc := exec.Command("unshare", "--user", "--map-root-user", "--fork", "unshare", "--user", "--map-root-user", "sleep", "1000")
	userProc.Dir = "/"
	userProc.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: &syscall.Credential{Uid: 1000, Gid: 1000}}
	if err := userProc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-userProc.Process.Pid, syscall.SIGKILL); _ = userProc.Wait() })
	userChain := testutil.WaitDescendant(t, userProc.Process.Pid, 1, "sleep")
	userOuter, userInner := userChain[0], userChain[1]

	// Mount: a private mount namespace with a tmpfs the host does not have.
	mntDir := t.TempDir()
	mntProc := testutil.StartProc(t, "unshare", "--mount", "--propagation", "private", "sh", "-c", "mount -t tmpfs nscope-test "+mntDir+" && exec sleep 1000")
	testutil.WaitFor(t, "the mount sleeper", func() bool { return testutil.Comm(mntProc.Process.Pid) == "sleep" })

	// IPC: SysV objects made with ipcmk inside, a POSIX queue made below.
	ipcProc := testutil.StartProc(t, "unshare", "--ipc", "sh", "-c", "ipcmk -M 8192 >/dev/null && ipcmk -M 4096 >/dev/null && ipcmk -S 2 >/dev/null && ipcmk -Q >/dev/null && exec sleep 1000")
	testutil.WaitFor(t, "the ipc sleeper", func() bool { return testutil.Comm(ipcProc.Process.Pid) == "sleep" })
	mqName := testutil.UniqueName("nscope-mq")
	makeMQueue(t, ipcProc.Process.Pid, mqName)

	// Cgroup: a cgroup namespace rooted at a test cgroup, its process then
	// moved one level down.
	cgs := makeV1Cgroups(t, sc.Layout(), "pids")
	pidsCg := cgs["pids"]
	subDir := filepath.Join(pidsCg.dir, "sub")
	if err := os.Mkdir(subDir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Remove(subDir) })
	cgProc := testutil.StartProc(t, "sh", "-c", "echo $$ > "+pidsCg.dir+"/cgroup.procs && exec unshare --cgroup sleep 1000")
	testutil.WaitFor(t, "the cgroup sleeper", func() bool { return testutil.Comm(cgProc.Process.Pid) == "sleep" })
	testutil.WriteCgroupFile(t, subDir, "cgroup.procs", strconv.Itoa(cgProc.Process.Pid))

	// Time: one with a member, one with only unshare's time_for_children.
	timeProc := testutil.StartProc(t, "unshare", "--time", "--fork", "--kill-child", "--monotonic", "3600", "--boottime", "86400", "sleep", "1000")
	timeChain := testutil.WaitDescendant(t, timeProc.Process.Pid, 1, "sleep")
	// A process that unshared a time namespace and never forks or execs
	// into it: no process is in it, and the process's time_for_children
	// (and timens_offsets) are the only way in. unshare(1) cannot do
	// this (its exec enters the new namespace), so the test binary does.
	timeHeld := exec.Command(os.Args[0], "-test.run=^$")
	timeHeld.Env = append(os.Environ(), timeNSHoldEnv+"=1")
	timeHeld.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	heldOut, err := timeHeld.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := timeHeld.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = timeHeld.Process.Kill(); _ = timeHeld.Wait() })
	if ready := make([]byte, 6); func() bool { n, _ := heldOut.Read(ready); return string(ready[:n]) != "ready\n" }() {
		t.Fatal("the time namespace holder did not start")
	}

	// Pid: a new pid namespace with sleep as its init.
	pidProc := testutil.StartProc(t, "unshare", "--pid", "--fork", "--kill-child", "--mount-proc", "sleep", "1000")
	pidChain := testutil.WaitDescendant(t, pidProc.Process.Pid, 1, "sleep")

	snap := liveScan(t, WithCgroups(false))
	content := func(t *testing.T, id NSID) *NSContent {
		t.Helper()
		c, err := sc.NamespaceContent(context.Background(), snap, id)
		if err != nil {
			t.Fatalf("NamespaceContent(%s): %v", id, err)
		}
		return c
	}

	t.Run("net: addresses, links and routes as ip -j shows them", func(t *testing.T) {
		for _, name := range []string{nsA, nsB} {
			id := linkID(t, "/run/netns/"+name)
			c := content(t, id)
			if !strings.Contains(c.Via, "/run/netns/"+name) {
				t.Errorf("%s read via %q, want its bind mount", name, c.Via)
			}
			compareIPAddr(t, c.Net, testutil.Run(t, "ip", "-n", name, "-j", "addr"))
		}
		a := content(t, linkID(t, "/run/netns/"+nsA)).Net
		var routes []struct {
			Gateway string `json:"gateway"`
			Dev     string `json:"dev"`
		}
		if err := json.Unmarshal([]byte(testutil.Run(t, "ip", "-n", nsA, "-j", "route", "show", "default")), &routes); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range a.DefaultRoutes {
			if r.Family == "inet" {
				got = append(got, r.Gateway+" dev "+r.Dev)
			}
		}
		var want []string
		for _, r := range routes {
			want = append(want, r.Gateway+" dev "+r.Dev)
		}
		if diff := cmp.Diff(want, got); diff != "" || len(want) != 1 {
			t.Errorf("default routes (-ip +nscope):\n%s", diff)
		}
	})

	t.Run("net: the veth peer's namespace and the bridge port", func(t *testing.T) {
		idA, idB := linkID(t, "/run/netns/"+nsA), linkID(t, "/run/netns/"+nsB)
		a, b := content(t, idA).Net, content(t, idB).Net
		va0, vb0, br0 := netIfc(t, a, "va0"), netIfc(t, b, "vb0"), netIfc(t, b, "br0")
		// ip -j link names the peer's netnsid and ifindex; the namespace
		// behind the netnsid is the one "ip netns list-id" maps it to.
		var links []struct {
			Name    string `json:"ifname"`
			Link    int    `json:"link_index"`
			NetNSID *int   `json:"link_netnsid"`
			Master  string `json:"master"`
		}
		if err := json.Unmarshal([]byte(testutil.Run(t, "ip", "-n", nsA, "-j", "link", "show", "va0")), &links); err != nil || len(links) != 1 || links[0].NetNSID == nil {
			t.Fatalf("ip -j link show va0: %v %+v", err, links)
		}
		if va0.Peer == nil || va0.Peer.Index != links[0].Link || va0.Peer.NetNSID != *links[0].NetNSID {
			t.Fatalf("va0 peer %+v, ip says index %d netnsid %d", va0.Peer, links[0].Link, *links[0].NetNSID)
		}
		if va0.Peer.NetNS != idB || va0.Peer.Name != "vb0" || va0.Peer.Index != vb0.Index {
			t.Errorf("va0 peer %+v, want vb0 (index %d) in %s", va0.Peer, vb0.Index, idB)
		}
		if vb0.Peer == nil || vb0.Peer.NetNS != idA || vb0.Peer.Name != "va0" {
			t.Errorf("vb0 peer %+v, want va0 in %s", vb0.Peer, idA)
		}
		if vb0.Master != "br0" || !slices.Equal(br0.Ports, []string{"vb0"}) || br0.Kind != "bridge" {
			t.Errorf("bridge: vb0 master %q, br0 kind %q ports %v", vb0.Master, br0.Kind, br0.Ports)
		}
	})

	t.Run("net: a namespace held only by an fd", func(t *testing.T) {
		c := content(t, fdNetID)
		if !strings.HasPrefix(c.Via, "fd 3 of process") {
			t.Errorf("read via %q, want fd 3 of the holder", c.Via)
		}
		compareIPAddr(t, c.Net, testutil.Run(t, "nsenter", fmt.Sprintf("--net=/proc/%d/fd/3", netHolder.Process.Pid), "ip", "-j", "addr"))
	})

	t.Run("uts: names as nsenter hostname and domainname say", func(t *testing.T) {
		pid := strconv.Itoa(utsProc.Process.Pid)
		c := content(t, linkID(t, "/proc/"+pid+"/ns/uts"))
		host := strings.TrimSpace(testutil.Run(t, "nsenter", "-t", pid, "--uts", "hostname"))
		dom := strings.TrimSpace(testutil.Run(t, "nsenter", "-t", pid, "--uts", "domainname"))
		if c.UTS.Hostname != host || c.UTS.DomainName != dom || host != utsName {
			t.Errorf("uts %+v, nsenter says %q %q", c.UTS, host, dom)
		}
		b := content(t, linkID(t, utsBind))
		bound := strings.TrimSpace(testutil.Run(t, "nsenter", "--uts="+utsBind, "hostname"))
		if b.UTS.Hostname != bound || bound != "nscope-bound" || !strings.Contains(b.Via, "bind mount "+utsBind) {
			t.Errorf("bind-mounted uts %+v via %q, nsenter says %q", b.UTS, b.Via, bound)
		}
	})

	t.Run("user: maps as /proc/PID/uid_map shows them, and to the parent", func(t *testing.T) {
		outer := content(t, linkID(t, fmt.Sprintf("/proc/%d/ns/user", userOuter))).User
		inner := content(t, linkID(t, fmt.Sprintf("/proc/%d/ns/user", userInner))).User
		for _, c := range []struct {
			pid int
			u   *UserContent
		}{{userOuter, outer}, {userInner, inner}} {
			for _, f := range []struct {
				file string
				got  []IDMapRange
			}{{"uid_map", c.u.UIDMap}, {"gid_map", c.u.GIDMap}} {
				if want := catIDMap(t, "cat", fmt.Sprintf("/proc/%d/%s", c.pid, f.file)); !cmp.Equal(want, f.got) {
					t.Errorf("%s of %d: %+v, cat says %+v", f.file, c.pid, f.got, want)
				}
			}
		}
		if want := "uid 0 inside is uid 1000 on the host; gid 0 inside is gid 1000 on the host"; outer.Summary != want || outer.SetGroups != "deny" {
			t.Errorf("outer summary %q setgroups %q, want %q deny", outer.Summary, outer.SetGroups, want)
		}
		// Seen from inside the outer namespace, the inner map is to the parent.
		toParent := catIDMap(t, "nsenter", "-t", strconv.Itoa(userOuter), "--user", "cat", fmt.Sprintf("/proc/%d/uid_map", userInner))
		if !cmp.Equal(toParent, inner.UIDMapToParent) || !strings.HasPrefix(inner.Summary, "uid 0 inside is uid 0 in its parent user namespace") {
			t.Errorf("inner to parent %+v (%q), nsenter into the parent says %+v", inner.UIDMapToParent, inner.Summary, toParent)
		}
	})

	t.Run("mnt: mounts as findmnt -N shows them", func(t *testing.T) {
		pid := strconv.Itoa(mntProc.Process.Pid)
		c := content(t, linkID(t, "/proc/"+pid+"/ns/mnt")).Mnt
		var fm struct {
			Filesystems []struct {
				Target string `json:"target"`
				FSType string `json:"fstype"`
			} `json:"filesystems"`
		}
		if err := json.Unmarshal([]byte(testutil.Run(t, "findmnt", "-N", pid, "-J", "-l", "-o", "TARGET,FSTYPE")), &fm); err != nil {
			t.Fatal(err)
		}
		if c.Mounts != len(fm.Filesystems) {
			t.Errorf("%d mounts, findmnt lists %d", c.Mounts, len(fm.Filesystems))
		}
		if c.ComparedWith != snap.Host.InitNS[MntNS] || !slices.ContainsFunc(c.Added, func(m MountEntry) bool {
			return m.MountPoint == mntDir && m.FSType == "tmpfs" && m.Source == "nscope-test"
		}) {
			t.Errorf("added mounts %+v (of %d) do not hold the tmpfs at %s", c.Added, c.AddedCount, mntDir)
		}
		if c.Root.MountPoint != "/" || c.Root.FSType != fm.Filesystems[0].FSType {
			t.Errorf("root %+v, findmnt's first is %+v", c.Root, fm.Filesystems[0])
		}
		if c.Propagation.Private != c.Mounts {
			t.Errorf("propagation %+v, want every mount private (unshare --propagation private)", c.Propagation)
		}
	})

	t.Run("ipc: counts as ipcs inside shows them", func(t *testing.T) {
		pid := strconv.Itoa(ipcProc.Process.Pid)
		c := content(t, linkID(t, "/proc/"+pid+"/ns/ipc")).IPC
		count := func(flag string) int {
			n := 0
			for line := range strings.SplitSeq(testutil.Run(t, "nsenter", "-t", pid, "--ipc", "ipcs", flag), "\n") {
				if strings.HasPrefix(line, "0x") {
					n++
				}
			}
			return n
		}
		if c.SharedMemory != count("-m") || c.SemaphoreSets != count("-s") || c.MessageQueues != count("-q") || c.SharedMemory != 2 || c.SharedMemoryBytes != 12288 {
			t.Errorf("ipc %+v, ipcs says shm %d sem %d msg %d", c, count("-m"), count("-s"), count("-q"))
		}
		// The POSIX queues, listed by mounting the namespace's mqueue
		// file system in a throw-away mount namespace.
		dir := t.TempDir()
		ls := strings.Fields(testutil.Run(t, "nsenter", "-t", pid, "--ipc", "unshare", "--mount", "--propagation", "private", "sh", "-c", "mount -t mqueue mq "+dir+" && ls "+dir))
		if c.POSIXQueues != len(ls) || !slices.Equal(c.POSIXQueueNames, ls) || !slices.Contains(ls, mqName) {
			t.Errorf("posix queues %d %v (%s), the mqueue mount lists %v", c.POSIXQueues, c.POSIXQueueNames, c.POSIXQueuesError, ls)
		}
	})

	t.Run("cgroup: the namespace's root and the member inside it", func(t *testing.T) {
		pid := strconv.Itoa(cgProc.Process.Pid)
		c := content(t, linkID(t, "/proc/"+pid+"/ns/cgroup")).Cgroup
		inside := parseProcCgroup([]byte(testutil.Run(t, "nsenter", "-t", pid, "--cgroup", "cat", "/proc/"+pid+"/cgroup")))
		outside := parseProcCgroup([]byte(testutil.Run(t, "cat", "/proc/"+pid+"/cgroup")))
		if len(c.Roots) != len(outside) || len(inside) != len(outside) {
			t.Fatalf("%d roots, /proc/%s/cgroup has %d lines (%d inside)", len(c.Roots), pid, len(outside), len(inside))
		}
		for i, r := range c.Roots {
			if r.Inside != inside[i].Path || r.Outside != outside[i].Path {
				t.Errorf("hierarchy %d: inside %q outside %q, nsenter and cat say %q %q", r.Hierarchy, r.Inside, r.Outside, inside[i].Path, outside[i].Path)
			}
			if r.Hierarchy == pidsCg.hier.ID && (r.Root != pidsCg.rel || r.Inside != "/sub") {
				t.Errorf("pids hierarchy: root %q inside %q, want %q and /sub", r.Root, r.Inside, pidsCg.rel)
			}
		}
	})

	t.Run("time: offsets as timens_offsets shows them", func(t *testing.T) {
		sleeper := timeChain[1]
		c := content(t, linkID(t, fmt.Sprintf("/proc/%d/ns/time", sleeper)))
		want, err := ParseTimensOffsets([]byte(testutil.Run(t, "cat", fmt.Sprintf("/proc/%d/timens_offsets", sleeper))))
		if err != nil {
			t.Fatal(err)
		}
		if *c.Time != want || c.Time.MonotonicOffset != time.Hour || c.Time.BoottimeOffset != 24*time.Hour {
			t.Errorf("time %+v, timens_offsets says %+v", c.Time, want)
		}
		held := content(t, linkID(t, fmt.Sprintf("/proc/%d/ns/time_for_children", timeHeld.Process.Pid)))
		if held.Time.BoottimeOffset != -5*time.Second || !strings.HasPrefix(held.Via, "time_for_children of process") {
			t.Errorf("held time namespace %+v via %q, want boottime -5s via time_for_children", held.Time, held.Via)
		}
	})

	t.Run("pid: its init and level", func(t *testing.T) {
		sleeper := pidChain[1]
		c := content(t, linkID(t, fmt.Sprintf("/proc/%d/ns/pid", sleeper))).PID
		status := testutil.Run(t, "grep", "^NSpid:", fmt.Sprintf("/proc/%d/status", sleeper))
		if c.Init == nil || c.Init.PID != sleeper || c.Level != 1 || strings.Join(strings.Fields(status)[1:], " ") != fmt.Sprintf("%d 1", sleeper) || !slices.Equal(c.Init.NSpid, []int{sleeper, 1}) {
			t.Errorf("pid %+v (init %+v), status says %q", c, c.Init, status)
		}
	})

	t.Run("no thread is left in another namespace", func(t *testing.T) {
		before := threadCount(t)
		id := linkID(t, fmt.Sprintf("/proc/%d/ns/uts", utsProc.Process.Pid))
		for range 50 {
			content(t, id)
		}
		if after := threadCount(t); after > before+8 {
			t.Errorf("%d threads after 50 reads, %d before: the joined threads are not thrown away", after, before)
		}
		// A thread thrown away after a read ends a moment after its
		// goroutine: only a thread still elsewhere after 2 s is left there.
		var strays []string
		deadline := time.Now().Add(2 * time.Second)
		for {
			strays = strayThreads(t, snap.Host.SelfNS)
			if len(strays) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		for _, s := range strays {
			t.Error(s)
		}
	})

	t.Run("a namespace not in the snapshot", func(t *testing.T) {
		if _, err := sc.NamespaceContent(context.Background(), snap, NSID{Dev: 1, Ino: 2}); !errors.Is(err, ErrNoSuchNamespace) {
			t.Errorf("err = %v, want ErrNoSuchNamespace", err)
		}
	})
}

// timeNSHoldEnv makes the test binary unshare a time namespace, set a
// boot-time offset of -5 s, print "ready" and sleep (see init).
const timeNSHoldEnv = "NSCOPE_TEST_TIMENS_HOLD"

// init runs the time namespace holder before the tests (and before
// TestMain's helpers): during package initialisation the main goroutine is
// locked to the main thread, whose time_for_children is what
// /proc/PID/ns/time_for_children and timens_offsets show.
func init() {
	if os.Getenv(timeNSHoldEnv) != "1" {
		return
	}
	if err := unix.Unshare(unix.CLONE_NEWTIME); err != nil {
		fmt.Fprintln(os.Stderr, "unshare time:", err)
		os.Exit(1)
	}
	if err := os.WriteFile("/proc/self/timens_offsets", []byte("boottime -5 0\n"), 0); err != nil {
		fmt.Fprintln(os.Stderr, "timens_offsets:", err)
		os.Exit(1)
	}
	os.Stdout.WriteString("ready\n")
	time.Sleep(10 * time.Minute)
	os.Exit(0)
}

// threadCount returns how many threads this process has.
func threadCount(t *testing.T) int {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	return len(tasks)
}

// compareIPAddr checks interfaces against "ip -j addr": index, name, MTU,
// operational state and addresses.
func compareIPAddr(t *testing.T, c *NetContent, ipJSON string) {
	t.Helper()
	var ip []struct {
		Index     int    `json:"ifindex"`
		Name      string `json:"ifname"`
		MTU       int    `json:"mtu"`
		OperState string `json:"operstate"`
		Addrs     []struct {
			Local  string `json:"local"`
			Prefix int    `json:"prefixlen"`
		} `json:"addr_info"`
	}
	if err := json.Unmarshal([]byte(ipJSON), &ip); err != nil {
		t.Fatalf("ip -j addr: %v", err)
	}
	var want, got []string
	for _, l := range ip {
		s := fmt.Sprintf("%d %s mtu %d %s", l.Index, l.Name, l.MTU, strings.ToLower(l.OperState))
		for _, a := range l.Addrs {
			s += fmt.Sprintf(" %s/%d", a.Local, a.Prefix)
		}
		want = append(want, s)
	}
	for _, l := range c.Interfaces {
		s := fmt.Sprintf("%d %s mtu %d %s", l.Index, l.Name, l.MTU, l.State)
		for _, a := range l.Addresses {
			s += " " + a
		}
		got = append(got, s)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("interfaces (-ip +nscope):\n%s", diff)
	}
}

func netIfc(t *testing.T, c *NetContent, name string) NetInterface {
	t.Helper()
	for _, i := range c.Interfaces {
		if i.Name == name {
			return i
		}
	}
	t.Fatalf("no interface %s in %+v", name, c.Interfaces)
	return NetInterface{}
}

// catIDMap runs a command that prints an ID map and parses its words.
func catIDMap(t *testing.T, name string, args ...string) []IDMapRange {
	t.Helper()
	f := strings.Fields(testutil.Run(t, name, args...))
	var out []IDMapRange
	for i := 0; i+2 < len(f); i += 3 {
		var v [3]int64
		for j := range v {
			n, err := strconv.ParseInt(f[i+j], 10, 64)
			if err != nil {
				t.Fatalf("%s %v: %q", name, args, f)
			}
			v[j] = n
		}
		out = append(out, IDMapRange{v[0], v[1], v[2]})
	}
	return out
}

// makeMQueue creates a POSIX message queue in the IPC namespace of pid,
// from a thread that joined it (mq_open(3) has no command-line tool).
func makeMQueue(t *testing.T, pid int, name string) {
	t.Helper()
	nsfd, err := unix.Open(fmt.Sprintf("/proc/%d/ns/ipc", pid), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(nsfd)
	err = joinedThread(nsfd, IPCNS, func() error {
		p, err := unix.BytePtrFromString(name)
		if err != nil {
			return err
		}
		fd, _, errno := unix.Syscall6(unix.SYS_MQ_OPEN, uintptr(unsafe.Pointer(p)), uintptr(unix.O_CREAT|unix.O_RDWR|unix.O_CLOEXEC), 0o600, 0, 0, 0)
		if errno != 0 {
			return fmt.Errorf("mq_open %s: %w", name, errno)
		}
		return unix.Close(int(fd))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// strayThreads lists this process's threads that are in another net, uts,
// ipc or cgroup namespace than self.
func strayThreads(t *testing.T, self NSSet) []string {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	var strays []string
	for _, task := range tasks {
		for _, typ := range []NSType{NetNS, UTSNS, IPCNS, CgroupNS} {
			link := fmt.Sprintf("/proc/self/task/%s/ns/%s", task.Name(), typ)
			var st syscall.Stat_t
			if err := syscall.Stat(link, &st); err != nil {
				continue // the thread is exiting
			}
			if got := (NSID{Dev: st.Dev, Ino: st.Ino}); got != self[typ] {
				strays = append(strays, fmt.Sprintf("thread %s is in %s namespace %s, not the process's %s", task.Name(), typ, got, self[typ]))
			}
		}
	}
	return strays
}
