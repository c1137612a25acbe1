package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// cgWrite is one value to write into one cgroup file.
type cgWrite struct {
	File  string
	Value string
}

// containerLimits are the limits a container's cgroups get, so that their
// files hold data: a CPU quota of 0.2-0.6 CPUs, a memory limit of
// 64-160 MiB and a pids limit, varied by container number. Only the
// hierarchies benchhost uses get writes.
func containerLimits(n int, h hierarchy) []cgWrite {
	var w []cgWrite
	if h.has("cpu") {
		w = append(w,
			cgWrite{"cpu.cfs_period_us", "100000"},
			cgWrite{"cpu.cfs_quota_us", strconv.Itoa(20000 + (n%5)*10000)})
	}
	if h.has("memory") {
		w = append(w, cgWrite{"memory.limit_in_bytes", strconv.Itoa((64 + (n%4)*32) << 20)})
	}
	if h.has("pids") {
		w = append(w, cgWrite{"pids.max", strconv.Itoa(64 + n%64)})
	}
	return w
}

// writeCgroupFile writes value into an existing cgroup file in one write,
// as the kernel expects; the error names the value, the file and the
// kernel's reason.
func writeCgroupFile(path, value string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("write %s to %s: %s", value, path, errnoWords(err))
	}
	_, err = f.Write([]byte(value))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s to %s: %s: %w", value, path, errnoWords(err), err)
	}
	return nil
}

// errnoWords says what an error from a syscall means with the errno name:
// "device or resource busy (EBUSY)".
func errnoWords(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return fmt.Sprintf("%s (%s)", errno.Error(), unix.ErrnoName(errno))
	}
	return err.Error()
}

// cgroupPIDs reads the cgroup.procs of a cgroup directory. A cgroup that
// is already gone has no processes.
func cgroupPIDs(dir string) ([]int, error) {
	data, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %s: %w", filepath.Join(dir, "cgroup.procs"), errnoWords(err), err)
	}
	var pids []int
	for _, f := range strings.Fields(string(data)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// rmdirCgroup removes an empty cgroup directory, retrying while the
// kernel still counts exiting processes in it (EBUSY) until the deadline.
// A directory that is already gone is fine.
func rmdirCgroup(dir string, deadline time.Time) error {
	for {
		err := unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) || time.Now().After(deadline) {
			return fmt.Errorf("rmdir %s: %s: %w", dir, errnoWords(err), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
