package control

import (
	"strings"
	"testing"

	"github.com/nscope/nscope/inspect"
)

// TestCPULimitAboveHostWarns: a CPU limit above the host's CPUs is
// accepted (the kernel takes it) but planned with a warning that it
// never throttles.
func TestCPULimitAboveHostWarns(t *testing.T) {
	tests := []struct {
		name, cpu string
		warn      bool
	}{
		{"a million percent", "1000000%", true},
		{"three CPUs", "3", true},
		{"raw quota of three CPUs", "300000 100000", true},
		{"both CPUs", "200%", false},
		{"one and a half", "1.5", false},
		{"no limit", "max", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys, layout := NewFakeHost(inspect.CgroupUnified)
			fsys.AddCgroup(layout, "/app")
			ed := New(layout, WithFS(fsys), WithJournalDir(t.TempDir()), WithHostCPUs(2))
			target, _ := ed.Resolve("/app")
			p, err := ed.Plan(target, mustLimits(t, tc.cpu, "", ""))
			if err != nil {
				t.Fatal(err)
			}
			warned := false
			for _, n := range p.Notes {
				if strings.Contains(n, "is more than the 2 CPUs of this host") {
					warned = true
				}
			}
			if warned != tc.warn {
				t.Errorf("--cpu %s on a 2-CPU host: notes %q, want a warning: %v", tc.cpu, p.Notes, tc.warn)
			}
		})
	}
}
