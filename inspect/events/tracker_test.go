package events

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
)

const testNSDev = 4

var testLayout = inspect.CgroupLayout{Mode: inspect.CgroupHybrid, Hierarchies: []inspect.Hierarchy{
	{ID: 1, Version: 1, Controllers: []string{"cpu"}, Mount: "/sys/fs/cgroup/cpu"},
	{ID: 4, Version: 1, Controllers: []string{"memory"}, Mount: "/sys/fs/cgroup/memory"},
	{ID: 0, Version: 2, Mount: "/sys/fs/cgroup/unified"},
}}

// hostNS are the inode numbers of the host's namespaces in the tests.
var hostNS = [numNSSlots]uint32{1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008}

// testSnapshot is a host with init (1) and a shell (100) in the host's
// namespaces, and a named netns 2003 held by a bind mount.
func testSnapshot() *inspect.Snapshot {
	var set inspect.NSSet
	for typ, ino := range hostNS {
		set[typ] = inspect.NSID{Dev: testNSDev, Ino: uint64(ino)}
	}
	cg := []inspect.ProcCgroup{{Hierarchy: 1, Controllers: "cpu", Path: "/"}, {Hierarchy: 4, Controllers: "memory", Path: "/user"}}
	snap := &inspect.Snapshot{Processes: []inspect.Process{
		{PID: 1, Comm: "init", NS: set, Cgroups: cg},
		{PID: 100, PPID: 1, Comm: "bash", UID: 1000, NS: set, Cgroups: cg},
	}}
	for typ, ino := range hostNS {
		snap.Namespaces = append(snap.Namespaces, inspect.Namespace{ID: inspect.NSID{Dev: testNSDev, Ino: uint64(ino)}, Type: inspect.NSType(typ), Members: []int{1, 100}})
	}
	snap.Namespaces = append(snap.Namespaces, inspect.Namespace{ID: inspect.NSID{Dev: testNSDev, Ino: 2003}, Type: inspect.NetNS,
		Holders: []inspect.Holder{{Kind: inspect.HeldByNamedNetns, Path: "/run/netns/blue", Name: "blue"}}})
	return snap
}

func newTestTracker(t *testing.T) *tracker {
	t.Helper()
	tr := newTracker(t.TempDir(), testLayout)
	tr.applyScan(testSnapshot(), time.Now(), true, nil)
	return tr
}

// summary renders events compactly for comparison.
func summary(evs []Event) []string {
	var out []string
	for _, ev := range evs {
		s := fmt.Sprintf("%s %d %s", ev.Kind, ev.PID, ev.Comm)
		if ev.Namespace != nil {
			s += fmt.Sprintf(" %s:%d", ev.Namespace.Type, ev.Namespace.ID.Ino)
		}
		if ev.Old != "" || ev.New != "" {
			s += " " + ev.Old + "->" + ev.New
		}
		if ev.Cgroup != "" {
			s += " " + ev.Hierarchy + ":" + ev.Cgroup
		}
		out = append(out, s)
	}
	return out
}

func rec(kind recKind, pid, ppid int, comm string, f ...func(*procRecord)) *procRecord {
	r := &procRecord{kind: kind, pid: pid, ppid: ppid, comm: comm, uid: 1000, euid: 1000}
	if kind == recFork || kind == recExec {
		r.ns = hostNS
	}
	for _, fn := range f {
		fn(r)
	}
	return r
}

func TestTrackerLifecycle(t *testing.T) {
	tr := newTestTracker(t)
	now := time.Now()
	var out []Event
	out = tr.apply(rec(recFork, 200, 100, "bash"), now, out)
	out = tr.apply(rec(recExec, 200, 100, "unshare", func(r *procRecord) {
		r.ns[inspect.NetNS] = 3003
		r.args = []string{"unshare", "-n", "sleep", "1"}
	}), now, out)
	out = tr.apply(rec(recComm, 200, 100, "renamed", func(r *procRecord) { r.oldComm = "unshare" }), now, out)
	out = tr.apply(rec(recAttach, 200, 100, "renamed", func(r *procRecord) { r.aux, r.path = 4, "/user/job" }), now, out)
	out = tr.apply(rec(recExit, 200, 1, "renamed", func(r *procRecord) { r.aux = 3 << 8 }), now, out)
	want := []string{
		"fork 200 bash memory:/user",
		"exec 200 unshare memory:/user",
		"ns-new 200 unshare net:3003 memory:/user",
		"comm 200 renamed unshare->renamed memory:/user",
		"move 200 renamed memory:/user/job",
		"exit 200 renamed memory:/user/job",
	}
	if got := summary(out); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if ex := out[len(out)-1]; ex.ExitCode == nil || *ex.ExitCode != 3 || ex.PPID != 1 {
		t.Errorf("exit: code %v ppid %d, want code 3, ppid 1 (reparented)", ex.ExitCode, ex.PPID)
	}
	if ex := out[1]; len(ex.Args) != 4 || ex.UID == nil || *ex.UID != 1000 {
		t.Errorf("exec: args %q uid %v", ex.Args, ex.UID)
	}
	id := inspect.NSID{Dev: testNSDev, Ino: 3003}
	if !tr.candidates[id] {
		t.Errorf("net:3003 lost its only member but is not a candidate for the next scan")
	}
	if tr.procs[200] != nil {
		t.Errorf("exited process still tracked")
	}
}

