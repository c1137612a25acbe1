package main

// These TestLab tests run inside the kernel lab guest (go run ./cmd/kernlab)
// and pin down the cgroup facts the rest of nscope relies on, by writing
// the kernel's files directly: values read back as the kernel normalises
// them, and bad values fail with the errno that control maps to a message.
// needLab's tests apply to the v2 configurations (6.1-v2, 6.12-v2); the
// TestLabLegacy ones in legacy_lab_test.go to the legacy one.

import (
	"errors"
	"fmt"
	"github.com/nscope/nscope/internal/testutil"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
)

// helperEnv makes the test binary act as a helper process instead of
// running tests; see TestMain.
const helperEnv = "LABINIT_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "alloc":
		// Touch 256 MiB, one page at a time, then report (if still alive).
		var keep [][]byte
		for range 256 {
			b := make([]byte, 1<<20)
			for i := 0; i < len(b); i += 4096 {
				b[i] = 1
			}
			keep = append(keep, b)
		}
		fmt.Println("allocated", len(keep), "MiB")
		os.Exit(0)
	default:
		fmt.Fprintln(os.Stderr, "unknown helper", os.Getenv(helperEnv))
		os.Exit(2)
	}
}

// needLab skips unless running in a cgroup v2 lab guest, and fails if the
// guest is not what the lab promises.
func needLab(t *testing.T) {
	t.Helper()
	labproto.Need(t, labproto.CgroupV2)
	var st unix.Statfs_t
	if err := unix.Statfs(cgroupRoot, &st); err != nil || st.Type != unix.CGROUP2_SUPER_MAGIC {
		t.Fatalf("%s is not cgroup2 in the lab guest (statfs: %v)", cgroupRoot, err)
	}
}

// newCgroup creates a uniquely named cgroup at the root and removes it,
// with anything left in it, when the test ends.
func newCgroup(t *testing.T) string {
	t.Helper()
	path := filepath.Join(cgroupRoot, fmt.Sprintf("nscope-test-%d-%08x", os.Getpid(), rand.Uint32()))
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatalf("create test cgroup: %v", err)
	}
	t.Cleanup(func() {
		if err := removeCgroup(path); err != nil {
			t.Errorf("remove test cgroup %s: %v", path, err)
		}
	})
	return path
}

// startIn starts argv placed into cgroup at birth (CLONE_INTO_CGROUP) and
// kills it when the test ends.
func startIn(t *testing.T, cgroup string, env []string, argv ...string) (*exec.Cmd, error) {
	t.Helper()
	dir, err := os.Open(cgroup)
	if err != nil {
		t.Fatalf("open cgroup: %v", err)
	}
	defer dir.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(dir.Fd())}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd, nil
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return strings.TrimSpace(string(data))
}

func writeFile(t *testing.T, path, value string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(value), 0); err != nil {
		t.Fatalf("write %q to %s: %v", value, path, err)
	}
}

// keyValue returns the value of key in a flat-keyed file (cpu.stat,
// memory.events, cgroup.events).
func keyValue(t *testing.T, path, key string) string {
	t.Helper()
	for _, line := range strings.Split(readFile(t, path), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == key {
			return v
		}
	}
	t.Fatalf("%s has no %q line", path, key)
	return ""
}

// diskDev returns the lab disk's "MAJ:MIN".
func diskDev(t *testing.T) string {
	t.Helper()
	return readFile(t, "/sys/block/vda/dev")
}

func TestLabControllersEnabled(t *testing.T) {
	needLab(t)
	got := strings.Fields(readFile(t, filepath.Join(cgroupRoot, "cgroup.subtree_control")))
	for _, want := range labControllers {
		if !hasWord(strings.Join(got, " "), want) {
			t.Errorf("root cgroup.subtree_control = %q, missing %s", got, want)
		}
	}
	cg := newCgroup(t)
	for _, file := range []string{"cpu.max", "cpu.weight", "cpu.stat", "memory.max", "memory.events", "pids.max", "io.max", "cgroup.freeze", "cgroup.kill"} {
		if _, err := os.Stat(filepath.Join(cg, file)); err != nil {
			t.Errorf("child cgroup lacks %s: %v", file, err)
		}
	}
}

