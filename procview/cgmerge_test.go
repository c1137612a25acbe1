package procview

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/inspect"
)

// hybridHost is a hybrid host with cpu and cpuacct mounted apart, as on
// this project's test machine: /a has its quota and throttling in cpu,
// its usage in cpuacct, memory, a freezer (frozen) and pids in theirs,
// and PSI in the v2 tree; /a/b is only in memory; /c is in cpu only.
func hybridHost(t *testing.T, at time.Time, usageUS, periods, throttled int64) *inspect.Snapshot {
	t.Helper()
	yes, no := true, false
	hs := []inspect.Hierarchy{
		{ID: 1, Version: 1, Controllers: []string{"cpu"}, Mount: "/sys/fs/cgroup/cpu"},
		{ID: 2, Version: 1, Controllers: []string{"cpuacct"}, Mount: "/sys/fs/cgroup/cpuacct"},
		{ID: 3, Version: 1, Controllers: []string{"memory"}, Mount: "/sys/fs/cgroup/memory"},
		{ID: 4, Version: 1, Controllers: []string{"freezer"}, Mount: "/sys/fs/cgroup/freezer"},
		{ID: 5, Version: 1, Controllers: []string{"pids"}, Mount: "/sys/fs/cgroup/pids"},
		{ID: 0, Version: 2, Mount: "/sys/fs/cgroup/unified"},
	}
	s := &inspect.Snapshot{SchemaVersion: inspect.SchemaVersion, Time: at, CgroupMode: inspect.CgroupHybrid, Hierarchies: hs, Host: inspect.Host{CPUs: 4}}
	for _, h := range hs {
		s.Cgroups = append(s.Cgroups, inspect.Cgroup{Hierarchy: h.ID, Path: "/", Procs: []int{1}})
	}
	psi := &inspect.PSI{CPU: &inspect.Pressure{Some: inspect.PressureLine{Avg10: 12}}}
	s.Cgroups = append(s.Cgroups,
		inspect.Cgroup{Hierarchy: 1, Path: "/a", Procs: []int{5}, Limits: inspect.Limits{CPUQuotaUS: i64(20000), CPUPeriodUS: i64(100000), CPUShares: i64(1024)},
			Usage: inspect.Usage{NrPeriods: i64(periods), NrThrottled: i64(throttled)}},
		inspect.Cgroup{Hierarchy: 2, Path: "/a", Procs: []int{5}, Usage: inspect.Usage{CPUUsageUS: i64(usageUS)}},
		inspect.Cgroup{Hierarchy: 3, Path: "/a", Procs: []int{5, 6}, Limits: inspect.Limits{MemoryMax: i64(64 << 20)}, Usage: inspect.Usage{MemoryCurrent: i64(20 << 20)}},
		inspect.Cgroup{Hierarchy: 3, Path: "/a/b", Procs: []int{6}, Usage: inspect.Usage{MemoryCurrent: i64(1 << 20)}},
		inspect.Cgroup{Hierarchy: 4, Path: "/a", Procs: []int{5}, Limits: inspect.Limits{Frozen: &yes}},
		inspect.Cgroup{Hierarchy: 5, Path: "/a", Procs: []int{5}, Limits: inspect.Limits{PidsMax: i64(32)}, Usage: inspect.Usage{PidsCurrent: i64(2)}},
		inspect.Cgroup{Hierarchy: 0, Path: "/a", Procs: []int{5}, Limits: inspect.Limits{Frozen: &no}, Usage: inspect.Usage{PSI: psi}},
		inspect.Cgroup{Hierarchy: 1, Path: "/c", Limits: inspect.Limits{CPUQuotaUS: i64(-1), CPUPeriodUS: i64(100000)}},
	)
	return reload(t, s)
}

