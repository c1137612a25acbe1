package inspect

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/internal/fixturefs"
	"github.com/nscope/nscope/internal/testutil"
)

// The fixture trees under testdata/ are copies of real kernel files: a
// /proc subset, the cgroup filesystems and a passwd file. "hybridhost" is
// made on this kind of machine by
//
//	go test ./inspect -run TestFixtureHybrid -update-fixture
//
// which builds a small container (every namespace type, v1 cgroups with
// limits), copies the files, and writes expect.json with what the scan of
// the fixture must find. Namespace links become symlinks to their text
// ("net:[4026531833]"), which is all the scanner reads of them.

var updateFixture = flag.Bool("update-fixture", false, "regenerate testdata/hybridhost from this machine")

// fixtureExpect is what a scan of a fixture must find.
type fixtureExpect struct {
	Mode         CgroupMode `json:"mode"`
	Processes    int        `json:"processes"`
	ContainerPID int        `json:"container_pid"`
	ContainerNS  NSSet      `json:"container_ns"`
	NSpid        []int      `json:"nspid"`
	Cgroup       string     `json:"cgroup"`
	CPUQuotaUS   int64      `json:"cpu_quota_us"`
	CPUPeriodUS  int64      `json:"cpu_period_us"`
	MemoryMax    int64      `json:"memory_max"`
	PidsMax      int64      `json:"pids_max"`
	MemoryCgroup string     `json:"memory_cgroup"`
}

func TestFixtureHybrid(t *testing.T) {
	root := filepath.Join("..", "testdata", "hybridhost")
	if *updateFixture {
		makeHybridFixture(t, root)
	}
	var want fixtureExpect
	data, err := os.ReadFile(filepath.Join(root, "expect.json"))
	if err != nil {
		t.Fatalf("read fixture expectations: %v (regenerate with -update-fixture)", err)
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	s := New(ProcRoot(filepath.Join(root, "proc")), SysRoot(filepath.Join(root, "sys")),
		RunRoot(filepath.Join(root, "run")), EtcRoot(filepath.Join(root, "etc")))
	snap, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if snap.CgroupMode != want.Mode || len(snap.Processes) != want.Processes {
		t.Errorf("fixture scan: mode %s, %d processes; want %s, %d", snap.CgroupMode, len(snap.Processes), want.Mode, want.Processes)
	}
	p := snap.Process(want.ContainerPID)
	if p == nil {
		t.Fatalf("fixture scan has no container process %d", want.ContainerPID)
	}
	for _, typ := range AllNSTypes {
		if p.NS[typ].Ino != want.ContainerNS[typ].Ino {
			t.Errorf("container %s namespace %d, want %d", typ, p.NS[typ].Ino, want.ContainerNS[typ].Ino)
		}
		if n := snap.Namespace(p.NS[typ]); n == nil || len(n.Members) == 0 {
			t.Errorf("container %s namespace missing or empty: %+v", typ, n)
		}
	}
	if diff := cmp.Diff(want.NSpid, p.NSpid); diff != "" {
		t.Errorf("NSpid (-want +got):\n%s", diff)
	}
	if p.User != "root" {
		t.Errorf("user name %q, want root from the fixture passwd", p.User)
	}
	cpu := snap.HierarchyFor("cpu")
	mem := snap.HierarchyFor("memory")
	pids := snap.HierarchyFor("pids")
	if cpu == nil || mem == nil || pids == nil {
		t.Fatalf("fixture hierarchies %+v lack cpu, memory or pids", snap.Hierarchies)
	}
	check := func(h *Hierarchy, path string, got func(c *Cgroup) *int64, want int64, what string) {
		t.Helper()
		c := snap.Cgroup(h.ID, path)
		if c == nil {
			t.Errorf("no %s cgroup %s", h.Label(), path)
			return
		}
		if v := got(c); v == nil || *v != want {
			t.Errorf("%s of %s = %v, want %d", what, path, v, want)
		}
		if len(c.Procs) == 0 {
			t.Errorf("%s cgroup %s has no members", h.Label(), path)
		}
	}
	check(cpu, want.Cgroup, func(c *Cgroup) *int64 { return c.Limits.CPUQuotaUS }, want.CPUQuotaUS, "cpu quota")
	check(cpu, want.Cgroup, func(c *Cgroup) *int64 { return c.Limits.CPUPeriodUS }, want.CPUPeriodUS, "cpu period")
	check(mem, want.MemoryCgroup, func(c *Cgroup) *int64 { return c.Limits.MemoryMax }, want.MemoryMax, "memory limit")
	check(pids, want.Cgroup, func(c *Cgroup) *int64 { return c.Limits.PidsMax }, want.PidsMax, "pids limit")
	if root := snap.Cgroup(mem.ID, "/"); root == nil || root.Limits.MemoryMax == nil || *root.Limits.MemoryMax != Unlimited {
		t.Errorf("root memory cgroup limit should read as unlimited: %+v", root)
	}
}

// makeHybridFixture builds a container on this host and copies what the
// scanner reads about it, the host's first processes and the test process
// itself into root.
func makeHybridFixture(t *testing.T, root string) {
	testutil.RequireRoot(t, "creates namespaces and cgroups to save as a fixture")
	testutil.RequireTools(t, "unshare", "sleep")
	layout := New().Layout()
	if layout.Mode != CgroupHybrid {
		t.Skipf("the hybrid fixture is made on a hybrid host; this one is %s", layout.Mode)
	}
	cgs := makeV1Cgroups(t, layout, "cpu", "cpuacct", "memory", "pids", "freezer")
	testutil.WriteCgroupFile(t, cgs["cpu"].dir, "cpu.cfs_quota_us", "20000")
	testutil.WriteCgroupFile(t, cgs["memory"].dir, "memory.limit_in_bytes", "268435456")
	testutil.WriteCgroupFile(t, cgs["pids"].dir, "pids.max", "64")

	cont := testutil.StartProc(t, "unshare", "--fork", "--kill-child", "--pid", "--mount-proc",
		"--mount", "--uts", "--ipc", "--net", "--cgroup", "--time", "sleep", "1000")
	chain := testutil.WaitDescendant(t, cont.Process.Pid, 1, "sleep")
	for _, pid := range chain {
		for _, cg := range cgs {
			testutil.WriteCgroupFile(t, cg.dir, "cgroup.procs", strconv.Itoa(pid))
		}
	}
	t.Cleanup(func() { _ = syscall.Kill(-cont.Process.Pid, syscall.SIGKILL); _ = cont.Wait() })

	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	self := os.Getpid()
	pids := append([]int{1, 2, self}, chain...)
	for _, pid := range pids {
		copyProcess(t, root, pid, pid == self)
	}
	proc := filepath.Join(root, "proc")
	must(t, os.Symlink(strconv.Itoa(self), filepath.Join(proc, "self")))
	for _, f := range []string{"stat", "meminfo", "sys/kernel/hostname", "sys/kernel/osrelease"} {
		copyFile(t, "/proc/"+f, filepath.Join(proc, f))
	}
	passwd := "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
	must(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "etc", "passwd"), []byte(passwd), 0o644))
	must(t, os.MkdirAll(filepath.Join(root, "run"), 0o755))

	// The cgroup trees: every hierarchy's root, and the path down to the
	// test cgroups.
	for i := range layout.Hierarchies {
		h := &layout.Hierarchies[i]
		dst := filepath.Join(root, "sys", strings.TrimPrefix(h.Mount, "/sys"))
		copyCgroupDir(t, h.Mount, dst)
		for _, cg := range cgs {
			if cg.hier.ID != h.ID {
				continue
			}
			rel := ""
			for _, part := range strings.Split(strings.Trim(cg.rel, "/"), "/") {
				rel += "/" + part
				copyCgroupDir(t, h.Mount+rel, dst+rel)
			}
		}
	}
	p := liveScan(t, WithCgroups(false)).Process(chain[1])
	exp := fixtureExpect{
		Mode: CgroupHybrid, Processes: len(pids), ContainerPID: chain[1], ContainerNS: p.NS,
		NSpid: p.NSpid, Cgroup: cgs["cpu"].rel, CPUQuotaUS: 20000, CPUPeriodUS: 100000,
		MemoryMax: 268435456, PidsMax: 64, MemoryCgroup: cgs["memory"].rel,
	}
	data, _ := json.MarshalIndent(exp, "", "  ")
	must(t, os.WriteFile(filepath.Join(root, "expect.json"), append(data, '\n'), 0o644))
	readme := "Fixture of a hybrid cgroup host, copied from real kernel files by\n\n" +
		"    go test ./inspect -run TestFixtureHybrid -update-fixture\n\n" +
		"See inspect/fixture_test.go. expect.json says what a scan of it must find.\n"
	must(t, os.WriteFile(filepath.Join(root, "README"), []byte(readme), 0o644))
	_, err := fixturefs.KeepEmptyDirs(root)
	must(t, err)
}

