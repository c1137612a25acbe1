package inspect

import (
	"bytes"
	"fmt"
	"strconv"
)

// pfKthread is the PF_KTHREAD bit of the flags field in /proc/PID/stat.
const pfKthread = 0x00200000

// ProcStat holds the fields nscope uses from /proc/PID/stat. Times are in
// clock ticks (USER_HZ) and RSS in pages, as the kernel writes them. See
// proc_pid_stat(5).
type ProcStat struct {
	Comm  string
	State byte
	PPID  int
	Flags uint64
	// UTime and STime are the process's own CPU time; CUTime and CSTime
	// that of its waited-for children.
	UTime     uint64
	STime     uint64
	CUTime    uint64
	CSTime    uint64
	Threads   int
	StartTime uint64
	RSSPages  int64
}

// ParseProcStat parses the contents of /proc/PID/stat. The command name is
// in parentheses and may itself contain spaces and parentheses, so the
// fields are counted from the last ')'.
//
// It is on the refresh hot path (a Refresher parses the stat of every
// process that may have run, every second), which is why it is not
// prometheus/procfs's Proc.Stat: that one scans the line with fmt.Fscan,
// 32 allocations against 6. When issue 13 was filed it measured about
// 2.6× slower than this one; BenchmarkProcStatParsers measured read and
// parse of a 52-field line at 24.9 µs against 8.6 µs (2.9×; the read
// alone 7.4 µs, best of 18 runs on a shared 2-core VM). The bench host,
// off the hot path, reads stat with procfs.
func ParseProcStat(data []byte) (ProcStat, error) {
	var st ProcStat
	data = bytes.TrimRight(data, "\n ")
	open := bytes.IndexByte(data, '(')
	closing := bytes.LastIndexByte(data, ')')
	if open < 0 || closing < open {
		return st, fmt.Errorf("stat: no command name in %q", truncate(data, 64))
	}
	st.Comm = string(data[open+1 : closing])
	rest := data[closing+1:]
	// Field numbers as in proc(5): 3 state, 4 ppid, 9 flags, 14 utime,
	// 15 stime, 16 cutime, 17 cstime, 20 num_threads, 22 starttime, 24 rss.
	field := 2
	for len(rest) > 0 {
		for len(rest) > 0 && rest[0] == ' ' {
			rest = rest[1:]
		}
		if len(rest) == 0 {
			break
		}
		end := bytes.IndexByte(rest, ' ')
		if end < 0 {
			end = len(rest)
		}
		tok := rest[:end]
		rest = rest[end:]
		field++
		var err error
		switch field {
		case 3:
			if len(tok) != 1 || !isLetter(tok[0]) {
				return st, fmt.Errorf("stat: state %q is not a letter", tok)
			}
			st.State = tok[0]
		case 4:
			st.PPID, err = atoi(tok)
		case 9:
			st.Flags, err = atou(tok)
		case 14:
			st.UTime, err = atou(tok)
		case 15:
			st.STime, err = atou(tok)
		case 16:
			st.CUTime, err = atou(tok)
		case 17:
			st.CSTime, err = atou(tok)
		case 20:
			st.Threads, err = atoi(tok)
		case 22:
			st.StartTime, err = atou(tok)
		case 24:
			var v int
			v, err = atoi(tok)
			st.RSSPages = int64(v)
		}
		if err != nil {
			return st, fmt.Errorf("stat field %d %q: %w", field, tok, err)
		}
		if field == 24 {
			return st, nil
		}
	}
	return st, fmt.Errorf("stat: only %d fields in %q", field, truncate(data, 64))
}

// atoi parses a decimal int (optionally negative) without allocating.
func atoi(b []byte) (int, error) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg, b = true, b[1:]
	}
	u, err := atou(b)
	if err != nil {
		return 0, err
	}
	if u > 1<<62 {
		return 0, strconv.ErrRange
	}
	if neg {
		return -int(u), nil
	}
	return int(u), nil
}

// atou parses a decimal uint64 without allocating.
func atou(b []byte) (uint64, error) {
	if len(b) == 0 {
		return 0, strconv.ErrSyntax
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, strconv.ErrSyntax
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, strconv.ErrRange
		}
		n = n*10 + d
	}
	return n, nil
}

func isLetter(c byte) bool { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') }

// truncate shortens data for error messages.
func truncate(data []byte, n int) []byte {
	if len(data) > n {
		return data[:n]
	}
	return data
}
