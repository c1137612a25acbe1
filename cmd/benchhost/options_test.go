package main

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseArgs(t *testing.T) {
	def := hostConfig{Containers: 300, Plain: 3000}
	tests := []struct {
		name    string
		args    []string
		want    *command
		wantErr string
	}{
		{name: "no arguments is compare with the defaults", args: nil, want: &command{name: "compare", host: def, runs: 5}},
		{name: "flags without a subcommand are compare's", args: []string{"-runs", "3", "-plain", "10"}, want: &command{name: "compare", host: hostConfig{300, 10}, runs: 3}},
		{name: "compare with an nscope binary", args: []string{"compare", "-nscope", "/x/nscope"}, want: &command{name: "compare", host: def, runs: 5, nscope: "/x/nscope"}},
		{name: "compare on a running host", args: []string{"-reuse"}, want: &command{name: "compare", host: def, runs: 5, reuse: true}},
		{name: "up has no -reuse", args: []string{"up", "-reuse"}, wantErr: "flag provided but not defined: -reuse"},
		{name: "up", args: []string{"up", "-containers", "10"}, want: &command{name: "up", host: hostConfig{10, 3000}}},
		{name: "down", args: []string{"down"}, want: &command{name: "down"}},
		{name: "down -force", args: []string{"down", "-force"}, want: &command{name: "down", force: true}},
		{
			name: "cpu defaults",
			args: []string{"cpu"},
			want: &command{name: "cpu", host: def, duration: 30 * time.Second, settle: 3 * time.Second, cpuCmds: defaultCPUCommands},
		},
		{
			name: "cpu with commands",
			args: []string{"cpu", "-duration", "10s", "-nohost", "--", "bin/nscope --interval 1s", "top -b -d 1 >/dev/null"},
			want: &command{name: "cpu", host: def, duration: 10 * time.Second, settle: 3 * time.Second, noHost: true,
				cpuCmds: []string{"bin/nscope --interval 1s", "top -b -d 1 >/dev/null"}},
		},
		{name: "unknown subcommand", args: []string{"frobnicate"}, wantErr: `unknown subcommand "frobnicate" (allowed: compare, up, down, cpu)`},
		{name: "negative containers", args: []string{"-containers", "-1"}, wantErr: "-containers -1 is out of range: allowed 0 to 5000"},
		{name: "too many plain", args: []string{"up", "-plain", "30000"}, wantErr: "-plain 30000 is out of range: allowed 0 to 25000"},
		{name: "zero runs", args: []string{"-runs", "0"}, wantErr: "-runs 0 is out of range: allowed 1 to 100"},
		{name: "not a number", args: []string{"-runs", "five"}, wantErr: `invalid value "five" for flag -runs`},
		{name: "stray argument", args: []string{"up", "now"}, wantErr: `unexpected argument "now": benchhost up takes only flags`},
		{name: "down has no -containers", args: []string{"down", "-containers", "3"}, wantErr: "flag provided but not defined: -containers"},
		{name: "short cpu window", args: []string{"cpu", "-duration", "500ms"}, wantErr: "-duration 500ms is too short: allowed 1s or more"},
		{name: "negative settle", args: []string{"cpu", "-settle", "-1s"}, wantErr: "-settle -1s is negative"},
		{name: "empty cpu command", args: []string{"cpu", "--", "top -b", " "}, wantErr: "command 2 after -- is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseArgsQuiet(tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("parseArgs(%q) error = %v, want one containing %q", tc.args, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseArgs(%q): %v", tc.args, err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(command{})); diff != "" {
				t.Errorf("parseArgs(%q) mismatch (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

// parseArgsQuiet is parseArgs with the flag package's own messages
// discarded.
func parseArgsQuiet(args []string) (*command, error) {
	flagOutput = io.Discard
	defer func() { flagOutput = nil }()
	return parseArgs(args)
}

func TestHelp(t *testing.T) {
	var out strings.Builder
	flagOutput = &out
	defer func() { flagOutput = nil }()
	_, err := parseArgs([]string{"-h"})
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: error %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"benchhost up", "benchhost down", "benchhost cpu", "-containers", "-runs"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("-h output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestRunExitCodes checks the exit codes of bad usage and of help, which
// come before anything is built.
func TestRunExitCodes(t *testing.T) {
	flagOutput = io.Discard
	defer func() { flagOutput = nil }()
	if code := run([]string{"-runs", "0"}); code != exitUsage {
		t.Errorf("bad -runs: exit code %d, want %d", code, exitUsage)
	}
	if code := run([]string{"-h"}); code != 0 {
		t.Errorf("-h: exit code %d, want 0", code)
	}
}
