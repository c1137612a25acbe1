package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/nscope/nscope/record"
	"github.com/nscope/nscope/tui"
)

// replayFlags are the flags of "nscope --replay DIR".
var replayFlags struct {
	dir, at string
}

// addReplayFlags adds --replay and --at to the TUI's flags.
func addReplayFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&replayFlags.dir, "replay", "", "show the recording of 'nscope record DIR' in time-travel mode, read-only")
	f.StringVar(&replayFlags.at, "at", "", "with --replay: open at this moment (03:12, 03:12:30, -10m before the recording's end, 2026-03-04 03:12, RFC 3339; default its end)")
	_ = cmd.MarkFlagDirname("replay")
}

// openReplay checks the replay flags and opens the recording --replay
// names; nil without --replay. The caller closes the recording.
func openReplay(cmd *cobra.Command) (*tui.Replay, error) {
	flags := cmd.Flags()
	if replayFlags.dir == "" {
		if flags.Changed("at") {
			return nil, usagef("--at %s needs --replay DIR: which recording to open at that moment (for a snapshot, 'nscope snapshot --at TIME --from DIR')", replayFlags.at)
		}
		if flags.Changed("replay") {
			return nil, usagef("--replay needs a directory: the recording of 'nscope record DIR'")
		}
		return nil, nil
	}
	for _, c := range []struct{ flag, why string }{
		{"load", "--load opens a snapshot file, --replay a recording"},
		{"interval", "a recording does not refresh"},
	} {
		if flags.Changed(c.flag) {
			return nil, usagef("--replay and --%s cannot be combined (%s)", c.flag, c.why)
		}
	}
	if hostSpec(cmd) != "" {
		return nil, usagef("--replay and -H cannot be combined (--replay opens a recording here; copy it, or run nscope --replay on that host)")
	}
	rec, err := record.Open(replayFlags.dir)
	if err != nil {
		return nil, fmt.Errorf("--replay: %w", err)
	}
	r := &tui.Replay{Recording: rec, Dir: replayFlags.dir}
	if replayFlags.at != "" {
		first, last := rec.Range()
		// Times count back from the recording's end, as the TUI's T does:
		// 03:12 is the last 03:12 it holds.
		t, err := record.ParseTime(replayFlags.at, last.Local())
		if err != nil {
			rec.Close()
			return nil, usagef("--at: %v", err)
		}
		if _, err := rec.Find(t); err != nil {
			rec.Close()
			return nil, fmt.Errorf("--at %s: %w (%s covers %s to %s)", replayFlags.at, err, replayFlags.dir,
				first.Local().Format(time.DateTime), last.Local().Format(time.DateTime))
		}
		r.At = t
	}
	return r, nil
}
