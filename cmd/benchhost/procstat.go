package main

import (
	"bytes"
	"fmt"
	"strconv"
)

// procStat is what benchhost needs from /proc/PID/stat. Times are in
// clock ticks (USER_HZ, 100 a second on Linux). See proc_pid_stat(5).
type procStat struct {
	PID    int
	Comm   string
	State  byte
	PPID   int
	UTime  uint64 // user time of the process
	STime  uint64 // system time of the process
	CUTime uint64 // user time of its waited-for children
	CSTime uint64 // system time of its waited-for children
}

// clockTicks is USER_HZ, the unit of the times in /proc/PID/stat; the
// kernel fixes it at 100 for every architecture's user ABI.
const clockTicks = 100

// parseStat parses one /proc/PID/stat line. The command name may hold
// spaces and parentheses, so the fields are counted after its last ')'.
func parseStat(data []byte) (procStat, error) {
	var st procStat
	open := bytes.IndexByte(data, '(')
	close := bytes.LastIndexByte(data, ')')
	if open < 1 || close < open {
		return st, fmt.Errorf("stat %q: no (comm)", truncate(data, 40))
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(data[:open])))
	if err != nil {
		return st, fmt.Errorf("stat %q: pid: %w", truncate(data, 40), err)
	}
	st.PID = pid
	st.Comm = string(data[open+1 : close])
	f := bytes.Fields(data[close+1:])
	// f[0] is field 3 (state); utime..cstime are fields 14..17.
	if len(f) < 15 || len(f[0]) != 1 {
		return st, fmt.Errorf("stat of %d: %d fields after comm, want at least 15", pid, len(f))
	}
	st.State = f[0][0]
	if st.PPID, err = strconv.Atoi(string(f[1])); err != nil {
		return st, fmt.Errorf("stat of %d: ppid: %w", pid, err)
	}
	times := []*uint64{&st.UTime, &st.STime, &st.CUTime, &st.CSTime}
	for i, p := range times {
		v, err := strconv.ParseUint(string(f[11+i]), 10, 64)
		if err != nil {
			return st, fmt.Errorf("stat of %d: field %d: %w", pid, 14+i, err)
		}
		*p = v
	}
	return st, nil
}

// truncate returns at most n bytes of b as a string, for error messages.
func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
