package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// killMembers sends SIGKILL to every live process in the cgroup
// directories. Each process is pinned with a pidfd and checked, after
// pinning, to still be in the bench subtree named base (nscope-bench-PID)
// before it is signalled, so a PID that was reused by someone else's
// process is never touched. It returns how many live processes it found.
func killMembers(dirs []string, base string) (int, error) {
	found := 0
	var errs []error
	for _, dir := range dirs {
		pids, err := cgroupPIDs(dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, pid := range pids {
			alive, err := killIfMember(pid, base)
			if alive {
				found++
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
	}
	return found, errors.Join(errs...)
}

// killIfMember kills pid if it is alive (not a zombie) and in a cgroup
// whose path has the component base. It reports whether it was alive.
func killIfMember(pid int, base string) (bool, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return false, nil // gone already
	}
	defer unix.Close(fd)
	// With the pidfd open, the PID cannot be reused: what /proc/PID says
	// now is about the process the pidfd refers to, if it still runs.
	if !inBenchCgroup(pid, base) || isZombie(pid) {
		return false, nil
	}
	if err := unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0); err != nil && !errors.Is(err, unix.ESRCH) {
		return true, fmt.Errorf("kill process %d: %s", pid, errnoWords(err))
	}
	return true, nil
}

// inBenchCgroup reports whether /proc/PID/cgroup puts the process beneath
// a cgroup named base in some hierarchy.
func inBenchCgroup(pid int, base string) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.LastIndexByte(line, ':'); i >= 0 {
			if strings.Contains(line[i+1:]+"/", "/"+base+"/") {
				return true
			}
		}
	}
	return false
}

// isZombie reports whether the process has exited and waits to be reaped.
func isZombie(pid int) bool {
	st, err := procStat(pid)
	return err != nil || st.State == "Z" || st.State == "X"
}

// reapChildren collects every exited child without blocking, including
// orphans adopted as child subreaper, and returns their PIDs.
func reapChildren() []int {
	var pids []int
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return pids
		}
		pids = append(pids, pid)
	}
}

// killAndWait kills every process in the directories until none is left
// alive, reaping children in between (reaped, if not nil, hears of each),
// or fails at the deadline naming how many are left.
func killAndWait(dirs []string, base string, deadline time.Time, reaped func(pid int)) error {
	for {
		n, err := killMembers(dirs, base)
		for _, pid := range reapChildren() {
			if reaped != nil {
				reaped(pid)
			}
		}
		if n == 0 {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d processes in %s still alive after SIGKILL: %w", n, base, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
