package procview

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/inspect"
)

func TestComputeRatesProcesses(t *testing.T) {
	prev := testHost(t, t0, 1_000_000)
	cur := testHost(t, t0.Add(2*time.Second), 2_000_000)
	r := ComputeRates(prev, cur)
	if r.Interval != 2*time.Second {
		t.Fatalf("Interval = %v, want 2s", r.Interval)
	}
	tests := []struct {
		name string
		pid  int
		want float64
	}{
		// Each process used (PID%7 + 1) more seconds of CPU over 2 s.
		{"init", 1, 100},
		{"kthreadd", 2, 150},
		{"container init", 201, 300},
		{"sandbox", 300, 350},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := r.Process(cur.Process(tc.pid))
			if !ok || got != tc.want {
				t.Errorf("CPU%% of PID %d = %v (known %v), want %v", tc.pid, got, ok, tc.want)
			}
		})
	}
}

func TestComputeRatesReusedPID(t *testing.T) {
	prev := testHost(t, t0, 1_000_000)
	cur := testHost(t, t0.Add(time.Second), 2_000_000)
	// PID 100 exited and the number went to a new process.
	p := cur.Process(100)
	p.StartTime = p.StartTime.Add(time.Hour)
	if cpu, ok := ComputeRates(prev, cur).Process(p); ok {
		t.Errorf("reused PID got a CPU rate %v; want none", cpu)
	}
}

func TestComputeRatesCgroups(t *testing.T) {
	prev := testHost(t, t0, 1_000_000)
	cur := testHost(t, t0.Add(2*time.Second), 2_000_000)
	r := ComputeRates(prev, cur)
	scope := "/system.slice/docker-" + dockerID + ".scope"
	tests := []struct {
		name string
		path string
		want CgroupRate
	}{
		{
			name: "limited container",
			path: scope,
			// 2 s more CPU over 2 s = 1 core; quota is half a core; 10000
			// new periods of which 2500 throttled; one new OOM kill.
			want: CgroupRate{CPUCores: 1, HasCPU: true, QuotaPercent: 200, HasQuota: true, ThrottledPercent: 25, HasThrottle: true, NewOOMKills: 1},
		},
		{name: "no quota", path: "/system.slice", want: CgroupRate{CPUCores: 1.5, HasCPU: true}},
		{name: "root", path: "/", want: CgroupRate{CPUCores: 20, HasCPU: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := r.Cgroup(cur.Cgroup(0, tc.path))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("rates of %s (-want +got):\n%s", tc.path, diff)
			}
		})
	}
}

func TestComputeRatesCounterReset(t *testing.T) {
	prev := testHost(t, t0, 2_000_000)
	// The counters went down: the cgroup was removed and made again.
	cur := testHost(t, t0.Add(time.Second), 1_000_000)
	got := ComputeRates(prev, cur).Cgroup(cur.Cgroup(0, "/system.slice"))
	if got.HasCPU || got.HasThrottle {
		t.Errorf("rates after a counter reset = %+v, want none", got)
	}
}

func TestComputeRatesNoPrevious(t *testing.T) {
	cur := testHost(t, t0, 1_000_000)
	r := ComputeRates(nil, cur)
	if _, ok := r.Process(cur.Process(1)); ok {
		t.Error("first snapshot has a process rate; want none")
	}
	if got := r.Cgroup(cur.Cgroup(0, "/")); got.HasCPU {
		t.Errorf("first snapshot has a cgroup rate %+v; want none", got)
	}
	var nilRates *Rates
	if _, ok := nilRates.Process(cur.Process(1)); ok {
		t.Error("nil Rates knows a rate")
	}
}

// TestComputeRatesV1Twins checks the hybrid/v1 case: quota and throttling
// in the cpu hierarchy, usage in a separately mounted cpuacct one.
func TestComputeRatesV1Twins(t *testing.T) {
	mk := func(at time.Time, usage, periods, throttled int64) *inspect.Snapshot {
		return reload(t, &inspect.Snapshot{
			SchemaVersion: inspect.SchemaVersion,
			Time:          at,
			CgroupMode:    inspect.CgroupHybrid,
			Hierarchies: []inspect.Hierarchy{
				{ID: 1, Version: 1, Controllers: []string{"cpu"}, Mount: "/sys/fs/cgroup/cpu"},
				{ID: 2, Version: 1, Controllers: []string{"cpuacct"}, Mount: "/sys/fs/cgroup/cpuacct"},
				{ID: 4, Version: 1, Controllers: []string{"memory"}, Mount: "/sys/fs/cgroup/memory"},
			},
			Cgroups: []inspect.Cgroup{
				{Hierarchy: 1, Path: "/", Limits: inspect.Limits{CPUQuotaUS: i64(-1), CPUPeriodUS: i64(100000)}},
				{Hierarchy: 1, Path: "/job", Limits: inspect.Limits{CPUQuotaUS: i64(200000), CPUPeriodUS: i64(100000)}, Usage: inspect.Usage{NrPeriods: i64(periods), NrThrottled: i64(throttled)}},
				{Hierarchy: 2, Path: "/"},
				{Hierarchy: 2, Path: "/job", Usage: inspect.Usage{CPUUsageUS: i64(usage)}},
				{Hierarchy: 4, Path: "/"},
				{Hierarchy: 4, Path: "/job", Usage: inspect.Usage{MemoryCurrent: i64(1 << 20)}},
			},
		})
	}
	prev := mk(t0, 0, 0, 0)
	cur := mk(t0.Add(time.Second), 1_000_000, 10, 5)
	r := ComputeRates(prev, cur)
	want := CgroupRate{CPUCores: 1, HasCPU: true, QuotaPercent: 50, HasQuota: true, ThrottledPercent: 50, HasThrottle: true}
	for _, h := range []int{1, 2} {
		if diff := cmp.Diff(want, r.Cgroup(cur.Cgroup(h, "/job"))); diff != "" {
			t.Errorf("hierarchy %d /job (-want +got):\n%s", h, diff)
		}
	}
	if got := r.Cgroup(cur.Cgroup(4, "/job")); got.HasCPU {
		t.Errorf("memory cgroup /job borrowed CPU from cpuacct: %+v", got)
	}
}

func TestWithProcessCPU(t *testing.T) {
	prev := testHost(t, t0, 1_000_000)
	cur := testHost(t, t0.Add(2*time.Second), 2_000_000)
	r := ComputeRates(prev, cur).WithProcessCPU(map[int]float64{201: 12.5})
	tests := []struct {
		name string
		pid  int
		want float64
	}{
		{"given", 201, 12.5},
		{"missing is idle", 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := r.Process(cur.Process(tc.pid))
			if !ok || got != tc.want {
				t.Errorf("CPU%% of PID %d = %v (known %v), want %v", tc.pid, got, ok, tc.want)
			}
		})
	}
	scope := cur.Cgroup(0, "/system.slice/docker-"+dockerID+".scope")
	if got := r.Cgroup(scope); !got.HasCPU || got.CPUCores != 1 {
		t.Errorf("cgroup rates were not kept: %+v", got)
	}
}
