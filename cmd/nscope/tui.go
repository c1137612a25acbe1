package main

import (
	"fmt"
	"os"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/remote"
	"github.com/nscope/nscope/tui"
)

// tuiFlags are the flags of "nscope" without a subcommand.
var tuiFlags struct {
	interval time.Duration
	load     string
	// view, filter and select say where the TUI opens (a presentation
	// that must land on the right screen); exportDir is where d and D
	// write diagrams.
	view, filter, sel string
	exportDir         string
}

// Bounds of --interval: faster than 100ms only burns CPU, slower than an
// hour is not live any more.
const (
	minInterval = 100 * time.Millisecond
	maxInterval = time.Hour
)

// tuiAction is what "nscope" without a subcommand does: the TUI, with its
// flags on the root command.
func tuiAction() rootAction {
	return rootAction{
		flags: func(cmd *cobra.Command) {
			cmd.Flags().DurationVar(&tuiFlags.interval, "interval", tui.DefaultInterval, "refresh interval of the TUI, e.g. 500ms, 2s")
			cmd.Flags().StringVar(&tuiFlags.load, "load", "", "open a snapshot saved by 'nscope snapshot' read-only, without refresh")
			addStartFlags(cmd)
			addReplayFlags(cmd)
		},
		run: runTUI,
	}
}

// runTUI starts the terminal UI on a live host or a saved snapshot.
func runTUI(cmd *cobra.Command) error {
	if tuiFlags.interval < minInterval || tuiFlags.interval > maxInterval {
		return usagef("--interval %s: want a duration from %s to %s, e.g. 1s", tuiFlags.interval, minInterval, maxInterval)
	}
	if cmd.Flags().Changed("load") && cmd.Flags().Changed("interval") {
		return usagef("--interval and --load cannot be combined (a loaded snapshot does not refresh)")
	}
	start, err := startOptions()
	if err != nil {
		return err
	}
	replay, err := openReplay(cmd)
	if err != nil {
		return err
	}
	if replay != nil {
		defer replay.Recording.Close()
	}
	var targets []remote.Target
	if spec := hostSpec(cmd); spec != "" {
		if tuiFlags.load != "" {
			return usagef("-H and --load cannot be combined (--load opens a file here)")
		}
		if targets, err = parseHosts(spec); err != nil {
			return err
		}
	} else if remoteFlags.install {
		return usagef("--install copies nscope to the host -H names; give -H")
	}
	var snap *inspect.Snapshot
	if tuiFlags.load != "" {
		if snap, err = loadSnapshot(tuiFlags.load); err != nil {
			return err
		}
	}
	if !term.IsTerminal(os.Stdin.Fd()) || !term.IsTerminal(os.Stdout.Fd()) {
		return usagef("the TUI needs a terminal; in scripts use 'nscope ps', 'nscope ns', 'nscope cg' or 'nscope snapshot'")
	}
	_, noColor := os.LookupEnv("NO_COLOR")
	opts := tui.Options{
		Interval:  tuiFlags.interval,
		ReadOnly:  global.readOnly,
		NoColor:   noColor && os.Getenv("NO_COLOR") != "",
		Start:     start,
		ExportDir: tuiFlags.exportDir,
	}
	switch {
	case replay != nil:
		// The first moment is read while the terminal starts.
		replay.Preload()
		opts.Replay = replay
	case len(targets) > 1:
		return runFleet(cmd, targets, opts)
	case len(targets) == 1:
		closeRemote, err := remoteTUIOptions(cmd, targets[0], &opts)
		if err != nil {
			return err
		}
		defer closeRemote()
	case snap != nil:
		opts.Snapshot, opts.LoadedFrom = snap, tuiFlags.load
	default:
		scanner := newScanner()
		defer scanner.Close()
		opts.Source = scanner
		opts.Events = tuiEvents()
		// The same editor as "nscope set": its journal, --read-only and
		// test hooks. Without cgroups the actions say so themselves.
		if ed, err := newEditor(); err == nil {
			opts.Editor = ed
		}
	}
	return tui.Run(cmd.Context(), opts)
}

// loadSnapshot reads a snapshot file written by "nscope snapshot".
func loadSnapshot(path string) (*inspect.Snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--load: %w", err)
	}
	defer f.Close()
	snap, err := inspect.Load(f)
	if err != nil {
		return nil, fmt.Errorf("--load %s: %w", path, err)
	}
	return snap, nil
}
