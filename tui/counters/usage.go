package counters

import (
	"github.com/nscope/nscope/inspect"
)

// copyUsage returns a copy of u that shares no pointers with it, so the
// base snapshot is never written.
func copyUsage(u inspect.Usage) inspect.Usage {
	cp := func(p *int64) *int64 {
		if p == nil {
			return nil
		}
		v := *p
		return &v
	}
	out := inspect.Usage{
		CPUUsageUS: cp(u.CPUUsageUS), NrPeriods: cp(u.NrPeriods), NrThrottled: cp(u.NrThrottled),
		ThrottledUS: cp(u.ThrottledUS), MemoryCurrent: cp(u.MemoryCurrent), PidsCurrent: cp(u.PidsCurrent),
	}
	if u.MemoryEvents != nil {
		ev := *u.MemoryEvents
		out.MemoryEvents = &ev
	}
	if u.PSI != nil {
		psi := *u.PSI
		out.PSI = &psi
	}
	return out
}
