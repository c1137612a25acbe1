package control

import (
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
)

// fakePage is the page size FakeFS rounds memory limits to.
const fakePage = 4096

// fakeV1Unlimited is what v1 memory files read back for no limit.
const fakeV1Unlimited = 9223372036854771712

// kernelWrite applies the kernel's checks and effects for a write of
// value to path, with f.mu held. The rules follow kernel/sched/core.c
// (cpu.max, cfs files, cpu.weight), mm/memcontrol*.c, kernel/cgroup/pids.c,
// freezer and cgroup.kill in kernel/cgroup/.
func (f *FakeFS) kernelWrite(path, v string) error {
	dir, file := filepath.Dir(path), filepath.Base(path)
	switch file {
	case "cpu.max":
		quota, period, err := f.parseCPUMaxWrite(path, v)
		if err != nil {
			return err
		}
		q := "max"
		if quota >= 0 {
			q = strconv.FormatInt(quota, 10)
		}
		f.files[path] = q + " " + strconv.FormatInt(period, 10)
	case "cpu.weight":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return unix.EINVAL
		}
		if n < MinCPUWeight || n > MaxCPUWeight {
			return unix.ERANGE
		}
		f.files[path] = strconv.FormatInt(n, 10)
	case "cpu.cfs_quota_us", "cpu.cfs_period_us":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return unix.EINVAL
		}
		q, p := f.v1CPU(dir)
		if file == "cpu.cfs_quota_us" {
			q = n
		} else {
			p = n
		}
		if err := f.checkV1CPU(dir, q, p); err != nil {
			return err
		}
		f.files[path] = strconv.FormatInt(n, 10)
	case "cpu.shares":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return unix.EINVAL
		}
		n = max(MinCPUShares, min(n, MaxCPUShares))
		f.files[path] = strconv.FormatInt(n, 10)
	case "memory.limit_in_bytes", memswFile:
		n, err := fakeMemparse(v, "-1")
		if err != nil {
			return err
		}
		if n < 0 {
			n = fakeV1Unlimited
		}
		// memory <= memory+swap, checked on either write
		// (mem_cgroup_resize_max in mm/memcontrol-v1.c).
		if sw, ok := f.files[filepath.Join(dir, memswFile)]; ok && file == "memory.limit_in_bytes" {
			if swN, _ := strconv.ParseInt(sw, 10, 64); n > swN {
				return unix.EINVAL
			}
		}
		if file == memswFile {
			if memN, _ := strconv.ParseInt(f.files[filepath.Join(dir, "memory.limit_in_bytes")], 10, 64); n < memN {
				return unix.EINVAL
			}
		}
		if usage, _ := strconv.ParseInt(f.files[filepath.Join(dir, "memory.usage_in_bytes")], 10, 64); n < usage {
			return unix.EBUSY
		}
		f.files[path] = strconv.FormatInt(n, 10)
	case "memory.max", "memory.high", "memory.low":
		n, err := fakeMemparse(v, "max")
		if err != nil {
			return err
		}
		if n < 0 {
			f.files[path] = "max"
		} else {
			f.files[path] = strconv.FormatInt(n, 10)
		}
	case "pids.max":
		if v == "max" {
			f.files[path] = v
			return nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > MaxPids {
			return unix.EINVAL
		}
		f.files[path] = strconv.FormatInt(n, 10)
	case "io.max":
		return f.writeIOMax(path, v)
	case "freezer.state":
		switch v {
		case "FROZEN", "THAWED":
			f.files[path] = v
		default:
			return unix.EINVAL
		}
	case "cgroup.freeze":
		if v != "0" && v != "1" {
			return unix.EINVAL
		}
		f.files[path] = v
		f.files[filepath.Join(dir, "cgroup.events")] = "populated " + f.populated(dir) + "\nfrozen " + v
	case "cgroup.kill":
		if v != "1" {
			return unix.ERANGE
		}
		for d := range f.dirs {
			if d == dir || strings.HasPrefix(d, dir+"/") {
				for _, p := range strings.Fields(f.files[filepath.Join(d, "cgroup.procs")]) {
					if pid, err := strconv.Atoi(p); err == nil {
						f.killed = append(f.killed, pid)
					}
				}
				f.files[filepath.Join(d, "cgroup.procs")] = ""
			}
		}
	default:
		f.files[path] = v
	}
	return nil
}

func (f *FakeFS) populated(dir string) string {
	if strings.TrimSpace(f.files[filepath.Join(dir, "cgroup.procs")]) != "" {
		return "1"
	}
	return "0"
}

