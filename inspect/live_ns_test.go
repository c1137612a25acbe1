package inspect

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/internal/testutil"
)

// TestLiveNamespaces builds, with util-linux and iproute2, a namespace of
// every type, a named netns, a namespace held only by a bind mount, one
// held only by another process's fd, a user namespace owning a pid
// namespace with a nested pid namespace inside, and a user namespace no
// process is in; then checks that one scan finds exactly them with the
// right members, holders, parents and owners.
func TestLiveNamespaces(t *testing.T) {
	testutil.RequireRoot(t, "creates namespaces and bind mounts")
	testutil.RequireTools(t, "unshare", "ip", "sleep")
	self := liveScan(t, WithCgroups(false))
	hostUser := self.Host.SelfNS[UserNS]
	hostPID := self.Host.SelfNS[PIDNS]
	hostMnt := self.Host.SelfNS[MntNS]

	// 1. Every type but user: unshare stays in the old pid and time
	// namespaces and holds the new ones for its child.
	allTypes := testutil.StartProc(t, "unshare", "--fork", "--kill-child", "--pid", "--mount-proc",
		"--mount", "--uts", "--ipc", "--net", "--cgroup", "--time", "sleep", "1000")
	allChain := testutil.WaitDescendant(t, allTypes.Process.Pid, 1, "sleep")
	unsharePID, sleepPID := allChain[0], allChain[1]

	// 2. A named netns: held by its bind mount under /run/netns.
	netnsName := testutil.UniqueName("nscope-t")
	testutil.Run(t, "ip", "netns", "add", netnsName)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "delete", netnsName).Run() })

	// 3. A uts namespace held only by a bind mount.
	bindFile := filepath.Join(t.TempDir(), "uts")
	if err := os.WriteFile(bindFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	testutil.Run(t, "unshare", "--uts="+bindFile, "true")
	t.Cleanup(func() { _ = syscall.Unmount(bindFile, syscall.MNT_DETACH) })

	// 4. An ipc namespace held only by another process's fd 3.
	ipcOwner := testutil.StartProc(t, "unshare", "--ipc", "sleep", "1000")
	testutil.WaitFor(t, "unshare --ipc to exec sleep", func() bool { return testutil.Comm(ipcOwner.Process.Pid) == "sleep" })
	nsFile, err := os.Open(fmt.Sprintf("/proc/%d/ns/ipc", ipcOwner.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	fdHeldID := linkID(t, nsFile.Name())
	holder := exec.Command("sleep", "1000")
	holder.ExtraFiles = []*os.File{nsFile}
	holder.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = holder.Process.Kill(); _ = holder.Wait() })
	nsFile.Close()
	_ = syscall.Kill(-ipcOwner.Process.Pid, syscall.SIGKILL)
	_ = ipcOwner.Wait()

	// 5. A user namespace owning a pid namespace with a nested one inside.
	nested := testutil.StartProc(t, "unshare", "--user", "--map-root-user", "--pid", "--fork", "--kill-child",
		"unshare", "--pid", "--fork", "--kill-child", "sleep", "1000")
	nestedChain := testutil.WaitDescendant(t, nested.Process.Pid, 2, "sleep")
	outerPID, innerPID, deepPID := nestedChain[0], nestedChain[1], nestedChain[2]

	// 6. A user namespace no process is in: its only process moved on into
	// a child user namespace.
	twoUsers := testutil.StartProc(t, "unshare", "--user", "--map-root-user", "unshare", "--user", "--map-root-user", "sleep", "1000")
	testutil.WaitFor(t, "nested unshare --user to exec sleep", func() bool { return testutil.Comm(twoUsers.Process.Pid) == "sleep" })

	// The same world, read through /proc alone and through the BPF task
	// iterators (which replace the namespace links, NSpid and fd walks).
	for _, mode := range scanModes(t) {
		t.Run(mode.name, func(t *testing.T) {
			snap := liveScan(t, mode.opts...)
			if snap.ScanMethod != mode.name {
				t.Fatalf("scan method %q, want %q", snap.ScanMethod, mode.name)
			}

			t.Run("every type", func(t *testing.T) {
				sleeper := snap.Process(sleepPID)
				if sleeper == nil {
					t.Fatalf("no process %d", sleepPID)
				}
				for _, typ := range AllNSTypes {
					want := linkID(t, fmt.Sprintf("/proc/%d/ns/%s", sleepPID, typ))
					if sleeper.NS[typ] != want {
						t.Errorf("%s namespace of %d = %v, kernel says %v", typ, sleepPID, sleeper.NS[typ], want)
					}
					if typ != UserNS && sleeper.NS[typ] == self.Host.SelfNS[typ] {
						t.Errorf("%s namespace of %d is the host's", typ, sleepPID)
					}
					n := snap.Namespace(sleeper.NS[typ])
					if n == nil {
						t.Fatalf("no %s namespace %v", typ, sleeper.NS[typ])
					}
					if typ != UserNS && n.Owner != hostUser {
						t.Errorf("%s %v owner = %v, want the host user namespace %v", typ, n.ID, n.Owner, hostUser)
					}
					wantMembers := []int{unsharePID, sleepPID}
					if typ == PIDNS || typ == TimeNS {
						// unshare itself stays behind and holds them for its child.
						wantMembers = []int{sleepPID}
						if !slices.ContainsFunc(n.Holders, func(h Holder) bool { return h.Kind == HeldForChildren && h.PID == unsharePID }) {
							t.Errorf("%s %v holders = %+v, want for-children by %d", typ, n.ID, n.Holders, unsharePID)
						}
					}
					if typ == UserNS {
						continue
					}
					if diff := cmp.Diff(wantMembers, n.Members); diff != "" {
						t.Errorf("%s %v members (-want +got):\n%s", typ, n.ID, diff)
					}
				}
				if diff := cmp.Diff([]int{sleepPID, 1}, sleeper.NSpid); diff != "" {
					t.Errorf("NSpid of %d (-want +got):\n%s", sleepPID, diff)
				}
				pidNS := snap.Namespace(sleeper.NS[PIDNS])
				if pidNS.Parent != hostPID || pidNS.Level != 1 {
					t.Errorf("pid namespace parent %v level %d, want %v level 1", pidNS.Parent, pidNS.Level, hostPID)
				}
			})

			t.Run("named netns", func(t *testing.T) {
				id := linkID(t, "/run/netns/"+netnsName)
				n := snap.Namespace(id)
				if n == nil {
					t.Fatalf("named netns %s (%v) not found", netnsName, id)
				}
				if n.Type != NetNS || len(n.Members) != 0 {
					t.Errorf("named netns: type %s members %v, want net with none", n.Type, n.Members)
				}
				want := Holder{Kind: HeldByNamedNetns, Path: "/run/netns/" + netnsName, Name: netnsName, MountNS: hostMnt}
				if !slices.Contains(n.Holders, want) {
					t.Errorf("named netns holders = %+v, want %+v", n.Holders, want)
				}
			})

			t.Run("bind mount only", func(t *testing.T) {
				id := linkID(t, bindFile)
				n := snap.Namespace(id)
				if n == nil {
					t.Fatalf("bind-mounted uts namespace %v not found", id)
				}
				want := []Holder{{Kind: HeldByBindMount, Path: bindFile, MountNS: hostMnt}}
				if n.Type != UTSNS || len(n.Members) != 0 {
					t.Errorf("bind-mounted namespace: type %s members %v, want uts with none", n.Type, n.Members)
				}
				if diff := cmp.Diff(want, n.Holders); diff != "" {
					t.Errorf("holders (-want +got):\n%s", diff)
				}
				if n.Owner != hostUser {
					t.Errorf("owner = %v, want %v", n.Owner, hostUser)
				}
			})

			t.Run("fd only", func(t *testing.T) {
				n := snap.Namespace(fdHeldID)
				if n == nil {
					t.Fatalf("fd-held ipc namespace %v not found", fdHeldID)
				}
				want := []Holder{{Kind: HeldByFD, PID: holder.Process.Pid, FD: 3}}
				if n.Type != IPCNS || len(n.Members) != 0 {
					t.Errorf("fd-held namespace: type %s members %v, want ipc with none", n.Type, n.Members)
				}
				if diff := cmp.Diff(want, n.Holders); diff != "" {
					t.Errorf("holders (-want +got):\n%s", diff)
				}
			})

			t.Run("user owns nested pid", func(t *testing.T) {
				user := nsOf(t, snap, innerPID, UserNS)
				p1 := nsOf(t, snap, innerPID, PIDNS)
				p2 := nsOf(t, snap, deepPID, PIDNS)
				if user.ID == hostUser || user.Parent != hostUser || user.Owner != hostUser || user.Level != 1 || user.OwnerUID != 0 {
					t.Errorf("user namespace %+v: want child of %v at level 1 created by uid 0", user, hostUser)
				}
				if diff := cmp.Diff([]int{outerPID, innerPID, deepPID}, user.Members); diff != "" {
					t.Errorf("user namespace members (-want +got):\n%s", diff)
				}
				if p1.Parent != hostPID || p1.Owner != user.ID || p1.Level != 1 {
					t.Errorf("outer pid namespace parent %v owner %v level %d; want %v, %v, 1", p1.Parent, p1.Owner, p1.Level, hostPID, user.ID)
				}
				if p2.Parent != p1.ID || p2.Owner != user.ID || p2.Level != 2 {
					t.Errorf("inner pid namespace parent %v owner %v level %d; want %v, %v, 2", p2.Parent, p2.Owner, p2.Level, p1.ID, user.ID)
				}
				if diff := cmp.Diff([]int{deepPID, 2, 1}, snap.Process(deepPID).NSpid); diff != "" {
					t.Errorf("NSpid of the nested sleep (-want +got):\n%s", diff)
				}
				// The tree: the outer pid namespace hangs under its owner, the inner
				// one under its parent.
				if tp := snap.NamespaceTreeParent(p1); tp == nil || tp.ID != user.ID {
					t.Errorf("tree parent of the outer pid namespace = %v, want the user namespace", tp)
				}
				if tp := snap.NamespaceTreeParent(p2); tp == nil || tp.ID != p1.ID {
					t.Errorf("tree parent of the inner pid namespace = %v, want the outer one", tp)
				}
			})

			t.Run("intermediate user namespace", func(t *testing.T) {
				inner := nsOf(t, snap, twoUsers.Process.Pid, UserNS)
				mid := snap.Namespace(inner.Parent)
				if mid == nil {
					t.Fatalf("parent %v of user namespace %v is missing", inner.Parent, inner.ID)
				}
				if mid.Type != UserNS || len(mid.Members) != 0 || mid.Parent != hostUser || inner.Level != 2 {
					t.Errorf("intermediate %+v, inner level %d: want an empty user namespace under the host's, inner at level 2", mid, inner.Level)
				}
				want := Holder{Kind: HeldAsParent, Via: inner.ID}
				if !slices.Contains(mid.Holders, want) {
					t.Errorf("intermediate holders = %+v, want %+v", mid.Holders, want)
				}
			})

			t.Run("matches lsns", func(t *testing.T) {
				compareWithLsns(t, snap, map[int]bool{unsharePID: true, sleepPID: true, outerPID: true, innerPID: true, deepPID: true, twoUsers.Process.Pid: true, holder.Process.Pid: true})
			})
		})
	}
}

