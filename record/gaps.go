package record

import (
	"time"

	"github.com/nscope/nscope/inspect"
)

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

// Cgroups returns the host's state at record i with its cgroups and
// hierarchies only (no processes or namespaces): what a CPU history of
// the cgroups needs, and much cheaper to build than Snapshot on a host
// with thousands of processes. Stepping through records in order
// continues from the state before, as Snapshot does.
func (r *Recording) Cgroups(i int) (*inspect.Snapshot, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, err := r.stateAt(i)
	if err != nil {
		return nil, err
	}
	s := st.head
	s.Processes, s.Namespaces = nil, nil
	s.Cgroups = make([]inspect.Cgroup, 0, len(st.cgs))
	for _, c := range st.cgs {
		s.Cgroups = append(s.Cgroups, c)
	}
	s.Reindex()
	return &s, nil
}