func TestLabRawWritesReadBack(t *testing.T) {
	needLab(t)
	dev := diskDev(t)
	tests := []struct {
		name  string
		file  string
		value string
		want  string
	}{
		{"cpu quota and period", "cpu.max", "20000 100000", "20000 100000"},
		{"cpu quota alone keeps the period", "cpu.max", "50000", "50000 100000"},
		{"cpu unlimited", "cpu.max", "max 200000", "max 200000"},
		{"cpu weight upper bound", "cpu.weight", "10000", "10000"},
		{"memory bytes", "memory.max", "67108864", "67108864"},
		{"memory suffix", "memory.max", "64M", "67108864"},
		{"memory unlimited", "memory.max", "max", "max"},
		{"memory high suffix G", "memory.high", "1G", "1073741824"},
		{"pids number", "pids.max", "16", "16"},
		{"pids unlimited", "pids.max", "max", "max"},
		{"io.max fills in the other keys", "io.max", dev + " rbps=1048576 wiops=100", dev + " rbps=1048576 wbps=max riops=max wiops=100"},
		{"freeze", "cgroup.freeze", "1", "1"},
	}
	cg := newCgroup(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(cg, tc.file)
			writeFile(t, path, tc.value)
			if diff := cmp.Diff(tc.want, readFile(t, path)); diff != "" {
				t.Errorf("%s after writing %q (-want +got):\n%s", tc.file, tc.value, diff)
			}
		})
	}
}

func TestLabRawWriteErrnos(t *testing.T) {
	needLab(t)
	// A device number no disk has: minor 250 of the lab disk's major.
	major, _, _ := strings.Cut(diskDev(t), ":")
	tests := []struct {
		name  string
		file  string
		value string
		want  unix.Errno
	}{
		{"negative memory", "memory.max", "-5", unix.EINVAL},
		{"memory garbage", "memory.max", "lots", unix.EINVAL},
		{"cpu.max garbage", "cpu.max", "fast", unix.EINVAL},
		{"cpu period below 1ms", "cpu.max", "1000 100", unix.EINVAL},
		{"cpu period above 1s", "cpu.max", "100000 2000000", unix.EINVAL},
		{"cpu quota below 1ms", "cpu.max", "500 100000", unix.EINVAL},
		{"cpu weight zero", "cpu.weight", "0", unix.ERANGE},
		{"cpu weight above 10000", "cpu.weight", "10001", unix.ERANGE},
		{"pids negative", "pids.max", "-1", unix.EINVAL},
		{"io.max on a missing device", "io.max", major + ":250 rbps=1048576", unix.ENODEV},
		{"freeze value", "cgroup.freeze", "2", unix.ERANGE},
	}
	cg := newCgroup(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(cg, tc.file)
			before := readFile(t, path)
			err := os.WriteFile(path, []byte(tc.value), 0)
			var got unix.Errno
			if !errors.As(err, &got) {
				t.Fatalf("write %q to %s: err = %v, want errno %v (%s)", tc.value, tc.file, err, int(tc.want), tc.want)
			}
			if got != tc.want {
				t.Errorf("write %q to %s: errno %d (%v), want %d (%v)", tc.value, tc.file, int(got), got, int(tc.want), tc.want)
			}
			if after := readFile(t, path); after != before {
				t.Errorf("%s changed from %q to %q by a failed write", tc.file, before, after)
			}
		})
	}
}

// Enabling a domain controller (memory, io) in the subtree of a cgroup
// that has processes breaks the "no internal processes" rule: EBUSY.
// Threaded controllers (cpu, pids) are allowed there. See
// Documentation/admin-guide/cgroup-v2.rst, "No Internal Process Constraint".
func TestLabSubtreeControlWithProcesses(t *testing.T) {
	needLab(t)
	tests := []struct {
		name       string
		controller string
		want       error
	}{
		{"memory is a domain controller", "memory", unix.EBUSY},
		{"io is a domain controller", "io", unix.EBUSY},
		{"cpu is threaded", "cpu", nil},
		{"pids is threaded", "pids", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cg := newCgroup(t)
			if _, err := startIn(t, cg, nil, "/bin/sleep", "60"); err != nil {
				t.Fatalf("start sleep in %s: %v", cg, err)
			}
			err := os.WriteFile(filepath.Join(cg, "cgroup.subtree_control"), []byte("+"+tc.controller), 0)
			if !errors.Is(err, tc.want) {
				t.Errorf("enable +%s below a cgroup with a process: err = %v, want %v", tc.controller, err, tc.want)
			}
		})
	}
}

