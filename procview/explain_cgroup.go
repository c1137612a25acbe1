package procview

import (
	"fmt"
	"strings"

	"github.com/nscope/nscope/inspect"
)

// explainCgroup says what the numbers shown for a cgroup mean: its CPU
// quota and period and the use and throttling measured against them, its
// memory limit and use, OOM kills, pressure (PSI) and the task limit. The
// file names are those of the cgroup's version. See
// Documentation/admin-guide/cgroup-v2.rst and
// Documentation/scheduler/sched-bwc.rst.
func (ix *Index) explainCgroup(c *inspect.Cgroup) Lesson {
	s := ix.Snap
	v2 := true
	label := "?"
	if h := s.Hierarchy(c.Hierarchy); h != nil {
		v2, label = h.Version == 2, h.Label()
	}
	l := Lesson{Title: fmt.Sprintf("Cgroup %s (%s)", c.Path, label)}
	l.About = append(l.About, fmt.Sprintf("%d process%s directly in it; limits apply to its whole subtree.", len(c.Procs), pluralVerb(len(c.Procs))))
	r := ix.Rates.Cgroup(c)
	l.About = append(l.About, cpuSentences(s, c, r, v2)...)
	l.About = append(l.About, memorySentences(c, r, v2)...)
	if pm := c.Limits.PidsMax; pm != nil && *pm != inspect.Unlimited {
		now := ""
		if pc := c.Usage.PidsCurrent; pc != nil {
			now = fmt.Sprintf("; %d now", *pc)
		}
		l.About = append(l.About, fmt.Sprintf("pids.max is %d: fork and clone fail with EAGAIN once %d tasks (threads count) are in it%s.", *pm, *pm, now))
	}
	l.About = append(l.About, psiSentences(c, v2)...)
	return l
}

// cpuSentences explain quota, period, use and throttling.
func cpuSentences(s *inspect.Snapshot, c *inspect.Cgroup, r CgroupRate, v2 bool) []string {
	var out []string
	lim := &c.Limits
	if lim.CPUQuotaUS == nil {
		if o := twin(s, c, "cpu"); o != nil {
			lim = &o.Limits
		}
	}
	quotaFile := "cpu.max"
	if !v2 {
		quotaFile = "cpu.cfs_quota_us and cpu.cfs_period_us"
	}
	if q, ok := QuotaCores(s, c); ok {
		period := *lim.CPUPeriodUS
		out = append(out, fmt.Sprintf("%s says %d µs every %d µs: in each %s period its processes together may run %s, %s; when that is used up they wait for the next period (they are throttled).",
			quotaFile, *lim.CPUQuotaUS, period, FormatUS(period), FormatUS(*lim.CPUQuotaUS), cpusWords(q)))
	} else if lim.CPUQuotaUS != nil {
		out = append(out, fmt.Sprintf("%s sets no quota: its processes may use every CPU, shared with others by weight when the CPUs are busy.", quotaFile))
	}
	if r.HasCPU {
		used := fmt.Sprintf("In the last interval it used %s CPU", FormatCores(r.CPUCores))
		if r.HasQuota {
			used += fmt.Sprintf(", %s of its quota", FormatPercent(r.QuotaPercent))
		}
		out = append(out, used+".")
	}
	if r.HasThrottle {
		if r.ThrottledPercent > 0 {
			out = append(out, fmt.Sprintf("It was throttled in %s of the periods of the last interval: its processes had work but had used the quota, so they waited; that shows as latency, not as CPU use.", FormatPercent(r.ThrottledPercent)))
		} else {
			out = append(out, "It was not throttled in the last interval: the quota did not slow it down.")
		}
	}
	if u := throttleOf(s, c); u != nil && *u.NrThrottled > 0 {
		waited := ""
		if u.ThrottledUS != nil {
			waited = fmt.Sprintf(", %s waited in all", FormatUS(*u.ThrottledUS))
		}
		out = append(out, fmt.Sprintf("Since it was made, %d of its %d periods were throttled%s (cpu.stat nr_throttled, nr_periods).", *u.NrThrottled, *u.NrPeriods, waited))
	}
	return out
}

