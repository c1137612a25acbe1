package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
)

// ErrDiskFull says the recording stopped because its file system is full
// (ENOSPC or EDQUOT). Everything written before is intact.
var ErrDiskFull = errors.New("the disk is full")

// Options tune a Writer. Zero fields take the defaults.
type Options struct {
	// Interval is how often the caller adds a state; it is written to
	// each segment's meta record for readers (default 1s).
	Interval time.Duration
	// FullEvery is the longest time between full records (default 60s).
	FullEvery time.Duration
	// SegmentSpan and SegmentBytes bound one segment file (default 10
	// minutes and 64 MiB); a new segment starts with a full record.
	SegmentSpan  time.Duration
	SegmentBytes int64
	// SyncEvery is the longest time between fsyncs (default 5s); full
	// records and Close always sync.
	SyncEvery time.Duration
	// Retain bounds the recording's age and size.
	Retain Retention
	// Level is the zstd level (default zstd.SpeedDefault).
	Level zstd.EncoderLevel
	// Now is the clock for retention (default time.Now).
	Now func() time.Time
}

func (o *Options) setDefaults() {
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.FullEvery <= 0 {
		o.FullEvery = time.Minute
	}
	if o.SegmentSpan <= 0 {
		o.SegmentSpan = 10 * time.Minute
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = 64 << 20
	}
	if o.SyncEvery <= 0 {
		o.SyncEvery = 5 * time.Second
	}
	if o.Level == 0 {
		o.Level = zstd.SpeedDefault
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Writer appends a host's states to a recording directory. It is not
// safe for concurrent use.
type Writer struct {
	dir  string
	opts Options
	lock *os.File
	enc  *zstd.Encoder

	seg, idx  *os.File
	segName   string
	segStart  time.Time
	segSize   int64
	idxSize   int64
	prev      *inspect.Snapshot
	lastFull  time.Time
	lastSync  time.Time
	started   time.Time
	buf       bytes.Buffer
	rec, comp []byte
	broken    error
}

// Written says what one Add wrote.
type Written struct {
	Kind  Kind
	Bytes int64
	Marks []Mark
	// Removed are the segment files retention removed.
	Removed []string
}

// Create opens dir for recording, creating it (mode 0700) when missing.
// It refuses a directory other users can write, and one another recorder
// is writing to. Writing starts in a new segment; segments already there
// are kept (and subject to retention).
func Create(dir string, opts Options) (*Writer, error) {
	opts.setDefaults()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("recording directory %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("recording directory %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("recording directory %s: not a directory", dir)
	}
	if fi.Mode().Perm()&0o002 != 0 {
		return nil, fmt.Errorf("recording directory %s is writable by every user (mode %v): use a directory only you can write", dir, fi.Mode().Perm())
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(opts.Level), zstd.WithEncoderConcurrency(1))
	if err != nil {
		lock.Close()
		return nil, err
	}
	return &Writer{dir: dir, opts: opts, lock: lock, enc: enc, started: opts.Now()}, nil
}

// lockFile keeps two recorders out of one directory.
const lockFile = "lock"

// lockDir takes the directory's lock and writes the owner's PID into it.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		owner, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("another recorder (PID %s) is writing to %s", strings.TrimSpace(string(owner)), dir)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return f, nil
}

// Add records snap, the host's state now: as a full record when one is
// due (the first, every FullEvery, the start of a segment, or when full
// is set), else as a delta against the state added before. x carries the
// journal entries and events since then; the marks are found here. After
// an error the Writer is stopped: every later Add returns the same error.
func (w *Writer) Add(snap *inspect.Snapshot, x Extras, full bool) (Written, error) {
	if w.broken != nil {
		return Written{}, w.broken
	}
	var wr Written
	var d *Delta
	if w.prev != nil {
		var marks []Mark
		d, marks = diff(w.prev, snap)
		x.Marks = append(x.Marks, marks...)
	}
	if len(x.Journal) > 0 {
		x.Marks = append(x.Marks, Mark{Kind: MarkJournal, Time: snap.Time})
	}
	if w.seg == nil {
		// Make room first: a recorder restarted on a full disk or with a
		// lower bound removes what retention no longer keeps.
		removed, err := w.retain()
		wr.Removed = removed
		if err != nil {
			return wr, w.stop(err)
		}
	}
	if w.seg == nil || snap.Time.Sub(w.segStart) >= w.opts.SegmentSpan || w.segSize >= w.opts.SegmentBytes {
		if err := w.rotate(snap.Time); err != nil {
			return wr, w.stop(err)
		}
		full = true
	}
	if w.prev == nil || snap.Time.Sub(w.lastFull) >= w.opts.FullEvery {
		full = true
	}
	h := header{Time: snap.Time.UnixNano(), Codec: codecZstd}
	for _, m := range x.Marks {
		h.Marks |= m.Kind
		if m.Kind == MarkThrottle {
			h.ThrottlePct = max(h.ThrottlePct, uint8(m.Throttled*100))
		}
	}
	var raw []byte
	var err error
	if full {
		h.Kind = KindFull
		raw, err = encodeFull(&w.buf, snap, &x)
	} else {
		h.Kind = KindDelta
		d.Extras = x
		raw, err = json.Marshal(d)
	}
	if err != nil {
		return wr, w.stop(err)
	}
	n, err := w.write(h, raw)
	if err != nil {
		return wr, w.stop(err)
	}
	w.prev = snap
	if full {
		w.lastFull = snap.Time
	}
	if full || snap.Time.Sub(w.lastSync) >= w.opts.SyncEvery {
		if err := w.sync(); err != nil {
			return wr, w.stop(err)
		}
		w.lastSync = snap.Time
	}
	wr = Written{Kind: h.Kind, Bytes: n, Marks: x.Marks, Removed: wr.Removed}
	if full {
		removed, err := w.retain()
		wr.Removed = append(wr.Removed, removed...)
		if err != nil {
			return wr, w.stop(err)
		}
	}
	return wr, nil
}

// write compresses raw and appends it as one record, and its index entry.
// A failed write is cut off again, so the segment ends with a whole
// record.
func (w *Writer) write(h header, raw []byte) (int64, error) {
	if len(raw) > MaxRaw {
		return 0, fmt.Errorf("a record of %d bytes is over the limit of %d", len(raw), MaxRaw)
	}
	h.RawLen = uint32(len(raw))
	w.comp = w.enc.EncodeAll(raw, w.comp[:0])
	if len(w.comp) > MaxPayload {
		return 0, fmt.Errorf("a record of %d compressed bytes is over the limit of %d", len(w.comp), MaxPayload)
	}
	h.PayloadLen = uint32(len(w.comp))
	w.rec = appendRecord(w.rec[:0], h, w.comp)
	off := w.segSize
	if err := writeAt(w.seg, w.rec, off); err != nil {
		return 0, w.cut(w.seg, off, err)
	}
	w.segSize += int64(len(w.rec))
	ent := appendIndexEntry(nil, h, off)
	if err := writeAt(w.idx, ent, w.idxSize); err != nil {
		// The record is whole; a reader finds it without the index.
		return 0, w.cut(w.idx, w.idxSize, err)
	}
	w.idxSize += int64(len(ent))
	return int64(len(w.rec)), nil
}

// writeAt writes all of b at off.
func writeAt(f *os.File, b []byte, off int64) error {
	for len(b) > 0 {
		n, err := f.WriteAt(b, off)
		if err != nil {
			return err
		}
		b, off = b[n:], off+int64(n)
	}
	return nil
}

// cut truncates f back to size after a failed write and says why the
// write failed: ErrDiskFull for ENOSPC and EDQUOT.
func (w *Writer) cut(f *os.File, size int64, err error) error {
	terr := f.Truncate(size)
	if terr == nil {
		terr = f.Sync()
	}
	if errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT) {
		err = fmt.Errorf("%w: %w", ErrDiskFull, err)
	}
	if terr != nil {
		return fmt.Errorf("%w; cutting off the partial record failed too: %w", err, terr)
	}
	return err
}

