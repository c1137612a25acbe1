package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/record"
)

// snapshotFrom returns the snapshot "nscope snapshot" prints: a scan of
// the host now, or, with --at and --from, the host at that moment of a
// recording (problems reading the recording are warned about on errOut).
func snapshotFrom(ctx context.Context, at, from string, errOut io.Writer) (*inspect.Snapshot, error) {
	switch {
	case at == "" && from == "":
		return scan(ctx)
	case at == "":
		return nil, usagef("--from %s needs --at TIME: which moment to print", from)
	case from == "":
		return nil, usagef("--at %s needs --from DIR: the recording of 'nscope record DIR'", at)
	}
	t, err := record.ParseTime(at, time.Now())
	if err != nil {
		return nil, usagef("--at: %v", err)
	}
	rec, err := record.Open(from)
	if err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	defer rec.Close()
	for _, p := range rec.Problems() {
		fmt.Fprintf(errOut, "nscope: %s: %s\n", from, p)
	}
	snap, err := rec.At(t)
	if err != nil {
		first, last := rec.Range()
		return nil, fmt.Errorf("--at %s: %w (%s covers %s to %s)", at, err, from,
			first.Local().Format(time.DateTime), last.Local().Format(time.DateTime))
	}
	return snap, nil
}
