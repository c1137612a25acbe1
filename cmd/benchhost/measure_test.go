package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSummarize(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name string
		in   []sample
		want summary
	}{
		{name: "no runs", want: summary{}},
		{
			name: "odd count: the middle value",
			in:   []sample{{300 * ms, 10}, {100 * ms, 30}, {200 * ms, 20}},
			want: summary{Median: 200 * ms, Min: 100 * ms, PeakRSS: 30, Runs: 3},
		},
		{
			name: "even count: mean of the middle two",
			in:   []sample{{400 * ms, 1}, {100 * ms, 1}, {200 * ms, 5}, {300 * ms, 2}},
			want: summary{Median: 250 * ms, Min: 100 * ms, PeakRSS: 5, Runs: 4},
		},
		{
			name: "an outlier does not move the median",
			in:   []sample{{100 * ms, 1}, {110 * ms, 1}, {5 * time.Second, 1}},
			want: summary{Median: 110 * ms, Min: 100 * ms, PeakRSS: 1, Runs: 3},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, summarize(tc.in)); diff != "" {
				t.Errorf("summarize mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLimitedBuffer(t *testing.T) {
	var buf bytes.Buffer
	w := &limitedBuffer{buf: &buf, max: 5}
	for _, s := range []string{"abc", "defgh", "ij"} {
		if n, err := w.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v; want %d, nil (the writer must not fail the command)", s, n, err, len(s))
		}
	}
	if got := buf.String(); got != "abcde" {
		t.Errorf("kept %q, want the first 5 bytes %q", got, "abcde")
	}
}

// TestTimeCommand runs real commands: the output goes where asked, a
// failure names the command and its complaint, and the peak RSS is the
// child's (awk doubling a string to 64 MiB must report more than 90 MiB, a
// plain true well below).
func TestTimeCommand(t *testing.T) {
	ctx := context.Background()
	var out bytes.Buffer
	s, err := timeCommand(ctx, []string{"sh", "-c", "echo hello"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "hello\n" {
		t.Errorf("output %q, want %q", out.String(), "hello\n")
	}
	if s.Wall <= 0 {
		t.Errorf("wall time %v, want > 0", s.Wall)
	}

	_, err = timeCommand(ctx, []string{"sh", "-c", "echo broken >&2; exit 3"}, &out)
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "broken") {
		t.Errorf("error %v, want the exit status 3 and the command's stderr", err)
	}

	small, err := timeCommand(ctx, []string{"true"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	big, err := timeCommand(ctx, []string{"awk", `BEGIN { s = "x"; for (i = 0; i < 26; i++) s = s s; print length(s) }`}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if small.MaxRSS <= 0 || small.MaxRSS > 20<<20 {
		t.Errorf("true: peak RSS %s, want between 0 and 20 MiB", fmtMiB(small.MaxRSS))
	}
	if big.MaxRSS < 90<<20 {
		t.Errorf("awk doubling a string to 64 MiB: peak RSS %s, want at least 90 MiB", fmtMiB(big.MaxRSS))
	}
}
