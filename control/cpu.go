package control

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nscope/nscope/inspect"
)

// CPU bandwidth bounds the kernel enforces for cpu.max (v2) and
// cpu.cfs_quota_us / cpu.cfs_period_us (v1). See
// Documentation/scheduler/sched-bwc.rst.
const (
	// MinPeriodUS and MaxPeriodUS bound the period: 1 ms to 1 s.
	MinPeriodUS = 1000
	MaxPeriodUS = 1000000
	// MinQuotaUS is the smallest quota: 1 ms.
	MinQuotaUS = 1000
	// MaxQuotaUS is the largest quota the kernel accepts, (2^44 - 1) µs.
	MaxQuotaUS = 1<<44 - 1
	// DefaultPeriodUS is the kernel's default period, 100 ms.
	DefaultPeriodUS = 100000
)

// CPU is a parsed CPU bandwidth limit. Exactly one form is set:
// Unlimited, Cores (friendly input, turned into a quota with the period
// at plan time), or QuotaUS (raw input).
type CPU struct {
	// Unlimited removes the limit ("max").
	Unlimited bool `json:"unlimited,omitempty"`
	// Cores is how many CPUs' worth of time the cgroup may use per period
	// (0.5 = half of one CPU, 2 = two CPUs).
	Cores float64 `json:"cores,omitempty"`
	// QuotaUS is an explicit quota in microseconds per period.
	QuotaUS int64 `json:"quota_us,omitempty"`
	// PeriodUS is an explicit period in microseconds; 0 keeps the cgroup's
	// current period.
	PeriodUS int64 `json:"period_us,omitempty"`
}

// ParseCPU parses a CPU limit as an operator types it:
//
//	"0.5", "2", "1.5cpu"    CPUs (0.5 = half of one CPU)
//	"50%", "250%"           percent of one CPU, as top shows it
//	"max", "none"           no limit
//	"50000 100000"          raw cpu.max: quota and period in µs
//	"max 100000", "20ms 50ms"  the same, "max" or durations allowed
//
// Cores become a quota using the cgroup's current period when planned.
// Errors are *ValueError naming the input and what is allowed.
func ParseCPU(s string) (CPU, error) { return parseCPU("cpu", s) }

func parseCPU(what, input string) (CPU, error) {
	s := strings.ToLower(strings.TrimSpace(input))
	allowed := `want a number of CPUs ("0.5"), a percentage of one CPU ("50%"), "max", or "QUOTA PERIOD" in µs ("50000 100000")`
	if s == "" {
		return CPU{}, invalid(what, input, "empty; %s", allowed)
	}
	if isUnlimitedWord(s) {
		return CPU{Unlimited: true}, nil
	}
	if f := strings.Fields(s); len(f) == 2 {
		return parseCPUPair(what, input, f[0], f[1])
	} else if len(f) > 2 {
		return CPU{}, invalid(what, input, "%s", allowed)
	}
	if strings.HasPrefix(s, "-") {
		return CPU{}, invalid(what, input, "negative; %s", allowed)
	}
	num, suffix := splitNumber(s)
	if !isDecimal(num) {
		return CPU{}, invalid(what, input, "%s", allowed)
	}
	var cores float64
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return CPU{}, invalid(what, input, "%s", allowed)
	}
	switch suffix {
	case "", "cpu", "cpus", "core", "cores":
		cores = v
	case "%":
		cores = v / 100
	default:
		return CPU{}, invalid(what, input, "unknown unit %q; %s", suffix, allowed)
	}
	if cores <= 0 {
		return CPU{}, invalid(what, input, "a CPU limit must be above 0 (the smallest is 1ms per period, e.g. 0.01 with the default 100ms period); %s", allowed)
	}
	// The quota for the largest possible period must fit the kernel's
	// maximum; the exact minimum depends on the period and is checked
	// when planned.
	if cores*MinPeriodUS > MaxQuotaUS {
		return CPU{}, invalid(what, input, "too large; the kernel's largest quota is %d µs per period", int64(MaxQuotaUS))
	}
	return CPU{Cores: cores}, nil
}

