package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSelfCgroup(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[int]string
	}{
		{
			name: "hybrid host, own memory cgroup below the root",
			in:   "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/b63003a5\n2:cpuacct:/\n1:cpu:/\n0::/\n",
			want: map[int]string{9: "/", 8: "/", 4: "/process_api/b63003a5", 2: "/", 1: "/", 0: "/"},
		},
		{
			name: "co-mounted controllers and a path with a colon",
			in:   "3:cpu,cpuacct:/a:b/c\n",
			want: map[int]string{3: "/a:b/c"},
		},
		{
			name: "malformed lines are skipped",
			in:   "x:pids:/\n5:pids\n6:pids:relative\n\n7:freezer:/f\n",
			want: map[int]string{7: "/f"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, parseSelfCgroup([]byte(tc.in))); diff != "" {
				t.Errorf("parseSelfCgroup mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestContainerLimits(t *testing.T) {
	tests := []struct {
		name string
		n    int
		h    hierarchy
		want []cgWrite
	}{
		{
			name: "cpu gets a period and a quota",
			n:    2,
			h:    hierarchy{Controllers: []string{"cpu"}},
			want: []cgWrite{{"cpu.cfs_period_us", "100000"}, {"cpu.cfs_quota_us", "40000"}},
		},
		{
			name: "memory limit varies from 64 MiB",
			n:    5,
			h:    hierarchy{Controllers: []string{"memory"}},
			want: []cgWrite{{"memory.limit_in_bytes", "100663296"}},
		},
		{
			name: "co-mounted cpu,cpuacct",
			n:    0,
			h:    hierarchy{Controllers: []string{"cpu", "cpuacct"}},
			want: []cgWrite{{"cpu.cfs_period_us", "100000"}, {"cpu.cfs_quota_us", "20000"}},
		},
		{
			name: "pids limit leaves room for the container",
			n:    1,
			h:    hierarchy{Controllers: []string{"pids"}},
			want: []cgWrite{{"pids.max", "65"}},
		},
		{name: "freezer has nothing to set", n: 1, h: hierarchy{Controllers: []string{"freezer"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, containerLimits(tc.n, tc.h)); diff != "" {
				t.Errorf("containerLimits(%d) mismatch (-want +got):\n%s", tc.n, diff)
			}
		})
	}
}
