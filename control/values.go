package control

import (
	"slices"
	"strconv"
	"strings"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// FileValue returns a limit file's content as a snapshot saw it: the raw
// text when the scanner kept it (Cgroup.Raw), else rebuilt from the parsed
// limits in the file's own format ("max" on v2, -1 on v1). ok is false
// when the cgroup has no such file.
func FileValue(cg *inspect.Cgroup, file string) (string, bool) {
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
	flag := func(v *bool, off, on string) (string, bool) {
		switch {
		case v == nil:
			return "", false
		case *v:
			return on, true
		}
		return off, true
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
	case "memory.max":
		return num(l.MemoryMax, "max")
	case "memory.limit_in_bytes":
		return num(l.MemoryMax, "-1")
	case "memory.high":
		return num(l.MemoryHigh, "max")
	case "memory.low":
		return num(l.MemoryLow, "max")
	case "pids.max":
		return num(l.PidsMax, "max")
	case "io.max":
		lines := make([]string, 0, len(l.IOMax))
		for _, io := range l.IOMax {
			lines = append(lines, IOMaxLine(io))
		}
		// io.max exists (empty) in every v2 cgroup with the io controller.
		return strings.Join(lines, "\n"), len(lines) > 0 || cg.Controllers == nil || slices.Contains(cg.Controllers, "io")
	case "cgroup.freeze":
		return flag(l.Frozen, "0", "1")
	case "freezer.state":
		return flag(l.Frozen, "THAWED", "FROZEN")
	}
	return "", false
}

// IOMaxLine renders one device's io.max line as the kernel prints it:
// "8:0 rbps=1048576 wbps=max riops=max wiops=max". See cgroup-v2.rst,
// "io.max".
func IOMaxLine(io inspect.IOMax) string {
	return IOLimit{Major: io.Major, Minor: io.Minor, RBps: io.RBps, WBps: io.WBps, RIOps: io.RIOps, WIOps: io.WIOps}.String()
}

// ValueMeaning says what a limit file's value means to people ("50% of 1
// CPU", "512 MiB", "unlimited", "the default"), or "" when the raw value
// says it already or is not understood.
func ValueMeaning(file, v string) string {
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
	case "memory.max", "memory.high", "memory.low", "memory.limit_in_bytes", memswFile:
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

// DescribeValue shows a raw value with its meaning on one line:
// `50000 100000 (50% of 1 CPU)`; lines of a multi-line value are joined
// with "; ", and an empty value is shown as `""`.
func DescribeValue(file, v string) string {
	shown := strings.ReplaceAll(strings.TrimSpace(v), "\n", "; ")
	if shown == "" {
		shown = `""`
	}
	if m := ValueMeaning(file, v); m != "" && m != shown {
		return shown + " (" + m + ")"
	}
	return shown
}
