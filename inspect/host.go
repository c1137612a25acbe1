package inspect

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// readHost reads the host facts that do not change during a scan.
func (s *Scanner) readHost() Host {
	h := Host{
		UID:     os.Geteuid(),
		SelfPID: os.Getpid(),
	}
	h.Root = h.UID == 0
	root := s.cfg.procRoot
	if b, err := os.ReadFile(filepath.Join(root, "sys/kernel/hostname")); err == nil {
		h.Hostname = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile(filepath.Join(root, "sys/kernel/osrelease")); err == nil {
		h.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile(filepath.Join(root, "stat")); err == nil {
		h.BootTime, h.CPUs = parseProcStat(b)
	}
	if b, err := os.ReadFile(filepath.Join(root, "meminfo")); err == nil {
		h.MemTotal = parseMemTotal(b)
	}
	return h
}

// parseProcStat returns the boot time ("btime") and the number of CPUs
// ("cpuN" lines) from /proc/stat. See proc(5).
func parseProcStat(data []byte) (time.Time, int) {
	var boot time.Time
	cpus := 0
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		switch {
		case bytes.HasPrefix(line, []byte("cpu")) && len(line) > 3 && line[3] >= '0' && line[3] <= '9':
			cpus++
		case bytes.HasPrefix(line, []byte("btime ")):
			if v, err := atou(bytes.TrimSpace(line[6:])); err == nil {
				boot = time.Unix(int64(v), 0)
			}
		}
	}
	return boot, cpus
}

// parseMemTotal returns MemTotal from /proc/meminfo in bytes.
func parseMemTotal(data []byte) int64 {
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		if bytes.HasPrefix(line, []byte("MemTotal:")) {
			f := bytes.Fields(line[9:])
			if len(f) > 0 {
				if v, err := atou(f[0]); err == nil {
					return int64(v) * 1024
				}
			}
		}
	}
	return 0
}
