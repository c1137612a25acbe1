package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// tmuxSession is a detached tmux session on a private server socket, so
// that benchhost never touches anyone else's tmux.
type tmuxSession struct {
	bin        string
	socket     string
	socketPath string // the server's socket file, removed at the end
	name       string
}

// Size of the session's windows, as the TUI issue's measurement asks.
const (
	tmuxWidth  = 160
	tmuxHeight = 50
)

// newTmuxSession starts a tmux server on a socket named after benchhost's
// PID and a detached 160x50 session in it whose first window idles.
func newTmuxSession(ctx context.Context, socket string) (*tmuxSession, error) {
	bin, err := exec.LookPath("tmux")
	if err != nil {
		return nil, fmt.Errorf("tmux not found on PATH: the cpu mode runs each command in a tmux window")
	}
	s := &tmuxSession{bin: bin, socket: socket, name: "bench"}
	size := fmt.Sprintf("%dx%d", tmuxWidth, tmuxHeight)
	if _, err := s.run(ctx, "-f", "/dev/null", "new-session", "-d", "-s", s.name,
		"-x", strconv.Itoa(tmuxWidth), "-y", strconv.Itoa(tmuxHeight), "-n", "idle", "cat"); err != nil {
		return nil, err
	}
	// (Setting window-size to manual here crashes tmux 3.3a at the next
	// new-window; the session size and default-size are enough.)
	for _, opt := range [][]string{
		{"set-option", "-g", "remain-on-exit", "on"},
		{"set-option", "-g", "default-size", size},
	} {
		if _, err := s.run(ctx, opt...); err != nil {
			s.kill(ctx)
			return nil, err
		}
	}
	if s.socketPath, err = s.run(ctx, "display-message", "-p", "#{socket_path}"); err != nil {
		s.kill(ctx)
		return nil, err
	}
	return s, nil
}

// run runs one tmux command against the session's server and returns its
// output.
func (s *tmuxSession) run(ctx context.Context, args ...string) (string, error) {
	full := append([]string{"-L", s.socket}, args...)
	out, err := exec.CommandContext(ctx, s.bin, full...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("tmux %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return strings.TrimSpace(string(out)), nil
}

// tmuxPane is one command's window.
type tmuxPane struct {
	ID  string // %N
	PID int    // the shell running the command
}

// newWindow runs a shell command line in a new window with dir as its
// working directory.
func (s *tmuxSession) newWindow(ctx context.Context, dir, cmdline string) (tmuxPane, error) {
	out, err := s.run(ctx, "new-window", "-d", "-t", s.name+":", "-c", dir, "-P", "-F", "#{pane_id} #{pane_pid}", cmdline)
	if err != nil {
		return tmuxPane{}, err
	}
	f := strings.Fields(out)
	if len(f) != 2 {
		return tmuxPane{}, fmt.Errorf("tmux new-window printed %q, want a pane id and pid", out)
	}
	pid, err := strconv.Atoi(f[1])
	if err != nil {
		return tmuxPane{}, fmt.Errorf("tmux new-window printed %q: %w", out, err)
	}
	return tmuxPane{ID: f[0], PID: pid}, nil
}

// paneState says whether a pane's command has exited, and with what status.
func (s *tmuxSession) paneState(ctx context.Context, p tmuxPane) (dead bool, status string, err error) {
	out, err := s.run(ctx, "display-message", "-p", "-t", p.ID, "#{pane_dead} #{pane_dead_status}")
	if err != nil {
		return false, "", err
	}
	f := strings.Fields(out)
	if len(f) == 0 {
		return false, "", fmt.Errorf("tmux display-message printed nothing for %s", p.ID)
	}
	if len(f) > 1 {
		status = f[1]
	}
	return f[0] == "1", status, nil
}

// paneSize returns a pane's width and height.
func (s *tmuxSession) paneSize(ctx context.Context, p tmuxPane) (string, error) {
	return s.run(ctx, "display-message", "-p", "-t", p.ID, "#{pane_width}x#{pane_height}")
}

// paneTail returns the last non-empty lines a pane shows.
func (s *tmuxSession) paneTail(ctx context.Context, p tmuxPane, n int) string {
	out, err := s.run(ctx, "capture-pane", "-p", "-t", p.ID)
	if err != nil {
		return err.Error()
	}
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// serverPID returns the tmux server's PID.
func (s *tmuxSession) serverPID(ctx context.Context) (int, error) {
	out, err := s.run(ctx, "display-message", "-p", "#{pid}")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(out)
}

// removeSocket removes the server's socket file if the server left it.
func (s *tmuxSession) removeSocket() {
	if s.socketPath != "" && strings.Contains(filepath.Base(s.socketPath), benchPrefix) {
		os.Remove(s.socketPath)
	}
}

// kill stops the session's tmux server and with it every command in it.
func (s *tmuxSession) kill(ctx context.Context) {
	_, _ = s.run(context.WithoutCancel(ctx), "kill-server")
}
