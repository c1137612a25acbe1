package tui

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestStartFlagsEndToEnd runs the binary in tmux with the presentation
// flags on the small saved snapshot: it opens on the selected cgroup with
// the filter typed, and d writes the diagram to --export-dir and names it
// in the status line.
func TestStartFlagsEndToEnd(t *testing.T) {
	bin := buildBinary(t)
	fixture, err := filepath.Abs(filepath.Join("testdata", "small-2.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tm := newTmuxTerm(t, 120, 30)
	tm.sendText(bin + " --load " + fixture + " --view cg --filter demo --select /nscope-run-demo --export-dir " + dir)
	tm.send("Enter")
	s := tm.waitText("─ cgroup /nscope-run-demo")
	if !strings.Contains(s, "filter “demo”") || !strings.Contains(s, "CGROUP ") {
		t.Errorf("the Cgroups view with the filter did not open:\n%s", s)
	}
	tm.send("1")
	tm.waitText("NAMESPACE ")
	tm.send("d")
	s = tm.waitText("wrote " + dir)
	if !strings.Contains(s, "no veth links: a saved snapshot cannot read interfaces") && !strings.Contains(s, "…") {
		t.Errorf("the status line does not say why veth links are missing:\n%s", s)
	}
	svgs, _ := filepath.Glob(filepath.Join(dir, "nscope-namespaces-*.svg"))
	dots, _ := filepath.Glob(filepath.Join(dir, "nscope-namespaces-*.dot"))
	if len(svgs) != 1 || len(dots) != 1 {
		t.Fatalf("the export wrote %v and %v, want one SVG and one DOT", svgs, dots)
	}
	checkSVG(t, svgs[0], "PID 700 sleep", "PID 801 stress")
	checkDOT(t, dots[0])
	tm.send("o")
	tm.waitText("nesting tree · sort name")
	tm.send("q")
	checkRestored(t, tm)
}

// TestStartFlagsBadInput: bad start flags are refused with exit 2 and a
// message naming the input and what is allowed; nothing starts.
func TestStartFlagsBadInput(t *testing.T) {
	bin := buildBinary(t)
	tests := []struct {
		name    string
		args    []string
		wantMsg string
	}{
		{"unknown view", []string{"--view", "tree"}, `--view "tree": want ns, ps or cg`},
		{"bad select", []string{"--select", "nginx"}, `--select "nginx": want a PID (812), a namespace inode`},
		{"view and select disagree", []string{"--view", "ns", "--select", "801"}, "--select 801 is shown in the Processes view, not in --view ns: drop --view, or give it ps"},
		{"export dir missing", []string{"--export-dir", "/nonexistent/dir"}, "--export-dir stat /nonexistent/dir: no such file or directory"},
		{"export dir a file", []string{"--export-dir", "/etc/hostname"}, "--export-dir /etc/hostname: not a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := exec.Command(bin, tc.args...).CombinedOutput()
			var exit *exec.ExitError
			code := 0
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			}
			if code != 2 || !strings.Contains(string(out), tc.wantMsg) {
				t.Errorf("nscope %s: exit %d, %q; want exit 2 and %q", strings.Join(tc.args, " "), code, out, tc.wantMsg)
			}
		})
	}
	if _, err := os.Stat("/etc/hostname"); err != nil {
		t.Log("no /etc/hostname: the not-a-directory case checked a missing file instead")
	}
}
