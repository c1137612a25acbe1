package inspect_test

import (
	"fmt"
	"math"
	"math/rand/v2"
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
	"github.com/nscope/nscope/procview"
)

// The TUI's CPU figures on a legacy host whose cpu and cpuacct
// controllers are mounted apart (the lab's 6.1-legacy guest): the usage
// comes from the cpuacct hierarchy, the quota and throttling from the cpu
// one, and the rates from two scans must join them by path and match
// cpuacct.usage read directly.
func TestLabLegacyScanCPURate(t *testing.T) {
	labproto.Need(t, labproto.CgroupLegacy)
	s := inspect.New(inspect.WithFDs(false), inspect.WithMounts(false))
	layout := s.Layout()
	cpuH, acctH := layout.ForController("cpu"), layout.ForController("cpuacct")
	if cpuH == nil || acctH == nil || cpuH.ID == acctH.ID {
		t.Fatalf("want cpu and cpuacct in hierarchies of their own: %+v", layout.Hierarchies)
	}
	path := fmt.Sprintf("/nscope-test-%d-%08x", os.Getpid(), rand.Uint32())
	cpuDir, acctDir := filepath.Join(cpuH.Mount, path), filepath.Join(acctH.Mount, path)
	for _, dir := range []string{cpuDir, acctDir} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			var err error
			for range 100 {
				if err = unix.Rmdir(dir); err == nil {
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
			t.Errorf("remove %s: %v", dir, err)
		})
	}
	for file, value := range map[string]string{"cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "20000"} {
		if err := os.WriteFile(filepath.Join(cpuDir, file), []byte(value), 0); err != nil {
			t.Fatal(err)
		}
	}
	busy := startGroup(t, exec.Command("/bin/sh", "-c", "while :; do :; done"))
	for _, dir := range []string{cpuDir, acctDir} {
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(busy)), 0); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = syscall.Kill(busy, syscall.SIGKILL) })
	time.Sleep(300 * time.Millisecond)

	usage := func() int64 {
		data, err := os.ReadFile(filepath.Join(acctDir, "cpuacct.usage"))
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	rawBefore, t0 := usage(), time.Now()
	prev := labScan(t, s)
	time.Sleep(2 * time.Second)
	cur := labScan(t, s)
	rawAfter, t1 := usage(), time.Now()

	rawCores := float64(rawAfter-rawBefore) / float64(t1.Sub(t0).Nanoseconds())
	rates := procview.ComputeRates(prev, cur)
	cpuCg, acctCg := cur.Cgroup(cpuH.ID, path), cur.Cgroup(acctH.ID, path)
	if cpuCg == nil || acctCg == nil {
		t.Fatalf("the scan lacks %s in the cpu or cpuacct hierarchy", path)
	}
	for _, c := range []struct {
		name string
		cg   *inspect.Cgroup
	}{{"cpu", cpuCg}, {"cpuacct", acctCg}} {
		rate := rates.Cgroup(c.cg)
		t.Logf("%s hierarchy row: %.3f cores, %.0f%% of quota, %.0f%% throttled; cpuacct.usage says %.3f cores",
			c.name, rate.CPUCores, rate.QuotaPercent, rate.ThrottledPercent, rawCores)
		if !rate.HasCPU || !rate.HasQuota {
			t.Errorf("%s hierarchy row: rates incomplete: %+v", c.name, rate)
			continue
		}
		// What the kernel allowed depends on how the host schedules the
		// guest (a stalled virtual CPU is charged to the running task);
		// what the scans say must match it, and the quota use follow.
		if math.Abs(rate.CPUCores-rawCores) > 0.03 {
			t.Errorf("%s hierarchy row: %.3f cores from two scans, cpuacct.usage over the same time %.3f", c.name, rate.CPUCores, rawCores)
		}
		if want := rate.CPUCores / 0.2 * 100; math.Abs(rate.QuotaPercent-want) > 1 {
			t.Errorf("%s hierarchy row: quota use %.1f%%, want %.1f%% (%.3f cores of a 0.2-core quota)", c.name, rate.QuotaPercent, want, rate.CPUCores)
		}
	}
	if rawCores < 0.10 || rawCores > 0.35 {
		t.Errorf("busy loop under a 20%% quota used %.3f cores, want 0.10-0.35", rawCores)
	}
	if rate := rates.Cgroup(cpuCg); !rate.HasThrottle || rate.ThrottledPercent < 50 {
		t.Errorf("cpu hierarchy row: throttled %.0f%% (known %v), want most periods for a busy loop at 20%%", rate.ThrottledPercent, rate.HasThrottle)
	}
}
