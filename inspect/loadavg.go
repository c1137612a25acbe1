package inspect

import (
	"bytes"
	"strconv"
)

// parseLastPID returns the last field of /proc/loadavg, the PID most
// recently handed out: when it moves, something was forked. See proc(5).
func parseLastPID(loadavg []byte) (int, bool) {
	f := bytes.Fields(loadavg)
	if len(f) < 5 {
		return 0, false
	}
	n, err := strconv.Atoi(string(f[4]))
	return n, err == nil
}
