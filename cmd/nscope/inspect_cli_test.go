package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nscope/nscope/inspect"
)

// runInspectCLI runs nscope in-process with args and returns stdout,
// stderr and the error Execute returned.
func runInspectCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	global = globalFlags{}
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), errOut.String(), err
}

// fixtureArgs points the scanner at the hybrid-host fixture tree.
func fixtureArgs(args ...string) []string {
	root := filepath.Join("..", "..", "testdata", "hybridhost")
	return append(args, "--proc", filepath.Join(root, "proc"), "--sys", filepath.Join(root, "sys"))
}

func fixtureExpectation(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "hybridhost", "expect.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCLIUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown type", []string{"ns", "--type", "bogus"}, `unknown namespace type "bogus"`},
		{"empty type list", []string{"ns", "--type", ","}, "empty namespace type list"},
		{"unknown flag", []string{"ps", "--bogus"}, "unknown flag: --bogus"},
		{"extra argument", []string{"cg", "extra"}, `unknown command "extra"`},
		{"tree and json", []string{"ns", "--tree", "--json"}, "cannot be combined"},
		{"unknown hierarchy", fixtureArgs("cg", "--hierarchy", "nope"), `--hierarchy "nope": no such hierarchy`},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runInspectCLI(t, tc.args...)
			var usage *usageError
			if !errors.As(err, &usage) {
				t.Fatalf("nscope %s: error %v is not a usage error (exit code 2)", strings.Join(tc.args, " "), err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("nscope %s: error %q, want it to mention %q", strings.Join(tc.args, " "), err, tc.want)
			}
		})
	}
}

// TestCLIOnFixture runs every inspect command on the fixture tree and
// checks what a user would read in the output.
func TestCLIOnFixture(t *testing.T) {
	want := fixtureExpectation(t)
	container := int(want["container_pid"].(float64))
	cgPath := want["cgroup"].(string)

	t.Run("snapshot", func(t *testing.T) {
		out, _, err := runInspectCLI(t, fixtureArgs("snapshot")...)
		if err != nil {
			t.Fatal(err)
		}
		snap, err := inspect.Load(strings.NewReader(out))
		if err != nil {
			t.Fatalf("snapshot output does not load: %v", err)
		}
		if snap.Process(container) == nil || snap.CgroupMode != inspect.CgroupHybrid {
			t.Errorf("snapshot lacks container process %d or mode hybrid (got %s)", container, snap.CgroupMode)
		}
	})
	t.Run("ps", func(t *testing.T) {
		out, _, err := runInspectCLI(t, fixtureArgs("ps")...)
		if err != nil {
			t.Fatal(err)
		}
		line := lineEnding(out, "  sleep 1000")
		// PID, its NSpid chain ending in 1 inside, the namespaces it does
		// not share with the host, its cgroup.
		for _, s := range []string{itoa(container), itoa(container) + ",1", "mnt,pid,net,ipc,uts,cgroup,time", cgPath} {
			if !strings.Contains(line, s) {
				t.Errorf("ps line %q lacks %q", line, s)
			}
		}
	})
	t.Run("ns", func(t *testing.T) {
		out, _, err := runInspectCLI(t, fixtureArgs("ns", "--type", "pid,net")...)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out, " mnt ") || !strings.Contains(out, " pid ") || !strings.Contains(out, " net ") {
			t.Errorf("ns --type pid,net output has the wrong types:\n%s", out)
		}
		if !strings.Contains(lineEnding(out, "  sleep 1000"), " pid ") {
			t.Errorf("the container's pid namespace row does not name its process:\n%s", out)
		}
	})
	t.Run("ns json", func(t *testing.T) {
		out, _, err := runInspectCLI(t, fixtureArgs("ns", "--json", "--type", "time")...)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			SchemaVersion int                 `json:"schema_version"`
			Namespaces    []inspect.Namespace `json:"namespaces"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.SchemaVersion != inspect.SchemaVersion || len(doc.Namespaces) != 2 {
			t.Errorf("ns --json --type time: schema %d, %d namespaces; want 2 (host and container)", doc.SchemaVersion, len(doc.Namespaces))
		}
	})
	t.Run("cg", func(t *testing.T) {
		out, _, err := runInspectCLI(t, fixtureArgs("cg")...)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "cgroup mode: hybrid") {
			t.Errorf("cg does not say the mode:\n%s", out)
		}
		line := lineWith(out, cgPath)
		for _, s := range []string{"20% of 1 CPU", "2/64"} {
			if !strings.Contains(line, s) {
				t.Errorf("cg row %q lacks %q", line, s)
			}
		}
		memLine := lineWith(out, want["memory_cgroup"].(string))
		if !strings.Contains(memLine, "256 MiB") {
			t.Errorf("cg row %q lacks the 256 MiB memory limit", memLine)
		}
	})
	t.Run("cg tree", func(t *testing.T) {
		out, _, err := runInspectCLI(t, fixtureArgs("cg", "--tree", "--hierarchy", "cpu")...)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "└ "+strings.TrimPrefix(cgPath, "/")) {
			t.Errorf("cg --tree does not indent %s under the root:\n%s", cgPath, out)
		}
	})
}

// TestCLILive runs the commands on this host as a user would.
func TestCLILive(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to see every namespace")
	}
	out, _, err := runInspectCLI(t, "ns", "--tree")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "user ") || !strings.Contains(out, "(initial)") {
		t.Errorf("ns --tree should start at the initial user namespace:\n%.500s", out)
	}
	out, _, err = runInspectCLI(t, "ps", "--tree")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "└─ ") || lineWith(out, itoa(os.Getpid())) == "" {
		t.Errorf("ps --tree lacks branches or this test's process:\n%.500s", out)
	}
}

func lineWith(out, s string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// lineEnding returns the first line of out that ends with s.
func lineEnding(out, s string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasSuffix(l, s) {
			return l
		}
	}
	return ""
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
