package tui

import (
	"fmt"
	"time"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// liveWatch follows a changed cgroup through the scans that arrive while
// the result is shown, so the effect of a new limit is visible at once:
// throttling after a CPU change, memory.events (max, oom_kill) after a
// memory change, the process count after a pids change.
type liveWatch struct {
	controller string
	// v1 names the memory counters as cgroup v1 does.
	v1   bool
	hier int
	path string
	// base is the first scan after the change; prev and cur the last two.
	base, prev, cur sample
	gone            bool
}

// sample is the watched cgroup in one scan.
type sample struct {
	snap *inspect.Snapshot
	cg   *inspect.Cgroup
}

// newLiveWatch watches t for controller ("cpu", "memory", "pids"); nil
// for anything else.
func newLiveWatch(t cgTarget, controller string) *liveWatch {
	switch controller {
	case "cpu", "memory", "pids":
		return &liveWatch{controller: controller, hier: t.hier.ID, path: t.path, v1: t.hier.Version == 1}
	}
	return nil
}

// observe takes a new scan.
func (w *liveWatch) observe(s *inspect.Snapshot) {
	if s == nil {
		return
	}
	cg := s.Cgroup(w.hier, w.path)
	w.gone = cg == nil
	if cg == nil {
		return
	}
	now := sample{snap: s, cg: cg}
	switch {
	case w.base.snap == nil:
		w.base = now
	case !s.Time.After(w.latest().snap.Time):
		// A scan from before the one we have (a stale generation).
	default:
		w.prev = w.latest()
		w.cur = now
	}
}

// latest returns the newest sample.
func (w *liveWatch) latest() sample {
	if w.cur.snap != nil {
		return w.cur
	}
	return w.base
}

// lines describe the effect so far.
func (w *liveWatch) lines() []dline {
	head := dline{segs: []seg{{"Live", roleHeading}, {" (updates with every refresh)", roleDim}}}
	switch {
	case w.gone:
		return []dline{head, {segs: []seg{{"  the cgroup is gone from the last scan", roleWarn}}}}
	case w.base.snap == nil:
		return []dline{head, {segs: []seg{{"  waiting for the next refresh…", roleDim}}}}
	}
	out := []dline{head}
	cur := w.latest()
	u := &cur.cg.Usage
	switch w.controller {
	case "cpu":
		if w.cur.snap == nil {
			out = append(out, dline{segs: []seg{{"  measuring: throttling shows after the next refresh…", roleDim}}})
			break
		}
		out = append(out, w.cpuLine("last refresh", w.prev, w.cur), w.cpuLine("since change", w.base, w.cur))
	case "memory":
		segs := []seg{{"  " + fit("memory", 13, false), roleLabel}}
		if u.MemoryCurrent != nil {
			segs = append(segs, seg{procview.FormatBytes(*u.MemoryCurrent), roleNormal})
			if l := cur.cg.Limits.MemoryMax; l != nil && *l != inspect.Unlimited {
				segs = append(segs, seg{" of " + procview.FormatBytes(*l), roleNormal})
			}
		} else {
			segs = append(segs, seg{"usage unknown", roleDim})
		}
		out = append(out, dline{segs: segs})
		if ev, was := u.MemoryEvents, w.base.cg.Usage.MemoryEvents; ev != nil && was != nil {
			ro := roleNormal
			if ev.OOMKill > was.OOMKill {
				ro = roleCrit
			}
			counter := "memory.events max"
			if w.v1 {
				counter = "memory.failcnt"
			}
			out = append(out, dline{segs: []seg{{"  " + fit("since change", 13, false), roleLabel},
				{fmt.Sprintf("hit the limit +%d times (%s), OOM kills +%d", ev.Max-was.Max, counter, ev.OOMKill-was.OOMKill), ro}}})
		}
	case "pids":
		segs := []seg{{"  " + fit("pids", 13, false), roleLabel}}
		if u.PidsCurrent != nil {
			segs = append(segs, seg{fmt.Sprintf("%d of %s", *u.PidsCurrent, procview.FormatLimit(cur.cg.Limits.PidsMax)), roleNormal})
		} else {
			segs = append(segs, seg{"count unknown", roleDim})
		}
		out = append(out, dline{segs: segs})
	}
	return out
}

// cpuLine describes CPU use and throttling between two samples.
func (w *liveWatch) cpuLine(label string, a, b sample) dline {
	segs := []seg{{"  " + fit(label, 13, false), roleLabel}}
	dt := b.snap.Time.Sub(a.snap.Time)
	if dt <= 0 {
		return dline{segs: append(segs, seg{"no time passed", roleDim})}
	}
	if ua, ub := procview.CPUUsageOf(a.snap, a.cg), procview.CPUUsageOf(b.snap, b.cg); ua != nil && ub != nil && *ub >= *ua {
		cores := float64(*ub-*ua) / float64(dt.Microseconds())
		segs = append(segs, seg{procview.FormatCores(cores) + " cores", roleNormal})
	}
	ta, tb := &a.cg.Usage, &b.cg.Usage
	if ta.NrPeriods != nil && tb.NrPeriods != nil && ta.NrThrottled != nil && tb.NrThrottled != nil {
		dp, dth := *tb.NrPeriods-*ta.NrPeriods, *tb.NrThrottled-*ta.NrThrottled
		if len(segs) > 1 {
			segs = append(segs, seg{" · ", roleDim})
		}
		if dp > 0 && dth >= 0 {
			pct := float64(dth) / float64(dp) * 100
			segs = append(segs, seg{fmt.Sprintf("throttled in %d of %d periods (%s)", dth, dp, procview.FormatPercent(pct)), throttleRole(pct)})
		} else {
			segs = append(segs, seg{"no periods ran (idle)", roleDim})
		}
	}
	segs = append(segs, seg{" over " + dt.Round(100*time.Millisecond).String(), roleDim})
	return dline{segs: segs}
}
