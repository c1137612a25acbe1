package main

import (
	"errors"
	"fmt"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/record"
)

// maxFullEvery bounds the recorder's --full-every.
const maxFullEvery = 24 * time.Hour

func newRecordCmd() *cobra.Command {
	var (
		interval, fullEvery time.Duration
		retain              string
		quiet               bool
	)
	cmd := &cobra.Command{
		Use:   "record [--interval 1s] [--full-every 60s] [--retain 24h|2GiB] DIR",
		Short: "Record the host continuously into DIR (a flight recorder)",
		Long: `record keeps a history of the host in DIR: every process, namespace
(with what holds it) and cgroup (with limits and usage counters), and the
changes nscope made (its journal), so that you can see what the host looked
like at 03:12 after the fact:

  nscope snapshot --at 03:12 --from DIR

Counters are re-read every --interval, only where something may have
moved (a cgroup whose CPU usage held still is not descended into; as
root, one BPF pass tells which processes changed); a full scan is taken
every --full-every, after nscope changed a limit, and when processes
started or exited (as often as keeps such scans under 0.75% of a core by
their CPU time: every interval on a small host, every 25-40s on a
4,000-process one; an exit shows at once as state X). DIR holds segment files (*.nsrec) with an index
each (*.nsidx); a segment holds about 10 minutes. Retention removes whole
old segments: --retain takes an age (24h, 7d), a size (2GiB, 500MB) or
both (24h,2GiB).

The recorder is crash-safe: a record cut short by a crash or power loss is
skipped when reading, never fatal. On a full disk it stops with a message
and keeps everything recorded before. SIGTERM and SIGINT make it sync and
exit cleanly; contrib/nscope-record.service runs it under systemd.

DIR is created with mode 0700 (recordings hold command lines). Run as root
to record every process and namespace holder.`,
		Example: `  nscope record /var/lib/nscope/recording
  nscope record --interval 2s --full-every 5m --retain 24h,2GiB /var/lib/nscope/recording`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if interval < minInterval || interval > maxInterval {
				return usagef("--interval %s: want a duration from %s to %s, e.g. 1s", interval, minInterval, maxInterval)
			}
			if fullEvery < interval || fullEvery > maxFullEvery {
				return usagef("--full-every %s: want a duration from --interval (%s) to %s, e.g. 60s", fullEvery, interval, maxFullEvery)
			}
			ret, err := record.ParseRetention(retain)
			if err != nil {
				return usagef("--retain: %v", err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			dir := args[0]
			errOut := cmd.ErrOrStderr()
			logf := func(format string, a ...any) {
				if !quiet {
					fmt.Fprintf(errOut, "nscope record: "+format+"\n", a...)
				}
			}
			logf("recording to %s every %s (full scan every %s, retain %s)", dir, interval, fullEvery, ret)
			scanner := newScanner()
			defer scanner.Close()
			stats, err := record.Record(ctx, dir, scanner, record.RecorderOptions{
				Options:     record.Options{Interval: interval, FullEvery: fullEvery, Retain: ret},
				NewCounters: recordCountersOf(scanner),
				Journal:     control.NewJournal(control.DefaultStateDir()),
				Logf:        logf,
			})
			if stats.Records > 0 {
				logf("%s", recordSummary(stats, dir))
			}
			if err != nil {
				return recordError(dir, stats, err)
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&interval, "interval", time.Second, "how often to record the counters, e.g. 1s, 5s")
	cmd.Flags().DurationVar(&fullEvery, "full-every", time.Minute, "the longest time between full scans (and full snapshots on disk)")
	cmd.Flags().StringVar(&retain, "retain", "24h", "keep this much: an age (24h, 7d), a size (2GiB), or both (24h,2GiB)")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print nothing but errors")
	return cmd
}

// recordSummary says what a recording session wrote.
func recordSummary(s record.Stats, dir string) string {
	return fmt.Sprintf("wrote %d records (%d full, %d scans), %.1f MiB, from %s to %s into %s",
		s.Records, s.Full, s.Scans, float64(s.Bytes)/(1<<20), s.First.Format(time.TimeOnly), s.Last.Format(time.TimeOnly), dir)
}

// recordError words the error that stopped a recording.
func recordError(dir string, s record.Stats, err error) error {
	if errors.Is(err, record.ErrDiskFull) {
		kept := "nothing was recorded"
		if s.Records > 0 {
			kept = fmt.Sprintf("the %d records up to %s are intact", s.Records, s.Last.Format(time.TimeOnly))
		}
		return fmt.Errorf("record %s: recording stopped, %w; %s. Free some space or lower --retain, then start it again", dir, err, kept)
	}
	return fmt.Errorf("record %s: %w", dir, err)
}
