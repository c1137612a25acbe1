package record

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
)

// Errors of At and Find for a time the recording does not cover.
var (
	// ErrBeforeStart: the time is before the first record.
	ErrBeforeStart = errors.New("before the recording starts")
	// ErrNoRecord: no record is near enough to the time (after the end,
	// or in a gap while the recorder was not running).
	ErrNoRecord = errors.New("no record at that time")
)

// Recording is a recording opened for reading: the records of every
// segment in time order. It reads what was on disk at Open; a recorder
// still writing adds records that a later Open sees. Its methods are safe
// for concurrent use (rebuilding states is serialized).
type Recording struct {
	dir      string
	segs     []*openSegment
	entries  []Entry // full and delta records, in order
	problems []string

	metaMu sync.Mutex // guards openSegment.meta

	mu sync.Mutex
	// last is the state most recently rebuilt, at entry lastAt, so that
	// stepping forward applies one delta.
	last   *state
	lastAt int
}

// openSegment is one segment file of an open recording.
type openSegment struct {
	name  string
	f     *os.File
	size  int64
	meta  *Meta
	first int // index in Recording.entries of its first record
	metaE *Entry
}

// Open opens the recording in dir. Damage is not fatal: a torn or damaged
// record ends what is read of its segment, a bad index is replaced by
// reading the segment, and each such problem is listed by Problems. Open
// fails only when dir cannot be read or holds no readable record.
func Open(dir string) (*Recording, error) {
	files, err := listSegments(dir)
	if err != nil {
		return nil, err
	}
	r := &Recording{dir: dir, lastAt: -1}
	for _, sf := range files {
		r.openSegment(sf.name)
	}
	if len(r.entries) == 0 {
		r.Close()
		if len(files) == 0 {
			return nil, fmt.Errorf("%s holds no recording (no *%s files)", dir, segmentExt)
		}
		msg := fmt.Sprintf("%s holds no readable record", dir)
		if len(r.problems) > 0 {
			msg += ": " + r.problems[0]
		}
		return nil, errors.New(msg)
	}
	return r, nil
}

// openSegment reads one segment's index and whatever records the index
// lacks, and adds them.
func (r *Recording) openSegment(name string) {
	path := filepath.Join(r.dir, name+segmentExt)
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		r.problem("%s: %v", name+segmentExt, err)
		return
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		r.problem("%s: %v", name+segmentExt, err)
		return
	}
	seg := &openSegment{name: name, f: f, size: fi.Size()}
	var fh [fileHeaderSize]byte
	if _, err := f.ReadAt(fh[:], 0); err != nil {
		err = readErr(err)
		f.Close()
		r.problem("%s: file header: %v", name+segmentExt, err)
		return
	}
	if err := parseFileHeader(fh[:]); err != nil {
		f.Close()
		r.problem("%s: %v", name+segmentExt, err)
		return
	}
	segIndex := len(r.segs)
	ents := r.readIndex(name, seg.size, segIndex)
	from := int64(fileHeaderSize)
	if len(ents) > 0 {
		last := ents[len(ents)-1]
		from = last.offset + last.size
	}
	more, err := scanRecords(f, seg.size, from, segIndex)
	ents = append(ents, more...)
	if err != nil {
		r.problem("%s: %v; the %d bytes from there on are skipped", name+segmentExt, err, seg.size-recordsEnd(ents))
	}
	r.segs = append(r.segs, seg)
	seg.first = len(r.entries)
	for i := range ents {
		e := ents[i]
		if e.Kind == KindMeta {
			if seg.metaE == nil {
				seg.metaE = &e
			}
			continue
		}
		r.entries = append(r.entries, e)
	}
}

// recordsEnd returns where the last of ents ends.
func recordsEnd(ents []Entry) int64 {
	if len(ents) == 0 {
		return fileHeaderSize
	}
	last := ents[len(ents)-1]
	return last.offset + last.size
}

