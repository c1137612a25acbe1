package main

// TestLab tests run inside the kernel lab's QEMU guest (go run
// ./cmd/kernlab) against the real nscope binary the lab built
// (NSCOPE_BIN). labBinary names the configurations each applies to: the
// ones here the cgroup v2 guests (6.1-v2, 6.12-v2), a pure v2 host with
// controllers; legacy_lab_test.go has the legacy guest's.

import (
	"bytes"
	"encoding/json"
	"fmt"
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
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/testutil"
)

// labBinary returns the nscope binary to drive, skipping outside a lab
// guest with one of the cgroup setups.
func labBinary(t *testing.T, setups ...labproto.CgroupSetup) string {
	t.Helper()
	labproto.Need(t, setups...)
	bin := os.Getenv("NSCOPE_BIN")
	if bin == "" {
		t.Fatal("NSCOPE_BIN is not set: the lab puts the nscope binary at /bin/nscope and names it there")
	}
	return bin
}

// labStart starts argv in the cgroup at birth, with extra clone flags,
// and kills it when the test ends.
func labStart(t *testing.T, dir string, cloneflags uintptr, argv ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: cloneflags}
	if err := testutil.StartInCgroup(t, dir, cmd); err != nil {
		t.Fatalf("start %v: %v", argv, err)
	}
	return cmd
}

// labRun runs the nscope binary and returns stdout, failing on a non-zero
// exit with stderr in the message.
func labRun(t *testing.T, bin string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("nscope %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

func TestLabCLICgroupJSON(t *testing.T) {
	bin := labBinary(t, labproto.CgroupV2)
	dir, path := testutil.LabCgroup(t,
		[2]string{"cpu.max", "20000 100000"},
		[2]string{"memory.max", "128M"},
		[2]string{"pids.max", "20"},
	)
	sleeper := labStart(t, dir, 0, "/bin/sleep", "60")

	var got struct {
		Mode        inspect.CgroupMode  `json:"cgroup_mode"`
		Hierarchies []inspect.Hierarchy `json:"hierarchies"`
		Cgroups     []inspect.Cgroup    `json:"cgroups"`
	}
	out := labRun(t, bin, "cg", "--json")
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("nscope cg --json is not JSON: %v\n%s", err, out)
	}
	if got.Mode != inspect.CgroupUnified {
		t.Errorf("cgroup_mode = %q, want unified", got.Mode)
	}
	if len(got.Hierarchies) != 1 || got.Hierarchies[0].Version != 2 {
		t.Fatalf("hierarchies = %+v, want the one v2 hierarchy", got.Hierarchies)
	}
	for _, c := range []string{"cpu", "memory", "pids", "io"} {
		if !got.Hierarchies[0].Has(c) {
			t.Errorf("v2 hierarchy controllers = %v, missing %s", got.Hierarchies[0].Controllers, c)
		}
	}
	var cg *inspect.Cgroup
	for i := range got.Cgroups {
		if got.Cgroups[i].Path == path {
			cg = &got.Cgroups[i]
		}
	}
	if cg == nil {
		t.Fatalf("nscope cg --json does not list the test cgroup %s", path)
	}
	type view struct {
		Procs              []int
		Quota, Period      int64
		MemoryMax, PidsMax int64
	}
	want := view{[]int{sleeper.Process.Pid}, 20000, 100000, 128 << 20, 20}
	gotView := view{Procs: cg.Procs}
	for _, f := range []struct {
		dst *int64
		src *int64
	}{{&gotView.Quota, cg.Limits.CPUQuotaUS}, {&gotView.Period, cg.Limits.CPUPeriodUS}, {&gotView.MemoryMax, cg.Limits.MemoryMax}, {&gotView.PidsMax, cg.Limits.PidsMax}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if diff := cmp.Diff(want, gotView); diff != "" {
		t.Errorf("test cgroup in nscope cg --json (-want +got):\n%s", diff)
	}
	if cg.Usage.PidsCurrent == nil || *cg.Usage.PidsCurrent != 1 {
		t.Errorf("pids_current = %v, want 1", cg.Usage.PidsCurrent)
	}

	table := labRun(t, bin, "cg")
	if !strings.Contains(table, "unified (cgroup v2)") {
		t.Errorf("nscope cg does not say the mode is unified:\n%s", table)
	}
	if !strings.Contains(table, path) {
		t.Errorf("nscope cg does not list %s:\n%s", path, table)
	}
}

// waitEnteredHostname waits until nscope enter into pid's UTS namespace
// shows the hostname the target sets for itself.
func waitEnteredHostname(t *testing.T, bin string, pid int, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, _ := exec.Command(bin, "enter", fmt.Sprint(pid), "--ns", "uts", "--", "/bin/hostname").Output()
		if strings.TrimSpace(string(out)) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("target never showed hostname %s through nscope enter (last output %q)", want, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// nscope enter joins the target's namespaces and, on cgroup v2, its cgroup.
func TestLabCLIEnterJoinsCgroup(t *testing.T) {
	bin := labBinary(t, labproto.CgroupV2)
	dir, path := testutil.LabCgroup(t)
	target := labStart(t, dir, unix.CLONE_NEWUTS, "/bin/sh", "-c", "hostname lab-target && exec sleep 60")
	waitEnteredHostname(t, bin, target.Process.Pid, "lab-target")
	out := labRun(t, bin, "enter", fmt.Sprint(target.Process.Pid), "--", "/bin/sh", "-c", "hostname; cat /proc/self/cgroup")
	want := "lab-target\n0::" + path + "\n"
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("hostname and cgroup inside nscope enter (-want +got):\n%s", diff)
	}
}

// nscope run makes a cgroup with the limits asked for, starts the command
// in it (clone3 CLONE_INTO_CGROUP on v2), and removes the cgroup after the
// command exits.
func TestLabCLIRunPlacesChildInItsCgroup(t *testing.T) {
	bin := labBinary(t, labproto.CgroupV2)
	parentDir, parent := testutil.LabCgroup(t)
	name := "run-child"
	// Without a new cgroup namespace the command sees its real cgroup path.
	script := `cg=$(cut -d: -f3 /proc/self/cgroup); echo "$cg"; cd "/sys/fs/cgroup$cg" && cat cpu.max memory.max pids.max`
	out := labRun(t, bin, "run", "--ns", "pid,mnt", "--cgroup-parent", parent, "--name", name,
		"--cpu", "0.2", "--memory", "64M", "--pids", "16", "--", "/bin/sh", "-c", script)
	want := parent + "/" + name + "\n20000 100000\n67108864\n16\n"
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("cgroup and limits seen by the command under nscope run (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(parentDir, name)); !os.IsNotExist(err) {
		t.Errorf("cgroup %s/%s still there after the command exited (stat: %v)", parent, name, err)
	}
}
