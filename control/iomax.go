package control

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nscope/nscope/inspect"
)

// IOLimit is one device's io.max line. Fields not given are left as they
// are by the kernel; Set says which were given.
type IOLimit struct {
	Major, Minor int
	// RBps, WBps are bytes per second, RIOps, WIOps operations per second;
	// inspect.Unlimited for "max".
	RBps, WBps, RIOps, WIOps int64
	// Set holds the keys given ("rbps", "wbps", "riops", "wiops").
	Set map[string]bool
}

// ParseIOMax parses one io.max line: "MAJ:MIN key=value ...", keys rbps,
// wbps (bytes/s; units allowed: "10M"), riops, wiops (ops/s), values a
// number or "max". See cgroup-v2.rst, "io.max".
func ParseIOMax(s string) (IOLimit, error) { return parseIOMax("io.max", s) }

func parseIOMax(what, input string) (IOLimit, error) {
	const allowed = `want "MAJ:MIN rbps=N wbps=N riops=N wiops=N" (at least one key; bps accept units like 10M; any value may be max)`
	f := strings.Fields(input)
	if len(f) < 2 {
		return IOLimit{}, invalid(what, input, "%s", allowed)
	}
	var l IOLimit
	majMin := strings.SplitN(f[0], ":", 2)
	if len(majMin) != 2 || !isInteger(majMin[0]) || !isInteger(majMin[1]) {
		return IOLimit{}, invalid(what, input, "device %q is not MAJ:MIN; %s", f[0], allowed)
	}
	var err1, err2 error
	l.Major, err1 = strconv.Atoi(majMin[0])
	l.Minor, err2 = strconv.Atoi(majMin[1])
	if err1 != nil || err2 != nil || l.Major > 4095 || l.Minor > 1<<20-1 {
		return IOLimit{}, invalid(what, input, "device %q out of range", f[0])
	}
	l.RBps, l.WBps, l.RIOps, l.WIOps = inspect.Unlimited, inspect.Unlimited, inspect.Unlimited, inspect.Unlimited
	l.Set = map[string]bool{}
	for _, kv := range f[1:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return IOLimit{}, invalid(what, input, "%q is not key=value; %s", kv, allowed)
		}
		if l.Set[k] {
			return IOLimit{}, invalid(what, input, "key %q given twice", k)
		}
		var n int64
		var err error
		switch k {
		case "rbps", "wbps":
			n, err = parseMemory(what+" "+k, v)
		case "riops", "wiops":
			if isUnlimitedWord(v) {
				n = inspect.Unlimited
			} else {
				n, err = parseBounded(what+" "+k, v, 0, 1<<62, "want a whole number of operations per second, or max")
			}
		default:
			return IOLimit{}, invalid(what, input, "unknown key %q; %s", k, allowed)
		}
		if err != nil {
			return IOLimit{}, err
		}
		l.Set[k] = true
		switch k {
		case "rbps":
			l.RBps = n
		case "wbps":
			l.WBps = n
		case "riops":
			l.RIOps = n
		case "wiops":
			l.WIOps = n
		}
	}
	return l, nil
}

// Device returns "MAJ:MIN".
func (l IOLimit) Device() string { return fmt.Sprintf("%d:%d", l.Major, l.Minor) }

// String renders the line as the kernel takes it, given keys only, in the
// kernel's order: "8:0 rbps=1048576 wiops=max".
func (l IOLimit) String() string {
	var b strings.Builder
	b.WriteString(l.Device())
	for _, kv := range []struct {
		k string
		v int64
	}{{"rbps", l.RBps}, {"wbps", l.WBps}, {"riops", l.RIOps}, {"wiops", l.WIOps}} {
		if l.Set != nil && !l.Set[kv.k] {
			continue
		}
		b.WriteString(" " + kv.k + "=" + limitString(kv.v))
	}
	return b.String()
}

// ioMaxLine returns the full current line for the device from io.max
// contents: all four keys, "max" where the kernel prints none.
func ioMaxLine(data []byte, major, minor int) string {
	cur := IOLimit{Major: major, Minor: minor, RBps: inspect.Unlimited, WBps: inspect.Unlimited, RIOps: inspect.Unlimited, WIOps: inspect.Unlimited}
	for _, line := range strings.Split(string(data), "\n") {
		if m, err := parseIOMax("io.max", line); err == nil && m.Major == major && m.Minor == minor {
			cur.RBps, cur.WBps, cur.RIOps, cur.WIOps = m.RBps, m.WBps, m.RIOps, m.WIOps
		}
	}
	return cur.String()
}

// limitString renders a normalised limit for a v2 file: "max" or digits.
func limitString(v int64) string {
	if v == inspect.Unlimited {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}
