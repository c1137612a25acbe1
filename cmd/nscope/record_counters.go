package main

import (
	"errors"
	"time"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/record"
)

// The recorder's counter refresher. This file is the only place the
// recorder names the refresher, so a change to it changes this file alone.

// newRecordCounters opens the per-second counter refresher on a full scan.
func newRecordCounters(snap *inspect.Snapshot) (record.Counters, error) {
	// A refresher holds its own files; the scanner that opens it is not
	// needed after.
	sc := newScanner()
	defer sc.Close()
	ref, err := sc.Refresher(snap)
	if err != nil {
		return nil, err
	}
	return recordCounters{ref}, nil
}

// recordCounters adapts inspect.Refresher to record.Counters.
type recordCounters struct{ ref *inspect.Refresher }

func (c recordCounters) Refresh(now time.Time) (*inspect.Snapshot, bool, error) {
	res, err := c.ref.Refresh(now)
	if errors.Is(err, inspect.ErrStructureChanged) {
		return res.Snapshot, true, nil
	}
	return res.Snapshot, false, err
}

func (c recordCounters) Close() { c.ref.Close() }
