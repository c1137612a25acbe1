package procview

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/inspect"
)

// Namespaces of the nested host: two levels of
// unshare --user --map-root-user --pid --fork, each level with its own
// user namespace owning its pid namespace.
var (
	userOuter = inspect.NSID{Dev: 4, Ino: 4026532500}
	pidOuter  = inspect.NSID{Dev: 4, Ino: 4026532501}
	mntOuter  = inspect.NSID{Dev: 4, Ino: 4026532502}
	userInner = inspect.NSID{Dev: 4, Ino: 4026532510}
	pidInner  = inspect.NSID{Dev: 4, Ino: 4026532511}
	pidEmpty  = inspect.NSID{Dev: 4, Ino: 4026532520}
	timeNew   = inspect.NSID{Dev: 4, Ino: 4026532530}
	timeHost  = inspect.NSID{Dev: 4, Ino: 4026531834}
)

// nestedHost has init (1); unshare 500 in the host pid namespace, whose
// child 501 is PID 1 of pidOuter and, as a second unshare, holds pidInner
// for its child sleep 502 (PID 1 there, with a child 503); an unshare
// without fork, 600,
// holding the empty pidEmpty; and 700, which made a time namespace and
// forked 701 into it.
func nestedHost(t *testing.T) *inspect.Snapshot {
	t.Helper()
	host := inspect.NSSet{}
	host[inspect.UserNS], host[inspect.PIDNS], host[inspect.MntNS], host[inspect.TimeNS] = userHost, pidHost, mntHost, timeHost
	outer := host
	outer[inspect.UserNS], outer[inspect.PIDNS], outer[inspect.MntNS] = userOuter, pidOuter, mntOuter
	inner := outer
	inner[inspect.UserNS], inner[inspect.PIDNS] = userInner, pidInner
	unshare := host
	unshare[inspect.UserNS], unshare[inspect.MntNS] = userOuter, mntOuter
	timed := host
	timed[inspect.TimeNS] = timeNew

	procs := []inspect.Process{
		proc(1, 0, "init", []int{1}, host, "/"),
		proc(500, 1, "unshare", []int{500}, unshare, "/"),
		proc(501, 500, "unshare", []int{501, 1}, outer, "/"),
		proc(502, 501, "sleep", []int{502, 2, 1}, inner, "/"),
		proc(503, 502, "sleep", []int{503, 3, 2}, inner, "/"),
		proc(600, 1, "bash", []int{600}, host, "/"),
		proc(700, 1, "unshare", []int{700}, host, "/"),
		proc(701, 700, "sleep", []int{701}, timed, "/"),
	}
	for i := range procs {
		procs[i].PIDForChildren, procs[i].TimeForChildren = procs[i].NS[inspect.PIDNS], procs[i].NS[inspect.TimeNS]
	}
	procs[1].PIDForChildren = pidOuter
	procs[2].PIDForChildren = pidInner
	procs[5].PIDForChildren = pidEmpty
	procs[6].TimeForChildren = timeNew
	forChildren := func(pid int) []inspect.Holder { return []inspect.Holder{{Kind: inspect.HeldForChildren, PID: pid}} }
	snap := &inspect.Snapshot{
		SchemaVersion: inspect.SchemaVersion,
		Time:          t0,
		Host:          inspect.Host{Hostname: "nested", Root: true, InitNS: host, SelfNS: host, CPUs: 2},
		CgroupMode:    inspect.CgroupUnified,
		Hierarchies:   []inspect.Hierarchy{{ID: 0, Version: 2, Mount: "/sys/fs/cgroup"}},
		Processes:     procs,
		Namespaces: []inspect.Namespace{
			{ID: userHost, Type: inspect.UserNS, OwnerUID: 0, Initial: true, Members: []int{1, 600, 700, 701}},
			{ID: userOuter, Type: inspect.UserNS, Owner: userHost, Parent: userHost, OwnerUID: 1000, Level: 1, Members: []int{500, 501}},
			{ID: userInner, Type: inspect.UserNS, Owner: userOuter, Parent: userOuter, OwnerUID: 1000, Level: 2, Members: []int{502, 503}},
			{ID: pidHost, Type: inspect.PIDNS, Owner: userHost, OwnerUID: -1, Initial: true, Members: []int{1, 500, 600, 700, 701}},
			{ID: pidOuter, Type: inspect.PIDNS, Owner: userOuter, Parent: pidHost, OwnerUID: -1, Level: 1, Members: []int{501}, Holders: forChildren(500)},
			{ID: pidEmpty, Type: inspect.PIDNS, Owner: userHost, Parent: pidHost, OwnerUID: -1, Level: 1, Holders: forChildren(600)},
			{ID: pidInner, Type: inspect.PIDNS, Owner: userInner, Parent: pidOuter, OwnerUID: -1, Level: 2, Members: []int{502, 503}, Holders: forChildren(501)},
			{ID: mntHost, Type: inspect.MntNS, Owner: userHost, OwnerUID: -1, Initial: true, Members: []int{1, 600, 700, 701}},
			{ID: mntOuter, Type: inspect.MntNS, Owner: userOuter, OwnerUID: -1, Members: []int{500, 501, 502, 503}},
			{ID: timeHost, Type: inspect.TimeNS, Owner: userHost, OwnerUID: -1, Initial: true, Members: []int{1, 500, 501, 502, 503, 600, 700}},
			{ID: timeNew, Type: inspect.TimeNS, Owner: userHost, OwnerUID: -1, Members: []int{701}, Holders: forChildren(700)},
		},
	}
	return reload(t, snap)
}