func parseCPUPair(what, input, q, p string) (CPU, error) {
	period, err := parseMicros(p)
	if err != nil {
		return CPU{}, invalid(what, input, "period %q: want microseconds (100000) or a duration (100ms)", p)
	}
	if period < MinPeriodUS || period > MaxPeriodUS {
		return CPU{}, invalid(what, input, "period %s is outside the allowed 1ms–1s (1000–1000000 µs)", formatMicros(period))
	}
	if isUnlimitedWord(q) {
		return CPU{Unlimited: true, PeriodUS: period}, nil
	}
	quota, err := parseMicros(q)
	if err != nil {
		return CPU{}, invalid(what, input, "quota %q: want microseconds (50000), a duration (50ms) or max", q)
	}
	if quota < MinQuotaUS {
		return CPU{}, invalid(what, input, "quota %s is under the 1ms (1000 µs) minimum", formatMicros(quota))
	}
	if quota > MaxQuotaUS {
		return CPU{}, invalid(what, input, "quota is above the kernel's largest, %d µs", int64(MaxQuotaUS))
	}
	return CPU{QuotaUS: quota, PeriodUS: period}, nil
}

// ParsePeriod parses a CFS period: microseconds ("100000") or a duration
// ("100ms", "1s", "500us"); it must be 1ms–1s.
func ParsePeriod(s string) (int64, error) { return parsePeriod("cpu period", s) }

func parsePeriod(what, input string) (int64, error) {
	v, err := parseMicros(strings.ToLower(strings.TrimSpace(input)))
	if err != nil {
		return 0, invalid(what, input, "want microseconds (100000) or a duration (100ms), 1ms–1s")
	}
	if v < MinPeriodUS || v > MaxPeriodUS {
		return 0, invalid(what, input, "the period must be 1ms–1s (1000–1000000 µs)")
	}
	return v, nil
}

// QuotaFor returns the quota in µs this limit means with the given period,
// or inspect.Unlimited, validated against the kernel's bounds.
func (c CPU) QuotaFor(periodUS int64) (int64, error) {
	switch {
	case c.Unlimited:
		return inspect.Unlimited, nil
	case c.Cores > 0:
		q := int64(c.Cores*float64(periodUS) + 0.5)
		if q < MinQuotaUS {
			return 0, invalid("cpu", c.String(),
				"with a %s period that is a quota of %s, under the kernel's 1ms minimum; the smallest is %s CPUs",
				formatMicros(periodUS), formatMicros(q), strconv.FormatFloat(float64(MinQuotaUS)/float64(periodUS), 'f', -1, 64))
		}
		if q > MaxQuotaUS {
			return 0, invalid("cpu", c.String(), "too large; the kernel's largest quota is %d µs", int64(MaxQuotaUS))
		}
		return q, nil
	default:
		return c.QuotaUS, nil
	}
}

// String renders the limit as it was meant: "0.5 CPUs", "max",
// "50000 100000".
func (c CPU) String() string {
	switch {
	case c.Unlimited && c.PeriodUS > 0:
		return fmt.Sprintf("max %d", c.PeriodUS)
	case c.Unlimited:
		return "max"
	case c.Cores > 0:
		return strconv.FormatFloat(c.Cores, 'f', -1, 64) + " CPUs"
	case c.PeriodUS > 0:
		return fmt.Sprintf("%d %d", c.QuotaUS, c.PeriodUS)
	}
	return strconv.FormatInt(c.QuotaUS, 10)
}

// parseMicros parses microseconds ("1000") or a duration with a us, ms or
// s suffix ("1ms", "0.5s").
func parseMicros(s string) (int64, error) {
	num, suffix := splitNumber(s)
	if !isDecimal(num) {
		return 0, fmt.Errorf("not a duration: %q", s)
	}
	var mult int64
	switch suffix {
	case "", "us", "µs":
		mult = 1
	case "ms":
		mult = 1000
	case "s":
		mult = 1000000
	default:
		return 0, fmt.Errorf("unknown unit %q", suffix)
	}
	if mult == 1 && !isInteger(num) {
		return 0, fmt.Errorf("fractional microseconds: %q", s)
	}
	v, ok := scaleDecimal(num, mult)
	if !ok {
		return 0, fmt.Errorf("out of range: %q", s)
	}
	return v, nil
}

// formatMicros renders µs as the shortest exact unit: "100ms", "1s",
// "500µs".
func formatMicros(us int64) string {
	switch {
	case us != 0 && us%1000000 == 0:
		return strconv.FormatInt(us/1000000, 10) + "s"
	case us != 0 && us%1000 == 0:
		return strconv.FormatInt(us/1000, 10) + "ms"
	}
	return strconv.FormatInt(us, 10) + "µs"
}

func isUnlimitedWord(s string) bool {
	switch strings.ToLower(s) {
	case "max", "none", "unlimited", "off":
		return true
	}
	return false
}
