package control

// TestLab tests run inside the kernel lab's QEMU guest (go run
// ./cmd/kernlab). The TestLabV2 ones here apply to the cgroup v2
// configurations (6.1-v2, 6.12-v2): a pure cgroup v2 host with cpu,
// memory, pids and io enabled for the root's children. They prove the v2
// file set against the real kernel: cpu.max throttling, memory.max OOM,
// pids.max, io.max, cgroup.freeze, cgroup.kill, the kernel's own refusals,
// and undo. The legacy configuration's are in legacy_lab_test.go.

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/testutil"
)

// labV2 is a uniquely named cgroup at the v2 root of the lab guest.
type labV2 struct {
	dir  string
	path string
	ed   *Editor
}

func newLabV2(t *testing.T) *labV2 {
	t.Helper()
	labproto.Need(t, labproto.CgroupV2)
	layout, err := inspect.DetectCgroupLayout("/proc", "/sys")
	if err != nil {
		t.Fatal(err)
	}
	if layout.Mode != inspect.CgroupUnified {
		t.Fatalf("the lab guest should be unified cgroup v2, found %s", layout.Mode)
	}
	name := testutil.UniqueName("nscope-lab")
	h := layout.Unified()
	lv := &labV2{dir: filepath.Join(h.Mount, name), path: "/" + name}
	testutil.MakeCgroup(t, lv.dir)
	lv.ed = New(layout, WithJournalDir(t.TempDir()))
	return lv
}