func TestMergeCgroups(t *testing.T) {
	s := hybridHost(t, t0, 1_000_000, 100, 10)
	merged := MergeCgroups(s, nil)
	var paths []string
	for _, m := range merged {
		paths = append(paths, m.Path)
	}
	if diff := cmp.Diff([]string{"/", "/a", "/a/b", "/c"}, paths); diff != "" {
		t.Fatalf("paths (-want +got):\n%s", diff)
	}
	a := merged[1]
	label := func(c *inspect.Cgroup) string {
		if c == nil {
			return "-"
		}
		return s.Hierarchy(c.Hierarchy).Label()
	}
	got := map[string]string{
		"cpu": label(a.CPU), "usage": label(a.CPUUsage), "memory": label(a.Memory), "pids": label(a.Pids),
		"freezer": label(a.Freezer), "psi": label(a.PSI), "io": label(a.IO), "primary": label(a.Primary()),
	}
	want := map[string]string{
		"cpu": "cpu", "usage": "cpuacct", "memory": "memory", "pids": "pids",
		"freezer": "freezer", "psi": "v2", "io": "v2", "primary": "cpu",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("where /a's numbers come from (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{5, 6}, a.Procs); diff != "" {
		t.Errorf("members of /a in any hierarchy (-want +got):\n%s", diff)
	}
	if !a.Frozen() || len(a.Cgroups) != 6 {
		t.Errorf("/a: frozen %v (the v1 freezer says yes), %d cgroups (want 6)", a.Frozen(), len(a.Cgroups))
	}
	if only := MergeCgroups(s, s.Hierarchy(3)); len(only) != 3 || only[2].Path != "/a/b" || only[2].Memory == nil {
		t.Errorf("MergeCgroups(memory) = %d rows; want /, /a, /a/b of the memory hierarchy", len(only))
	}
}

func TestMergedRowsAndRates(t *testing.T) {
	prev := hybridHost(t, t0, 1_000_000, 100, 10)
	cur := hybridHost(t, t0.Add(2*time.Second), 1_400_000, 120, 26)
	ix := NewIndex(cur, ComputeRates(prev, cur))
	a := ix.MergedCgroup("/a")
	r := ix.MergedRate(a)
	if !r.HasCPU || r.CPUCores != 0.2 || !r.HasQuota || r.QuotaPercent != 100 || !r.HasThrottle || r.ThrottledPercent != 80 {
		t.Errorf("/a rate = %+v; want 0.2 cores (cpuacct), 100%% of its 0.2 quota (cpu), 80%% throttled (cpu)", r)
	}
	if src := ix.CPUSource(a); src != a.CPU {
		t.Errorf("the CPU samples of /a come from hierarchy %d, want the cpu one", src.Hierarchy)
	}
	if q, ok := ix.QuotaCoresOf(a); !ok || q != 0.2 {
		t.Errorf("quota of /a = %v, %v", q, ok)
	}
	rows := ix.MergedCgroupRows(TreeOptions{Sort: SortName})
	if diff := cmp.Diff("/\n├─/a\n│ └─/a/b\n└─/c\n", render(rows)); diff != "" {
		t.Errorf("merged tree (-want +got):\n%s", diff)
	}
	for _, row := range rows {
		if !row.Key.IsMerged() || row.Merged == nil || row.Cgroup != row.Merged.Primary() {
			t.Errorf("row %s: key %s, merged %v", row.Merged.Path, row.Key, row.Merged != nil)
		}
	}
	// PID 6 is in /a in the memory hierarchy only: /a matches too.
	if diff := cmp.Diff("/ (ctx)\n└─/a\n  └─/a/b\n", render(ix.MergedCgroupRows(TreeOptions{Filter: ParseFilter("6")}))); diff != "" {
		t.Errorf("filter by member PID (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("/\n├─/a\n│ └─/a/b\n└─/c\n", render(ix.MergedCgroupRows(TreeOptions{Sort: SortCPU}))); diff != "" {
		t.Errorf("by CPU (-want +got):\n%s", diff)
	}
	k := MergedKey("/a/b")
	if got, ok := ix.Lookup(k).(*MergedCgroup); !ok || got.Path != "/a/b" {
		t.Errorf("Lookup(%s) = %v", k, ix.Lookup(k))
	}
	if diff := cmp.Diff([]Key{MergedKey("/a"), MergedKey("/")}, ix.Ancestors(k)); diff != "" {
		t.Errorf("ancestors of %s (-want +got):\n%s", k, diff)
	}
	if k.String() != "cg:*:/a/b" || ix.Lookup(MergedKey("/gone")) != nil {
		t.Errorf("key %s; a gone path looks up %v", k, ix.Lookup(MergedKey("/gone")))
	}
}

func TestSortsFor(t *testing.T) {
	var got []string
	s := SortName
	for range 4 {
		s = s.NextFor(KindCgroup)
		got = append(got, s.String())
	}
	if diff := cmp.Diff([]string{"CPU", "memory", "name", "CPU"}, got); diff != "" {
		t.Errorf("cgroup orders (-want +got):\n%s", diff)
	}
	if SortPID.NextFor(KindCgroup) != SortName || SortName.NextFor(KindProcess) != SortPID {
		t.Error("an order a view lacks starts its cycle; name wraps to PID for processes")
	}
}
