package inspect_test

// TestLab tests run inside the kernel lab's QEMU guest (go run
// ./cmd/kernlab). Those that call labNeedV2 apply to the cgroup v2
// configurations (6.1-v2, 6.12-v2), where cgroup2 is mounted at
// /sys/fs/cgroup with the cpu, memory, pids and io controllers enabled.
// They prove that the scanner reads a pure v2 host right: the mode, the
// controllers, every limit and usage file, and the rates the TUI shows
// from two scans. labNeed's tests (TestLabBPFMatchesProcfs) run in every
// configuration; the legacy ones are in legacy_lab_test.go.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/testutil"
	"github.com/nscope/nscope/procview"
)

// labNeed skips unless running in a kernel lab guest, of any
// configuration: the 6.1 and 6.12 v2 guests and the 6.1 legacy one.
// TestLabBPFMatchesProcfs uses it, so that a kernel structure that moved
// between versions, or a cgroup read that differs on v1, fails there.
func labNeed(t *testing.T) {
	t.Helper()
	labproto.Need(t, labproto.AnyCgroup...)
}

// labNeedV2 skips unless running in a cgroup v2 lab guest.
func labNeedV2(t *testing.T) {
	t.Helper()
	labproto.Need(t, labproto.CgroupV2)
}

// labStart starts argv inside the cgroup at birth (CLONE_INTO_CGROUP) and
// kills it when the test ends.
func labStart(t *testing.T, dir string, argv ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := testutil.StartInCgroup(t, dir, cmd); err != nil {
		t.Fatalf("start %v in %s: %v", argv, dir, err)
	}
	return cmd
}

// labScan scans the live guest without the fd and mount searches, which
// these tests do not need.
func labScan(t *testing.T, s *inspect.Scanner) *inspect.Snapshot {
	t.Helper()
	snap, err := s.Scan(context.Background())
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	return snap
}