// copyProcess copies the files the scanner reads for pid; with withMounts
// also its mountinfo and cgroup membership used for layout detection.
func copyProcess(t *testing.T, root string, pid int, withMounts bool) {
	src := fmt.Sprintf("/proc/%d", pid)
	dst := filepath.Join(root, "proc", strconv.Itoa(pid))
	files := []string{"stat", "status", "cmdline", "cgroup"}
	if withMounts {
		files = append(files, "mountinfo")
	}
	for _, f := range files {
		copyFile(t, filepath.Join(src, f), filepath.Join(dst, f))
	}
	must(t, os.MkdirAll(filepath.Join(dst, "ns"), 0o755))
	for _, name := range nsLinkNames {
		if target, err := os.Readlink(filepath.Join(src, name)); err == nil {
			must(t, os.Symlink(target, filepath.Join(dst, name)))
		}
	}
	must(t, os.MkdirAll(filepath.Join(dst, "fd"), 0o755))
	entries, _ := os.ReadDir(filepath.Join(src, "fd"))
	for _, e := range entries {
		if target, err := os.Readlink(filepath.Join(src, "fd", e.Name())); err == nil && strings.HasSuffix(target, "]") {
			must(t, os.Symlink(target, filepath.Join(dst, "fd", e.Name())))
		}
	}
}

// copyCgroupDir copies the files the scanner reads from one cgroup.
func copyCgroupDir(t *testing.T, src, dst string) {
	must(t, os.MkdirAll(dst, 0o755))
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() && cgroupFiles[e.Name()] {
			copyFile(t, filepath.Join(src, e.Name()), filepath.Join(dst, e.Name()))
		}
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		// Unreadable files (PID 1's) stay out of the fixture, as the
		// scanner skips them on the host.
		t.Logf("fixture: skip %s: %v", src, err)
		return
	}
	must(t, os.MkdirAll(filepath.Dir(dst), 0o755))
	must(t, os.WriteFile(dst, bytes.Clone(data), 0o644))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