func TestNestingTree(t *testing.T) {
	ix := NewIndex(nestedHost(t), nil)
	tests := []struct {
		name string
		opt  TreeOptions
		want string
	}{
		{
			name: "nesting: pid namespaces under their parents, user namespaces under theirs",
			opt:  TreeOptions{Sort: SortName, Nesting: true},
			want: `user 4026531837
├─user 4026532500
│ ├─user 4026532510
│ └─mnt 4026532502
├─mnt 4026531841
├─time 4026531834
└─time 4026532530
pid 4026531836
├─pid 4026532501
│ └─pid 4026532511
└─pid 4026532520
`,
		},
		{
			name: "ownership (as before): the inner pid namespace under its owner",
			opt:  TreeOptions{Sort: SortName},
			want: `user 4026531837
├─user 4026532500
│ ├─user 4026532510
│ │ └─pid 4026532511
│ ├─mnt 4026532502
│ └─pid 4026532501
├─mnt 4026531841
├─pid 4026531836
│ └─pid 4026532520
├─time 4026531834
└─time 4026532530
`,
		},
		{
			name: "nesting with a filter keeps the parent chain as context",
			opt:  TreeOptions{Sort: SortName, Nesting: true, Filter: ParseFilter("pid:[4026532511]")},
			want: `pid 4026531836 (ctx)
└─pid 4026532501 (ctx)
  └─pid 4026532511
`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, render(ix.NamespaceRows(tc.opt))); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNestingTreeMatchesParents checks the nesting tree against the
// parents and owners recorded in the snapshot, for both fixture hosts:
// every pid and user namespace sits right under its parent, every other
// namespace under its owner, and every namespace appears exactly once.
func TestNestingTreeMatchesParents(t *testing.T) {
	for name, snap := range map[string]*inspect.Snapshot{"nested": nestedHost(t), "test host": testHost(t, t0, 1)} {
		t.Run(name, func(t *testing.T) {
			ix := NewIndex(snap, nil)
			rows := ix.NamespaceRows(TreeOptions{Nesting: true})
			if len(rows) != len(snap.Namespaces) {
				t.Fatalf("%d rows for %d namespaces", len(rows), len(snap.Namespaces))
			}
			var stack []*inspect.Namespace
			seen := map[inspect.NSID]bool{}
			for _, r := range rows {
				n := r.Namespace
				if seen[n.ID] {
					t.Errorf("%s %s twice", n.Type, n.ID)
				}
				seen[n.ID] = true
				stack = append(stack[:r.Depth], n)
				var above inspect.NSID
				if r.Depth > 0 {
					above = stack[r.Depth-1].ID
				}
				want := n.Owner
				if n.Type == inspect.PIDNS || n.Type == inspect.UserNS {
					want = n.Parent
				}
				if snap.Namespace(want) == nil {
					want = inspect.NSID{}
				}
				if above != want {
					t.Errorf("%s %s drawn under %s, its %s is %s", n.Type, n.ID, above, map[bool]string{true: "parent", false: "owner"}[n.Type == inspect.PIDNS || n.Type == inspect.UserNS], want)
				}
			}
		})
	}
}

func TestNamespaceLinks(t *testing.T) {
	ix := NewIndex(nestedHost(t), nil)
	ids := func(list []*inspect.Namespace) []uint64 {
		var out []uint64
		for _, n := range list {
			out = append(out, n.ID.Ino)
		}
		return out
	}
	tests := []struct {
		name               string
		id                 inspect.NSID
		owner, parent      uint64
		wantNested, wantOw []uint64
	}{
		{"host pid: both nested pid namespaces, whatever their owners", pidHost, userHost.Ino, 0, []uint64{pidOuter.Ino, pidEmpty.Ino}, nil},
		{"outer pid: the inner one", pidOuter, userOuter.Ino, pidHost.Ino, []uint64{pidInner.Ino}, nil},
		{"outer user: child user ns nested and owned, its pid and mnt owned", userOuter, userHost.Ino, userHost.Ino, []uint64{userInner.Ino}, []uint64{userInner.Ino, mntOuter.Ino, pidOuter.Ino}},
		{"host user owns the rest", userHost, 0, 0, []uint64{userOuter.Ino}, []uint64{userOuter.Ino, mntHost.Ino, pidHost.Ino, pidEmpty.Ino, timeHost.Ino, timeNew.Ino}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := ix.NamespaceLinks(tc.id)
			var owner, parent uint64
			if l.Owner != nil {
				owner = l.Owner.ID.Ino
			}
			if l.Parent != nil {
				parent = l.Parent.ID.Ino
			}
			if owner != tc.owner || parent != tc.parent {
				t.Errorf("owner %d parent %d, want %d %d", owner, parent, tc.owner, tc.parent)
			}
			if diff := cmp.Diff(tc.wantNested, ids(l.Nested)); diff != "" {
				t.Errorf("nested (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantOw, ids(l.Owned)); diff != "" {
				t.Errorf("owned (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNestingAncestors(t *testing.T) {
	ix := NewIndex(nestedHost(t), nil)
	var got []string
	for _, k := range ix.NestingAncestors(pidInner) {
		got = append(got, k.String())
	}
	if diff := cmp.Diff([]string{"ns:4026532501", "ns:4026531836"}, got); diff != "" {
		t.Errorf("NestingAncestors (-want +got):\n%s", diff)
	}
}

func TestDescribeHolderIn(t *testing.T) {
	ix := NewIndex(nestedHost(t), nil)
	s := ix.Snap
	tests := []struct {
		name string
		ns   inspect.NSID
		want string
	}{
		{"unshare --fork: its child is PID 1", pidOuter,
			"children of PID 500 start here (its pid_for_children); PID 500 stays in pid 4026531836; its child PID 501 is PID 1 here (as after unshare --pid --fork)"},
		{"nested level: the same", pidInner,
			"children of PID 501 start here (its pid_for_children); PID 501 stays in pid 4026532501; its child PID 502 is PID 1 here (as after unshare --pid --fork)"},
		{"without fork: nothing is in it yet", pidEmpty,
			"children of PID 600 start here (its pid_for_children); PID 600 stays in pid 4026531836; no process is here yet: its next child becomes PID 1 here (as after unshare --pid without --fork)"},
		{"time namespace with its child in it", timeNew,
			"children of PID 700 start here (its time_for_children); PID 700 stays in time 4026531834; its child PID 701 is here (as after unshare --time --fork)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := s.Namespace(tc.ns)
			if got := ix.DescribeHolderIn(n, n.Holders[0]); got != tc.want {
				t.Errorf("DescribeHolderIn =\n %q\nwant\n %q", got, tc.want)
			}
		})
	}
	if got := DescribeHolder(inspect.Holder{Kind: inspect.HeldForChildren, PID: 9}); got != "children of PID 9 start here (PID 9 stays outside)" {
		t.Errorf("DescribeHolder(for-children) = %q", got)
	}
}
