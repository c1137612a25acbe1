package record

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Retention bounds a recording: segments whose records are all older
// than Age are removed, then the oldest segments while the recording is
// bigger than Bytes. Zero means no bound. The segment being written is
// never removed.
type Retention struct {
	Age   time.Duration
	Bytes int64
}

// String renders r the way ParseRetention reads it.
func (r Retention) String() string {
	var parts []string
	if r.Age > 0 {
		parts = append(parts, formatAge(r.Age))
	}
	if r.Bytes > 0 {
		parts = append(parts, formatBytes(r.Bytes))
	}
	if len(parts) == 0 {
		return "forever"
	}
	return strings.Join(parts, ",")
}

// byteUnits are the size suffixes ParseRetention accepts.
var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3},
	{"T", 1 << 40}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1},
}

// ParseRetention reads a retention: a duration ("24h", "90m", also "7d"
// for days), a size ("2GiB", "500MB", "1G"), or both separated by a comma
// ("24h,2GiB"). Segments go when either bound is passed.
func ParseRetention(s string) (Retention, error) {
	var r Retention
	if strings.TrimSpace(s) == "" {
		return r, errors.New("empty retention: want a duration like 24h, a size like 2GiB, or both (24h,2GiB)")
	}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if n, ok := parseBytes(part); ok {
			if n <= 0 || r.Bytes != 0 {
				return r, fmt.Errorf("retention %q: want one size above zero, like 2GiB", s)
			}
			r.Bytes = n
			continue
		}
		d, err := parseDays(part)
		if err != nil || d <= 0 || r.Age != 0 {
			return r, fmt.Errorf("retention %q: %q is neither a duration (24h, 7d) nor a size (2GiB, 500MB)", s, part)
		}
		r.Age = d
	}
	if r.Bytes > 0 && r.Bytes < 16<<20 {
		return r, fmt.Errorf("retention %q: a recording needs at least 16MiB (one full snapshot of a big host)", s)
	}
	if r.Age > 0 && r.Age < time.Minute {
		return r, fmt.Errorf("retention %q: keep at least 1m", s)
	}
	return r, nil
}

// parseDays reads a time.Duration, also accepting a whole number of days
// ("7d").
func parseDays(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 || n > 3650 {
			return 0, fmt.Errorf("bad number of days %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// parseBytes reads a size with a unit suffix.
func parseBytes(s string) (int64, bool) {
	for _, u := range byteUnits {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok || num == "" {
			continue
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil || f < 0 || f*float64(u.mult) > 1<<62 {
			return 0, false
		}
		return int64(f * float64(u.mult)), true
	}
	return 0, false
}

// formatAge renders d in whole days or hours when it is one ("7d",
// "24h"), else as time.Duration does.
func formatAge(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0 && d >= 48*time.Hour:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return d.String()
}

// formatBytes renders n with a binary unit.
func formatBytes(n int64) string {
	for _, u := range byteUnits[:4] {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

// segmentFile is one segment on disk, for retention and for Open.
type segmentFile struct {
	name  string // without extension
	start time.Time
	size  int64 // segment plus index
}

// listSegments returns the segments in dir, oldest first. Files that are
// not named like segments are ignored.
func listSegments(dir string) ([]segmentFile, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read recording directory: %w", err)
	}
	var out []segmentFile
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), segmentExt)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		t, err := time.Parse(segmentTimeLayout, name)
		if err != nil {
			continue
		}
		sf := segmentFile{name: name, start: t}
		if fi, err := e.Info(); err == nil {
			sf.size = fi.Size()
		}
		if fi, err := os.Lstat(filepath.Join(dir, name+indexExt)); err == nil {
			sf.size += fi.Size()
		}
		out = append(out, sf)
	}
	slices.SortFunc(out, func(a, b segmentFile) int { return strings.Compare(a.name, b.name) })
	return out, nil
}

// retain removes the segments retention no longer keeps and returns
// their names.
func (w *Writer) retain() ([]string, error) {
	r := w.opts.Retain
	if r.Age <= 0 && r.Bytes <= 0 {
		return nil, nil
	}
	segs, err := listSegments(w.dir)
	if err != nil {
		return nil, err
	}
	var total int64
	for _, s := range segs {
		total += s.size
	}
	now := w.opts.Now()
	var removed []string
	for i := 0; i+1 < len(segs); i++ {
		s := segs[i]
		if s.name == w.segName {
			break
		}
		// A segment's records end where the next segment starts.
		tooOld := r.Age > 0 && now.Sub(segs[i+1].start) > r.Age
		tooBig := r.Bytes > 0 && total > r.Bytes
		if !tooOld && !tooBig {
			break
		}
		// The index first: a segment without one is still read whole.
		for _, ext := range []string{indexExt, segmentExt} {
			if err := os.Remove(filepath.Join(w.dir, s.name+ext)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return removed, fmt.Errorf("retention: %w", err)
			}
		}
		total -= s.size
		removed = append(removed, s.name+segmentExt)
	}
	return removed, nil
}
