package events

import (
	"testing"

	"github.com/nscope/nscope/inspect"
)

func TestFilterMatch(t *testing.T) {
	inDocker := []inspect.ProcCgroup{{Hierarchy: 4, Controllers: "memory", Path: "/docker/abc"}, {Hierarchy: 1, Controllers: "cpu", Path: "/"}}
	tests := []struct {
		name   string
		filter Filter
		ev     Event
		want   bool
	}{
		{"zero filter", Filter{}, Event{Kind: Fork}, true},
		{"kind kept", Filter{Kinds: []Kind{Fork, Exit}}, Event{Kind: Exit}, true},
		{"kind dropped", Filter{Kinds: []Kind{Fork}}, Event{Kind: Exit}, false},
		{"lost always", Filter{Kinds: []Kind{Fork}, Cgroup: "/x"}, Event{Kind: Lost}, true},
		{"cgroup itself", Filter{Cgroup: "/docker/abc"}, Event{Kind: Frozen, Cgroup: "/docker/abc"}, true},
		{"cgroup beneath", Filter{Cgroup: "/docker"}, Event{Kind: OOM, Cgroup: "/docker/abc"}, true},
		{"cgroup prefix is not beneath", Filter{Cgroup: "/docker"}, Event{Kind: OOM, Cgroup: "/dockerx"}, false},
		{"trailing slash", Filter{Cgroup: "/docker/"}, Event{Kind: OOM, Cgroup: "/docker/abc"}, true},
		{"root keeps all", Filter{Cgroup: "/"}, Event{Kind: Fork}, true},
		{"process in any hierarchy", Filter{Cgroup: "/docker"}, Event{Kind: Exec, Cgroup: "/", procCgroups: inDocker}, true},
		{"process elsewhere", Filter{Cgroup: "/lxc"}, Event{Kind: Exec, Cgroup: "/docker/abc", procCgroups: inDocker}, false},
		{"namespace without process", Filter{Cgroup: "/docker"}, Event{Kind: NSGone}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.filter.Match(&tc.ev); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestValidCgroupFilter(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"root", "/", true},
		{"path", "/docker/abc", true},
		{"trailing slash", "/docker/", true},
		{"empty", "", false},
		{"relative", "docker", false},
		{"dot dot", "/docker/../etc", false},
		{"double slash", "/a//b", false},
		{"newline", "/a\nb", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := ValidCgroupFilter(tc.in); (err == nil) != tc.ok {
				t.Errorf("ValidCgroupFilter(%q) = %v, want ok %v", tc.in, err, tc.ok)
			}
		})
	}
}
