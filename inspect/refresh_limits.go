package inspect

import (
	"bytes"

	"golang.org/x/sys/unix"
)

// A counter refresh keeps the limits of its base: a limit another tool
// writes (docker update, systemctl set-property, another nscope) shows
// with the next full scan. A caller that takes full scans rarely (a live
// TUI, which events keep up to date) asks CheckLimits at every refresh
// instead: it reads the limit files of a slice of the cgroups, so that
// each cgroup's are read once every limitCycle refreshes, and says
// whether one now holds another value than the base has.

// limitCycle is how many refreshes it takes CheckLimits to read every
// cgroup's limit files once: a minute at the TUI's default interval.
const limitCycle = 60

// checkedLimits are the limit files CheckLimits compares: those of
// limitFiles a counter refresh cannot see change. The freezer's state
// files are not among them: events report freezes.
var checkedLimits = []string{
	"cgroup.controllers",
	"cpu.max", "cpu.weight", "memory.max", "memory.high", "memory.low",
	"pids.max", "io.max",
	"cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.shares",
	"memory.limit_in_bytes",
}

// CheckLimits reads the limit files of the base's cgroups whose turn it
// is (a limitCycle-th of them at each call) and reports whether one of
// them holds another value than the base read: a full scan would show a
// limit another tool set. A cgroup gone or a file that cannot be read is
// no change (the cgroup events and the next full scan say so).
func (r *Refresher) CheckLimits() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.limitTurn++
	turn := r.limitTurn % limitCycle
	for i := turn; i < len(r.base.Cgroups); i += limitCycle {
		c := &r.base.Cgroups[i]
		if len(c.Raw) == 0 {
			continue
		}
		dir := cgroupDir(r.base, c)
		if dir == "" {
			continue
		}
		for _, name := range checkedLimits {
			was, ok := c.Raw[name]
			if !ok {
				continue
			}
			data, err := r.readFile(dir + "/" + name)
			if err != nil {
				continue
			}
			if string(bytes.TrimSpace(data)) != was {
				return true
			}
		}
	}
	return false
}

// readFile opens a small file, reads it whole into r.buf and closes it.
func (r *Refresher) readFile(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	return r.pread(fd)
}