// A scan after the last member left confirms the namespace gone and
// names the member; one that a holder keeps is not reported.
func TestTrackerScanConfirmsNamespaceGone(t *testing.T) {
	tr := newTestTracker(t)
	now := time.Now()
	var out []Event
	out = tr.apply(rec(recFork, 300, 100, "ip", func(r *procRecord) { r.ns[inspect.NetNS] = 4004 }), now, out)
	out = tr.apply(rec(recExit, 300, 100, "ip"), now, out)
	tr.beginScan()
	snap := testSnapshot()
	// The scan also finds a namespace nobody's process showed: held by
	// a bind mount made without a fork.
	snap.Namespaces = append(snap.Namespaces, inspect.Namespace{ID: inspect.NSID{Dev: testNSDev, Ino: 5005}, Type: inspect.NetNS,
		Holders: []inspect.Holder{{Kind: inspect.HeldByNamedNetns, Path: "/run/netns/red", Name: "red"}}})
	out = tr.applyScan(snap, now, false, out[:0])
	want := []string{"ns-gone 300 ip net:4004 memory:/user", "ns-new 0  net:5005"}
	if got := summary(out); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if h := out[1].Namespace.Holders; len(h) != 1 || h[0] != "named-netns red" {
		t.Errorf("holders %q, want named-netns red", h)
	}
	if len(tr.candidates) != 0 {
		t.Errorf("candidates left after the scan: %v", tr.candidates)
	}
	if fmt.Sprint(tr.watchDirs) != "[/run/netns]" {
		t.Errorf("watch dirs %v, want /run/netns", tr.watchDirs)
	}
}

// Records applied while a scan runs are newer than the scan: a process
// born meanwhile stays, one that exited meanwhile goes, whatever the scan
// saw.
func TestTrackerScanKeepsNewerRecords(t *testing.T) {
	tr := newTestTracker(t)
	now := time.Now()
	tr.beginScan()
	tr.apply(rec(recFork, 400, 100, "new"), now, nil)
	tr.apply(rec(recExit, 100, 1, "bash"), now, nil)
	out := tr.applyScan(testSnapshot(), now, false, nil)
	if len(out) != 0 {
		t.Errorf("events %v, want none", summary(out))
	}
	if tr.procs[400] == nil {
		t.Error("process born during the scan was dropped")
	}
	if tr.procs[100] != nil {
		t.Error("process that exited during the scan came back")
	}
	if n := tr.ns[inspect.NSID{Dev: testNSDev, Ino: uint64(hostNS[inspect.NetNS])}]; n == nil || n.members != 2 {
		t.Errorf("host netns members %+v, want 2 (init and the new process)", n)
	}
}

