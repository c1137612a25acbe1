package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/remote"
	"github.com/nscope/nscope/remote/wire"
)

// newDialer returns the dialer -H uses: ssh (or $NSCOPE_SSH_COMMAND),
// and on the remote, nscope from its PATH, $NSCOPE_REMOTE_BINARY, or with
// --install this binary copied to the remote user's cache (a line on
// stderr says when it is copied).
func newDialer(stderr io.Writer) (*remote.Dialer, error) {
	d := &remote.Dialer{SSHCommand: os.Getenv("NSCOPE_SSH_COMMAND"), RemoteBinary: os.Getenv("NSCOPE_REMOTE_BINARY"), ConnectTimeout: remoteFlags.timeout}
	if remoteFlags.timeout < 0 {
		return nil, usagef("--connect-timeout %s: want a positive duration, e.g. 10s", remoteFlags.timeout)
	}
	if remoteFlags.install {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("--install: find this binary: %w", err)
		}
		d.Install = exe
		d.OnInstall = func(in remote.Installed) {
			msgf(stderr, "nscope: copied this nscope (sha256 %s) to %s as %s\n", in.Sum[:16], in.Target.String(), in.Path)
		}
	}
	return d, nil
}

// runRemote runs rc on t with this process's standard streams (out, when
// set, instead of standard output) and returns its exit status. When
// standard input and output are a terminal the remote command gets a
// terminal too (its size follows this one's, keys go to it raw, as with
// ssh -t); otherwise its streams are pipes and the signals nscope gets
// are passed on.
func runRemote(cmd *cobra.Command, t remote.Target, rc remote.Command, out *os.File) (int, error) {
	d, err := newDialer(cmd.ErrOrStderr())
	if err != nil {
		return 0, err
	}
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if out != nil {
		defer out.Close()
		stdout = out
	}
	stdin := cmd.InOrStdin()
	isTerm := func(v any) bool {
		f, ok := v.(*os.File)
		return ok && term.IsTerminal(f.Fd())
	}
	eio := remote.ExecIO{Stdout: stdout, Stderr: stderr}
	signals := make(chan os.Signal, 4)
	names := make(chan string, 4)
	resize := make(chan wire.ResizeMsg, 1)
	eio.Signals, eio.Resize = names, resize
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGWINCH)
	defer signal.Stop(signals)

	if isTerm(stdin) && isTerm(stdout) {
		in, outF := stdin.(*os.File), stdout.(*os.File)
		cols, rows, _ := term.GetSize(outF.Fd())
		eio.TTY = wire.TTYRequest{Stdin: true, Stdout: true, Stderr: isTerm(stderr), Cols: cols, Rows: rows}
		eio.Env = terminalEnv()
		state, err := term.MakeRaw(in.Fd())
		if err == nil {
			defer func() { _ = term.Restore(in.Fd(), state) }()
		}
		eio.Input = remote.NewInput(in)
	} else if !isTerm(stdin) {
		eio.Input = remote.NewInput(stdin)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			case sig := <-signals:
				if sig == syscall.SIGWINCH {
					if f, ok := stdout.(*os.File); ok && eio.TTY.Stdout {
						if c, r, err := term.GetSize(f.Fd()); err == nil {
							select {
							case resize <- wire.ResizeMsg{Cols: c, Rows: r}:
							default:
							}
						}
					}
					continue
				}
				if n, ok := sig.(syscall.Signal); ok {
					names <- strings.TrimPrefix(unix.SignalName(n), "SIG")
				}
			}
		}
	}()
	return d.Run(cmd.Context(), t, rc, eio)
}

// terminalEnv are the variables that describe this terminal to the
// remote command.
func terminalEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "TERM", name == "COLORTERM", name == "NO_COLOR", name == "LANG", name == "LANGUAGE", strings.HasPrefix(name, "LC_"):
			env = append(env, kv)
		}
	}
	return env
}