func TestLabCPUMaxThrottles(t *testing.T) {
	needLab(t)
	cg := newCgroup(t)
	writeFile(t, filepath.Join(cg, "cpu.max"), "20000 100000")
	stat := filepath.Join(cg, "cpu.stat")
	if _, err := startIn(t, cg, nil, "/bin/sh", "-c", "while :; do :; done"); err != nil {
		t.Fatalf("start busy loop: %v", err)
	}
	time.Sleep(200 * time.Millisecond)
	u0, th0 := atoi(t, keyValue(t, stat, "usage_usec")), atoi(t, keyValue(t, stat, "nr_throttled"))
	start := time.Now()
	time.Sleep(2 * time.Second)
	u1, th1 := atoi(t, keyValue(t, stat, "usage_usec")), atoi(t, keyValue(t, stat, "nr_throttled"))
	elapsed := time.Since(start)
	share := float64(u1-u0) / float64(elapsed.Microseconds())
	t.Logf("busy loop under cpu.max 20000 100000: %.1f%% of a CPU, nr_throttled %d -> %d", share*100, th0, th1)
	if share < 0.10 || share > 0.30 {
		t.Errorf("CPU share = %.1f%% of a CPU, want about 20%% (10-30%%)", share*100)
	}
	if th1 <= th0 {
		t.Errorf("nr_throttled did not rise (%d -> %d)", th0, th1)
	}
}

func TestLabMemoryMaxOOMKills(t *testing.T) {
	needLab(t)
	cg := newCgroup(t)
	writeFile(t, filepath.Join(cg, "memory.max"), "32M")
	events := filepath.Join(cg, "memory.events")
	before := atoi(t, keyValue(t, events, "oom_kill"))
	exe, _ := os.Executable()
	cmd, err := startIn(t, cg, []string{helperEnv + "=alloc"}, exe)
	if err != nil {
		t.Fatalf("start allocating child: %v", err)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("child allocating 256 MiB under memory.max 32M ended with %v, want killed by SIGKILL", err)
	}
	if after := atoi(t, keyValue(t, events, "oom_kill")); after <= before {
		t.Errorf("memory.events oom_kill = %d after the child, was %d; want it to rise", after, before)
	}
}

func TestLabPidsMaxFailsForks(t *testing.T) {
	needLab(t)
	cg := newCgroup(t)
	writeFile(t, filepath.Join(cg, "pids.max"), "2")
	for i := range 2 {
		if _, err := startIn(t, cg, nil, "/bin/sleep", "60"); err != nil {
			t.Fatalf("start sleeper %d of 2 under pids.max 2: %v", i+1, err)
		}
	}
	_, err := startIn(t, cg, nil, "/bin/sleep", "60")
	if !errors.Is(err, unix.EAGAIN) {
		t.Errorf("third process under pids.max 2: err = %v, want EAGAIN", err)
	}
	if got := readFile(t, filepath.Join(cg, "pids.current")); got != "2" {
		t.Errorf("pids.current = %s, want 2", got)
	}
	if got := keyValue(t, filepath.Join(cg, "pids.events"), "max"); got == "0" {
		t.Errorf("pids.events max = 0 after a refused fork, want > 0")
	}
}

func TestLabFreezeAndKill(t *testing.T) {
	needLab(t)
	cg := newCgroup(t)
	cmd, err := startIn(t, cg, nil, "/bin/sh", "-c", "while :; do :; done")
	if err != nil {
		t.Fatalf("start busy loop: %v", err)
	}
	events := filepath.Join(cg, "cgroup.events")
	writeFile(t, filepath.Join(cg, "cgroup.freeze"), "1")
	testutil.WaitFor(t, "frozen 1 in cgroup.events", func() bool { return keyValue(t, events, "frozen") == "1" })
	if st := procState(t, cmd.Process.Pid); st != "S" && st != "D" {
		// A frozen task sleeps in the freezer.
		t.Errorf("frozen busy loop is in state %s, want S or D", st)
	}
	u0 := atoi(t, keyValue(t, filepath.Join(cg, "cpu.stat"), "usage_usec"))
	time.Sleep(300 * time.Millisecond)
	if u1 := atoi(t, keyValue(t, filepath.Join(cg, "cpu.stat"), "usage_usec")); u1 != u0 {
		t.Errorf("frozen cgroup used CPU: usage_usec %d -> %d", u0, u1)
	}
	writeFile(t, filepath.Join(cg, "cgroup.freeze"), "0")
	testutil.WaitFor(t, "frozen 0 in cgroup.events", func() bool { return keyValue(t, events, "frozen") == "0" })

	writeFile(t, filepath.Join(cg, "cgroup.kill"), "1")
	testutil.WaitFor(t, "populated 0 in cgroup.events", func() bool { return keyValue(t, events, "populated") == "0" })
	if got := readFile(t, filepath.Join(cg, "cgroup.procs")); got != "" {
		t.Errorf("cgroup.procs after cgroup.kill = %q, want empty", got)
	}
}

func procState(t *testing.T, pid int) string {
	t.Helper()
	data := readFile(t, fmt.Sprintf("/proc/%d/stat", pid))
	i := strings.LastIndexByte(data, ')')
	f := strings.Fields(data[i+1:])
	return f[0]
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}
