package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
)

// tools are the programs the bench host is made of, resolved once.
type tools struct {
	sh, unshare, sleep string
}

// findTools looks the programs up on PATH and names what is missing.
func findTools() (tools, error) {
	var t tools
	for _, x := range []struct {
		dst  *string
		name string
	}{{&t.sh, "sh"}, {&t.unshare, "unshare"}, {&t.sleep, "sleep"}} {
		p, err := exec.LookPath(x.name)
		if err != nil {
			return t, fmt.Errorf("%s not found on PATH: benchhost needs sh, util-linux unshare and coreutils sleep", x.name)
		}
		if *x.dst, err = filepath.Abs(p); err != nil {
			return t, err
		}
	}
	return t, nil
}

// holdScript is the container's first process. It waits on standard input
// until benchhost has put it into its cgroups, so that the cgroup
// namespace unshare creates is rooted at them, then becomes unshare, whose
// child is PID 1 of the new pid namespace: a shell that sets the hostname
// and waits on a sleep. --kill-child makes the kernel kill PID 1, and with
// it the namespace, when unshare dies. If benchhost dies before the
// release, read sees end of file and the script exits.
// Arguments: $1 hostname, $2 unshare, $3 sleep.
const holdScript = `read -r _ || exit 0
exec "$2" --pid --net --mount --uts --ipc --cgroup --fork --kill-child --mount-proc \
	/bin/sh -c 'echo "$0" >/proc/sys/kernel/hostname; "$1" infinity & wait' "$1" "$3" </dev/null`

// childEnv is the environment of the processes benchhost starts.
var childEnv = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}

// startContainer starts container n held on a pipe, writes its PID into
// cgroup.procs of each directory in cgDirs, then releases it. The
// process is benchhost's child and gets SIGKILL if benchhost dies.
// stderr receives unshare's complaints.
func startContainer(t tools, n int, cgDirs []string, devnull, stderr *os.File) (int, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return 0, fmt.Errorf("container c%d: pipe: %w", n, err)
	}
	defer w.Close()
	attr := &syscall.ProcAttr{
		Env:   childEnv,
		Files: []uintptr{r.Fd(), devnull.Fd(), stderr.Fd()},
		Sys:   &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	}
	hostname := "bench-c" + strconv.Itoa(n)
	pid, err := syscall.ForkExec(t.sh, []string{"sh", "-c", holdScript, "benchhost-hold", hostname, t.unshare, t.sleep}, attr)
	r.Close()
	if err != nil {
		return 0, fmt.Errorf("container c%d: start %s: %s", n, t.sh, errnoWords(err))
	}
	for _, dir := range cgDirs {
		if err := writeCgroupFile(filepath.Join(dir, "cgroup.procs"), strconv.Itoa(pid)); err != nil {
			// Not released yet: the holder exits on end of file, and
			// it is our unreaped child, so its PID is still ours.
			_ = syscall.Kill(pid, syscall.SIGKILL)
			return pid, fmt.Errorf("container c%d: %w", n, err)
		}
	}
	if _, err := w.Write([]byte("go\n")); err != nil {
		return pid, fmt.Errorf("container c%d: release: %w", n, err)
	}
	return pid, nil
}

// startPlain starts one /bin/sleep (exec'd directly, no shell) as
// benchhost's child and writes its PID into cgroup.procs of trackDir.
func startPlain(t tools, trackDir string, devnull *os.File) (int, error) {
	attr := &syscall.ProcAttr{
		Env:   childEnv,
		Files: []uintptr{devnull.Fd(), devnull.Fd(), devnull.Fd()},
		Sys:   &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL},
	}
	pid, err := syscall.ForkExec(t.sleep, []string{"sleep", "infinity"}, attr)
	if err != nil {
		return 0, fmt.Errorf("start %s: %s", t.sleep, errnoWords(err))
	}
	if err := writeCgroupFile(filepath.Join(trackDir, "cgroup.procs"), strconv.Itoa(pid)); err != nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		return pid, err
	}
	return pid, nil
}
