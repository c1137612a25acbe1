package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestV1Controllers(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []string
	}{
		{"debian 6.1 with cgroup_no_v1 unset", "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t0\t1\t1\ncpu\t0\t1\t1\ncpuacct\t0\t1\t1\n" +
			"blkio\t0\t1\t1\nmemory\t0\t1\t1\ndevices\t0\t1\t1\nfreezer\t0\t1\t1\nnet_cls\t0\t1\t1\nperf_event\t0\t1\t1\n" +
			"net_prio\t0\t1\t1\nhugetlb\t0\t1\t1\npids\t0\t1\t1\nrdma\t0\t1\t1\nmisc\t0\t1\t1\n",
			[]string{"cpuset", "cpu", "cpuacct", "blkio", "memory", "devices", "freezer", "net_cls", "perf_event", "net_prio", "hugetlb", "pids", "rdma", "misc"}},
		{"a disabled controller (cgroup_disable=memory)", "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t2\t40\t1\nmemory\t0\t1\t0\n", []string{"cpu"}},
		{"malformed lines", "cpu 1 1\n\ngarbage\npids\t0\t1\t1\n", []string{"pids"}},
		{"empty", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, v1Controllers([]byte(tc.data))); diff != "" {
				t.Errorf("v1Controllers (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzV1Controllers(f *testing.F) {
	f.Add([]byte("#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t0\t1\t1\nmemory\t0\t1\t0\n"))
	f.Add([]byte("a b c 1\n\x00\t\t\t\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range v1Controllers(data) {
			if c == "" || strings.ContainsAny(c, " \t\n") || strings.HasPrefix(c, "#") {
				t.Errorf("controller %q from %q", c, data)
			}
		}
	})
}