// stop makes err the Writer's final state and syncs what was written.
func (w *Writer) stop(err error) error {
	w.broken = err
	_ = w.sync()
	return err
}

// sync flushes the segment and the index to disk.
func (w *Writer) sync() error {
	for _, f := range []*os.File{w.seg, w.idx} {
		if f == nil {
			continue
		}
		if err := unix.Fdatasync(int(f.Fd())); err != nil {
			return fmt.Errorf("sync %s: %w", f.Name(), err)
		}
	}
	return nil
}

// rotate closes the current segment and starts a new one at t, with its
// file header and meta record.
func (w *Writer) rotate(t time.Time) error {
	if err := w.closeSegment(); err != nil {
		return err
	}
	name, seg, err := createSegment(w.dir, t)
	if err != nil {
		return err
	}
	idx, err := os.OpenFile(filepath.Join(w.dir, name+indexExt), os.O_WRONLY|os.O_CREATE|os.O_TRUNC|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		seg.Close()
		return fmt.Errorf("create index: %w", err)
	}
	w.seg, w.idx, w.segName, w.segStart = seg, idx, name, t
	w.segSize, w.idxSize = 0, 0
	if err := writeAt(seg, appendFileHeader(nil), 0); err != nil {
		return w.cut(seg, 0, err)
	}
	w.segSize = fileHeaderSize
	if err := writeAt(idx, appendIndexHeader(nil), 0); err != nil {
		return w.cut(idx, 0, err)
	}
	w.idxSize = fileHeaderSize
	host, _ := os.Hostname()
	meta, err := json.Marshal(Meta{Format: formatVersion, Started: w.started, Interval: w.opts.Interval,
		FullEvery: w.opts.FullEvery, Hostname: host, RecorderPID: os.Getpid()})
	if err != nil {
		return err
	}
	_, err = w.write(header{Time: t.UnixNano(), Kind: KindMeta, Codec: codecZstd}, meta)
	return err
}

// createSegment creates a new segment file named by t (made unique).
func createSegment(dir string, t time.Time) (string, *os.File, error) {
	for range 1000 {
		name := segmentName(t)
		f, err := os.OpenFile(filepath.Join(dir, name+segmentExt), os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if errors.Is(err, os.ErrExist) {
			t = t.Add(time.Nanosecond)
			continue
		}
		if err != nil {
			return "", nil, fmt.Errorf("create segment: %w", err)
		}
		return name, f, nil
	}
	return "", nil, fmt.Errorf("create segment in %s: every name near %s is taken", dir, t)
}

// segmentTimeLayout names a segment by the UTC time of its start; names
// sort by time.
const segmentTimeLayout = "20060102T150405.000000000Z"

func segmentName(t time.Time) string { return t.UTC().Format(segmentTimeLayout) }

// closeSegment syncs and closes the current segment and index.
func (w *Writer) closeSegment() error {
	if w.seg == nil {
		return nil
	}
	err := w.sync()
	w.seg.Close()
	w.idx.Close()
	w.seg, w.idx = nil, nil
	return err
}

// Close syncs and closes the recording. It returns the error that stopped
// the Writer, if any, else the error of the final sync.
func (w *Writer) Close() error {
	err := w.closeSegment()
	w.enc.Close()
	w.lock.Close()
	if w.broken != nil {
		return w.broken
	}
	return err
}

// Dir returns the recording directory.
func (w *Writer) Dir() string { return w.dir }
