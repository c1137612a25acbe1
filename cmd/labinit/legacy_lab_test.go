package main

// TestLabLegacy tests apply to the legacy configuration (6.1-legacy): v1
// hierarchies only, each controller on its own, name=systemd, and no
// cgroup2 anywhere. They pin down the v1 facts control and inspect rely
// on there, by writing the kernel's files directly.

import (
	"errors"
	"fmt"
	"github.com/nscope/nscope/internal/testutil"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
)

// needLegacy skips unless running in the legacy lab guest.
func needLegacy(t *testing.T) {
	t.Helper()
	labproto.Need(t, labproto.CgroupLegacy)
}

// newV1Cgroup creates a uniquely named cgroup at the root of the
// controller's hierarchy and removes it when the test ends (thawed first:
// a frozen v1 cgroup keeps its killed tasks).
func newV1Cgroup(t *testing.T, controller string) string {
	t.Helper()
	dir := filepath.Join(cgroupRoot, controller, fmt.Sprintf("nscope-test-%d-%08x", os.Getpid(), rand.Uint32()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatalf("create test cgroup in the %s hierarchy: %v", controller, err)
	}
	t.Cleanup(func() {
		_ = os.WriteFile(filepath.Join(dir, "freezer.state"), []byte("THAWED"), 0)
		var err error
		for range 100 {
			if err = unix.Rmdir(dir); err == nil || errors.Is(err, unix.ENOENT) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Errorf("remove test cgroup %s: %v", dir, err)
	})
	return dir
}

// startPlaced starts argv and writes its PID to cgroup.procs of each
// directory (v1 has no placement at birth), killing it when the test ends.
func startPlaced(t *testing.T, argv []string, dirs ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", argv, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	for _, d := range dirs {
		writeFile(t, filepath.Join(d, "cgroup.procs"), strconv.Itoa(cmd.Process.Pid))
	}
	return cmd
}

func TestLabLegacyHierarchies(t *testing.T) {
	needLegacy(t)
	mi := readFile(t, "/proc/self/mountinfo")
	mounted := map[string]string{} // super options' controller -> mount point
	for _, line := range strings.Split(mi, "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		f, pf := strings.Fields(pre), strings.Fields(post)
		if len(pf) < 3 || len(f) < 5 {
			continue
		}
		switch pf[0] {
		case "cgroup2":
			t.Errorf("cgroup2 is mounted in the legacy guest: %s", line)
		case "cgroup":
			var ctrls []string
			for _, opt := range strings.Split(pf[2], ",") {
				if opt != "rw" && opt != "ro" {
					ctrls = append(ctrls, opt)
				}
			}
			if len(ctrls) != 1 {
				t.Errorf("hierarchy at %s carries %v, want one controller (or name=) each", f[4], ctrls)
				continue
			}
			mounted[ctrls[0]] = f[4]
		}
	}
	want := map[string]string{"name=systemd": "/sys/fs/cgroup/systemd"}
	for _, c := range v1Controllers([]byte(readFile(t, "/proc/cgroups"))) {
		want[c] = "/sys/fs/cgroup/" + c
	}
	for _, c := range []string{"cpu", "cpuacct", "memory", "pids", "freezer", "cpuset", "blkio", "devices"} {
		if want[c] == "" {
			t.Errorf("/proc/cgroups does not list %s as enabled", c)
		}
	}
	if diff := cmp.Diff(want, mounted); diff != "" {
		t.Errorf("v1 mounts by controller (-want +got):\n%s", diff)
	}
	for _, line := range strings.Split(readFile(t, "/proc/self/cgroup"), "\n") {
		if strings.HasPrefix(line, "0::") {
			t.Errorf("/proc/self/cgroup has the v2 line %q, though cgroup2 was never mounted", line)
		}
	}
}

func TestLabLegacyRawWritesReadBack(t *testing.T) {
	needLegacy(t)
	tests := []struct {
		name       string
		controller string
		file       string
		value      string
		want       string
	}{
		{"cpu quota", "cpu", "cpu.cfs_quota_us", "20000", "20000"},
		{"cpu no quota", "cpu", "cpu.cfs_quota_us", "-1", "-1"},
		{"cpu period", "cpu", "cpu.cfs_period_us", "50000", "50000"},
		{"cpu shares", "cpu", "cpu.shares", "512", "512"},
		{"memory bytes", "memory", "memory.limit_in_bytes", "67108864", "67108864"},
		{"memory suffix", "memory", "memory.limit_in_bytes", "64M", "67108864"},
		{"memory unlimited reads back the page-rounded maximum", "memory", "memory.limit_in_bytes", "-1", "9223372036854771712"},
		{"pids number", "pids", "pids.max", "16", "16"},
		{"pids unlimited", "pids", "pids.max", "max", "max"},
		{"thawed", "freezer", "freezer.state", "THAWED", "THAWED"},
	}
	dirs := map[string]string{}
	for _, tc := range tests {
		if dirs[tc.controller] == "" {
			dirs[tc.controller] = newV1Cgroup(t, tc.controller)
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dirs[tc.controller], tc.file)
			writeFile(t, path, tc.value)
			if diff := cmp.Diff(tc.want, readFile(t, path)); diff != "" {
				t.Errorf("%s after writing %q (-want +got):\n%s", tc.file, tc.value, diff)
			}
		})
	}
}

