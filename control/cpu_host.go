package control

import (
	"bytes"
	"fmt"
	"os"
	"strconv"

	"github.com/nscope/nscope/inspect"
)

// HostCPUs returns how many CPUs the kernel lists in /proc/stat (the
// online ones, "cpuN" lines), or 0 when it cannot tell. See proc(5).
func HostCPUs() int {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	n := 0
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		if len(line) > 3 && bytes.HasPrefix(line, []byte("cpu")) && line[3] >= '0' && line[3] <= '9' {
			n++
		}
	}
	return n
}

// CPUAboveHost returns a warning when a quota per period allows more
// CPUs' time than the host has (cpus), so the limit can never throttle;
// "" when it does not, or when either is unknown or unlimited.
func CPUAboveHost(quotaUS, periodUS int64, cpus int) string {
	if cpus <= 0 || periodUS <= 0 || quotaUS <= 0 || quotaUS == inspect.Unlimited {
		return ""
	}
	cores := float64(quotaUS) / float64(periodUS)
	if cores <= float64(cpus) {
		return ""
	}
	return fmt.Sprintf("a CPU limit of %s CPUs is more than the %d CPUs of this host: it never throttles anything (%d%% would be all of them)",
		strconv.FormatFloat(cores, 'f', -1, 64), cpus, cpus*100)
}

// WithHostCPUs sets how many CPUs the host has, for the warning on CPU
// limits above it (default HostCPUs()).
func WithHostCPUs(n int) Option { return func(e *Editor) { e.hostCPUs = n } }
