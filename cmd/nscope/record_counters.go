package main

import (
	"errors"
	"time"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/record"
)

// The recorder's counter refresher. This file is the only place the
// recorder names the refresher, so a change to it changes this file alone.

// recordCountersOf returns the recorder's NewCounters: it opens the
// per-second counter refresher on a full scan of sc, which lends it its
// BPF programs (the counter walk), so sc must outlive the recording.
func recordCountersOf(sc *inspect.Scanner) func(*inspect.Snapshot) (record.Counters, error) {
	return func(snap *inspect.Snapshot) (record.Counters, error) {
		ref, err := sc.Refresher(snap)
		if err != nil {
			return nil, err
		}
		return recordCounters{ref}, nil
	}
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

// Recycle hands back a snapshot the recorder is done with.
func (c recordCounters) Recycle(snap *inspect.Snapshot) { c.ref.Recycle(snap) }
