package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSelectConfigs(t *testing.T) {
	tests := []struct {
		name string
		spec string
		want []string
	}{
		{"default", "", []string{"6.1-v2", "6.12-v2", "6.1-legacy"}},
		{"all", "all", []string{"6.1-v2", "6.12-v2", "6.1-legacy"}},
		{"one", "6.12-v2", []string{"6.12-v2"}},
		{"matrix order, no repeats", "6.1-legacy, 6.1-v2,6.1-legacy", []string{"6.1-v2", "6.1-legacy"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs, err := selectConfigs(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range cs {
				got = append(got, c.Name)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("selectConfigs(%q) (-want +got):\n%s", tc.spec, diff)
			}
		})
	}
	if _, err := selectConfigs("6.1"); err == nil {
		t.Error("a series alone was accepted as a configuration")
	}
}

func TestSeriesMatches(t *testing.T) {
	tests := []struct {
		release, series string
		want            bool
	}{
		{"6.1.0-57-amd64", "6.1", true},
		{"6.12.117+deb12-amd64", "6.12", true},
		{"6.12.117+deb12-amd64", "6.1", false},
		{"6.1.0-57-amd64", "6.12", false},
		{"6.1", "6.1", true},
		{"", "6.1", false},
	}
	for _, tc := range tests {
		if got := seriesMatches(tc.release, tc.series); got != tc.want {
			t.Errorf("seriesMatches(%q, %q) = %v, want %v", tc.release, tc.series, got, tc.want)
		}
	}
}

func TestCmdline(t *testing.T) {
	for _, c := range matrix {
		line := c.cmdline()
		v2 := strings.Contains(line, "cgroup_no_v1=all")
		if v2 != (c.Cgroup == "v2") {
			t.Errorf("%s: command line %q has cgroup_no_v1=all %v, want %v", c.Name, line, v2, c.Cgroup == "v2")
		}
		for _, want := range []string{"console=ttyS0", "panic=-1", "psi=1", "rdinit=/init", "nscope.lab=" + c.Name} {
			if !strings.Contains(line, want) {
				t.Errorf("%s: command line %q lacks %s", c.Name, line, want)
			}
		}
	}
}