func (lv *labV2) apply(t *testing.T, l Limits) *Result {
	t.Helper()
	target, err := lv.ed.Resolve(lv.path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := lv.ed.Plan(target, l)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	res, err := lv.ed.Apply(t.Context(), p)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return res
}

func (lv *labV2) read(t *testing.T, file string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(lv.dir, file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

func TestLabV2CPUMaxThrottles(t *testing.T) {
	lv := newLabV2(t)
	res := lv.apply(t, mustLimits(t, "20%", "", ""))
	if len(res.Writes) != 1 || res.Writes[0].File != "cpu.max" || res.Writes[0].Before != "max 100000" || res.Writes[0].After != "20000 100000" {
		t.Fatalf("writes %+v, want cpu.max max 100000 → 20000 100000", res.Writes)
	}
	h := startHelper(t, "spin")
	testutil.Place(t, h.cmd.Process.Pid, lv.dir)
	h.release(t)
	time.Sleep(300 * time.Millisecond)
	u0, t0 := testutil.KeyedValue(t, filepath.Join(lv.dir, "cpu.stat"), "usage_usec"), time.Now()
	time.Sleep(2 * time.Second)
	u1, t1 := testutil.KeyedValue(t, filepath.Join(lv.dir, "cpu.stat"), "usage_usec"), time.Now()
	share := float64(u1-u0) / float64(t1.Sub(t0).Microseconds())
	t.Logf("busy loop under a 20%% quota used %.1f%% of a CPU", share*100)
	if share < 0.10 || share > 0.35 {
		t.Errorf("busy loop used %.1f%% of a CPU under a 20%% quota, want 10%%–35%%", share*100)
	}
	if n := testutil.KeyedValue(t, filepath.Join(lv.dir, "cpu.stat"), "nr_throttled"); n == 0 {
		t.Error("cpu.stat nr_throttled = 0; the quota never throttled")
	}
}

func TestLabV2MemoryMaxOOM(t *testing.T) {
	lv := newLabV2(t)
	res := lv.apply(t, mustLimits(t, "", "32M", "", "memory.high=max"))
	if res.Writes[0].After != "33554432" {
		t.Fatalf("memory.max read back %q, want 33554432", res.Writes[0].After)
	}
	h := startHelper(t, "alloc:"+strconv.Itoa(256<<20))
	testutil.Place(t, h.cmd.Process.Pid, lv.dir)
	h.release(t)
	if !h.wait(60 * time.Second) {
		t.Fatal("a helper allocating 256M under a 32M memory.max still ran after 60s")
	}
	if ws, ok := h.state.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("helper ended with %v, want killed by the OOM killer", h.state)
	}
	events := filepath.Join(lv.dir, "memory.events")
	if n := testutil.KeyedValue(t, events, "max"); n == 0 {
		t.Error("memory.events max = 0 after allocating past memory.max")
	}
	if n := testutil.KeyedValue(t, events, "oom_kill"); n < 1 {
		t.Errorf("memory.events oom_kill = %d, want at least 1", n)
	}
}

func TestLabV2PidsMax(t *testing.T) {
	lv := newLabV2(t)
	lv.apply(t, mustLimits(t, "", "", "3"))
	if got := lv.read(t, "pids.max"); got != "3" {
		t.Fatalf("pids.max = %q", got)
	}
	// A busybox shell placed in the cgroup cannot start more than 3 tasks.
	sh := exec.Command("/bin/sh", "-c", `read x; for i in 1 2 3 4 5; do sleep 5 & done; wait`)
	stdin, _ := sh.StdinPipe()
	if err := sh.Start(); err != nil {
		t.Skipf("no /bin/sh in the guest: %v", err)
	}
	t.Cleanup(func() { sh.Process.Kill(); sh.Wait() })
	testutil.Place(t, sh.Process.Pid, lv.dir)
	stdin.Write([]byte("go\n"))
	deadline := time.Now().Add(10 * time.Second)
	for testutil.KeyedValue(t, filepath.Join(lv.dir, "pids.events"), "max") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("pids.events max stayed 0: forks beyond pids.max 3 were not refused")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if cur, _ := strconv.Atoi(lv.read(t, "pids.current")); cur > 3 {
		t.Errorf("pids.current = %d above pids.max 3", cur)
	}
}

func TestLabV2IOMaxAndUndo(t *testing.T) {
	lv := newLabV2(t)
	dev, err := os.ReadFile("/sys/block/vda/dev")
	if err != nil {
		t.Skipf("no /dev/vda in the guest: %v", err)
	}
	majMin := strings.TrimSpace(string(dev))
	res := lv.apply(t, mustLimits(t, "", "", "", "io.max="+majMin+" wbps=1M riops=100"))
	want := majMin + " rbps=max wbps=1048576 riops=100 wiops=max"
	if got := lv.read(t, "io.max"); got != want {
		t.Fatalf("io.max = %q, want %q", got, want)
	}
	if res.Writes[0].Old != majMin+" rbps=max wbps=max riops=max wiops=max" {
		t.Errorf("planned old value %q, want the device's full unlimited line", res.Writes[0].Old)
	}
	if _, _, err := lv.ed.Undo(t.Context(), lv.path, false); err != nil {
		t.Fatal(err)
	}
	if got := lv.read(t, "io.max"); got != "" {
		t.Errorf("io.max after undo = %q, want no limits", got)
	}
}

func TestLabV2KernelRefusals(t *testing.T) {
	lv := newLabV2(t)
	tests := []struct {
		name  string
		file  string
		value string
		errno unix.Errno
		hint  string
	}{
		{name: "quota under 1ms", file: "cpu.max", value: "500 100000", errno: unix.EINVAL, hint: "the period must be 1ms–1s, the quota at least 1ms"},
		{name: "period over 1s", file: "cpu.max", value: "50000 2000000", errno: unix.EINVAL, hint: "the period must be 1ms–1s"},
		{name: "weight out of range", file: "cpu.weight", value: "20000", errno: unix.ERANGE, hint: "cpu.weight must be 1–10000"},
		{name: "unknown device", file: "io.max", value: "250:99 rbps=1", errno: unix.ENODEV, hint: "no such block device"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(lv.dir, tc.file)
			err := RealFS{}.WriteFile(path, []byte(tc.value))
			if !errors.Is(err, tc.errno) {
				t.Fatalf("write %q to %s: %v, want %v", tc.value, tc.file, err, tc.errno)
			}
			kerr := &KernelError{Op: "write", Path: path, Value: tc.value, Err: err}
			if !strings.Contains(kerr.Error(), "("+unix.ErrnoName(tc.errno)+")") || !strings.Contains(kerr.Error(), tc.hint) {
				t.Errorf("explanation %q lacks %s and %q", kerr, unix.ErrnoName(tc.errno), tc.hint)
			}
		})
	}
	root, _ := lv.ed.Resolve("/")
	if _, err := lv.ed.Plan(root, mustLimits(t, "1", "", "")); !errors.Is(err, unix.ENOENT) || !strings.Contains(err.Error(), "root cgroup has no cpu.max") {
		t.Errorf("cpu limit on the v2 root: %v, want ENOENT saying the root has no cpu.max", err)
	}
}

func TestLabV2FreezeThaw(t *testing.T) {
	lv := newLabV2(t)
	counter := filepath.Join(t.TempDir(), "count")
	h := startHelper(t, "count:"+counter)
	testutil.Place(t, h.cmd.Process.Pid, lv.dir)
	h.release(t)
	read := func() int {
		data, _ := os.ReadFile(counter)
		n, _ := strconv.Atoi(string(data))
		return n
	}
	deadline := time.Now().Add(10 * time.Second)
	for read() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("counter made no progress")
		}
		time.Sleep(20 * time.Millisecond)
	}
	target, _ := lv.ed.Resolve(lv.path)
	res, err := lv.ed.Freeze(t.Context(), target)
	if err != nil {
		t.Fatal(err)
	}
	if res.Writes[0].File != "cgroup.freeze" || res.Writes[0].After != "frozen" {
		t.Errorf("freeze result %+v, want cgroup.freeze settled frozen", res.Writes[0])
	}
	if v := testutil.KeyedValue(t, filepath.Join(lv.dir, "cgroup.events"), "frozen"); v != 1 {
		t.Errorf("cgroup.events frozen = %d", v)
	}
	a := read()
	time.Sleep(500 * time.Millisecond)
	if b := read(); b != a {
		t.Errorf("counter advanced %d → %d while frozen", a, b)
	}
	// Undo of the freeze thaws.
	if _, _, err := lv.ed.Undo(t.Context(), lv.path, false); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for read() <= a {
		if time.Now().After(deadline) {
			t.Fatalf("counter stuck at %d after the undo thawed", a)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestLabV2KillEmpties(t *testing.T) {
	lv := newLabV2(t)
	h := startHelper(t, "forker:3")
	testutil.Place(t, h.cmd.Process.Pid, lv.dir)
	h.release(t)
	deadline := time.Now().Add(20 * time.Second)
	for len(strings.Fields(lv.read(t, "cgroup.procs"))) < 4 {
		if time.Now().After(deadline) {
			t.Fatal("forker did not start its 3 children")
		}
		time.Sleep(20 * time.Millisecond)
	}
	target, _ := lv.ed.Resolve(lv.path)
	kp, err := lv.ed.PlanKill(target)
	if err != nil {
		t.Fatal(err)
	}
	if kp.Method != "cgroup.kill" || len(kp.PIDs) != 4 {
		t.Fatalf("PlanKill = %s %v, want cgroup.kill of 4", kp.Method, kp.PIDs)
	}
	res, err := lv.ed.Kill(t.Context(), kp)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Remaining) != 0 || lv.read(t, "cgroup.procs") != "" {
		t.Errorf("after kill: remaining %v, procs %q", res.Remaining, lv.read(t, "cgroup.procs"))
	}
	if !h.wait(10 * time.Second) {
		t.Fatal("forker survived cgroup.kill")
	}
	if ws := h.state.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("forker ended with %v, want SIGKILL", h.state)
	}
}

