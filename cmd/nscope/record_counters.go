package main

import (
	"errors"
	"time"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/record"
	"github.com/nscope/nscope/tui/counters"
)

// The recorder's counter refresher. This file is the only place the
// recorder names the refresher's package, so moving it (into inspect)
// changes this file alone.

// newRecordCounters opens the per-second counter refresher on a full scan.
func newRecordCounters(snap *inspect.Snapshot) (record.Counters, error) {
	ref, err := counters.New(snap, global.procRoot)
	if err != nil {
		return nil, err
	}
	return recordCounters{ref}, nil
}

// recordCounters adapts counters.Refresher to record.Counters.
type recordCounters struct{ ref *counters.Refresher }

func (c recordCounters) Refresh(now time.Time) (*inspect.Snapshot, bool, error) {
	res, err := c.ref.Refresh(now)
	if errors.Is(err, counters.ErrStructureChanged) {
		return res.Snapshot, true, nil
	}
	return res.Snapshot, false, err
}

func (c recordCounters) Close() { c.ref.Close() }
