package procview

import "github.com/nscope/nscope/inspect"

// Ring is a fixed-size ring buffer of float64 samples, oldest dropped
// first.
type Ring struct {
	buf   []float64
	start int
	n     int
}

// NewRing returns an empty ring that keeps the last size samples.
func NewRing(size int) *Ring { return &Ring{buf: make([]float64, max(1, size))} }

// Add appends a sample, dropping the oldest when full.
func (r *Ring) Add(v float64) {
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = v
		r.n++
		return
	}
	r.buf[r.start] = v
	r.start = (r.start + 1) % len(r.buf)
}

// Len returns the number of samples held.
func (r *Ring) Len() int { return r.n }

// Values returns the samples, oldest first, as a new slice.
func (r *Ring) Values() []float64 {
	out := make([]float64, r.n)
	for i := range out {
		out[i] = r.buf[(r.start+i)%len(r.buf)]
	}
	return out
}

// History keeps the recent CPU usage (cores) of every cgroup, one sample
// per refresh, for sparklines. Cgroups that disappear are forgotten.
type History struct {
	size   int
	series map[inspect.CgroupKey]*Ring
}

// NewHistory returns a history that keeps size samples per cgroup.
func NewHistory(size int) *History {
	return &History{size: size, series: map[inspect.CgroupKey]*Ring{}}
}

// Add records one sample per cgroup of snap that has a CPU rate, and
// drops the series of cgroups no longer in snap.
func (h *History) Add(snap *inspect.Snapshot, r *Rates) {
	if snap == nil {
		return
	}
	for i := range snap.Cgroups {
		c := &snap.Cgroups[i]
		cr := r.Cgroup(c)
		if !cr.HasCPU {
			continue
		}
		ring := h.series[c.Key()]
		if ring == nil {
			ring = NewRing(h.size)
			h.series[c.Key()] = ring
		}
		ring.Add(cr.CPUCores)
	}
	for k := range h.series {
		if snap.Cgroup(k.Hierarchy, k.Path) == nil {
			delete(h.series, k)
		}
	}
}

// CPU returns the recorded CPU samples (cores) of c, oldest first; nil
// when there are none.
func (h *History) CPU(c *inspect.Cgroup) []float64 {
	if h == nil {
		return nil
	}
	if ring := h.series[c.Key()]; ring != nil {
		return ring.Values()
	}
	return nil
}
