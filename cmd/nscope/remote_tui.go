package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/remote"
	"github.com/nscope/nscope/tui"
)

// remoteTUISource is a remote.Source as the TUI takes it: snapshots,
// counter refreshes and namespace contents from the agent, and the
// host's name and connection state for the status line.
type remoteTUISource struct{ *remote.Source }

// CounterRefresher returns the agent's refresher of snap's counters.
func (s remoteTUISource) CounterRefresher(snap *inspect.Snapshot) (tui.CounterRefresher, error) {
	r, err := s.Source.CounterRefresher(snap)
	if err != nil {
		return nil, err
	}
	return r, nil
}

var (
	_ tui.RemoteSource      = remoteTUISource{}
	_ tui.CounterSource     = remoteTUISource{}
	_ inspect.ContentReader = remoteTUISource{}
	_ tui.LimitEditor       = (*remote.Editor)(nil)
	_ tui.Enterer           = (*remote.Enterer)(nil)
	_ tui.Launcher          = remoteLauncher{}
)

// remoteLauncher refuses the n action on a remote host: the launch form
// starts the process on this host's kernel, and a background launch would
// have to outlive the connection.
type remoteLauncher struct{ host string }

// Launch refuses, saying what to use instead.
func (l remoteLauncher) Launch(control.LaunchRequest) (*control.LaunchCmd, error) {
	return nil, fmt.Errorf("n launches on this machine, not on %s: use 'nscope -H %s run …' there (it gets a terminal, and the journal keeps its cgroups)", l.host, l.host)
}

// remoteReconnectTimeout bounds a reconnection of the TUI.
const remoteReconnectTimeout = 10 * time.Second

// remoteTUIOptions connects to t and sets the TUI's source, editor,
// enterer and launcher to that host's. The returned function closes the
// connection.
func remoteTUIOptions(cmd *cobra.Command, t remote.Target, opts *tui.Options) (func(), error) {
	d, err := newDialer(os.Stderr)
	if err != nil {
		return nil, err
	}
	src := remote.NewSource(d, t)
	if err := src.Connect(cmd.Context()); err != nil {
		return nil, &exitCodeError{code: exitUnreachable, msg: err.Error()}
	}
	// Reconnections happen while the TUI owns the terminal: ssh must not
	// ask for a password then, and a host that does not answer is given
	// up on sooner.
	d.BatchMode, d.ConnectTimeout, d.OnInstall = true, reconnectTimeout(), nil
	if err := hostViewOptions(cmd.Context(), src, t, opts); err != nil {
		src.Close()
		return nil, &exitCodeError{code: exitUnreachable, msg: err.Error()}
	}
	return src.Close, nil
}

// reconnectTimeout is --connect-timeout, or remoteReconnectTimeout.
func reconnectTimeout() time.Duration {
	if remoteFlags.timeout > 0 {
		return remoteFlags.timeout
	}
	return remoteReconnectTimeout
}

// hostViewOptions sets the options of a host's view: src as the source,
// the host's editor, enterer and launcher.
func hostViewOptions(ctx context.Context, src *remote.Source, t remote.Target, opts *tui.Options) error {
	ed, err := src.Editor(ctx)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return errors.New("cannot find this nscope binary to run enter from")
	}
	flags := []string{"-H", t.String()}
	if remoteFlags.install {
		flags = append(flags, "--install")
	}
	opts.Source = remoteTUISource{src}
	opts.Editor = ed
	opts.Enterer = remote.NewEnterer(src, exe, flags)
	opts.Launcher = remoteLauncher{host: t.String()}
	opts.EUID = func() int { return src.Peer().EUID }
	return nil
}

// runFleet opens the fleet view of several hosts; enter opens one's view
// with base's options.
func runFleet(cmd *cobra.Command, targets []remote.Target, base tui.Options) error {
	d, err := newDialer(os.Stderr)
	if err != nil {
		return err
	}
	// Many hosts connect at once while the TUI owns the terminal: no
	// password prompts, no install messages, a bounded wait.
	d.BatchMode, d.ConnectTimeout, d.OnInstall = true, reconnectTimeout(), nil
	hosts := make([]tui.FleetHost, len(targets))
	for i, t := range targets {
		src := remote.NewSource(d, t)
		defer src.Close()
		hosts[i] = tui.FleetHost{
			Name:   t.String(),
			Source: remoteTUISource{src},
			Open: func() (tui.Options, error) {
				opts := base
				ctx, cancel := context.WithTimeout(context.Background(), reconnectTimeout()+5*time.Second)
				defer cancel()
				return opts, hostViewOptions(ctx, src, t, &opts)
			},
		}
	}
	// A host's round is its connection (--connect-timeout; a host that
	// never answers is shown unreachable after it) and then its scan,
	// which on a loaded host may take seconds more: a slow scan is not an
	// unreachable host.
	return tui.RunFleet(cmd.Context(), tui.FleetOptions{Hosts: hosts, NoColor: base.NoColor, Timeout: reconnectTimeout() + fleetScanAllowance})
}

// fleetScanAllowance is how long a fleet host's scan may take after its
// connection answered.
const fleetScanAllowance = 20 * time.Second
