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
// per refresh, for sparklines, with the CPU quota (cores) the cgroup had
// at each sample, so a chart draws the quota where it was. Cgroups that
// disappear are forgotten.
type History struct {
	size   int
	series map[inspect.CgroupKey]*cpuSeries
}

// cpuSeries is one cgroup's samples and quotas, in step.
type cpuSeries struct{ cores, quota *Ring }

// NewHistory returns a history that keeps size samples per cgroup.
func NewHistory(size int) *History {
	return &History{size: size, series: map[inspect.CgroupKey]*cpuSeries{}}
}

// Add records one sample per cgroup of snap that has a CPU rate (and its
// quota then, 0 for none), and drops the series of cgroups no longer in
// snap.
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
		s := h.series[c.Key()]
		if s == nil {
			s = &cpuSeries{cores: NewRing(h.size), quota: NewRing(h.size)}
			h.series[c.Key()] = s
		}
		s.cores.Add(cr.CPUCores)
		q, _ := QuotaCores(snap, c)
		s.quota.Add(q)
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
	if h == nil || c == nil {
		return nil
	}
	if s := h.series[c.Key()]; s != nil {
		return s.cores.Values()
	}
	return nil
}

// Quota returns the CPU quota (cores, 0 for none) c had at each sample
// CPU returns, oldest first.
func (h *History) Quota(c *inspect.Cgroup) []float64 {
	if h == nil || c == nil {
		return nil
	}
	if s := h.series[c.Key()]; s != nil {
		return s.quota.Values()
	}
	return nil
}
