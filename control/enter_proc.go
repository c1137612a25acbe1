package control

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/nscope/nscope/inspect"
)

// procFileMax caps reads of small /proc files, which report a size of 0.
const procFileMax = 64 << 10

// pidDir is the /proc directory name of pid.
func pidDir(pid int) string { return strconv.Itoa(pid) }

// readProcFile reads a small /proc file in one read.
func readProcFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, procFileMax)
	n, err := f.Read(buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// readStartTicks returns field 22 of procRoot/PID/stat: the start time in
// clock ticks after boot. See proc(5).
func readStartTicks(procRoot string, pid int) (uint64, error) {
	st, err := readStat(procRoot, pid)
	return st.StartTime, err
}

// readStat parses procRoot/PID/stat.
func readStat(procRoot string, pid int) (inspect.ProcStat, error) {
	data, err := readProcFile(filepath.Join(procRoot, pidDir(pid), "stat"))
	if err != nil {
		return inspect.ProcStat{}, err
	}
	return inspect.ParseProcStat(data)
}

// pfKthread is the PF_KTHREAD bit of the flags in /proc/PID/stat (field
// 9): the process is a kernel thread. See include/linux/sched.h.
const pfKthread = 0x00200000

// ReadStartTicks returns the start time of pid (clock ticks after boot,
// field 22 of /proc/PID/stat) for EnterRequest.StartTicks.
func ReadStartTicks(pid int) (uint64, error) { return readStartTicks("/proc", pid) }

// readNSIDs stats procRoot/DIR/ns/* ("self" or a PID). A type the kernel
// does not have stays zero; a process that is gone is an error.
func readNSIDs(procRoot, dir string) (inspect.NSSet, error) {
	var set inspect.NSSet
	base := filepath.Join(procRoot, dir, "ns")
	if _, err := os.Stat(base); err != nil {
		return set, err
	}
	for _, t := range inspect.AllNSTypes {
		var st syscall.Stat_t
		err := syscall.Stat(filepath.Join(base, t.String()), &st)
		switch {
		case err == nil:
			set[t] = inspect.NSID{Dev: st.Dev, Ino: st.Ino}
		case os.IsNotExist(err):
			// A type this kernel lacks, or the process just exited
			// (then the next read fails too).
		default:
			return set, err
		}
	}
	return set, nil
}

// readV2CgroupPath returns the cgroup v2 path ("0::PATH") of procRoot/DIR,
// or "" when it has none.
func readV2CgroupPath(procRoot, dir string) (string, error) {
	data, err := readProcFile(filepath.Join(procRoot, dir, "cgroup"))
	if err != nil {
		return "", err
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte("0::")); ok {
			return string(rest), nil
		}
	}
	return "", nil
}

// userHZ is the unit of start times in /proc/PID/stat: clock ticks at 100
// per second on every Linux architecture's user ABI. See proc(5),
// sysconf(_SC_CLK_TCK).
const userHZ = 100

// ticksSinceBoot converts a start time as inspect computes it (btime from
// procRoot/stat plus ticks) back to ticks. A time that is not on a tick
// after boot gives a value no process has, so the check refuses.
func ticksSinceBoot(procRoot string, at time.Time) (uint64, error) {
	data, err := readProcFile(filepath.Join(procRoot, "stat"))
	if err != nil {
		return 0, fmt.Errorf("read boot time: %w", err)
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte("btime "))
		if !ok {
			continue
		}
		secs, err := strconv.ParseInt(string(bytes.TrimSpace(rest)), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("boot time %q in %s/stat: %w", rest, procRoot, err)
		}
		d := at.Sub(time.Unix(secs, 0))
		if d < 0 || d%(time.Second/userHZ) != 0 {
			return ^uint64(0), nil
		}
		return uint64(d / (time.Second / userHZ)), nil
	}
	return 0, fmt.Errorf("no btime line in %s/stat", procRoot)
}