// readIndex reads the index of a segment; a missing or damaged index
// yields the entries it has good (the rest is read from the segment).
func (r *Recording) readIndex(name string, segSize int64, seg int) []Entry {
	f, err := os.OpenFile(filepath.Join(r.dir, name+indexExt), os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			r.problem("%s: %v; reading the segment instead", name+indexExt, err)
		}
		return nil
	}
	defer f.Close()
	// At most one entry per smallest record, so a huge index file cannot
	// make us read without bound.
	limit := fileHeaderSize + (segSize/headerSize+1)*indexEntrySize
	data, err := io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		r.problem("%s: %v; reading the segment instead", name+indexExt, err)
		return nil
	}
	ents, err := parseIndex(data, segSize)
	if err != nil && !errors.Is(err, ErrTorn) {
		// A torn last entry is the normal trace of a crash; anything else
		// is worth saying.
		r.problem("%s: %v; reading the segment from there", name+indexExt, err)
	}
	for i := range ents {
		ents[i].segment = seg
	}
	return ents
}

func (r *Recording) problem(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

// Close closes the segment files.
func (r *Recording) Close() error {
	for _, s := range r.segs {
		s.f.Close()
	}
	r.segs = nil
	return nil
}

// Dir returns the recording's directory.
func (r *Recording) Dir() string { return r.dir }

// Problems lists what Open could not read: torn or damaged records and
// indexes, in plain words. Records before a problem are all read.
func (r *Recording) Problems() []string { return r.problems }

// Entries returns every full and delta record in time order. The slice
// must not be changed.
func (r *Recording) Entries() []Entry { return r.entries }

// Range returns the times of the first and the last record.
func (r *Recording) Range() (first, last time.Time) {
	return r.entries[0].Time, r.entries[len(r.entries)-1].Time
}

// Marks returns the records from from to to (inclusive) that carry a
// mark of any of the kinds, read from the index alone. minThrottle, from
// 0 to 1, keeps a throttling mark only when a cgroup was throttled at
// least that share of its periods. Extras gives the marks' details.
func (r *Recording) Marks(from, to time.Time, kinds MarkKind, minThrottle float64) []int {
	var out []int
	i := sort.Search(len(r.entries), func(i int) bool { return !r.entries[i].Time.Before(from) })
	for ; i < len(r.entries) && !r.entries[i].Time.After(to); i++ {
		e := &r.entries[i]
		k := e.Marks & kinds
		if k&MarkThrottle != 0 && float64(e.Throttle) < minThrottle*100 {
			k &^= MarkThrottle
		}
		if k != 0 {
			out = append(out, i)
		}
	}
	return out
}

// Find returns the index of the record that holds the host's state at t:
// the last record at or before t. It fails with ErrBeforeStart before the
// first record and with ErrNoRecord when the record found is older than
// twice the recorder's interval (the recording ended, or has a gap there).
func (r *Recording) Find(t time.Time) (int, error) {
	i := sort.Search(len(r.entries), func(i int) bool { return r.entries[i].Time.After(t) }) - 1
	if i < 0 {
		return -1, fmt.Errorf("%s: %w", stamp(t), ErrBeforeStart)
	}
	e := r.entries[i]
	if slack := 2 * r.interval(e.segment); t.Sub(e.Time) > slack {
		if i+1 < len(r.entries) {
			return -1, fmt.Errorf("%s: %w: the recording has a gap from %s to %s", stamp(t), ErrNoRecord,
				stamp(e.Time), stamp(r.entries[i+1].Time))
		}
		return -1, fmt.Errorf("%s: %w: the recording ends at %s", stamp(t), ErrNoRecord, stamp(e.Time))
	}
	return i, nil
}

// stamp renders a time for messages: local time with the date.
func stamp(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05.000 MST") }

// interval returns the recorder interval of a segment (1s when its meta
// record cannot be read).
func (r *Recording) interval(seg int) time.Duration {
	if m, err := r.segmentMeta(seg); err == nil && m.Interval > 0 {
		return max(m.Interval, time.Second)
	}
	return time.Second
}

// Meta returns how the segment holding record i was recorded.
func (r *Recording) Meta(i int) (*Meta, error) {
	if i < 0 || i >= len(r.entries) {
		return nil, fmt.Errorf("record %d: out of range", i)
	}
	return r.segmentMeta(r.entries[i].segment)
}

func (r *Recording) segmentMeta(seg int) (*Meta, error) {
	r.metaMu.Lock()
	defer r.metaMu.Unlock()
	s := r.segs[seg]
	if s.meta != nil {
		return s.meta, nil
	}
	if s.metaE == nil {
		return nil, fmt.Errorf("%s: no meta record", s.name+segmentExt)
	}
	_, raw, err := readRecord(s.f, *s.metaE, s.size)
	if err != nil {
		return nil, err
	}
	m, err := decodeMeta(raw)
	if err != nil {
		return nil, err
	}
	s.meta = m
	return m, nil
}

// read reads and decodes record i: a full record gives its snapshot, a
// delta its Delta; both give the Extras.
func (r *Recording) read(i int) (*inspect.Snapshot, *Delta, *Extras, error) {
	e := r.entries[i]
	s := r.segs[e.segment]
	_, raw, err := readRecord(s.f, e, s.size)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s record at %s (%s offset %d): %w", e.Kind, stamp(e.Time), s.name+segmentExt, e.offset, err)
	}
	if e.Kind == KindFull {
		snap, x, err := decodeFull(raw)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("full record at %s: %w", stamp(e.Time), err)
		}
		return snap, nil, x, nil
	}
	d, err := decodeDelta(raw)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("delta record at %s: %w", stamp(e.Time), err)
	}
	return nil, d, &d.Extras, nil
}