func TestLabV2UndoRestores(t *testing.T) {
	lv := newLabV2(t)
	state := func() string {
		return lv.read(t, "cpu.max") + " | " + lv.read(t, "memory.max") + " | " + lv.read(t, "pids.max") + " | " + lv.read(t, "cpu.weight")
	}
	orig := state()
	lv.apply(t, mustLimits(t, "0.5", "64M", "50"))
	lv.apply(t, Limits{CPUWeight: ptr(int64(300)), CPU: &CPU{QuotaUS: 10000, PeriodUS: 20000}})
	if got, want := state(), "10000 20000 | 67108864 | 50 | 300"; got != want {
		t.Fatalf("after two changes: %q, want %q", got, want)
	}
	for i := 0; i < 2; i++ {
		if _, _, err := lv.ed.Undo(t.Context(), lv.path, false); err != nil {
			t.Fatalf("undo %d: %v", i+1, err)
		}
	}
	if got := state(); got != orig {
		t.Errorf("after two undos: %q, want the original %q", got, orig)
	}
}

func TestLabV2CLI(t *testing.T) {
	lv := newLabV2(t)
	bin := os.Getenv("NSCOPE_BIN")
	if bin == "" {
		t.Skip("NSCOPE_BIN is not set")
	}
	state := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "NSCOPE_STATE_DIR="+state)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("nscope %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	out := run("set", lv.path, "--cpu", "0.25", "--memory", "128M", "--pids", "20", "--yes")
	for _, want := range []string{"cpu.max: max 100000 (unlimited) → 25000 100000 (25% of 1 CPU)", "memory.max: max (unlimited) → 134217728 (128 MiB)", "pids.max: max → 20"} {
		if !strings.Contains(out, want) {
			t.Errorf("nscope set output lacks %q:\n%s", want, out)
		}
	}
	if got := lv.read(t, "cpu.max"); got != "25000 100000" {
		t.Errorf("cpu.max = %q", got)
	}
	out = run("history", lv.path)
	if !strings.Contains(out, "134217728") {
		t.Errorf("history lacks the change:\n%s", out)
	}
	run("undo", lv.path)
	if got := lv.read(t, "cpu.max") + " " + lv.read(t, "memory.max") + " " + lv.read(t, "pids.max"); got != "max 100000 max max" {
		t.Errorf("after nscope undo: %q", got)
	}
}