// cpusWords says a number of CPUs in words: "half of one CPU", "2 CPUs".
func cpusWords(q float64) string {
	if q < 1 {
		return FormatPercent(q*100) + " of one CPU"
	}
	return FormatCPUQuota(int64(q*1e6), 1e6)
}

// memorySentences explain the memory limit, use and OOM events.
func memorySentences(c *inspect.Cgroup, r CgroupRate, v2 bool) []string {
	var out []string
	file := "memory.max"
	if !v2 {
		file = "memory.limit_in_bytes"
	}
	cur := c.Usage.MemoryCurrent
	if m := c.Limits.MemoryMax; m != nil {
		if *m == inspect.Unlimited {
			sentence := file + " is max: no memory limit of its own (a parent's still applies)."
			if cur != nil {
				sentence += " It uses " + FormatBytes(*cur) + " now."
			}
			out = append(out, sentence)
		} else {
			sentence := fmt.Sprintf("%s is %s: above it the kernel reclaims its page cache and swaps; when that is not enough, the OOM killer kills a process in it.", file, FormatBytes(*m))
			if cur != nil && *m > 0 {
				sentence += fmt.Sprintf(" It uses %s now, %s of the limit.", FormatBytes(*cur), FormatPercent(float64(*cur)/float64(*m)*100))
			}
			out = append(out, sentence)
		}
	}
	if h := c.Limits.MemoryHigh; h != nil && *h != inspect.Unlimited {
		out = append(out, fmt.Sprintf("memory.high is %s: above it the kernel slows its processes down and reclaims hard, but kills nothing.", FormatBytes(*h)))
	}
	if ev := c.Usage.MemoryEvents; ev != nil {
		if ev.OOMKill > 0 || ev.OOM > 0 || ev.Max > 0 {
			counts := fmt.Sprintf("the OOM killer killed %d process%s in it since it was made (oom_kill)", ev.OOMKill, map[bool]string{true: "", false: "es"}[ev.OOMKill == 1])
			if v2 {
				counts += fmt.Sprintf("; %d times it hit %s with nothing left to reclaim (oom), %d times its use reached the limit (max)", ev.OOM, file, ev.Max)
			} else if ev.Max > 0 {
				counts += fmt.Sprintf("; it reached the limit %d times (memory.failcnt)", ev.Max)
			}
			if r.NewOOMKills > 0 {
				counts += fmt.Sprintf("; %d kill%s in the last interval", r.NewOOMKills, plural(int(r.NewOOMKills)))
			}
			out = append(out, strings.ToUpper(counts[:1])+counts[1:]+".")
		} else {
			out = append(out, "No OOM kill has happened in it (memory.events oom_kill 0).")
		}
	}
	return out
}

// psiSentences explain the pressure figures.
func psiSentences(c *inspect.Cgroup, v2 bool) []string {
	p := c.Usage.PSI
	if p == nil {
		if v2 {
			return []string{"It has no pressure files (PSI): the kernel runs without them (boot with psi=1)."}
		}
		return nil
	}
	var out []string
	for _, x := range []struct {
		name, waiting string
		pr            *inspect.Pressure
	}{
		{"cpu", "waiting for a CPU", p.CPU},
		{"memory", "stalled on memory (reclaim, swap-in, refaults)", p.Memory},
		{"io", "waiting for I/O", p.IO},
	} {
		if x.pr == nil {
			continue
		}
		s := fmt.Sprintf("%s.pressure some avg10 %.2f: in the last 10 s, at least one of its tasks was %s %s of the time", x.name, x.pr.Some.Avg10, x.waiting, FormatPercent(x.pr.Some.Avg10))
		if x.pr.Full != nil {
			s += fmt.Sprintf("; full %.2f: all of them at once %s of the time (time lost outright)", x.pr.Full.Avg10, FormatPercent(x.pr.Full.Avg10))
		}
		out = append(out, s+".")
	}
	return out
}
