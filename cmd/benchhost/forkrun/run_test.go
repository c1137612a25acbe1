package forkrun

import (
	"bytes"
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseReport(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Result
		wantErr string
	}{
		{name: "ok", in: "ok 1500000 2048 0\n", want: Result{Wall: 1500 * time.Microsecond, MaxRSS: 2 << 20}},
		{name: "exit status 3", in: "ok 10 4 768\n", want: Result{Wall: 10, MaxRSS: 4096, Status: syscall.WaitStatus(3 << 8)}},
		{name: "exec failed", in: "error exec nosuch: No such file or directory (errno 2)\n", wantErr: "exec nosuch: No such file"},
		{name: "empty", in: "", wantErr: "want \"ok WALL_NS"},
		{name: "too few fields", in: "ok 1 2\n", wantErr: "want \"ok WALL_NS"},
		{name: "negative", in: "ok -1 2 0\n", wantErr: "bad number"},
		{name: "not a number", in: "ok 1 x 0\n", wantErr: "bad number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseReport([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseReport(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("parseReport(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

// hold keeps the test binary's own peak RSS high, as benchhost's is after
// building a host and reading a snapshot.
var hold []byte

// TestRunReportsTheChildsOwnRSS is the reason for the package: with this
// process holding 200 MB, a child started by os/exec reports at least
// that as its ru_maxrss, while through Run "true" reports a few MiB and a
// program that really holds 64 MB reports that.
func TestRunReportsTheChildsOwnRSS(t *testing.T) {
	if !Available() {
		t.Skip("needs cgo: the helper is C")
	}
	hold = bytes.Repeat([]byte{1}, 200<<20)
	ctx := context.Background()
	var out bytes.Buffer

	small, err := Run(ctx, []string{"true"}, &out, &out)
	if err != nil {
		t.Fatal(err)
	}
	if small.MaxRSS <= 0 || small.MaxRSS > 20<<20 {
		t.Errorf("true: peak RSS %d KiB, want between 0 and 20 MiB (not this process's 200 MB)", small.MaxRSS>>10)
	}
	if small.Wall <= 0 {
		t.Errorf("true: wall %v, want > 0", small.Wall)
	}

	big, err := Run(ctx, []string{"awk", `BEGIN { s = "x"; for (i = 0; i < 26; i++) s = s s; print length(s) }`}, &out, &out)
	if err != nil {
		t.Fatal(err)
	}
	// The last doubling holds the 32 MiB and the 64 MiB string at once.
	if big.MaxRSS < 90<<20 || big.MaxRSS > 190<<20 {
		t.Errorf("awk doubling a string to 64 MiB: peak RSS %d MiB, want 90 to 190 MiB", big.MaxRSS>>20)
	}
	if !strings.Contains(out.String(), "67108864") {
		t.Errorf("the command's output did not arrive: %q", out.String())
	}
	hold = nil
}

func TestRunFailures(t *testing.T) {
	if !Available() {
		t.Skip("needs cgo: the helper is C")
	}
	ctx := context.Background()
	var out bytes.Buffer
	res, err := Run(ctx, []string{"sh", "-c", "echo failing >&2; exit 3"}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("exit 3: error %v, want exit status 3", err)
	}
	if res.Status.ExitStatus() != 3 || !strings.Contains(out.String(), "failing") {
		t.Errorf("exit 3: status %d, output %q", res.Status.ExitStatus(), out.String())
	}
	if _, err := Run(ctx, []string{"/nonexistent/benchhost-nothing"}, &out, &out); err == nil || !strings.Contains(err.Error(), "No such file") {
		t.Errorf("missing program: error %v, want the exec failure", err)
	}
	if _, err := Run(ctx, []string{"sh", "-c", "kill -KILL $$"}, &out, &out); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("killed command: error %v, want killed by signal", err)
	}
}
