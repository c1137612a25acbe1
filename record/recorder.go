package record

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
)

// Scanner takes full scans of the host (inspect.Scanner).
type Scanner interface {
	Scan(ctx context.Context) (*inspect.Snapshot, error)
}

// Counters re-reads the counters of one full scan cheaply (the per-second
// counter refresher). Refresh returns the scan's structure with fresh
// counters taken at now, and says when the structure changed (a process
// started or exited, a cgroup vanished) so a full scan is due.
type Counters interface {
	Refresh(now time.Time) (snap *inspect.Snapshot, structureChanged bool, err error)
	Close()
}

// Recycler is a Counters that takes back a snapshot of its refreshes
// once the recorder is done with it (inspect.Refresher.Recycle): its
// next refresh writes into the snapshot's slices instead of copying the
// whole host into new ones every interval.
type Recycler interface {
	Recycle(snap *inspect.Snapshot)
}

// RecorderOptions tune Record. Zero fields take the defaults.
type RecorderOptions struct {
	Options
	// StructureGap is the least time between two full scans taken because
	// the structure changed (default: Interval). On a big host the gap
	// grows so that such scans cost at most ScanShare of a core: a full
	// scan of a 4,000-process host (with opening the counter refresher on
	// it) takes 0.2-0.3 s of CPU, so with the default 0.75% they come at
	// most every 25-40 seconds there.
	StructureGap time.Duration
	// ScanShare is the share of one core that full scans taken for
	// structure changes may use (default 0.0075: on the bench host the
	// recorder's refreshes, writing and runtime take about 1%, and the
	// whole recorder is to stay under 2%).
	ScanShare float64
	// CPUTime returns the CPU time this process has used, which the
	// recorder measures full scans by (the scan runs on several cores at
	// once, so its wall time says too little); nil is getrusage(2), and a
	// zero result makes the recorder measure the wall time.
	CPUTime func() time.Duration
	// NewCounters opens a counter refresher on a full scan; nil, or an
	// error from it, makes every interval a full scan.
	NewCounters func(*inspect.Snapshot) (Counters, error)
	// Journal, when set, is polled every interval; its new entries go into
	// the recording, and a full scan follows them (nscope changed a limit).
	Journal JournalSource
	// Logf reports what the recorder does (start, retention, skipped
	// scans); nil discards.
	Logf func(format string, args ...any)
}

// defaults fills in the zero fields.
func (o *RecorderOptions) defaults() {
	o.setDefaults()
	if o.StructureGap <= 0 {
		o.StructureGap = o.Interval
	}
	if o.ScanShare <= 0 {
		o.ScanShare = 0.0075
	}
	if o.CPUTime == nil {
		o.CPUTime = processCPUTime
	}
}

// Stats sum up a recording session.
type Stats struct {
	Records, Full, Scans int
	Bytes                int64
	Removed              int
	First, Last          time.Time
}

// Record records the host into dir every Interval until ctx is done, then
// syncs and returns. Counters are refreshed each interval; a full scan is
// taken every FullEvery, after a structure change (at most every
// StructureGap, and rarer on a big host, see ScanShare) and after nscope's
// journal grew. It returns the first
// write error (ErrDiskFull when the disk filled up), with everything
// recorded before it intact.
func Record(ctx context.Context, dir string, scanner Scanner, o RecorderOptions) (Stats, error) {
	o.defaults()
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	w, err := Create(dir, o.Options)
	if err != nil {
		return Stats{}, err
	}
	rec := &recorder{o: o, w: w, scanner: scanner, logf: logf}
	err = rec.run(ctx)
	if cerr := w.Close(); err == nil && cerr != nil && !errors.Is(cerr, w.broken) {
		err = cerr
	}
	if rec.counters != nil {
		rec.counters.Close()
	}
	return rec.stats, err
}

// recorder is the state of one Record call.
type recorder struct {
	o        RecorderOptions
	w        *Writer
	scanner  Scanner
	logf     func(string, ...any)
	counters Counters
	lastScan time.Time
	scanCost time.Duration // the CPU time the last full scan took
	changed  bool
	journal  *journalTail
	stats    Stats
	// written is the last state written: the writer diffs the next
	// against it, and lets go of it then.
	written *inspect.Snapshot
}

