package control

import (
	"testing"

	"github.com/nscope/nscope/inspect"
)

func TestFileValue(t *testing.T) {
	i := func(v int64) *int64 { return &v }
	b := func(v bool) *bool { return &v }
	parsed := &inspect.Cgroup{Path: "/app", Limits: inspect.Limits{
		CPUQuotaUS: i(50000), CPUPeriodUS: i(100000), CPUWeight: i(100), CPUShares: i(1024),
		MemoryMax: i(inspect.Unlimited), MemoryHigh: i(1 << 20), MemoryLow: i(0), PidsMax: i(inspect.Unlimited),
		IOMax:  []inspect.IOMax{{Major: 8, Minor: 0, RBps: 1 << 20, WBps: inspect.Unlimited, RIOps: inspect.Unlimited, WIOps: 100}},
		Frozen: b(true),
	}}
	raw := &inspect.Cgroup{Path: "/raw", Raw: map[string]string{"cpu.max": "max 100000"}, Limits: inspect.Limits{CPUQuotaUS: i(1000), CPUPeriodUS: i(100000)}}
	noIO := &inspect.Cgroup{Path: "/noio", Controllers: []string{"cpu", "memory"}}
	tests := []struct {
		name string
		cg   *inspect.Cgroup
		file string
		want string
		ok   bool
	}{
		{name: "raw text wins", cg: raw, file: "cpu.max", want: "max 100000", ok: true},
		{name: "cpu.max rebuilt", cg: parsed, file: "cpu.max", want: "50000 100000", ok: true},
		{name: "v1 quota", cg: parsed, file: "cpu.cfs_quota_us", want: "50000", ok: true},
		{name: "weight", cg: parsed, file: "cpu.weight", want: "100", ok: true},
		{name: "shares", cg: parsed, file: "cpu.shares", want: "1024", ok: true},
		{name: "v2 memory unlimited", cg: parsed, file: "memory.max", want: "max", ok: true},
		{name: "v1 memory unlimited", cg: parsed, file: "memory.limit_in_bytes", want: "-1", ok: true},
		{name: "memory.high", cg: parsed, file: "memory.high", want: "1048576", ok: true},
		{name: "memory.low zero", cg: parsed, file: "memory.low", want: "0", ok: true},
		{name: "pids unlimited", cg: parsed, file: "pids.max", want: "max", ok: true},
		{name: "io.max line", cg: parsed, file: "io.max", want: "8:0 rbps=1048576 wbps=max riops=max wiops=100", ok: true},
		{name: "io.max without the io controller", cg: noIO, file: "io.max", ok: false},
		{name: "v2 frozen", cg: parsed, file: "cgroup.freeze", want: "1", ok: true},
		{name: "v1 frozen", cg: parsed, file: "freezer.state", want: "FROZEN", ok: true},
		{name: "missing limit", cg: noIO, file: "pids.max", ok: false},
		{name: "unknown file", cg: parsed, file: "cgroup.procs", ok: false},
		{name: "no cgroup", cg: nil, file: "cpu.max", ok: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := FileValue(tc.cg, tc.file)
			if got != tc.want || ok != tc.ok {
				t.Errorf("FileValue(%s) = %q, %v; want %q, %v", tc.file, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestDescribeValue(t *testing.T) {
	tests := []struct {
		name, file, value, want string
	}{
		{name: "cpu.max half a CPU", file: "cpu.max", value: "50000 100000", want: "50000 100000 (50% of 1 CPU)"},
		{name: "cpu.max unlimited", file: "cpu.max", value: "max 100000\n", want: "max 100000 (unlimited)"},
		{name: "v1 quota", file: "cpu.cfs_quota_us", value: "20000", want: "20000 (20ms per period)"},
		{name: "v1 quota unlimited", file: "cpu.cfs_quota_us", value: "-1", want: "-1 (unlimited)"},
		{name: "v1 period", file: "cpu.cfs_period_us", value: "100000", want: "100000 (100ms)"},
		{name: "default weight", file: "cpu.weight", value: "100", want: "100 (the default)"},
		{name: "other weight", file: "cpu.weight", value: "250", want: "250"},
		{name: "default shares", file: "cpu.shares", value: "1024", want: "1024 (the default)"},
		{name: "memory bytes", file: "memory.max", value: "536870912", want: "536870912 (512 MiB)"},
		{name: "v1 memory none", file: "memory.limit_in_bytes", value: "9223372036854771712", want: "9223372036854771712 (unlimited)"},
		{name: "pids unlimited", file: "pids.max", value: "max", want: "max (unlimited)"},
		{name: "pids number", file: "pids.max", value: "64", want: "64"},
		{name: "io.max empty", file: "io.max", value: "", want: `"" (no device limits)`},
		{name: "io.max lines joined", file: "io.max", value: "8:0 rbps=1 wbps=max riops=max wiops=max\n8:16 rbps=2 wbps=max riops=max wiops=max",
			want: "8:0 rbps=1 wbps=max riops=max wiops=max; 8:16 rbps=2 wbps=max riops=max wiops=max"},
		{name: "thawed", file: "cgroup.freeze", value: "0", want: "0 (thawed)"},
		{name: "frozen", file: "cgroup.freeze", value: "1", want: "1 (frozen)"},
		{name: "not understood", file: "cpu.max", value: "lots", want: "lots"},
		{name: "empty unknown", file: "cgroup.procs", value: " ", want: `""`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DescribeValue(tc.file, tc.value); got != tc.want {
				t.Errorf("DescribeValue(%s, %q) = %q, want %q", tc.file, tc.value, got, tc.want)
			}
		})
	}
}
