package inspect

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// TimeContent is what a time namespace holds: how far its monotonic and
// boot-time clocks are from the host's. See time_namespaces(7).
type TimeContent struct {
	// MonotonicOffset and BoottimeOffset are added to CLOCK_MONOTONIC and
	// CLOCK_BOOTTIME inside (negative is allowed).
	MonotonicOffset time.Duration `json:"monotonic_offset_ns"`
	BoottimeOffset  time.Duration `json:"boottime_offset_ns"`
	// Summary says them in plain words: "uptime inside runs 1 day ahead
	// of the host's (boottime +24h0m0s); monotonic as the host's".
	Summary string `json:"summary"`
}

// Clock IDs a timens_offsets line may name by number. See clock_gettime(2).
const (
	clockMonotonic = 1
	clockBoottime  = 7
)

// ParseTimensOffsets parses /proc/PID/timens_offsets: one line per clock,
// "<clock> <seconds> <nanoseconds>", the clock by name (monotonic,
// boottime) or by number (1, 7).
func ParseTimensOffsets(data []byte) (TimeContent, error) {
	var t TimeContent
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		f := bytes.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return t, fmt.Errorf("timens_offsets line %q: want clock, seconds, nanoseconds", line)
		}
		sec, err := strconv.ParseInt(string(f[1]), 10, 64)
		if err != nil {
			return t, fmt.Errorf("timens_offsets line %q: %w", line, err)
		}
		nsec, err := strconv.ParseInt(string(f[2]), 10, 64)
		if err != nil || nsec < 0 || nsec >= int64(time.Second) {
			return t, fmt.Errorf("timens_offsets line %q: nanoseconds must be 0-999999999", line)
		}
		// Offsets beyond what a Duration holds (292 years) are refused
		// rather than wrapped.
		if sec > int64(time.Duration(1<<63-1)/time.Second)-1 || sec < int64(time.Duration(-1<<63)/time.Second)+1 {
			return t, fmt.Errorf("timens_offsets line %q: offset out of range", line)
		}
		d := time.Duration(sec)*time.Second + time.Duration(nsec)
		switch string(f[0]) {
		case "monotonic", strconv.Itoa(clockMonotonic):
			t.MonotonicOffset = d
		case "boottime", strconv.Itoa(clockBoottime):
			t.BoottimeOffset = d
		default:
			return t, fmt.Errorf("timens_offsets line %q: unknown clock %q", line, f[0])
		}
	}
	t.Summary = timeSummary(t)
	return t, nil
}

// timeSummary says the offsets in plain words.
func timeSummary(t TimeContent) string {
	say := func(name string, d time.Duration) string {
		switch {
		case d == 0:
			return name + " as the host's"
		case d > 0:
			return fmt.Sprintf("%s %s ahead of the host's", name, d)
		}
		return fmt.Sprintf("%s %s behind the host's", name, -d)
	}
	return say("monotonic clock", t.MonotonicOffset) + "; " + say("boot-time clock (uptime)", t.BoottimeOffset)
}

// readTimeContent reads timens_offsets through a process whose
// time_for_children is the namespace: the kernel shows, in that file, the
// offsets of the namespace a process's children are created in, which is
// its own unless it has just unshared a new one.
func (s *Scanner) readTimeContent(snap *Snapshot, n *Namespace) (*TimeContent, string, error) {
	var candidates []int
	for _, pid := range n.Members {
		if p := snap.Process(pid); p != nil && (p.TimeForChildren == n.ID || p.TimeForChildren.IsZero()) {
			candidates = append(candidates, pid)
		}
	}
	for _, h := range n.Holders {
		if h.Kind == HeldForChildren {
			candidates = append(candidates, h.PID)
		}
	}
	for _, pid := range candidates {
		if !s.inNamespace(pid, "ns/time_for_children", n.ID) {
			continue
		}
		data, err := s.readProcFile(pid, "timens_offsets")
		if err != nil {
			continue
		}
		if !s.inNamespace(pid, "ns/time_for_children", n.ID) {
			continue
		}
		t, err := ParseTimensOffsets(data)
		if err != nil {
			return nil, "", fmt.Errorf("/proc/%d/timens_offsets: %w", pid, err)
		}
		via := "process " + strconv.Itoa(pid)
		if !slices.Contains(n.Members, pid) {
			via = "time_for_children of process " + strconv.Itoa(pid)
		}
		return &t, via, nil
	}
	return nil, "", fmt.Errorf("the offsets can only be read through a process in the namespace or about to fork into it, and none is left: %w", ErrUnreachable)
}