func TestLabLegacyRawWriteErrnos(t *testing.T) {
	needLegacy(t)
	tests := []struct {
		name       string
		controller string
		file       string
		value      string
		want       unix.Errno
	}{
		{"cpu period below 1ms", "cpu", "cpu.cfs_period_us", "999", unix.EINVAL},
		{"cpu period above 1s", "cpu", "cpu.cfs_period_us", "1000001", unix.EINVAL},
		{"cpu quota below 1ms", "cpu", "cpu.cfs_quota_us", "500", unix.EINVAL},
		{"memory garbage", "memory", "memory.limit_in_bytes", "lots", unix.EINVAL},
		{"pids negative", "pids", "pids.max", "-1", unix.EINVAL},
		{"freezer state", "freezer", "freezer.state", "ICE", unix.EINVAL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(newV1Cgroup(t, tc.controller), tc.file)
			before := readFile(t, path)
			err := os.WriteFile(path, []byte(tc.value), 0)
			var got unix.Errno
			if !errors.As(err, &got) || got != tc.want {
				t.Fatalf("write %q to %s: %v, want errno %d (%s)", tc.value, tc.file, err, int(tc.want), unix.ErrnoName(tc.want))
			}
			if after := readFile(t, path); after != before {
				t.Errorf("%s changed from %q to %q by a failed write", tc.file, before, after)
			}
		})
	}
}

// There is no placement at birth on v1: clone3 CLONE_INTO_CGROUP takes
// only a cgroup2 directory (EBADF otherwise), so the launcher holds its
// child and writes its PID to cgroup.procs of every hierarchy, which then
// shows in /proc/PID/cgroup.
func TestLabLegacyPlacementByWrite(t *testing.T) {
	needLegacy(t)
	cpu := newV1Cgroup(t, "cpu")
	fd, err := os.Open(cpu)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	born := exec.Command("/bin/true")
	born.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(fd.Fd())}
	if err := born.Run(); !errors.Is(err, unix.EBADF) {
		t.Errorf("clone3 CLONE_INTO_CGROUP into a v1 cgroup: %v, want EBADF", err)
	}

	mem, pids := newV1Cgroup(t, "memory"), newV1Cgroup(t, "pids")
	cmd := startPlaced(t, []string{"/bin/sleep", "60"}, cpu, mem, pids)
	got := map[string]string{}
	for _, line := range strings.Split(readFile(t, fmt.Sprintf("/proc/%d/cgroup", cmd.Process.Pid)), "\n") {
		if parts := strings.SplitN(line, ":", 3); len(parts) == 3 {
			got[parts[1]] = parts[2]
		}
	}
	for ctrl, want := range map[string]string{"cpu": "/" + filepath.Base(cpu), "memory": "/" + filepath.Base(mem),
		"pids": "/" + filepath.Base(pids), "freezer": "/", "name=systemd": "/"} {
		if got[ctrl] != want {
			t.Errorf("/proc/PID/cgroup %s = %q, want %q", ctrl, got[ctrl], want)
		}
	}
	if got := readFile(t, filepath.Join(pids, "pids.current")); got != "1" {
		t.Errorf("pids.current = %s, want 1", got)
	}
}

// A frozen v1 cgroup holds its tasks even against SIGKILL until it is
// thawed (the v2 freezer lets fatal signals through): control's v1 kill
// must thaw after signalling.
func TestLabLegacyFrozenTasksDieOnlyWhenThawed(t *testing.T) {
	needLegacy(t)
	fr := newV1Cgroup(t, "freezer")
	cmd := startPlaced(t, []string{"/bin/sh", "-c", "while :; do :; done"}, fr)
	state := filepath.Join(fr, "freezer.state")
	writeFile(t, state, "FROZEN")
	testutil.WaitFor(t, "freezer.state FROZEN", func() bool { return readFile(t, state) == "FROZEN" })
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if st := procState(t, cmd.Process.Pid); st == "Z" {
		t.Fatalf("a task of a FROZEN v1 cgroup died on SIGKILL before the thaw")
	}
	writeFile(t, state, "THAWED")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Errorf("busy loop ended with %v after the thaw, want SIGKILL", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the SIGKILLed task was still alive 5s after the thaw")
	}
}