// Extras returns the marks, journal entries and events of record i.
func (r *Recording) Extras(i int) (*Extras, error) {
	if i < 0 || i >= len(r.entries) {
		return nil, fmt.Errorf("record %d: out of range", i)
	}
	_, _, x, err := r.read(i)
	return x, err
}

// At returns the host's state at t: the snapshot of the last record at or
// before t, rebuilt from the full record before it and the deltas
// between. See Find for the errors of a time not covered.
func (r *Recording) At(t time.Time) (*inspect.Snapshot, error) {
	i, err := r.Find(t)
	if err != nil {
		return nil, err
	}
	return r.Snapshot(i)
}

// Snapshot returns the host's state at record i.
func (r *Recording) Snapshot(i int) (*inspect.Snapshot, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, err := r.stateAt(i)
	if err != nil {
		return nil, err
	}
	return st.snapshot(), nil
}

// Pair returns the host's state at record i and at the record before it
// (nil when i is the first record or follows a gap), for rates.
func (r *Recording) Pair(i int) (prev, cur *inspect.Snapshot, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if i > 0 && r.entries[i].Time.Sub(r.entries[i-1].Time) <= 2*r.interval(r.entries[i].segment) {
		st, err := r.stateAt(i - 1)
		if err != nil {
			return nil, nil, err
		}
		prev = st.snapshot()
	}
	st, err := r.stateAt(i)
	if err != nil {
		return nil, nil, err
	}
	return prev, st.snapshot(), nil
}

// stateAt rebuilds the state at record i, continuing from the last state
// rebuilt when that is on the way.
func (r *Recording) stateAt(i int) (*state, error) {
	if i < 0 || i >= len(r.entries) {
		return nil, fmt.Errorf("record %d: out of range (the recording has %d)", i, len(r.entries))
	}
	// The full record at or before i in i's segment.
	seg := r.entries[i].segment
	full := i
	for full >= 0 && r.entries[full].segment == seg && r.entries[full].Kind != KindFull {
		full--
	}
	if full < 0 || r.entries[full].segment != seg {
		return nil, fmt.Errorf("%s: %w: the segment has no full record before %s", r.segs[seg].name+segmentExt, ErrDamaged, stamp(r.entries[i].Time))
	}
	var st *state
	from := full + 1
	if r.last != nil && r.lastAt >= full && r.lastAt <= i {
		st, from = r.last, r.lastAt+1
	} else {
		r.last = nil
		snap, _, _, err := r.read(full)
		if err != nil {
			return nil, err
		}
		st = newState(snap)
	}
	for k := from; k <= i; k++ {
		_, d, _, err := r.read(k)
		if err == nil {
			err = st.apply(d)
		}
		if err != nil {
			r.last = nil
			return nil, err
		}
	}
	r.last, r.lastAt = st, i
	return st, nil
}