func (r *recorder) run(ctx context.Context) error {
	if r.o.Journal != nil {
		r.journal = newJournalTail(r.o.Journal)
	}
	// The first record must be a full scan; without one there is nothing.
	snap, err := r.scan(ctx, r.o.Now())
	if ctx.Err() != nil {
		return nil // stopped before anything was recorded
	}
	if err != nil {
		return fmt.Errorf("first scan: %w", err)
	}
	if err := r.add(snap, Extras{}); err != nil {
		return err
	}
	tick := time.NewTicker(r.o.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		now := r.o.Now()
		var x Extras
		if r.journal != nil {
			entries, err := r.journal.poll()
			if err != nil {
				r.logf("journal: %v", err)
			}
			x.Journal = entries
		}
		snap, err := r.take(ctx, now, len(x.Journal) > 0)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			r.logf("scan at %s skipped: %v", now.Format(time.TimeOnly), err)
			continue
		}
		if err := r.add(snap, x); err != nil {
			return err
		}
	}
}

// take returns the host's state now: a counter refresh, or a full scan
// when one is due.
func (r *recorder) take(ctx context.Context, now time.Time, journalGrew bool) (*inspect.Snapshot, error) {
	since := now.Sub(r.lastScan)
	// FullEvery brings a scan anyway; a tiny share must not overflow.
	gap := r.o.StructureGap
	if wait := float64(r.scanCost) / r.o.ScanShare; wait >= float64(r.o.FullEvery) {
		gap = max(gap, r.o.FullEvery)
	} else {
		gap = max(gap, time.Duration(wait))
	}
	due := r.counters == nil || since >= r.o.FullEvery || journalGrew || (r.changed && since >= gap)
	if !due {
		snap, changed, err := r.counters.Refresh(now)
		if err == nil {
			r.changed = r.changed || changed
			return snap, nil
		}
		r.logf("counter refresh failed, taking a full scan: %v", err)
	}
	return r.scan(ctx, now)
}

// scan takes a full scan and opens a counter refresher on it.
func (r *recorder) scan(ctx context.Context, now time.Time) (*inspect.Snapshot, error) {
	// The refresher holds a file open per process and counter file: on a
	// 4,000-process host about 8,000. Close it before the scan opens
	// files and a new refresher opens as many again, or the two together
	// run into the open-file limit and the scan reads cgroups as empty.
	if old := r.counters; old != nil {
		old.Close()
		r.counters = nil
	}
	start, cpu := time.Now(), r.o.CPUTime()
	snap, err := r.scanner.Scan(ctx)
	if err != nil {
		return nil, err
	}
	r.stats.Scans++
	r.lastScan, r.changed = now, false
	if r.o.NewCounters != nil {
		c, err := r.o.NewCounters(snap)
		if err != nil {
			r.logf("no counter refresher (every interval is a full scan): %v", err)
		} else {
			r.counters = c
		}
	}
	// The scan's cost includes opening the refresher on it.
	r.scanCost = time.Since(start)
	if cpu > 0 {
		r.scanCost = r.o.CPUTime() - cpu
	}
	return snap, nil
}

// processCPUTime is the CPU time, user and system, this process has
// used; 0 when getrusage(2) fails.
func processCPUTime() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// add writes one state.
func (r *recorder) add(snap *inspect.Snapshot, x Extras) error {
	wr, err := r.w.Add(snap, x, false)
	for _, name := range wr.Removed {
		r.logf("retention (%s): removed %s", r.o.Retain, name)
	}
	r.stats.Removed += len(wr.Removed)
	if err != nil {
		return err
	}
	// The writer diffed snap against the last state and keeps snap in
	// its place: the last is free for the refresher to write into.
	if rc, ok := r.counters.(Recycler); ok && r.written != nil {
		rc.Recycle(r.written)
	}
	r.written = snap
	r.stats.Records++
	r.stats.Bytes += wr.Bytes
	if wr.Kind == KindFull {
		r.stats.Full++
	}
	if r.stats.First.IsZero() {
		r.stats.First = snap.Time
	}
	r.stats.Last = snap.Time
	return nil
}