// parseCPUMaxWrite applies "max", "$MAX" (keeps the period) or
// "$MAX $PERIOD" to the current cpu.max; quota -1 for max.
func (f *FakeFS) parseCPUMaxWrite(path, v string) (quota, period int64, err error) {
	_, curP, _ := inspect.ParseCPUMax([]byte(f.files[path]))
	fields := strings.Fields(v)
	if len(fields) == 0 || len(fields) > 2 {
		return 0, 0, unix.EINVAL
	}
	period = curP
	if len(fields) == 2 {
		if period, err = strconv.ParseInt(fields[1], 10, 64); err != nil {
			return 0, 0, unix.EINVAL
		}
	}
	quota = -1
	if fields[0] != "max" {
		if quota, err = strconv.ParseInt(fields[0], 10, 64); err != nil || quota < 0 {
			return 0, 0, unix.EINVAL
		}
	}
	if period < MinPeriodUS || period > MaxPeriodUS || (quota >= 0 && (quota < MinQuotaUS || quota > MaxQuotaUS)) {
		return 0, 0, unix.EINVAL
	}
	return quota, period, nil
}

// v1CPU returns a v1 cgroup's quota (-1 for none) and period.
func (f *FakeFS) v1CPU(dir string) (int64, int64) {
	q, _ := strconv.ParseInt(f.files[filepath.Join(dir, "cpu.cfs_quota_us")], 10, 64)
	p, _ := strconv.ParseInt(f.files[filepath.Join(dir, "cpu.cfs_period_us")], 10, 64)
	return q, p
}

// checkV1CPU is tg_set_cfs_bandwidth's validation on v1: bounds, then the
// quota/period ratio against the parent's and the children's.
func (f *FakeFS) checkV1CPU(dir string, q, p int64) error {
	if p < MinPeriodUS || p > MaxPeriodUS {
		return unix.EINVAL
	}
	if q >= 0 && (q < MinQuotaUS || q > MaxQuotaUS) {
		return unix.EINVAL
	}
	if q < 0 && q != -1 {
		return unix.EINVAL
	}
	if parent := filepath.Dir(dir); f.dirs[parent] {
		if _, ok := f.files[filepath.Join(parent, "cpu.cfs_quota_us")]; ok {
			pq, pp := f.v1CPU(parent)
			// An unlimited child inherits the parent's limit; a limited one
			// may not exceed it (tg_cfs_schedulable_down on v1).
			if pq >= 0 && q >= 0 && q*pp > pq*p {
				return unix.EINVAL
			}
		}
	}
	if q < 0 {
		return nil
	}
	for d := range f.dirs {
		if filepath.Dir(d) == dir && d != dir {
			if cq, cp := f.v1CPU(d); cq >= 0 && cq*p > q*cp {
				return unix.EINVAL
			}
		}
	}
	return nil
}

// fakeMemparse parses a memory write like the kernel's memparse with
// page rounding; unlimitedWord maps to -1.
func fakeMemparse(v, unlimitedWord string) (int64, error) {
	if v == unlimitedWord {
		return -1, nil
	}
	num, suffix := splitNumber(v)
	mult, ok := memoryUnit(suffix)
	if !ok || !isInteger(num) || len(suffix) > 1 {
		return 0, unix.EINVAL
	}
	n, ok := scaleDecimal(num, mult)
	if !ok {
		return 0, unix.ERANGE
	}
	return n / fakePage * fakePage, nil
}

// writeIOMax merges one io.max line into the file, as blk-throttle does:
// unknown devices are ENODEV, all-max lines disappear.
func (f *FakeFS) writeIOMax(path, v string) error {
	l, err := parseIOMax("io.max", v)
	if err != nil {
		return unix.EINVAL
	}
	if !f.blockDevs[l.Device()] {
		return unix.ENODEV
	}
	cur := ioMaxLine([]byte(f.files[path]), l.Major, l.Minor)
	merged, _ := parseIOMax("io.max", cur)
	for k := range l.Set {
		switch k {
		case "rbps":
			merged.RBps = l.RBps
		case "wbps":
			merged.WBps = l.WBps
		case "riops":
			merged.RIOps = l.RIOps
		case "wiops":
			merged.WIOps = l.WIOps
		}
	}
	var lines []string
	for _, line := range strings.Split(f.files[path], "\n") {
		if strings.TrimSpace(line) != "" && !strings.HasPrefix(line, l.Device()+" ") {
			lines = append(lines, line)
		}
	}
	merged.Set = nil
	allMax := merged.RBps < 0 && merged.WBps < 0 && merged.RIOps < 0 && merged.WIOps < 0
	if !allMax {
		lines = append(lines, merged.String())
	}
	f.files[path] = strings.Join(lines, "\n")
	return nil
}
