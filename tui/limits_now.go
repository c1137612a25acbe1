package tui

import (
	"fmt"
	"strconv"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// cpuNow says what the target's CPU limit is now, e.g. "20% of 1 CPU
// (cpu.max 20000 100000)", from the snapshot.
func cpuNow(t cgTarget) string {
	if t.v2() {
		if v, ok := control.FileValue(t.cg, "cpu.max"); ok {
			return control.ValueMeaning("cpu.max", v) + " (cpu.max " + v + ")"
		}
		return "unknown: the snapshot has no cpu.max for it"
	}
	q, okQ := control.FileValue(t.cg, "cpu.cfs_quota_us")
	p, okP := control.FileValue(t.cg, "cpu.cfs_period_us")
	if !okQ || !okP {
		return "unknown: the snapshot has no cpu.cfs_quota_us for it"
	}
	qn, err1 := strconv.ParseInt(q, 10, 64)
	pn, err2 := strconv.ParseInt(p, 10, 64)
	meaning := "?"
	if err1 == nil && err2 == nil {
		if qn < 0 {
			qn = inspect.Unlimited
		}
		meaning = procview.FormatCPUQuota(qn, pn)
	}
	return fmt.Sprintf("%s (cpu.cfs_quota_us %s, cpu.cfs_period_us %s)", meaning, q, p)
}

// memoryFile is the file that holds the target's hard memory limit.
func memoryFile(t cgTarget) string {
	if t.v2() {
		return "memory.max"
	}
	return "memory.limit_in_bytes"
}

// limitNow describes a single-file limit: "64 MiB (memory.max 67108864)".
func limitNow(t cgTarget, file string) string {
	v, ok := control.FileValue(t.cg, file)
	if !ok {
		return "unknown: the snapshot has no " + file + " for it"
	}
	if m := control.ValueMeaning(file, v); m != "" && m != v {
		return m + " (" + file + " " + v + ")"
	}
	return v + " (" + file + ")"
}

// usageNow describes what the cgroup uses now, for the resource being
// edited; "" when the snapshot does not know.
func usageNow(t cgTarget, controller string) string {
	if t.cg == nil {
		return ""
	}
	u := &t.cg.Usage
	switch controller {
	case "memory":
		if u.MemoryCurrent == nil {
			return ""
		}
		s := procview.FormatBytes(*u.MemoryCurrent)
		if ev := u.MemoryEvents; ev != nil {
			s += fmt.Sprintf(" · hit the limit %d times · OOM kills %d", ev.Max, ev.OOMKill)
		}
		return s
	case "pids":
		if u.PidsCurrent == nil {
			return ""
		}
		return strconv.FormatInt(*u.PidsCurrent, 10) + " processes and threads"
	case "cpu":
		if u.NrPeriods == nil || u.NrThrottled == nil || *u.NrPeriods == 0 {
			return ""
		}
		return fmt.Sprintf("throttled in %d of %d periods so far", *u.NrThrottled, *u.NrPeriods)
	}
	return ""
}

// frozenNow reports whether the snapshot saw the target frozen.
func frozenNow(t cgTarget) bool {
	return t.cg != nil && t.cg.Limits.Frozen != nil && *t.cg.Limits.Frozen
}
