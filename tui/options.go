package tui

import (
	"context"
	"time"

	"github.com/nscope/nscope/inspect"
)

// Source takes snapshots of the host; *inspect.Scanner is one.
type Source interface {
	Scan(ctx context.Context) (*inspect.Snapshot, error)
}

// Options configure the app.
type Options struct {
	// Source scans the host every Interval. Leave it nil and set Snapshot
	// to show a saved snapshot without refreshing.
	Source   Source
	Interval time.Duration
	// Snapshot is a snapshot to show read-only (from "nscope snapshot");
	// LoadedFrom names its file for the status line.
	Snapshot   *inspect.Snapshot
	LoadedFrom string
	// ReadOnly refuses every action that changes the host.
	ReadOnly bool
	// NoColor drops colours and keeps attributes, as NO_COLOR asks.
	NoColor bool
	// Light assumes a light background until the terminal answers the
	// background colour query (the default assumes dark).
	Light bool
	// Now is the clock; tests fix it. Default time.Now.
	Now func() time.Time
	// HistorySize is how many refreshes the CPU sparklines remember
	// (default 60).
	HistorySize int
}

// DefaultInterval is the refresh interval when Options.Interval is zero.
const DefaultInterval = time.Second

func (o *Options) defaults() {
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HistorySize <= 0 {
		o.HistorySize = 60
	}
}

// live reports whether the app refreshes from a Source.
func (o *Options) live() bool { return o.Source != nil && o.Snapshot == nil }
