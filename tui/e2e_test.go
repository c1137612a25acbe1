package tui

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tmuxTerm is a private tmux server with one fixed-size session running
// a shell, to drive the real binary as a user would.
type tmuxTerm struct {
	t      *testing.T
	socket string
}

func newTmuxTerm(t *testing.T, w, h int) *tmuxTerm {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed: the end-to-end test drives the binary in tmux (apt-get install tmux)")
	}
	tm := &tmuxTerm{t: t, socket: fmt.Sprintf("nscope-e2e-%d-%d", os.Getpid(), time.Now().UnixNano())}
	tm.run("-f", "/dev/null", "new-session", "-d", "-s", "e2e", "-x", itoa(w), "-y", itoa(h),
		"env", "PS1=e2e$ ", "TERM=xterm-256color", "sh", "-i")
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", tm.socket, "kill-server").Run() })
	tm.run("set-option", "-g", "escape-time", "0")
	tm.waitFor("shell prompt", func(s string) bool { return strings.Contains(s, "e2e$") })
	return tm
}

func (tm *tmuxTerm) run(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// send types keys (tmux key names or literal text).
func (tm *tmuxTerm) send(keys ...string) {
	tm.t.Helper()
	tm.run(append([]string{"send-keys", "-t", "e2e"}, keys...)...)
}

// sendText types text literally.
func (tm *tmuxTerm) sendText(s string) {
	tm.t.Helper()
	tm.run("send-keys", "-t", "e2e", "-l", s)
}

func (tm *tmuxTerm) screen() string { return tm.run("capture-pane", "-p", "-t", "e2e") }

// format returns a tmux format of the pane, e.g. "#{alternate_on}".
func (tm *tmuxTerm) format(f string) string {
	return strings.TrimSpace(tm.run("display-message", "-p", "-t", "e2e", f))
}

// waitFor polls the screen until ok says yes, or fails after 15 s with
// the last screen.
func (tm *tmuxTerm) waitFor(what string, ok func(screen string) bool) string {
	tm.t.Helper()
	return tm.waitForWithin(15*time.Second, what, ok)
}

// waitForWithin is waitFor with its own deadline.
func (tm *tmuxTerm) waitForWithin(d time.Duration, what string, ok func(screen string) bool) string {
	tm.t.Helper()
	deadline := time.Now().Add(d)
	for {
		s := tm.screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("waiting for %s; the screen is:\n%s", what, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (tm *tmuxTerm) waitText(text string) string {
	tm.t.Helper()
	return tm.waitFor(fmt.Sprintf("%q", text), func(s string) bool { return strings.Contains(s, text) })
}

// buildBinary builds cmd/nscope into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	// go test puts its own GOROOT/bin first in the test's PATH.
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("needs the go command in PATH to build nscope: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "nscope")
	cmd := exec.Command(goBin, "build", "-o", bin, "../cmd/nscope")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// checkRestored asserts that the terminal is as before the TUI started:
// the shell prompt is back, the alternate screen was left, the cursor
// shows and the mouse is no longer reported.
func checkRestored(t *testing.T, tm *tmuxTerm) {
	t.Helper()
	tm.waitFor("the shell prompt after quitting", func(s string) bool {
		lines := strings.Split(strings.TrimRight(s, "\n "), "\n")
		return strings.HasPrefix(strings.TrimSpace(lines[len(lines)-1]), "e2e$")
	})
	for _, c := range []struct{ format, want, what string }{
		{"#{alternate_on}", "0", "the alternate screen is left"},
		{"#{cursor_flag}", "1", "the cursor is visible"},
		{"#{mouse_any_flag}#{mouse_button_flag}#{mouse_standard_flag}", "000", "mouse reporting is off"},
	} {
		if got := tm.format(c.format); got != c.want {
			t.Errorf("after quit, %s = %q, want %q (%s)", c.format, got, c.want, c.what)
		}
	}
}

// TestEndToEnd runs the built binary in an 80×24 tmux on the small saved
// snapshot: start, switch views, filter, open the help, follow a
// cross-link and come back, quit; then checks the terminal is restored.
func TestEndToEnd(t *testing.T) {
	bin := buildBinary(t)
	fixture, err := filepath.Abs(filepath.Join("testdata", "small-2.json"))
	if err != nil {
		t.Fatal(err)
	}
	tm := newTmuxTerm(t, 80, 24)
	tm.sendText(bin + " --load " + fixture)
	tm.send("Enter")

	s := tm.waitText("nginx: master")
	if !strings.Contains(s, "saved small-2.json") {
		t.Errorf("status line does not name the loaded snapshot:\n%s", s)
	}
	if tm.format("#{alternate_on}") != "1" {
		t.Errorf("the TUI does not use the alternate screen")
	}

	tm.send("1")
	tm.waitText("NAMESPACE ")
	tm.waitText("─ user namespace 4026531837")
	tm.send("3")
	tm.waitText("CGROUP ")
	tm.waitText("nscope:nscope")
	tm.send("Tab")
	tm.waitText("no containers")
	tm.send("Tab")
	tm.waitText("NAMESPACE ")
	tm.send("Tab")
	tm.waitText("    PID NSPID USER")

	tm.send("/")
	tm.sendText("nginx")
	tm.send("Enter")
	s = tm.waitText("filter “nginx”")
	if strings.Contains(s, "sshd") {
		t.Errorf("the filter kept sshd:\n%s", s)
	}
	tm.waitText("─ Process 631 nginx")

	tm.send("?")
	tm.waitText("nscope keys")
	tm.send("?")
	tm.waitFor("the help to close", func(s string) bool { return !strings.Contains(s, "nscope keys") })

	// Follow the link to the container's pid namespace and come back.
	tm.send("Enter")
	tm.waitText("enter follows a link")
	tm.send("Down", "Down")
	tm.waitText("▶ 1       in pid 4026532204")
	tm.send("Enter")
	tm.waitText("─ pid namespace 4026532204")
	tm.waitText("NAMESPACE ")
	tm.send("Escape")
	tm.waitText("─ Process 631 nginx")
	tm.waitText("▶ 1       in pid 4026532204")

	tm.send("q")
	checkRestored(t, tm)
}

// TestEndToEndLive runs the binary on this host: it scans, pauses and
// quits with ctrl+c, leaving the terminal as it was.
func TestEndToEndLive(t *testing.T) {
	bin := buildBinary(t)
	tm := newTmuxTerm(t, 100, 30)
	tm.sendText(bin + " --interval 500ms")
	tm.send("Enter")
	tm.waitFor("a scan of this host", func(s string) bool {
		return strings.Contains(s, "procs") && strings.Contains(s, "updated")
	})
	tm.send("Space")
	tm.waitText("PAUSED")
	tm.send("Space")
	tm.waitText("updated")
	tm.send("C-c")
	checkRestored(t, tm)
}

// TestBinaryBadInput checks that bad flags of "nscope" (the TUI) are
// refused with a message naming the input and what is allowed, and that
// the TUI refuses to start without a terminal.
func TestBinaryBadInput(t *testing.T) {
	bin := buildBinary(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantMsg  string
	}{
		{"interval too short", []string{"--interval", "1ms"}, 2, "--interval 1ms: want a duration from 100ms to 1h0m0s"},
		{"interval not a duration", []string{"--interval", "often"}, 2, `invalid argument "often" for "--interval"`},
		{"load and interval", []string{"--load", "x.json", "--interval", "2s"}, 2, "--interval and --load cannot be combined"},
		{"missing file", []string{"--load", "/nonexistent/snap.json"}, 1, "--load: open /nonexistent/snap.json: no such file or directory"},
		{"no terminal", nil, 2, "the TUI needs a terminal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			out, err := cmd.CombinedOutput()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			}
			if code != tc.wantCode || !strings.Contains(string(out), tc.wantMsg) {
				t.Errorf("nscope %s: exit %d, output %q; want exit %d and %q", strings.Join(tc.args, " "), code, out, tc.wantCode, tc.wantMsg)
			}
		})
	}
}
