package procview

import (
	"fmt"
	"strconv"

	"github.com/nscope/nscope/inspect"
)

// FormatBytes renders a byte count in binary units: "0 B", "512 B",
// "1.5 KiB", "256 MiB", "3.2 GiB". Unlimited renders as "max".
func FormatBytes(n int64) string {
	if n == inspect.Unlimited {
		return "max"
	}
	if n < 0 {
		return "-" + FormatBytes(-n)
	}
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n) / unit
	i := 0
	for v >= unit && i < len(units)-1 {
		v /= unit
		i++
	}
	if v >= 100 || v == float64(int64(v)) {
		return fmt.Sprintf("%.0f %s", v, units[i])
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}

// FormatCPUQuota renders a CFS quota and period in people's terms:
// "20% of 1 CPU" below one CPU, "1.5 CPUs" above, "unlimited" without a
// quota. Quota and period are microseconds.
func FormatCPUQuota(quotaUS, periodUS int64) string {
	if quotaUS == inspect.Unlimited || quotaUS < 0 {
		return "unlimited"
	}
	if periodUS <= 0 {
		return "?"
	}
	cpus := float64(quotaUS) / float64(periodUS)
	if cpus < 1 {
		return fmt.Sprintf("%s of 1 CPU", FormatPercent(cpus*100))
	}
	if cpus == 1 {
		return "1 CPU"
	}
	return trimFloat(cpus, 2) + " CPUs"
}

// FormatPercent renders a percentage with sensible precision: "0.5%",
// "20%", "150%".
func FormatPercent(p float64) string {
	if p < 10 && p != float64(int64(p)) {
		return trimFloat(p, 1) + "%"
	}
	return strconv.FormatFloat(p, 'f', 0, 64) + "%"
}

// FormatCores renders a CPU usage in cores: "0.02", "1.50".
func FormatCores(cores float64) string {
	return strconv.FormatFloat(cores, 'f', 2, 64)
}

// FormatUS renders a microsecond duration compactly: "850µs", "12ms",
// "3.4s", "5m02s", "2h13m".
func FormatUS(us int64) string {
	switch {
	case us < 1000:
		return fmt.Sprintf("%dµs", us)
	case us < 1000_000:
		return fmt.Sprintf("%dms", us/1000)
	case us < 60_000_000:
		return trimFloat(float64(us)/1e6, 1) + "s"
	case us < 3600_000_000:
		s := us / 1_000_000
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	default:
		m := us / 60_000_000
		return fmt.Sprintf("%dh%02dm", m/60, m%60)
	}
}

// FormatLimit renders an optional limit: "-" when absent, "max" when
// unlimited, otherwise the number.
func FormatLimit(v *int64) string {
	if v == nil {
		return "-"
	}
	if *v == inspect.Unlimited {
		return "max"
	}
	return strconv.FormatInt(*v, 10)
}

// FormatBytesPtr renders an optional byte count like FormatBytes, "-" when absent.
func FormatBytesPtr(v *int64) string {
	if v == nil {
		return "-"
	}
	return FormatBytes(*v)
}

// trimFloat formats f with at most prec decimals, dropping trailing zeros.
func trimFloat(f float64, prec int) string {
	s := strconv.FormatFloat(f, 'f', prec, 64)
	for len(s) > 0 && s[len(s)-1] == '0' && containsDot(s) {
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

func containsDot(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return true
		}
	}
	return false
}
