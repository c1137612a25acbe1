package control

import (
	"fmt"
	"sort"
	"strings"

	"github.com/nscope/nscope/inspect"
)

// Limits is a change to a cgroup's limits, parsed and validated; nil
// fields are left alone. Build it with ParseLimits, SetFile, or by hand
// from the Parse* functions; Editor.Plan turns it into file writes for a
// cgroup on v1 or v2.
type Limits struct {
	// CPU is the bandwidth limit (cpu.max; v1 cpu.cfs_quota_us and
	// cpu.cfs_period_us).
	CPU *CPU `json:"cpu,omitempty"`
	// CPUPeriodUS changes only the period, keeping the quota in µs
	// (cpu.cfs_period_us, or the second field of cpu.max).
	CPUPeriodUS *int64 `json:"cpu_period_us,omitempty"`
	// CPUWeight is v2 cpu.weight (1–10000); on v1 it is written as the
	// equivalent cpu.shares.
	CPUWeight *int64 `json:"cpu_weight,omitempty"`
	// CPUShares is v1 cpu.shares (2–262144); on v2 it is written as the
	// equivalent cpu.weight.
	CPUShares *int64 `json:"cpu_shares,omitempty"`
	// MemoryMax is the hard limit in bytes or inspect.Unlimited
	// (memory.max; v1 memory.limit_in_bytes).
	MemoryMax *int64 `json:"memory_max,omitempty"`
	// MemoryHigh is the v2 throttling threshold (memory.high).
	MemoryHigh *int64 `json:"memory_high,omitempty"`
	// MemoryLow is the v2 best-effort protection (memory.low).
	MemoryLow *int64 `json:"memory_low,omitempty"`
	// PidsMax is pids.max, or inspect.Unlimited.
	PidsMax *int64 `json:"pids_max,omitempty"`
	// IO are v2 io.max lines, one per device.
	IO []IOLimit `json:"io,omitempty"`

	// rawFiles are the file names given through SetFile, checked against
	// the cgroup version when planned.
	rawFiles []string
}

// IsEmpty reports whether the change sets nothing.
func (l Limits) IsEmpty() bool {
	return l.CPU == nil && l.CPUPeriodUS == nil && l.CPUWeight == nil && l.CPUShares == nil &&
		l.MemoryMax == nil && l.MemoryHigh == nil && l.MemoryLow == nil && l.PidsMax == nil && len(l.IO) == 0
}

// ParseLimits parses the friendly --cpu, --memory and --pids strings of
// "nscope set" and "nscope run"; an empty string leaves that limit alone.
// Errors are *ValueError (errors.Is ErrInvalidValue) naming the input.
func ParseLimits(cpu, memory, pids string) (Limits, error) {
	var l Limits
	if cpu != "" {
		c, err := ParseCPU(cpu)
		if err != nil {
			return Limits{}, err
		}
		l.CPU = &c
	}
	if memory != "" {
		m, err := ParseMemory(memory)
		if err != nil {
			return Limits{}, err
		}
		if err := checkHardMemory("memory", memory, m); err != nil {
			return Limits{}, err
		}
		l.MemoryMax = &m
	}
	if pids != "" {
		p, err := ParsePids(pids)
		if err != nil {
			return Limits{}, err
		}
		l.PidsMax = &p
	}
	return l, nil
}

// V2Files and V1Files are the limit files nscope may write with SetFile,
// per cgroup version. Freeze and kill files are written only by
// Editor.Freeze, Thaw and Kill.
var (
	V2Files = []string{"cpu.max", "cpu.weight", "memory.max", "memory.high", "memory.low", "pids.max", "io.max"}
	V1Files = []string{"cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.shares", "memory.limit_in_bytes", "pids.max"}
)

// actionFiles are written by freeze, thaw and kill only.
var actionFiles = map[string]int{"cgroup.freeze": 2, "cgroup.kill": 2, "freezer.state": 1}

// allowed reports whether nscope may write file on a cgroup of version v.
func allowed(file string, v int) bool {
	if av, ok := actionFiles[file]; ok {
		return av == v
	}
	if cv, ok := companionFiles[file]; ok {
		return cv == v
	}
	list := V1Files
	if v == 2 {
		list = V2Files
	}
	for _, f := range list {
		if f == file {
			return true
		}
	}
	return false
}

// fileVersion returns 1 or 2 for an allowlisted limit file name (pids.max
// is both: 0), or -1 when it is not allowed.
func fileVersion(file string) int {
	in := func(list []string) bool {
		for _, f := range list {
			if f == file {
				return true
			}
		}
		return false
	}
	switch v1, v2 := in(V1Files), in(V2Files); {
	case v1 && v2:
		return 0
	case v2:
		return 2
	case v1:
		return 1
	}
	return -1
}

