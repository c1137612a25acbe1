package counters

import (
	"bytes"
	"strconv"

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

// set stores v in *p when p is known (the scan found that counter).
func set(p *int64, v int64) {
	if p != nil {
		*p = v
	}
}

// applyCounter parses one counter file into u, as the scanner does. See
// Documentation/admin-guide/cgroup-v2.rst and the v1 controller docs.
func applyCounter(u *inspect.Usage, name string, version int, data []byte) {
	data = bytes.TrimSpace(data)
	switch name {
	case "cpu.stat":
		inspect.ParseKeyed(data, func(k string, v int64) {
			switch k {
			case "usage_usec":
				set(u.CPUUsageUS, v)
			case "nr_periods":
				set(u.NrPeriods, v)
			case "nr_throttled":
				set(u.NrThrottled, v)
			case "throttled_usec":
				set(u.ThrottledUS, v)
			case "throttled_time":
				if version == 1 {
					set(u.ThrottledUS, v/1000)
				}
			}
		})
	case "cpuacct.usage":
		if v, err := strconv.ParseInt(string(data), 10, 64); err == nil {
			set(u.CPUUsageUS, v/1000)
		}
	case "memory.current", "memory.usage_in_bytes":
		if v, err := strconv.ParseInt(string(data), 10, 64); err == nil {
			set(u.MemoryCurrent, v)
		}
	case "pids.current":
		if v, err := strconv.ParseInt(string(data), 10, 64); err == nil {
			set(u.PidsCurrent, v)
		}
	case "memory.events":
		if ev := u.MemoryEvents; ev != nil {
			inspect.ParseKeyed(data, func(k string, v int64) {
				switch k {
				case "low":
					ev.Low = v
				case "high":
					ev.High = v
				case "max":
					ev.Max = v
				case "oom":
					ev.OOM = v
				case "oom_kill":
					ev.OOMKill = v
				}
			})
		}
	case "memory.failcnt":
		if v, err := strconv.ParseInt(string(data), 10, 64); err == nil && u.MemoryEvents != nil {
			u.MemoryEvents.Max = v
		}
	case "memory.oom_control":
		if u.MemoryEvents != nil {
			inspect.ParseKeyed(data, func(k string, v int64) {
				if k == "oom_kill" {
					u.MemoryEvents.OOMKill = v
				}
			})
		}
	case "cpu.pressure", "memory.pressure", "io.pressure":
		p, err := inspect.ParsePressure(data)
		if err != nil || u.PSI == nil {
			return
		}
		switch name {
		case "cpu.pressure":
			u.PSI.CPU = p
		case "memory.pressure":
			u.PSI.Memory = p
		default:
			u.PSI.IO = p
		}
	}
}
