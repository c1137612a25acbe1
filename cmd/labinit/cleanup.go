package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// cleanUpAfter reports the processes a test binary left running (already
// killed by the caller; any still found are killed now) and removes the
// cgroups it created and did not remove, so the next package starts from
// the same state. It returns one warning per leftover, for the report:
// tests must clean up after themselves.
func cleanUpAfter(leftover []string, cgBefore map[string]bool) []string {
	var warnings []string
	leftover = append(leftover, killAllButInit()...)
	if len(leftover) > 0 {
		warnings = append(warnings, "left processes running (killed): "+strings.Join(leftover, ", "))
	}
	var added []string
	for path := range listCgroups(cgroupRoot) {
		if !cgBefore[path] {
			added = append(added, path)
		}
	}
	// Deepest first, so children go before their parents.
	sort.Slice(added, func(i, j int) bool { return len(added[i]) > len(added[j]) })
	for _, path := range added {
		rel := strings.TrimPrefix(path, cgroupRoot)
		_ = os.WriteFile(filepath.Join(path, "cgroup.freeze"), []byte("0"), 0)
		if err := removeCgroup(path); err != nil {
			warnings = append(warnings, fmt.Sprintf("left cgroup %s, and removing it failed: %v", rel, err))
		} else {
			warnings = append(warnings, "left cgroup "+rel+" (removed)")
		}
	}
	return warnings
}

// removeCgroup kills what is in the cgroup and removes it, retrying while
// the killed tasks finish exiting.
func removeCgroup(path string) error {
	_ = os.WriteFile(filepath.Join(path, "cgroup.kill"), []byte("1"), 0)
	var err error
	for range 50 {
		reapZombies()
		if err = unix.Rmdir(path); err == nil || err == unix.ENOENT {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

// listCgroups returns every cgroup directory below root (not root itself).
func listCgroups(root string) map[string]bool {
	out := map[string]bool{}
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && path != root {
			out[path] = true
		}
		return nil
	})
	return out
}

// killAllButInit SIGKILLs every user process but PID 1 and reaps them. It
// returns "PID (comm)" for each one it found.
func killAllButInit() []string {
	var found []string
	for range 3 {
		pids := userPIDs()
		if len(pids) == 0 {
			break
		}
		for _, p := range pids {
			if len(found) < 20 {
				found = append(found, fmt.Sprintf("%d (%s)", p.pid, p.comm))
			}
			_ = unix.Kill(p.pid, unix.SIGKILL)
		}
		deadline := time.Now().Add(2 * time.Second)
		for time.Now().Before(deadline) && len(userPIDs()) > 0 {
			reapZombies()
			time.Sleep(10 * time.Millisecond)
		}
	}
	reapZombies()
	return found
}

// reapZombies collects every child that has exited, without blocking.
func reapZombies() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

type procEntry struct {
	pid  int
	comm string
}

// pfKthread is PF_KTHREAD in the flags field of /proc/PID/stat.
const pfKthread = 0x00200000

// userPIDs lists live processes other than PID 1 and kernel threads;
// zombies count as gone.
func userPIDs() []procEntry {
	ents, _ := os.ReadDir("/proc")
	var out []procEntry
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == 1 {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		open, close := bytes.IndexByte(data, '('), bytes.LastIndexByte(data, ')')
		if open < 0 || close < open {
			continue
		}
		f := strings.Fields(string(data[close+1:]))
		if len(f) < 7 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		flags, _ := strconv.ParseUint(f[6], 10, 64)
		if flags&pfKthread != 0 {
			continue
		}
		out = append(out, procEntry{pid: pid, comm: string(data[open+1 : close])})
	}
	return out
}
