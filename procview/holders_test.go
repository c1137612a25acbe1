package procview

import (
	"testing"

	"github.com/nscope/nscope/inspect"
)

func TestHolderSummary(t *testing.T) {
	tests := []struct {
		name string
		ns   inspect.Namespace
		want string
	}{
		{"nothing", inspect.Namespace{}, "-"},
		{"processes", inspect.Namespace{Members: []int{1}}, "procs"},
		{"named netns", inspect.Namespace{Holders: []inspect.Holder{{Kind: inspect.HeldByNamedNetns, Name: "blue"}}}, "named:blue"},
		{"each kind once, in order", inspect.Namespace{Members: []int{5}, Holders: []inspect.Holder{
			{Kind: inspect.HeldByBindMount, Path: "/a"}, {Kind: inspect.HeldByFD, PID: 3, FD: 4}, {Kind: inspect.HeldByFD, PID: 9, FD: 7},
		}}, "procs,fd,bind"},
		{"only as a parent", inspect.Namespace{Holders: []inspect.Holder{{Kind: inspect.HeldAsParent}}}, "parent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := HolderSummary(&tc.ns); got != tc.want {
				t.Errorf("HolderSummary = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestInNamespacePID(t *testing.T) {
	ix := NewIndex(testHost(t, t0, 1), nil)
	s := ix.Snap
	tests := []struct {
		name string
		pid  int
		ns   inspect.NSID
		want int
	}{
		{"own pid namespace", 202, pidCtr, 2},
		{"parent pid namespace", 202, pidHost, 202},
		{"not visible in a sibling", 202, pidNest, 0},
		{"other types give the inner PID", 202, netCtr, 2},
		{"host process", 100, pidHost, 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ix.InNamespacePID(s.Process(tc.pid), s.Namespace(tc.ns)); got != tc.want {
				t.Errorf("InNamespacePID(%d, %s) = %d, want %d", tc.pid, tc.ns, got, tc.want)
			}
		})
	}
}

func TestRelation(t *testing.T) {
	ix := NewIndex(testHost(t, t0, 1), nil)
	s := ix.Snap
	tests := []struct {
		name string
		pid  int
		typ  inspect.NSType
		want NSRelation
	}{
		{"host net", 100, inspect.NetNS, NSHost},
		{"container net shared by two", 202, inspect.NetNS, NSShared},
		{"sandbox user ns alone", 300, inspect.UserNS, NSOwn},
		{"unreadable", 300, inspect.TimeNS, NSUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := ix.Relation(s.Process(tc.pid), tc.typ); got != tc.want {
				t.Errorf("Relation(%d, %s) = %v, want %v", tc.pid, tc.typ, got, tc.want)
			}
		})
	}
}
