package counters

import (
	"bytes"
	"strconv"
)

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