// The kernel reuses namespace inode numbers: one seen with another type
// is the old namespace gone and a new one born.
func TestTrackerInodeReused(t *testing.T) {
	tr := newTestTracker(t)
	now := time.Now()
	out := tr.apply(rec(recFork, 700, 100, "unshare", func(r *procRecord) { r.ns[inspect.NetNS] = 6006 }), now, nil)
	out = tr.apply(rec(recExit, 700, 100, "unshare"), now, out)
	out = tr.apply(rec(recFork, 701, 100, "unshare", func(r *procRecord) { r.ns[inspect.PIDNS] = 6006 }), now, out)
	want := []string{
		"fork 700 unshare memory:/user", "ns-new 700 unshare net:6006 memory:/user", "exit 700 unshare memory:/user",
		"fork 701 unshare memory:/user", "ns-gone 700 unshare net:6006 memory:/user", "ns-new 701 unshare pid:6006 memory:/user",
	}
	if got := summary(out); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// "ip netns del blue; ip netns add green" can give green blue's inode:
// the same type, held by another mount, is another namespace.
func TestTrackerNamedNetnsReused(t *testing.T) {
	tr := newTestTracker(t)
	tr.beginScan()
	snap := testSnapshot()
	last := &snap.Namespaces[len(snap.Namespaces)-1]
	last.Holders = []inspect.Holder{{Kind: inspect.HeldByNamedNetns, Path: "/run/netns/green", Name: "green"}}
	out := tr.applyScan(snap, time.Now(), false, nil)
	want := []string{"ns-gone 0  net:2003", "ns-new 0  net:2003"}
	if got := summary(out); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if out[0].Namespace.Holders[0] != "named-netns blue" || out[1].Namespace.Holders[0] != "named-netns green" {
		t.Errorf("holders %v then %v", out[0].Namespace.Holders, out[1].Namespace.Holders)
	}
}

func TestTrackerUIDChanges(t *testing.T) {
	tr := newTestTracker(t)
	now := time.Now()
	var out []Event
	out = tr.apply(rec(recFork, 500, 100, "su"), now, out)
	// The connector's record has no old IDs; the tracker's are used.
	out = tr.apply(&procRecord{kind: recUID, pid: 500, uid: 0, euid: 0, oldUID: unknownID, oldEUID: unknownID, monoNS: 1}, now, out)
	// The same change again (already seen) is not an event.
	out = tr.apply(&procRecord{kind: recUID, pid: 500, uid: 0, euid: 0, oldUID: unknownID, oldEUID: unknownID, monoNS: 2}, now, out)
	// A set-user-ID exec without a credential record.
	out = tr.apply(rec(recExec, 500, 100, "passwd", func(r *procRecord) { r.uid, r.euid = 0, 1000 }), now, out)
	want := []string{
		"fork 500 su memory:/user",
		"uid 500 su 1000/1000->0/0 memory:/user",
		"exec 500 passwd memory:/user",
		"uid 500 passwd 0/0->0/1000 memory:/user",
	}
	if got := summary(out); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if out[1].Source != SourceConnector {
		t.Errorf("uid event source %s, want %s", out[1].Source, SourceConnector)
	}
}

func TestTrackerOOMVictim(t *testing.T) {
	tr := newTestTracker(t)
	now := time.Now()
	out := tr.apply(rec(recFork, 600, 100, "hog"), now, nil)
	out = tr.apply(&procRecord{kind: recOOM, pid: 600}, now, out)
	out = tr.apply(rec(recExit, 600, 100, "hog", func(r *procRecord) { r.aux = 9 }), now, out)
	ex := out[len(out)-1]
	if ex.Kind != Exit || !ex.OOMKilled || ex.Signal != 9 || ex.ExitCode != nil {
		t.Errorf("exit %+v, want killed by signal 9, OOM-killed", ex)
	}
}

func TestMergeRecords(t *testing.T) {
	records := []procRecord{{bootNS: 10}, {bootNS: 20}, {bootNS: 30}}
	pending := []procRecord{{bootNS: 15, pid: 1}, {bootNS: 30, pid: 2}, {bootNS: 35, pid: 3}}
	merged, left := mergeRecords(records, pending, 30)
	var got []uint64
	for _, r := range merged {
		got = append(got, r.bootNS)
	}
	if fmt.Sprint(got) != "[10 15 20 30 30]" || len(left) != 1 || left[0].pid != 3 {
		t.Errorf("merged %v, left %v", got, left)
	}
}

// The proc connector's times (CLOCK_MONOTONIC) land on the ring's clock
// (CLOCK_BOOTTIME), which is never behind it.
func TestMonoToBoot(t *testing.T) {
	var mono, boot unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono)
	got := monoToBoot(uint64(mono.Nano()))
	unix.ClockGettime(unix.CLOCK_BOOTTIME, &boot)
	if got > uint64(boot.Nano()) || uint64(boot.Nano())-got > uint64(time.Second) {
		t.Errorf("monoToBoot(%d) = %d, CLOCK_BOOTTIME is %d", mono.Nano(), got, boot.Nano())
	}
	// After 5 s of suspend, boot time is 5 s ahead.
	if got := shiftClock(1000, 5e9); got != 5e9+1000 {
		t.Errorf("shiftClock(1000, 5s) = %d", got)
	}
}
