package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	o, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.run != "^TestLab" || o.timeout != 5*time.Minute || o.testTimeout != 2*time.Minute || o.verbose || o.keep || o.saveFixture != "" ||
		len(o.configs) != len(matrix) || o.parallel < 1 {
		t.Errorf("defaults = %+v", o)
	}
	tests := []struct {
		name    string
		args    []string
		errPart string
	}{
		{"all flags", []string{"-run", "TestLabCPU", "-timeout", "3m", "-test-timeout", "30s", "-v", "-keep", "-save-fixture", "x", "-config", "6.1-v2", "-parallel", "2"}, ""},
		{"bad regexp", []string{"-run", "TestLab("}, `-run "TestLab(" is not a valid regular expression`},
		{"timeout too short", []string{"-timeout", "2s"}, "-timeout 2s is too short"},
		{"zero test timeout", []string{"-test-timeout", "0s"}, "-test-timeout 0s must be positive"},
		{"stray argument", []string{"inspect"}, `unexpected argument "inspect"`},
		{"unknown flag", []string{"-fast"}, "flag provided but not defined: -fast"},
		{"one configuration", []string{"-config", "6.12-v2"}, ""},
		{"unknown configuration", []string{"-config", "6.1-v2,5.10-v2"}, `unknown configuration "5.10-v2" (want all, or some of 6.1-v2, 6.12-v2, 6.1-legacy`},
		{"no parallelism", []string{"-parallel", "0"}, "-parallel 0: want at least 1"},
		{"fixture from the default v2 guest", []string{"-save-fixture", "x"}, ""},
		{"fixture from a legacy guest", []string{"-save-fixture", "x", "-config", "6.1-legacy"}, "-save-fixture needs exactly one cgroup v2 configuration"},
		{"fixture from two guests", []string{"-save-fixture", "x", "-config", "6.1-v2,6.12-v2"}, "-save-fixture needs exactly one cgroup v2 configuration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseFlags(tc.args)
			if tc.errPart == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.errPart) {
				t.Errorf("error = %v, want one containing %q", err, tc.errPart)
			}
		})
	}
}

func TestFixturePath(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"proc/1/stat", true},
		{"sys/fs/cgroup/lab/web/cpu.max", true},
		{"etc/passwd", true},
		{"proc/../../escape", false},
		{"/etc/passwd", false},
		{"README", false},
		{"../x", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fixturePath(tc.name)
			if (err == nil) != tc.ok {
				t.Errorf("fixturePath(%q) error = %v, want ok %v", tc.name, err, tc.ok)
			}
		})
	}
}
