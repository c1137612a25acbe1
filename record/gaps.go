package record

import "time"

// Gap is a stretch of time in a recording with no record: the recorder
// was not running (or its records there were lost). From is the time of
// the last record before it, To that of the first record after it.
type Gap struct {
	From, To time.Time
	// After is the index of the record at From (the one before the gap).
	After int
}

// Gaps returns the recording's gaps in time order: every pair of
// neighbouring records further apart than twice the recorder's interval
// (the slack Find and Pair allow).
func (r *Recording) Gaps() []Gap {
	var out []Gap
	for i := 1; i < len(r.entries); i++ {
		a, b := r.entries[i-1], r.entries[i]
		if b.Time.Sub(a.Time) > 2*r.interval(b.segment) {
			out = append(out, Gap{From: a.Time, To: b.Time, After: i - 1})
		}
	}
	return out
}

// Interval returns the recorder's interval for record i (1s when its
// segment's meta record cannot be read): the time between records when
// the recorder was running.
func (r *Recording) Interval(i int) time.Duration {
	if i < 0 || i >= len(r.entries) {
		return time.Second
	}
	return r.interval(r.entries[i].segment)
}
