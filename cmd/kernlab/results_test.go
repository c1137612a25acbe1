package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// transcript is a console as the guest prints it, firmware noise included.
const transcript = "\x1bc\x1b[?7l\x1b[2JSeaBIOS (version 1.16.2-debian-1.16.2-1)\r\n" +
	"Booting from ROM...\r\n" +
	"\x1bc\x1b[?7l\x1b[2J" + `@@kernlab setup mount ok
@@kernlab init 6.1.0-56-amd64
@@kernlab setup manifest ok
@@kernlab setup modules ok
@@kernlab setup disk ok
@@kernlab setup controllers ok
@@kernlab begin example.com/a
=== RUN   TestLabOne
--- PASS: TestLabOne (0.01s)
=== RUN   TestLabTwo
=== RUN   TestLabTwo/sub
    a_test.go:10: wrote 5
    --- FAIL: TestLabTwo/sub (0.00s)
--- FAIL: TestLabTwo (0.02s)
=== RUN   TestLabThree
    a_test.go:20: needs the kernel lab guest
--- SKIP: TestLabThree (0.00s)
FAIL
@@kernlab warn example.com/a: left cgroup /x (removed)
@@kernlab end example.com/a exit=1 seconds=1.50
@@kernlab begin example.com/b
=== RUN   TestLabParallel
=== PAUSE TestLabParallel
=== CONT  TestLabParallel
    b_test.go:5: still going
--- PASS: TestLabParallel (2.00s)
PASS
@@kernlab end example.com/b exit=0 seconds=2.10
@@kernlab done failures=1
[    9.1] reboot: Power down
`

func feedAll(r *consoleResults, text string) []string {
	var ended []string
	for _, line := range strings.Split(text, "\n") {
		if p := r.feed(line); p != nil {
			ended = append(ended, p.Package)
		}
	}
	return ended
}

func TestConsoleResults(t *testing.T) {
	r := &consoleResults{}
	ended := feedAll(r, strings.ReplaceAll(transcript, "\r\n", "\n"))
	if diff := cmp.Diff([]string{"example.com/a", "example.com/b"}, ended); diff != "" {
		t.Errorf("packages reported as they ended (-want +got):\n%s", diff)
	}
	want := []*packageResult{
		{Package: "example.com/a", Ended: true, Exit: 1, Seconds: 1.5,
			Tests: []*testResult{
				{Name: "TestLabOne", Status: "PASS", Seconds: 0.01, Output: []string{"=== RUN   TestLabOne", "--- PASS: TestLabOne (0.01s)"}},
				{Name: "TestLabTwo", Status: "FAIL", Seconds: 0.02, Output: []string{
					"=== RUN   TestLabTwo", "=== RUN   TestLabTwo/sub", "    a_test.go:10: wrote 5",
					"    --- FAIL: TestLabTwo/sub (0.00s)", "--- FAIL: TestLabTwo (0.02s)"}},
				{Name: "TestLabThree", Status: "SKIP", Output: []string{
					"=== RUN   TestLabThree", "    a_test.go:20: needs the kernel lab guest", "--- SKIP: TestLabThree (0.00s)"}},
			},
			Output:   []string{"FAIL"},
			Warnings: []string{"left cgroup /x (removed)"},
		},
		{Package: "example.com/b", Ended: true, Seconds: 2.1,
			Tests: []*testResult{{Name: "TestLabParallel", Status: "PASS", Seconds: 2, Output: []string{
				"=== RUN   TestLabParallel", "=== PAUSE TestLabParallel", "=== CONT  TestLabParallel",
				"    b_test.go:5: still going", "--- PASS: TestLabParallel (2.00s)"}}},
			Output: []string{"PASS"},
		},
	}
	if diff := cmp.Diff(want, r.Packages, cmpopts.IgnoreUnexported(packageResult{})); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if r.Kernel != "6.1.0-56-amd64" || !r.Done || r.Failures != 1 || len(r.Setup) != 5 || len(r.Problems) != 0 {
		t.Errorf("kernel %q done %v failures %d setup %d problems %v", r.Kernel, r.Done, r.Failures, len(r.Setup), r.Problems)
	}
	pass, fail, skip := r.counts()
	if pass != 2 || fail != 1 || skip != 1 {
		t.Errorf("counts = %d passed %d failed %d skipped, want 2 1 1", pass, fail, skip)
	}
	if got := skipReason(r.Packages[0].Tests[2]); got != ": needs the kernel lab guest" {
		t.Errorf("skip reason = %q", got)
	}
}