// lsnsEntry is one namespace in "lsns -J" output.
type lsnsEntry struct {
	NS     json.Number `json:"ns"`
	Type   string      `json:"type"`
	NProcs json.Number `json:"nprocs"`
	PID    json.Number `json:"pid"`
}

func lsns(t *testing.T) map[uint64]lsnsEntry {
	t.Helper()
	// lsns exits 1 when a process it listed vanishes before it reads its
	// links (util-linux 2.38); on a busy host that is a race, not an
	// answer: try again for a while (another package's fork churn can last
	// seconds).
	var out []byte
	var err error
	for try := 0; try < 40; try++ {
		if try > 0 {
			time.Sleep(250 * time.Millisecond)
		}
		var stderr strings.Builder
		cmd := exec.Command("lsns", "-J", "-o", "NS,TYPE,NPROCS,PID")
		cmd.Stderr = &stderr
		if out, err = cmd.Output(); err == nil {
			break
		}
		err = fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	if err != nil {
		t.Fatalf("lsns -J, 40 tries in 10 s: %v", err)
	}
	var doc struct {
		Namespaces []lsnsEntry `json:"namespaces"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("lsns -J output: %v", err)
	}
	m := map[uint64]lsnsEntry{}
	for _, e := range doc.Namespaces {
		ino, _ := strconv.ParseUint(e.NS.String(), 10, 64)
		m[ino] = e
	}
	return m
}

// compareWithLsns checks every namespace lsns lists: the scan has it with
// the same type; for the test's own namespaces (membership known and
// stable) the process counts are equal. Host namespaces gain and lose
// processes all the time on a shared machine, so their counts are compared
// only when two lsns runs around the scan agree, and lsns counts itself.
func compareWithLsns(t *testing.T, snap *Snapshot, testPIDs map[int]bool) {
	before := lsns(t)
	again := liveScan(t, WithCgroups(false))
	after := lsns(t)
	defer func() {
		if t.Failed() {
			t.Logf("the compared scan: method %s, %d processes, %d namespaces, unreadable %v",
				again.ScanMethod, len(again.Processes), len(again.Namespaces), again.Unreadable)
		}
	}()
	checked := 0
	for ino, e := range before {
		id := NSID{Dev: snap.Host.SelfNS[MntNS].Dev, Ino: ino}
		n := again.Namespace(id)
		if n == nil {
			if _, still := after[ino]; still {
				t.Errorf("lsns lists %s namespace %d; the scan does not", e.Type, ino)
			}
			continue
		}
		if n.Type.String() != e.Type {
			// An inode freed and handed out again between lsns and the
			// scan (another test making namespaces) shows as a new type;
			// the same type in both lsns runs around the scan is not that.
			if a, ok := after[ino]; ok && a.Type == e.Type {
				t.Errorf("namespace %d: lsns type %s (before and after the scan), scan type %s", ino, e.Type, n.Type)
			}
			continue
		}
		ours := true
		for _, pid := range n.Members {
			if !testPIDs[pid] {
				ours = false
				break
			}
		}
		nprocs, _ := strconv.Atoi(e.NProcs.String())
		switch {
		case ours:
			checked++
			if nprocs != len(n.Members) {
				t.Errorf("%s namespace %d: lsns counts %d processes, the scan %d (%v)", e.Type, ino, nprocs, len(n.Members), n.Members)
			}
		case after[ino].NProcs == e.NProcs:
			// lsns counted itself in the host namespaces; the scan did not
			// see lsns, which had exited.
			want := nprocs
			if n.Initial || n.ID == snap.Host.SelfNS[n.Type] {
				want--
			}
			if want != len(n.Members) {
				t.Logf("%s namespace %d: lsns counts %d processes (without itself %d), the scan %d; the host is busy", e.Type, ino, nprocs, want, len(n.Members))
			}
		}
	}
	if checked < 7 {
		t.Errorf("compared the process counts of only %d test namespaces with lsns, want at least 7", checked)
	}
}

// TestLiveZombieNamespaces: a zombie keeps its pid and user namespaces
// (its struct pid and credentials) until it is reaped, and lsns counts
// it there; so must the scan, both ways, and list nothing else for it.
func TestLiveZombieNamespaces(t *testing.T) {
	testutil.RequireRoot(t, "creates namespaces and bind mounts")
	cmd := exec.Command("true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWUSER}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start a process in new pid and user namespaces: %v", err)
	}
	waited := false
	t.Cleanup(func() {
		if !waited {
			_ = cmd.Wait()
		}
	})
	pid := cmd.Process.Pid
	waitZombie(t, pid)
	want := map[NSType]uint64{}
	for _, typ := range []NSType{PIDNS, UserNS} {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, typ))
		if err != nil {
			t.Fatalf("a zombie's %s link: %v", typ, err)
		}
		_, ino, _ := parseNSLink([]byte(link))
		want[typ] = ino
	}
	for _, mode := range scanModes(t) {
		t.Run(mode.name, func(t *testing.T) {
			snap := liveScan(t, mode.opts...)
			p := snap.Process(pid)
			if p == nil || p.State != "Z" {
				t.Fatalf("zombie %d: %+v", pid, p)
			}
			for _, typ := range AllNSTypes {
				got := p.NS[typ].Ino
				if got != want[typ] {
					t.Errorf("zombie's %s namespace %d, want %d", typ, got, want[typ])
				}
				if n := snap.Namespace(p.NS[typ]); want[typ] != 0 && (n == nil || !slices.Contains(n.Members, pid)) {
					t.Errorf("the zombie is not a member of its %s namespace %d", typ, want[typ])
				}
			}
		})
	}
	waited = true
	_ = cmd.Wait()
}