// SetFile adds a raw file assignment, as "nscope set CG cpu.max=..." and
// the TUI's editor take it: file must be on the allowlist (V2Files,
// V1Files) and value is that file's format or the friendly form
// ("50000 100000" or "0.5" for cpu.max, "512M" for memory.max). Setting
// the same limit twice is an error.
func (l *Limits) SetFile(file, value string) error {
	if fileVersion(file) < 0 {
		return fmt.Errorf("%s: nscope writes only %s (v2) and %s (v1): %w",
			file, strings.Join(V2Files, ", "), strings.Join(V1Files, ", "), ErrNotAllowed)
	}
	twice := func() error { return invalid(file, value, "this limit is already set by another flag or assignment") }
	var err error
	switch file {
	case "cpu.max", "cpu.cfs_quota_us":
		err = setOnce(&l.CPU, l.CPU != nil, twice, func() (CPU, error) { return parseCPUFile(file, value) })
	case "cpu.cfs_period_us":
		err = setOnce(&l.CPUPeriodUS, l.CPUPeriodUS != nil, twice, func() (int64, error) { return parsePeriod(file, value) })
	case "cpu.weight":
		err = setOnce(&l.CPUWeight, l.CPUWeight != nil || l.CPUShares != nil, twice, func() (int64, error) {
			return parseBounded(file, value, MinCPUWeight, MaxCPUWeight, "want a whole number 1–10000 (the default is 100)")
		})
	case "cpu.shares":
		err = setOnce(&l.CPUShares, l.CPUWeight != nil || l.CPUShares != nil, twice, func() (int64, error) {
			return parseBounded(file, value, MinCPUShares, MaxCPUShares, "want a whole number 2–262144 (the default is 1024)")
		})
	case "memory.max", "memory.limit_in_bytes":
		err = setOnce(&l.MemoryMax, l.MemoryMax != nil, twice, func() (int64, error) {
			m, err := parseMemoryFile(file, value)
			if err == nil {
				err = checkHardMemory(file, value, m)
			}
			return m, err
		})
	case "memory.high":
		err = setOnce(&l.MemoryHigh, l.MemoryHigh != nil, twice, func() (int64, error) { return parseMemory(file, value) })
	case "memory.low":
		err = setOnce(&l.MemoryLow, l.MemoryLow != nil, twice, func() (int64, error) { return parseMemory(file, value) })
	case "pids.max":
		err = setOnce(&l.PidsMax, l.PidsMax != nil, twice, func() (int64, error) { return parsePids(file, value) })
	case "io.max":
		io, err := parseIOMax(file, value)
		if err != nil {
			return err
		}
		for _, o := range l.IO {
			if o.Major == io.Major && o.Minor == io.Minor {
				return invalid(file, value, "device %s is already set", io.Device())
			}
		}
		l.IO = append(l.IO, io)
	}
	if err != nil {
		return err
	}
	l.rawFiles = append(l.rawFiles, file)
	sort.Strings(l.rawFiles)
	return nil
}

// setOnce parses a limit into *dst, unless taken says it (or a limit it
// excludes) is set already.
func setOnce[T any](dst **T, taken bool, twice func() error, parse func() (T, error)) error {
	if taken {
		return twice()
	}
	v, err := parse()
	if err != nil {
		return err
	}
	*dst = &v
	return nil
}

// parseCPUFile parses a value for cpu.max or cpu.cfs_quota_us: the raw
// format (a bare integer is a quota in µs, which keeps the period; -1 or
// max is no limit) or the friendly one ("0.5", "50%").
func parseCPUFile(file, value string) (CPU, error) {
	s := strings.TrimSpace(value)
	if s == "-1" && file == "cpu.cfs_quota_us" {
		return CPU{Unlimited: true}, nil
	}
	if file == "cpu.cfs_quota_us" && len(strings.Fields(s)) > 1 {
		return CPU{}, invalid(file, value, "%s", `want a quota in µs ("50000"), -1 for none, or CPUs ("0.5", "50%")`)
	}
	if isInteger(s) {
		q, err := parseBounded(file, value, MinQuotaUS, MaxQuotaUS,
			`a bare number is the quota in microseconds, at least 1000 (1ms); for CPUs write "2.0" or "200%"`)
		if err != nil {
			return CPU{}, err
		}
		return CPU{QuotaUS: q}, nil
	}
	return parseCPU(file, value)
}

// parseMemoryFile parses memory.max or memory.limit_in_bytes, where v1's
// "-1" means no limit.
func parseMemoryFile(file, value string) (int64, error) {
	if strings.TrimSpace(value) == "-1" && file == "memory.limit_in_bytes" {
		return inspect.Unlimited, nil
	}
	return parseMemory(file, value)
}
