package counters

import (
	"bytes"
	"errors"
	"strconv"
)

// procStat holds the fields of /proc/PID/stat a refresh updates. Times are
// clock ticks, RSS pages. See proc(5).
type procStat struct {
	state    byte
	ppid     int
	utime    int64
	stime    int64
	threads  int
	rssPages int64
}

var errBadStat = errors.New("malformed /proc/PID/stat")

// parseStat parses /proc/PID/stat. The command name is in parentheses and
// may contain spaces and parentheses, so fields count from the last ')':
// 3 state, 4 ppid, 14 utime, 15 stime, 20 num_threads, 24 rss.
func parseStat(data []byte) (procStat, error) {
	var st procStat
	closing := bytes.LastIndexByte(data, ')')
	if closing < 0 {
		return st, errBadStat
	}
	rest := data[closing+1:]
	field := 2
	for len(rest) > 0 && field < 24 {
		for len(rest) > 0 && rest[0] == ' ' {
			rest = rest[1:]
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
			if len(tok) != 1 {
				return st, errBadStat
			}
			st.state = tok[0]
		case 4:
			st.ppid, err = strconv.Atoi(string(tok))
		case 14:
			st.utime, err = strconv.ParseInt(string(tok), 10, 64)
		case 15:
			st.stime, err = strconv.ParseInt(string(tok), 10, 64)
		case 20:
			st.threads, err = strconv.Atoi(string(tok))
		case 24:
			st.rssPages, err = strconv.ParseInt(string(tok), 10, 64)
		}
		if err != nil {
			return st, errBadStat
		}
	}
	if field < 24 {
		return st, errBadStat
	}
	return st, nil
}

// lastPID returns the last field of /proc/loadavg, the PID most recently
// handed out: when it moves, something was forked.
func lastPID(loadavg []byte) (int, bool) {
	f := bytes.Fields(loadavg)
	if len(f) < 5 {
		return 0, false
	}
	n, err := strconv.Atoi(string(f[4]))
	return n, err == nil
}
