package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestJudge(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name         string
		nscope, lsns summary
		want         []verdict
	}{
		{
			name:   "all targets met",
			nscope: summary{Median: 200 * ms, PeakRSS: 40 << 20},
			lsns:   summary{Median: 860 * ms},
			want: []verdict{
				{"median wall <= 0.250 s", "0.200 s", true},
				{">= 3x faster than lsns -J", "4.3x", true},
				{"peak RSS <= 60.0 MiB", "40.0 MiB", true},
			},
		},
		{
			name:   "exactly on the targets passes",
			nscope: summary{Median: 250 * ms, PeakRSS: 60 << 20},
			lsns:   summary{Median: 750 * ms},
			want: []verdict{
				{"median wall <= 0.250 s", "0.250 s", true},
				{">= 3x faster than lsns -J", "3.0x", true},
				{"peak RSS <= 60.0 MiB", "60.0 MiB", true},
			},
		},
		{
			name:   "all missed",
			nscope: summary{Median: 400 * ms, PeakRSS: 61 << 20},
			lsns:   summary{Median: 860 * ms},
			want: []verdict{
				{"median wall <= 0.250 s", "0.400 s", false},
				{">= 3x faster than lsns -J", "2.1x", false},
				{"peak RSS <= 60.0 MiB", "61.0 MiB", false},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, judge(tc.nscope, tc.lsns)); diff != "" {
				t.Errorf("judge mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPrintReport(t *testing.T) {
	ms := time.Millisecond
	results := []commandResult{
		{Name: "bin/nscope snapshot", Saw: "4000 processes", Summary: summary{Median: 200 * ms, Min: 190 * ms, PeakRSS: 40 << 20, Runs: 5}},
		{Name: "lsns -J", Saw: "1512 namespaces", Summary: summary{Median: 800 * ms, Min: 700 * ms, PeakRSS: 10 << 20, Runs: 5}},
		{Name: "ps -e -o pid,ppid,cgroup,comm", Saw: "4000 processes", Summary: summary{Median: 300 * ms, Min: 290 * ms, PeakRSS: 5 << 20, Runs: 5}},
	}
	var out bytes.Buffer
	printReport(&out, results, 5)
	// Lines compared by their words, so column widths do not matter.
	for _, want := range []string{
		"5 timed runs of each command after one warm-up, interleaved; output to /dev/null",
		"bin/nscope snapshot 0.200 s 0.190 s 40.0 MiB 4000 processes",
		"lsns -J 0.800 s 0.700 s 10.0 MiB 1512 namespaces",
		"ratios of medians: lsns/nscope 4.00x, ps/nscope 1.50x",
		"median wall <= 0.250 s 0.200 s PASS",
		">= 3x faster than lsns -J 4.0x PASS",
		"peak RSS <= 60.0 MiB 40.0 MiB PASS",
	} {
		if !hasLine(out.String(), want) {
			t.Errorf("report lacks the line %q:\n%s", want, out.String())
		}
	}
}

// hasLine reports whether text has a line with the same words as want.
func hasLine(text, want string) bool {
	w := strings.Join(strings.Fields(want), " ")
	for _, line := range strings.Split(text, "\n") {
		if strings.Join(strings.Fields(line), " ") == w {
			return true
		}
	}
	return false
}
