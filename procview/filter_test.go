package procview

import (
	"testing"

	"github.com/nscope/nscope/inspect"
)

func TestFilterMatchProcess(t *testing.T) {
	snap := testHost(t, t0, 1)
	ix := NewIndex(snap, nil)
	tests := []struct {
		name  string
		query string
		pid   int
		want  bool
	}{
		{"empty matches all", "", 3, true},
		{"command name", "NGINX", 201, true},
		{"command line", "usr/bin/dock", 100, true},
		{"user", "root", 1, true},
		{"cgroup path", "docker.service", 100, true},
		{"container name", "docker:3f4e", 202, true},
		{"PID exact", "100", 100, true},
		{"PID is not a substring match", "10", 100, false},
		{"PID inside the container", "1", 201, true},
		{"number does not match path digits", "3", 201, false},
		{"namespace ID", "4026532204", 202, true},
		{"namespace ID tail", "2204", 201, true},
		{"namespace ID as the kernel prints it", "net:[4026532204]", 201, true},
		{"other namespace", "net:[4026532204]", 100, false},
		{"no match", "postgres", 201, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := snap.Process(tc.pid)
			if got := ParseFilter(tc.query).MatchProcess(p, ix.Container(p)); got != tc.want {
				t.Errorf("filter %q on PID %d = %v, want %v", tc.query, tc.pid, got, tc.want)
			}
		})
	}
}

func TestFilterMatchNamespaceAndCgroup(t *testing.T) {
	snap := testHost(t, t0, 1)
	tests := []struct {
		name  string
		query string
		ns    bool
		want  bool
	}{
		{"type", "net", true, true},
		{"named netns", "blue", true, true},
		{"bind path", "/run/netns", true, true},
		{"member PID", "300", true, true},
		{"cgroup path", "SYSTEM.slice", false, true},
		{"cgroup container", "docker:", false, true},
		{"cgroup member", "201", false, true},
		{"cgroup miss", "user.slice", false, false},
	}
	blue := snap.Namespace(netBlue)
	nest := snap.Namespace(pidNest)
	scope := snap.Cgroup(0, "/system.slice/docker-"+dockerID+".scope")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := ParseFilter(tc.query)
			var got bool
			if tc.ns {
				got = f.MatchNamespace(blue) || f.MatchNamespace(nest)
			} else {
				got = f.MatchCgroup(scope)
			}
			if got != tc.want {
				t.Errorf("filter %q = %v, want %v", tc.query, got, tc.want)
			}
		})
	}
}

// TestFilterWholeCommandLine checks that a query with a space is found in
// the command line as shown, across arguments.
func TestFilterWholeCommandLine(t *testing.T) {
	p := &inspect.Process{PID: 5017, Comm: "sleep", Cmdline: []string{"sleep", "600"}, NSpid: []int{5017}}
	tests := []struct {
		query string
		want  bool
	}{
		{"sleep 600", true},
		{"p 6", true},
		{"sleep 601", false},
		{"600", false}, // a number is an ID, not text
	}
	for _, tc := range tests {
		if got := ParseFilter(tc.query).MatchProcess(p, ""); got != tc.want {
			t.Errorf("filter %q on %v = %v, want %v", tc.query, p.Cmdline, got, tc.want)
		}
	}
}
