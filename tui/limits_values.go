package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// fileValue returns a limit file's content as the snapshot saw it: the
// raw text when the scanner kept it, else rebuilt from the parsed limits
// in the file's own format. ok is false when the cgroup has no such file.
func fileValue(cg *inspect.Cgroup, file string) (string, bool) {
	if cg == nil {
		return "", false
	}
	if v, ok := cg.Raw[file]; ok {
		return v, true
	}
	l := &cg.Limits
	num := func(v *int64, unlimited string) (string, bool) {
		if v == nil {
			return "", false
		}
		if *v == inspect.Unlimited {
			return unlimited, true
		}
		return strconv.FormatInt(*v, 10), true
	}
	switch file {
	case "cpu.max":
		if l.CPUQuotaUS == nil || l.CPUPeriodUS == nil {
			return "", false
		}
		q, _ := num(l.CPUQuotaUS, "max")
		return q + " " + strconv.FormatInt(*l.CPUPeriodUS, 10), true
	case "cpu.cfs_quota_us":
		return num(l.CPUQuotaUS, "-1")
	case "cpu.cfs_period_us":
		return num(l.CPUPeriodUS, "-1")
	case "cpu.weight":
		return num(l.CPUWeight, "max")
	case "cpu.shares":
		return num(l.CPUShares, "max")
	case "memory.max", "memory.limit_in_bytes":
		if file == "memory.limit_in_bytes" {
			return num(l.MemoryMax, "-1")
		}
		return num(l.MemoryMax, "max")
	case "memory.high":
		return num(l.MemoryHigh, "max")
	case "memory.low":
		return num(l.MemoryLow, "max")
	case "pids.max":
		return num(l.PidsMax, "max")
	case "io.max":
		var lines []string
		for _, io := range l.IOMax {
			lines = append(lines, fmt.Sprintf("%d:%d rbps=%s wbps=%s riops=%s wiops=%s", io.Major, io.Minor,
				ioVal(io.RBps), ioVal(io.WBps), ioVal(io.RIOps), ioVal(io.WIOps)))
		}
		// io.max exists (empty) in every v2 cgroup with the io controller.
		return strings.Join(lines, "\n"), len(lines) > 0 || cg.Controllers == nil || hasString(cg.Controllers, "io")
	case "cgroup.freeze":
		if l.Frozen == nil {
			return "", false
		}
		if *l.Frozen {
			return "1", true
		}
		return "0", true
	case "freezer.state":
		if l.Frozen == nil {
			return "", false
		}
		if *l.Frozen {
			return "FROZEN", true
		}
		return "THAWED", true
	}
	return "", false
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// valueMeaning says what a file's value means to people ("50% of 1 CPU",
// "512 MiB", "unlimited"), or "" when the raw value says it already.
func valueMeaning(file, v string) string {
	v = strings.TrimSpace(v)
	switch file {
	case "cpu.max":
		if q, p, err := inspect.ParseCPUMax([]byte(v)); err == nil {
			return procview.FormatCPUQuota(q, p)
		}
	case "cpu.cfs_quota_us":
		if v == "-1" {
			return "unlimited"
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return procview.FormatUS(n) + " per period"
		}
	case "cpu.cfs_period_us":
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return procview.FormatUS(n)
		}
	case "cpu.weight":
		if v == "100" {
			return "the default"
		}
	case "cpu.shares":
		if v == "1024" {
			return "the default"
		}
	case "memory.max", "memory.high", "memory.low", "memory.limit_in_bytes":
		if n, err := inspect.ParseLimitValue([]byte(v)); err == nil {
			if n == inspect.Unlimited {
				return "unlimited"
			}
			return procview.FormatBytes(n)
		}
	case "pids.max":
		if v == "max" {
			return "unlimited"
		}
	case "io.max":
		if v == "" {
			return "no device limits"
		}
	case "cgroup.freeze":
		switch v {
		case "0":
			return "thawed"
		case "1":
			return "frozen"
		}
	}
	return ""
}

// describeValue shows a raw value with its meaning: `50000 100000 (50%
// of 1 CPU)`; an empty value is shown as `""`.
func describeValue(file, v string) string {
	shown := strings.ReplaceAll(strings.TrimSpace(v), "\n", "; ")
	if shown == "" {
		shown = `""`
	}
	if m := valueMeaning(file, v); m != "" && m != shown {
		return shown + " (" + m + ")"
	}
	return shown
}

// cpuNow says what the target's CPU limit is now, e.g. "20% of 1 CPU
// (cpu.max 20000 100000)", from the snapshot.
func cpuNow(t cgTarget) string {
	if t.v2() {
		if v, ok := fileValue(t.cg, "cpu.max"); ok {
			return valueMeaning("cpu.max", v) + " (cpu.max " + v + ")"
		}
		return "unknown: the snapshot has no cpu.max for it"
	}
	q, okQ := fileValue(t.cg, "cpu.cfs_quota_us")
	p, okP := fileValue(t.cg, "cpu.cfs_period_us")
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
	v, ok := fileValue(t.cg, file)
	if !ok {
		return "unknown: the snapshot has no " + file + " for it"
	}
	if m := valueMeaning(file, v); m != "" && m != v {
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
