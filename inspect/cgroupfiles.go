package inspect

import (
	"bytes"
	"fmt"
	"strconv"
)

// v1MemoryUnlimited is the smallest value v1 memory.limit_in_bytes reads
// back as when no limit is set: PAGE_COUNTER_MAX pages, which is
// 9223372036854771712 with 4 KiB pages (larger pages give a smaller value,
// so anything from 2^62 up is treated as unlimited).
const v1MemoryUnlimited = 1 << 62

// ParseCPUMax parses cgroup v2 cpu.max, "$MAX $PERIOD" where $MAX may be
// "max". Quota and period are microseconds; an unlimited quota is
// Unlimited. See cgroup-v2.rst, "cpu.max".
func ParseCPUMax(data []byte) (quotaUS, periodUS int64, err error) {
	f := bytes.Fields(data)
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("cpu.max %q: want \"MAX PERIOD\"", data)
	}
	if string(f[0]) == "max" {
		quotaUS = Unlimited
	} else if quotaUS, err = strconv.ParseInt(string(f[0]), 10, 64); err != nil || quotaUS < 0 {
		return 0, 0, fmt.Errorf("cpu.max quota %q: want a number of microseconds or \"max\"", f[0])
	}
	if periodUS, err = strconv.ParseInt(string(f[1]), 10, 64); err != nil || periodUS <= 0 {
		return 0, 0, fmt.Errorf("cpu.max period %q: want a positive number of microseconds", f[1])
	}
	return quotaUS, periodUS, nil
}

// ParseLimitValue parses a single-value limit file: "max" (v2), -1 (v1
// cpu.cfs_quota_us) and the v1 memory "no limit" value all become
// Unlimited; otherwise a non-negative decimal integer.
func ParseLimitValue(data []byte) (int64, error) {
	s := bytes.TrimSpace(data)
	if string(s) == "max" || string(s) == "-1" {
		return Unlimited, nil
	}
	v, err := strconv.ParseInt(string(s), 10, 64)
	if err != nil {
		// Values above int64 range are the v1 "unlimited" spellings too.
		if u, uerr := strconv.ParseUint(string(s), 10, 64); uerr == nil && u >= v1MemoryUnlimited {
			return Unlimited, nil
		}
		return 0, fmt.Errorf("limit %q: want a non-negative integer or \"max\"", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("limit %q: want a non-negative integer or \"max\"", s)
	}
	if v >= v1MemoryUnlimited {
		return Unlimited, nil
	}
	return v, nil
}

// parseCounter parses a single non-negative counter such as memory.current.
func parseCounter(data []byte) (int64, error) {
	s := bytes.TrimSpace(data)
	v, err := strconv.ParseInt(string(s), 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("counter %q: want a non-negative integer", s)
	}
	return v, nil
}

// ParseKeyed parses a flat keyed file ("key value" per line), as
// cpu.stat, memory.events, memory.stat and memory.oom_control are, and calls
// fn for each line whose value is an integer. See cgroup-v2.rst,
// "Conventions".
func ParseKeyed(data []byte, fn func(key string, value int64)) {
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		sp := bytes.IndexByte(line, ' ')
		if sp <= 0 {
			continue
		}
		v, err := strconv.ParseInt(string(bytes.TrimSpace(line[sp+1:])), 10, 64)
		if err != nil {
			continue
		}
		fn(string(line[:sp]), v)
	}
}

// ParsePressure parses a PSI file (cpu.pressure, memory.pressure,
// io.pressure): "some avg10=0.00 avg60=0.00 avg300=0.00 total=0" and an
// optional "full" line. See Documentation/accounting/psi.rst.
func ParsePressure(data []byte) (*Pressure, error) {
	var p Pressure
	haveSome := false
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte{'\n'}) {
		f := bytes.Fields(line)
		if len(f) == 0 {
			continue
		}
		var pl PressureLine
		for _, kv := range f[1:] {
			eq := bytes.IndexByte(kv, '=')
			if eq < 0 {
				return nil, fmt.Errorf("pressure field %q: want key=value", kv)
			}
			k, v := string(kv[:eq]), string(kv[eq+1:])
			var err error
			switch k {
			case "avg10":
				pl.Avg10, err = strconv.ParseFloat(v, 64)
			case "avg60":
				pl.Avg60, err = strconv.ParseFloat(v, 64)
			case "avg300":
				pl.Avg300, err = strconv.ParseFloat(v, 64)
			case "total":
				pl.TotalUS, err = strconv.ParseInt(v, 10, 64)
			}
			if err != nil {
				return nil, fmt.Errorf("pressure %s=%q: %w", k, v, err)
			}
		}
		switch string(f[0]) {
		case "some":
			p.Some, haveSome = pl, true
		case "full":
			full := pl
			p.Full = &full
		default:
			return nil, fmt.Errorf("pressure line %q: want \"some\" or \"full\"", f[0])
		}
	}
	if !haveSome {
		return nil, fmt.Errorf("pressure %q: no \"some\" line", truncate(data, 64))
	}
	return &p, nil
}

// ParseIOMax parses cgroup v2 io.max: one line per device,
// "MAJ:MIN rbps=N wbps=max riops=N wiops=N". Missing keys are Unlimited.
// See cgroup-v2.rst, "io.max".
func ParseIOMax(data []byte) ([]IOMax, error) {
	var out []IOMax
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte{'\n'}) {
		f := bytes.Fields(line)
		if len(f) == 0 {
			continue
		}
		var m IOMax
		if _, err := fmt.Sscanf(string(f[0]), "%d:%d", &m.Major, &m.Minor); err != nil {
			return nil, fmt.Errorf("io.max device %q: want MAJOR:MINOR", f[0])
		}
		m.RBps, m.WBps, m.RIOps, m.WIOps = Unlimited, Unlimited, Unlimited, Unlimited
		for _, kv := range f[1:] {
			eq := bytes.IndexByte(kv, '=')
			if eq < 0 {
				return nil, fmt.Errorf("io.max field %q: want key=value", kv)
			}
			v := Unlimited
			if val := string(kv[eq+1:]); val != "max" {
				n, err := strconv.ParseInt(val, 10, 64)
				if err != nil || n < 0 {
					return nil, fmt.Errorf("io.max %s: want a non-negative integer or \"max\"", kv)
				}
				v = n
			}
			switch string(kv[:eq]) {
			case "rbps":
				m.RBps = v
			case "wbps":
				m.WBps = v
			case "riops":
				m.RIOps = v
			case "wiops":
				m.WIOps = v
			default:
				return nil, fmt.Errorf("io.max key %q: want rbps, wbps, riops or wiops", kv[:eq])
			}
		}
		out = append(out, m)
	}
	return out, nil
}
