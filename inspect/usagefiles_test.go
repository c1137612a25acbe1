package inspect

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestUsageFilesParsed checks that the one list of usage files and the
// parser agree: every usage file is parsed, no limit file is taken for
// one, and the scan reads both kinds.
func TestUsageFilesParsed(t *testing.T) {
	for _, f := range usageFiles {
		if !applyUsageFile(&Usage{}, max(f.version, 1), f.name, []byte("0")) {
			t.Errorf("usage file %s (v%d) is not parsed by applyUsageFile", f.name, f.version)
		}
		if !cgroupFiles[f.name] {
			t.Errorf("usage file %s is not read by the scan", f.name)
		}
	}
	for _, name := range limitFiles {
		if applyUsageFile(&Usage{}, 2, name, []byte("0")) {
			t.Errorf("limit file %s is parsed as a usage file", name)
		}
		if !cgroupFiles[name] {
			t.Errorf("limit file %s is not read by the scan", name)
		}
	}
}

// TestCounterFiles checks which files a refresh re-reads: those that held
// the counters the scan found, of the hierarchy's version.
func TestCounterFiles(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	v2 := &Hierarchy{Version: 2, Controllers: []string{"cpu", "memory", "pids"}}
	v1cpu := &Hierarchy{Version: 1, Controllers: []string{"cpu", "cpuacct"}}
	v1mem := &Hierarchy{Version: 1, Controllers: []string{"memory"}}
	tests := []struct {
		name string
		h    *Hierarchy
		u    Usage
		want []string
	}{
		{name: "v2 everything", h: v2, u: Usage{CPUUsageUS: n(1), MemoryCurrent: n(1), MemoryEvents: &MemoryEvents{}, PidsCurrent: n(1),
			PSI: &PSI{CPU: &Pressure{}, IO: &Pressure{}}},
			want: []string{"cpu.stat", "memory.current", "memory.events", "pids.current", "cpu.pressure", "io.pressure"}},
		{name: "v2 nothing", h: v2, u: Usage{}},
		{name: "v1 cpu and cpuacct", h: v1cpu, u: Usage{CPUUsageUS: n(1), NrPeriods: n(0)}, want: []string{"cpuacct.usage", "cpu.stat"}},
		{name: "v1 memory", h: v1mem, u: Usage{MemoryCurrent: n(1), MemoryEvents: &MemoryEvents{}},
			want: []string{"memory.usage_in_bytes", "memory.failcnt", "memory.oom_control"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, f := range counterFiles(tc.h, &Cgroup{Usage: tc.u}) {
				got = append(got, f.name)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("counterFiles (-want +got):\n%s", diff)
			}
		})
	}
}