// labFind returns the v2 cgroup with the given path, failing if absent.
func labFind(t *testing.T, snap *inspect.Snapshot, path string) *inspect.Cgroup {
	t.Helper()
	c := snap.Cgroup(0, path)
	if c == nil {
		t.Fatalf("scan has no v2 cgroup %s", path)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

func TestLabLayoutUnified(t *testing.T) {
	labNeedV2(t)
	s := inspect.NewScanner(t, inspect.WithFDs(false), inspect.WithMounts(false))
	layout := s.Layout()
	if layout.Mode != inspect.CgroupUnified {
		t.Fatalf("mode = %q, want %q (cgroup2 is mounted at /sys/fs/cgroup)", layout.Mode, inspect.CgroupUnified)
	}
	want := []inspect.Hierarchy{{ID: 0, Version: 2, Mount: testutil.LabCgroupRoot}}
	got := append([]inspect.Hierarchy(nil), layout.Hierarchies...)
	for i := range got {
		got[i].Controllers = nil // checked below; the kernel may offer more
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hierarchies (-want +got):\n%s", diff)
	}
	for _, c := range []string{"cpu", "memory", "pids", "io"} {
		if h := layout.ForController(c); h == nil || h.Version != 2 {
			t.Errorf("ForController(%q) = %+v, want the v2 hierarchy", c, h)
		}
	}
}

func TestLabScanLimitsAndUsage(t *testing.T) {
	labNeedV2(t)
	dev, err := os.ReadFile("/sys/block/vda/dev")
	if err != nil {
		t.Fatalf("the lab disk: %v", err)
	}
	var major, minor int
	if _, err := fmt.Sscanf(strings.TrimSpace(string(dev)), "%d:%d", &major, &minor); err != nil {
		t.Fatalf("parse %q: %v", dev, err)
	}
	dir, path := testutil.LabCgroup(t,
		[2]string{"cpu.max", "20000 100000"},
		[2]string{"cpu.weight", "300"},
		[2]string{"memory.max", "64M"},
		[2]string{"memory.high", "48M"},
		[2]string{"memory.low", "8M"},
		[2]string{"pids.max", "16"},
		[2]string{"io.max", fmt.Sprintf("%d:%d rbps=1048576 wiops=120", major, minor)},
	)
	sleeper := labStart(t, dir, "/bin/sleep", "60")
	_, idlePath := testutil.LabCgroup(t, [2]string{"cgroup.freeze", "1"})

	snap := labScan(t, inspect.NewScanner(t, inspect.WithFDs(false), inspect.WithMounts(false)))
	if snap.CgroupMode != inspect.CgroupUnified {
		t.Errorf("snapshot mode = %q, want unified", snap.CgroupMode)
	}
	c := labFind(t, snap, path)
	want := inspect.Limits{
		CPUQuotaUS:  ptr[int64](20000),
		CPUPeriodUS: ptr[int64](100000),
		CPUWeight:   ptr[int64](300),
		MemoryMax:   ptr[int64](64 << 20),
		MemoryHigh:  ptr[int64](48 << 20),
		MemoryLow:   ptr[int64](8 << 20),
		PidsMax:     ptr[int64](16),
		IOMax: []inspect.IOMax{{Major: major, Minor: minor, RBps: 1048576, WBps: inspect.Unlimited,
			RIOps: inspect.Unlimited, WIOps: 120}},
		Frozen: ptr(false),
	}
	if diff := cmp.Diff(want, c.Limits); diff != "" {
		t.Errorf("limits of %s (-want +got):\n%s", path, diff)
	}
	if diff := cmp.Diff([]int{sleeper.Process.Pid}, c.Procs); diff != "" {
		t.Errorf("procs of %s (-want +got):\n%s", path, diff)
	}
	for _, ctrl := range []string{"cpu", "memory", "pids", "io"} {
		if !contains(c.Controllers, ctrl) {
			t.Errorf("controllers of %s = %v, missing %s", path, c.Controllers, ctrl)
		}
	}
	u := c.Usage
	if u.PidsCurrent == nil || *u.PidsCurrent != 1 {
		t.Errorf("pids current = %v, want 1", u.PidsCurrent)
	}
	if u.MemoryCurrent == nil || *u.MemoryCurrent <= 0 {
		t.Errorf("memory current = %v, want > 0 with a process inside", u.MemoryCurrent)
	}
	if u.CPUUsageUS == nil || u.NrPeriods == nil || u.NrThrottled == nil || u.ThrottledUS == nil {
		t.Errorf("cpu.stat not read: %+v", u)
	}
	if u.MemoryEvents == nil {
		t.Errorf("memory.events not read")
	}
	if u.PSI == nil || u.PSI.CPU == nil || u.PSI.Memory == nil || u.PSI.IO == nil {
		t.Errorf("pressure files not read (the lab boots with psi=1): %+v", u.PSI)
	}

	if p := snap.Process(sleeper.Process.Pid); p == nil {
		t.Errorf("scan has no process %d", sleeper.Process.Pid)
	} else if got, _ := p.CgroupPath(0); got != path {
		t.Errorf("process %d cgroup = %q, want %q", p.PID, got, path)
	}
	idle := labFind(t, snap, idlePath)
	if idle.Limits.Frozen == nil || !*idle.Limits.Frozen {
		t.Errorf("frozen cgroup %s reads Frozen = %v, want true", idlePath, idle.Limits.Frozen)
	}
	if root := labFind(t, snap, "/"); root.Limits.CPUQuotaUS != nil {
		t.Errorf("root cgroup has a cpu.max quota %d; the kernel has no cpu.max at the root", *root.Limits.CPUQuotaUS)
	}
}

// The TUI's CPU figures come from two scans (procview.ComputeRates). Under
// cpu.max "20000 100000" a busy loop gets 20% of a CPU; the rate from the
// scans must match both that and cpu.stat read directly over the same
// interval, and throttling must show.
func TestLabScanCPURateMatchesCPUStat(t *testing.T) {
	labNeedV2(t)
	dir, path := testutil.LabCgroup(t, [2]string{"cpu.max", "20000 100000"})
	labStart(t, dir, "/bin/sh", "-c", "while :; do :; done")
	time.Sleep(300 * time.Millisecond)

	s := inspect.NewScanner(t, inspect.WithFDs(false), inspect.WithMounts(false))
	stat := filepath.Join(dir, "cpu.stat")
	rawBefore, t0 := testutil.KeyedValue(t, stat, "usage_usec"), time.Now()
	prev := labScan(t, s)
	time.Sleep(2 * time.Second)
	cur := labScan(t, s)
	rawAfter, t1 := testutil.KeyedValue(t, stat, "usage_usec"), time.Now()

	rawCores := float64(rawAfter-rawBefore) / float64(t1.Sub(t0).Microseconds())
	rate := procview.ComputeRates(prev, cur).Cgroup(labFind(t, cur, path))
	t.Logf("busy loop under 20%% quota: scans say %.3f cores (%.0f%% of quota, %.0f%% of periods throttled); cpu.stat says %.3f cores",
		rate.CPUCores, rate.QuotaPercent, rate.ThrottledPercent, rawCores)
	if !rate.HasCPU || !rate.HasQuota || !rate.HasThrottle {
		t.Fatalf("rates incomplete: %+v", rate)
	}
	if rate.CPUCores < 0.15 || rate.CPUCores > 0.25 {
		t.Errorf("CPU from two scans = %.3f cores, want about 0.20", rate.CPUCores)
	}
	if math.Abs(rate.CPUCores-rawCores) > 0.03 {
		t.Errorf("CPU from two scans = %.3f cores, cpu.stat over the same time = %.3f", rate.CPUCores, rawCores)
	}
	if rate.QuotaPercent < 75 || rate.QuotaPercent > 125 {
		t.Errorf("quota use = %.0f%%, want about 100%%", rate.QuotaPercent)
	}
	if rate.ThrottledPercent < 50 {
		t.Errorf("throttled = %.0f%% of periods, want most of them for a busy loop at 20%%", rate.ThrottledPercent)
	}
	c0, c1 := labFind(t, prev, path), labFind(t, cur, path)
	if *c1.Usage.NrThrottled <= *c0.Usage.NrThrottled {
		t.Errorf("nr_throttled did not rise between scans: %d -> %d", *c0.Usage.NrThrottled, *c1.Usage.NrThrottled)
	}
}

// A child that allocates more than memory.max is OOM-killed; the scan
// reports the kill from memory.events, and the rates show it as new.
func TestLabScanReportsOOMKill(t *testing.T) {
	labNeedV2(t)
	dir, path := testutil.LabCgroup(t, [2]string{"memory.max", "16M"})
	s := inspect.NewScanner(t, inspect.WithFDs(false), inspect.WithMounts(false))
	prev := labScan(t, s)
	// busybox dd allocates its whole block (64 MiB) and fills it.
	cmd := labStart(t, dir, "/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1")
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("dd with a 64 MiB buffer under memory.max 16M ended with %v, want SIGKILL by the OOM killer", err)
	}
	raw := testutil.KeyedValue(t, filepath.Join(dir, "memory.events"), "oom_kill")
	cur := labScan(t, s)
	c := labFind(t, cur, path)
	if c.Usage.MemoryEvents == nil {
		t.Fatalf("scan did not read memory.events of %s", path)
	}
	if c.Usage.MemoryEvents.OOMKill != raw || raw < 1 {
		t.Errorf("scan oom_kill = %d, memory.events says %d; want equal and at least 1", c.Usage.MemoryEvents.OOMKill, raw)
	}
	if got := procview.ComputeRates(prev, cur).Cgroup(c).NewOOMKills; got != raw {
		t.Errorf("new OOM kills between scans = %d, want %d", got, raw)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestV2HostFixture scans the pure v2 host the kernel lab saved (see
// testdata/v2host/README) and checks it against what cmd/labinit's demo
// wrote there. It runs everywhere, not only in the lab.
func TestV2HostFixture(t *testing.T) {
	root := filepath.Join("..", "testdata", "v2host")
	s := inspect.New(inspect.ProcRoot(filepath.Join(root, "proc")), inspect.SysRoot(filepath.Join(root, "sys")),
		inspect.RunRoot(filepath.Join(root, "run")), inspect.EtcRoot(filepath.Join(root, "etc")))
	snap, err := s.Scan(context.Background())
	if err != nil {
		t.Fatalf("scan fixture: %v", err)
	}
	if snap.CgroupMode != inspect.CgroupUnified {
		t.Errorf("mode = %q, want unified", snap.CgroupMode)
	}
	if len(snap.Hierarchies) != 1 || snap.Hierarchies[0].Version != 2 {
		t.Fatalf("hierarchies = %+v, want one v2 hierarchy", snap.Hierarchies)
	}
	for _, c := range []string{"cpu", "memory", "pids", "io"} {
		if !snap.Hierarchies[0].Has(c) {
			t.Errorf("v2 controllers %v lack %s", snap.Hierarchies[0].Controllers, c)
		}
	}
	dev, err := os.ReadFile(filepath.Join(root, "sys", "block", "vda", "dev"))
	if err != nil {
		t.Fatal(err)
	}
	var major, minor int
	if _, err := fmt.Sscanf(strings.TrimSpace(string(dev)), "%d:%d", &major, &minor); err != nil {
		t.Fatalf("parse %q: %v", dev, err)
	}
	tests := []struct {
		name   string
		path   string
		limits inspect.Limits
		procs  int
	}{
		{"capped web server", "/lab/web", inspect.Limits{
			CPUQuotaUS: ptr[int64](20000), CPUPeriodUS: ptr[int64](100000), CPUWeight: ptr[int64](200),
			MemoryMax: ptr[int64](64 << 20), MemoryHigh: ptr[int64](48 << 20), MemoryLow: ptr[int64](0),
			PidsMax: ptr[int64](32), Frozen: ptr(false),
			IOMax: []inspect.IOMax{{Major: major, Minor: minor, RBps: 1048576, WBps: inspect.Unlimited, RIOps: inspect.Unlimited, WIOps: 100}},
		}, 2},
		{"frozen batch job", "/lab/batch", inspect.Limits{
			CPUQuotaUS: ptr(inspect.Unlimited), CPUPeriodUS: ptr[int64](100000), CPUWeight: ptr[int64](50),
			MemoryMax: ptr(inspect.Unlimited), MemoryHigh: ptr(inspect.Unlimited), MemoryLow: ptr[int64](0),
			PidsMax: ptr[int64](8), Frozen: ptr(true),
		}, 1},
		{"empty cgroup", "/lab/idle", inspect.Limits{
			CPUQuotaUS: ptr(inspect.Unlimited), CPUPeriodUS: ptr[int64](100000), CPUWeight: ptr[int64](100),
			MemoryMax: ptr(inspect.Unlimited), MemoryHigh: ptr(inspect.Unlimited), MemoryLow: ptr[int64](0),
			PidsMax: ptr(inspect.Unlimited), Frozen: ptr(false),
		}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := snap.Cgroup(0, tc.path)
			if c == nil {
				t.Fatalf("no cgroup %s in the fixture scan", tc.path)
			}
			if diff := cmp.Diff(tc.limits, c.Limits); diff != "" {
				t.Errorf("limits of %s (-want +got):\n%s", tc.path, diff)
			}
			if len(c.Procs) != tc.procs {
				t.Errorf("%s has %d processes %v, want %d", tc.path, len(c.Procs), c.Procs, tc.procs)
			}
		})
	}

	web := snap.Cgroup(0, "/lab/web")
	if web == nil {
		t.Fatal("no /lab/web")
	}
	if u := web.Usage; u.NrThrottled == nil || *u.NrThrottled == 0 || u.CPUUsageUS == nil || *u.CPUUsageUS == 0 {
		t.Errorf("/lab/web cpu.stat shows no usage or throttling: %+v", u)
	}
	// The spinner runs in its own pid namespace: NSpid "N 1".
	nested := 0
	for _, pid := range web.Procs {
		p := snap.Process(pid)
		if p == nil {
			t.Errorf("cgroup member %d is not among the scanned processes", pid)
			continue
		}
		if len(p.NSpid) == 2 && p.NSpid[1] == 1 {
			nested++
			if p.NS[inspect.PIDNS] == snap.Host.InitNS[inspect.PIDNS] || p.NS[inspect.NetNS] == snap.Host.InitNS[inspect.NetNS] {
				t.Errorf("nested process %d shares the host's pid or net namespace", pid)
			}
		}
		if p.User != "root" {
			t.Errorf("process %d user = %q, want root from the fixture passwd", pid, p.User)
		}
	}
	if nested != 1 {
		t.Errorf("%d processes of /lab/web are PID 1 of their own pid namespace, want 1", nested)
	}
}