func TestVerdict(t *testing.T) {
	good := "@@kernlab setup mount ok\n@@kernlab begin p\n=== RUN   TestLabA\n--- PASS: TestLabA (0.00s)\nPASS\n@@kernlab end p exit=0 seconds=0.10\n@@kernlab done failures=0\n"
	tests := []struct {
		name    string
		console string
		bootErr error
		want    []string // substrings, one per problem
	}{
		{"all passed", good, nil, nil},
		{"test failed", strings.Replace(good, "--- PASS", "--- FAIL", 1), nil, []string{"p: failed"}},
		{"exit code only", strings.Replace(good, "exit=0", "exit=2", 1), nil, []string{"p: failed"}},
		{"setup step failed", strings.Replace(good, "mount ok", "mount FAIL: mount proc on /proc: EPERM", 1), nil,
			[]string{`setup step "mount" failed: mount proc on /proc: EPERM`}},
		{"guest stopped mid-test", "@@kernlab begin p\n=== RUN   TestLabA\n", nil,
			[]string{"p: did not finish", "guest stopped before its done marker"}},
		{"timeout", "@@kernlab begin p\n=== RUN   TestLabA\n", fmt.Errorf("%w (5m0s)", errTimeout),
			[]string{"guest did not power off in time (5m0s)", "p: did not finish"}},
		{"kernel panic", "@@kernlab begin p\n=== RUN   TestLabA\n[ 3.2] Kernel panic - not syncing: Attempted to kill init!\n[ 3.2] CPU: 0 PID: 1\n", nil,
			[]string{"guest kernel panicked:\n    | [ 3.2] Kernel panic - not syncing: Attempted to kill init!\n    | [ 3.2] CPU: 0 PID: 1", "p: did not finish"}},
		{"package never ran", strings.ReplaceAll(good, " p", " q"), nil, []string{"p: never started in the guest"}},
		{"nothing ran", "@@kernlab begin p\nPASS\n@@kernlab end p exit=0 seconds=0.10\n@@kernlab done failures=0\n", nil,
			[]string{"no TestLab test passed or failed"}},
		{"malformed marker", good + "@@kernlab end p exit=zero\n", nil, []string{"malformed end marker"}},
	}
	// With a -run of another configuration's tests, a guest may skip all.
	r := &consoleResults{}
	feedAll(r, "@@kernlab begin p\nPASS\n@@kernlab end p exit=0 seconds=0.10\n@@kernlab done failures=0\n")
	if got := verdict(r, nil, []string{"p"}, false); len(got) != 0 {
		t.Errorf("all skipped, tests not required: problems %q", got)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &consoleResults{}
			feedAll(r, tc.console)
			got := verdict(r, tc.bootErr, []string{"p"}, true)
			if len(got) != len(tc.want) {
				t.Fatalf("problems = %q, want %d matching %q", got, len(tc.want), tc.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tc.want[i]) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestFixtureTransfer(t *testing.T) {
	data := bytes.Repeat([]byte("cgroup fixture "), 100)
	sum := sha256.Sum256(data)
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	b.WriteString("@@kernlab fixture-begin\n")
	for len(enc) > 0 {
		n := min(76, len(enc))
		b.WriteString(enc[:n] + "\n")
		enc = enc[n:]
	}
	end := fmt.Sprintf("@@kernlab fixture-end bytes=%d sha256=%s\n", len(data), hex.EncodeToString(sum[:]))

	r := &consoleResults{}
	feedAll(r, b.String()+end)
	if !r.FixtureOK || !bytes.Equal(r.Fixture, data) || len(r.Problems) != 0 {
		t.Errorf("intact fixture: ok %v, %d bytes, problems %v", r.FixtureOK, len(r.Fixture), r.Problems)
	}

	garbled := strings.Replace(b.String(), "Y2dy", "Y2dz", 1)
	r = &consoleResults{}
	feedAll(r, garbled+end)
	if r.FixtureOK || len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "console garbled") {
		t.Errorf("garbled fixture: ok %v, problems %v", r.FixtureOK, r.Problems)
	}
}
