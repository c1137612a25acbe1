package control

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/testutil"
)

var hybridLayout = inspect.CgroupLayout{Mode: inspect.CgroupHybrid, Hierarchies: []inspect.Hierarchy{
	{ID: 1, Version: 1, Controllers: []string{"cpu"}, Mount: "/sys/fs/cgroup/cpu"},
	{ID: 4, Version: 1, Controllers: []string{"memory"}, Mount: "/sys/fs/cgroup/memory"},
	{ID: 8, Version: 1, Controllers: []string{"pids"}, Mount: "/sys/fs/cgroup/pids"},
	{ID: 9, Version: 1, Name: "systemd", Mount: "/sys/fs/cgroup/systemd"},
	{ID: 0, Version: 2, Mount: "/sys/fs/cgroup/unified"},
}}

// selfCgroupProc is a fixture /proc whose self/cgroup puts us in
// /process_api/x for memory and at the root elsewhere.
func selfCgroupProc(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "self"), 0o755); err != nil {
		t.Fatal(err)
	}
	data := "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/x\n1:cpu:/\n0::/\n"
	if err := os.WriteFile(filepath.Join(dir, "self/cgroup"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func int64p(v int64) *int64 { return &v }

func TestLaunchPlan(t *testing.T) {
	me := os.Getpid()
	name := fmt.Sprintf("nscope-run-%d", me)
	cgroupsAt := func(paths ...string) []LaunchCgroup {
		var out []LaunchCgroup
		for i, h := range hybridLayout.Hierarchies {
			out = append(out, LaunchCgroup{Hierarchy: h, Path: paths[i], Dir: filepath.Join(h.Mount, paths[i])})
		}
		return out
	}
	def := "/nscope/" + name
	tests := []struct {
		name    string
		req     LaunchRequest
		want    *LaunchPlan
		wantErr error
	}{
		{
			name: "defaults",
			req:  LaunchRequest{Command: []string{"sh"}},
			want: &LaunchPlan{Command: []string{"sh"}, NS: DefaultLaunchNS, Hostname: name, Name: name,
				Cgroups: cgroupsAt(def, def, def, def, def)},
		},
		{
			name: "only net: pid and mnt are added, no hostname",
			req:  LaunchRequest{Command: []string{"ip", "a"}, NS: []inspect.NSType{inspect.NetNS}, Name: "n1"},
			want: &LaunchPlan{Command: []string{"ip", "a"}, NS: []inspect.NSType{inspect.MntNS, inspect.PIDNS, inspect.NetNS}, Name: "n1",
				Cgroups: cgroupsAt("/nscope/n1", "/nscope/n1", "/nscope/n1", "/nscope/n1", "/nscope/n1")},
		},
		{
			name: "all, map root, limits, relative parent, keep",
			req: LaunchRequest{Command: []string{"id"}, All: true, MapRoot: true, Hostname: "box", CPU: "0.5", Memory: "256M", Pids: "64",
				CgroupParent: "tests", Name: "t1", Keep: true},
			want: &LaunchPlan{Command: []string{"id"}, NS: inspect.AllNSTypes, Hostname: "box", Name: "t1",
				UIDMap: &IDMap{Inside: 0, Outside: os.Getuid(), Size: 1}, GIDMap: &IDMap{Inside: 0, Outside: os.Getgid(), Size: 1},
				Cgroups: cgroupsAt("/tests/t1", "/process_api/x/tests/t1", "/tests/t1", "/tests/t1", "/tests/t1"),
				Limits:  Limits{CPU: &CPU{Cores: 0.5}, MemoryMax: int64p(256 << 20), PidsMax: int64p(64)}, Keep: true},
		},
		{
			name: "user without map-root maps us to ourselves",
			req:  LaunchRequest{Command: []string{"id"}, NS: []inspect.NSType{inspect.UserNS}, Name: "u", CgroupParent: "/p"},
			want: &LaunchPlan{Command: []string{"id"}, NS: []inspect.NSType{inspect.MntNS, inspect.PIDNS, inspect.UserNS}, Name: "u",
				UIDMap: &IDMap{Inside: os.Getuid(), Outside: os.Getuid(), Size: 1}, GIDMap: &IDMap{Inside: os.Getgid(), Outside: os.Getgid(), Size: 1},
				Cgroups: cgroupsAt("/p/u", "/p/u", "/p/u", "/p/u", "/p/u")},
		},
		{name: "no command", req: LaunchRequest{}, wantErr: ErrInvalidValue},
		{name: "hostname without uts", req: LaunchRequest{Command: []string{"sh"}, NS: []inspect.NSType{inspect.NetNS}, Hostname: "x"}, wantErr: ErrInvalidValue},
		{name: "bad hostname", req: LaunchRequest{Command: []string{"sh"}, Hostname: "a_b"}, wantErr: ErrInvalidValue},
		{name: "bad name", req: LaunchRequest{Command: []string{"sh"}, Name: "../x"}, wantErr: ErrInvalidValue},
		{name: "name like a cgroup file", req: LaunchRequest{Command: []string{"sh"}, Name: "cpu.max"}, wantErr: ErrInvalidValue},
		{name: "parent escapes", req: LaunchRequest{Command: []string{"sh"}, CgroupParent: "/a/../.."}, wantErr: ErrInvalidValue},
		{name: "bad cpu", req: LaunchRequest{Command: []string{"sh"}, CPU: "lots"}, wantErr: ErrInvalidValue},
		{name: "bad memory", req: LaunchRequest{Command: []string{"sh"}, Memory: "12Q"}, wantErr: ErrInvalidValue},
		{name: "list and all", req: LaunchRequest{Command: []string{"sh"}, All: true, NS: []inspect.NSType{inspect.NetNS}}, wantErr: ErrInvalidValue},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := NewLauncher(WithLaunchLayout(hybridLayout), WithLaunchProcRoot(selfCgroupProc(t)))
			got, err := l.Plan(tc.req)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Plan error = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty(), cmpopts.IgnoreUnexported(Limits{})); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLaunchPlanNeedsController(t *testing.T) {
	noPids := inspect.CgroupLayout{Mode: inspect.CgroupLegacy, Hierarchies: hybridLayout.Hierarchies[:2]}
	l := NewLauncher(WithLaunchLayout(noPids), WithLaunchProcRoot(selfCgroupProc(t)))
	_, err := l.Plan(LaunchRequest{Command: []string{"sh"}, Pids: "10"})
	if !errors.Is(err, ErrNoController) || !strings.Contains(err.Error(), "pids") {
		t.Fatalf("Plan = %v, want %v naming pids", err, ErrNoController)
	}
}

func TestInitStatusRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		st   initStatus
	}{
		{name: "started", st: initStatus{Kind: "started", PID: 12}},
		{name: "error", st: initStatus{Kind: "error", Step: "mount /proc", Errno: syscall.EPERM, Detail: "/proc"}},
		{name: "stopped", st: initStatus{Kind: "stopped"}},
		{name: "exited by signal", st: initStatus{Kind: "exited", Code: 137, Signal: syscall.SIGKILL}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseInitStatus(tc.st.line())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.st, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []string{"", "started x", "error\tonly", "weird\n"} {
		if _, err := parseInitStatus(bad); err == nil {
			t.Errorf("parseInitStatus(%q) accepted it", bad)
		}
	}
}

// --- live tests: real namespaces and v1/v2 cgroups, as root ---

func needRootForLaunch(t *testing.T) {
	t.Helper()
	testutil.RequireRoot(t, "creates namespaces and cgroups")
}

// testCgroupParent returns a uniquely named cgroup parent relative to our
// own cgroup in every hierarchy, and removes whatever is left beneath it
// when the test ends.
func testCgroupParent(t *testing.T, l *Launcher) string {
	t.Helper()
	parent := fmt.Sprintf("nscope-test-%d-%d", os.Getpid(), rand.Uint32())
	cgs, err := l.planCgroups(parent, "x")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, cg := range cgs {
			dir := filepath.Dir(cg.Dir)
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.IsDir() {
					_ = syscall.Rmdir(filepath.Join(dir, e.Name()))
				}
			}
			_ = syscall.Rmdir(dir)
		}
	})
	return parent
}

func testLauncher(t *testing.T) *Launcher {
	t.Helper()
	return NewLauncher(WithLaunchEditorOptions(WithJournalDir(t.TempDir())))
}

// launchOutput runs req to the end and returns its stdout and result.
func launchOutput(t *testing.T, l *Launcher, req LaunchRequest) (string, *LaunchCmd, error) {
	t.Helper()
	lc, err := l.Launch(req)
	if err != nil {
		return "", nil, err
	}
	var stdout, stderr bytes.Buffer
	lc.SetStdin(nil)
	lc.SetStdout(&stdout)
	lc.SetStderr(&stderr)
	err = lc.Run()
	if stderr.Len() > 0 {
		t.Logf("stderr: %s", stderr.String())
	}
	return stdout.String(), lc, err
}

// keyValues parses "key value" lines.
func keyValues(out string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, _ := strings.Cut(line, " ")
		m[k] = strings.TrimSpace(v)
	}
	return m
}

func TestLaunchLiveNamespacesInitHostnameLoopback(t *testing.T) {
	needRootForLaunch(t)
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs ip (iproute2) to look at lo")
	}
	l := testLauncher(t)
	parent := testCgroupParent(t, l)
	script := linksInside + `
echo "init $(tr '\0' ' ' < /proc/1/cmdline)"
echo "ppid $PPID"
echo "hostname $(hostname)"
echo "lo $(ip -o link show lo | grep -o '<[^>]*>')"
echo "zombies $( ( sleep 0.1 & ) ; sleep 0.6; grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l)"`
	out, lc, err := launchOutput(t, l, LaunchRequest{Command: []string{"/bin/sh", "-c", script}, All: true, Hostname: "lab-1",
		CgroupParent: parent, Name: "ns"})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	got := keyValues(out)
	ours := nsLinks(t, os.Getpid())
	for _, ty := range inspect.AllNSTypes {
		if got[ty.String()] == "" || got[ty.String()] == ours[ty.String()] {
			t.Errorf("%s namespace inside = %q, ours %q: want a new one", ty, got[ty.String()], ours[ty.String()])
		}
	}
	if !strings.HasPrefix(got["init"], "nscope-init ") {
		t.Errorf("PID 1 inside runs %q, want our init", got["init"])
	}
	want := map[string]string{"ppid": "1", "hostname": "lab-1", "zombies": "0"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if !strings.Contains(got["lo"], "UP") {
		t.Errorf("lo flags %q, want UP", got["lo"])
	}
	if err := lc.CleanupErr(); err != nil {
		t.Errorf("cleanup: %v", err)
	}
	for _, cg := range lc.Plan.Cgroups {
		if _, err := os.Stat(cg.Dir); !os.IsNotExist(err) {
			t.Errorf("cgroup %s still there after exit (%v)", cg.Dir, err)
		}
	}
}

func TestLaunchLiveCgroupMembershipAndLimits(t *testing.T) {
	needRootForLaunch(t)
	l := testLauncher(t)
	parent := testCgroupParent(t, l)
	lc, err := l.Launch(LaunchRequest{Command: []string{"sleep", "30"}, CPU: "0.5", Memory: "64M", Pids: "32",
		CgroupParent: parent, Name: "limits"})
	if err != nil {
		t.Fatal(err)
	}
	if err := lc.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = syscall.Kill(lc.InitPID(), syscall.SIGKILL)
			_ = lc.Wait()
		}
	})
	pid := lc.PID()
	if pid == 0 {
		t.Fatal("no PID for the launched command")
	}
	// Membership as the host sees it: the command and its init are in the
	// new cgroup in every hierarchy.
	for _, who := range []int{lc.InitPID(), pid} {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", who))
		if err != nil {
			t.Fatal(err)
		}
		for _, cg := range lc.Plan.Cgroups {
			line := fmt.Sprintf("%d:%s:%s", cg.Hierarchy.ID, hierarchyKey(cg.Hierarchy), cg.Path)
			if !strings.Contains(string(data), line+"\n") {
				t.Errorf("process %d: /proc/%d/cgroup lacks %q:\n%s", who, who, line, data)
			}
		}
	}
	layout, _ := l.cgroupLayout()
	var files map[string]string
	if layout.Mode == inspect.CgroupUnified {
		files = map[string]string{"cpu.max": "50000 100000", "memory.max": "67108864", "pids.max": "32"}
	} else {
		files = map[string]string{"cpu.cfs_quota_us": "50000", "cpu.cfs_period_us": "100000", "memory.limit_in_bytes": "67108864", "pids.max": "32"}
	}
	for file, want := range files {
		ctrl, _, _ := strings.Cut(file, ".")
		var dir string
		for _, cg := range lc.Plan.Cgroups {
			if cg.Hierarchy.Has(ctrl) {
				dir = cg.Dir
			}
		}
		got, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Errorf("read %s: %v", file, err)
			continue
		}
		if strings.TrimSpace(string(got)) != want {
			t.Errorf("%s/%s = %q, want %q", dir, file, strings.TrimSpace(string(got)), want)
		}
	}
	// A signal to the init reaches the command; its death is our status.
	if err := syscall.Kill(lc.InitPID(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = lc.Wait()
	stopped = true
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Signal != syscall.SIGTERM || ee.Code != 143 {
		t.Errorf("Wait = %v, want killed by SIGTERM (143)", err)
	}
	for _, cg := range lc.Plan.Cgroups {
		if _, err := os.Stat(cg.Dir); !os.IsNotExist(err) {
			t.Errorf("cgroup %s still there after exit (%v)", cg.Dir, err)
		}
	}
}

// hierarchyKey is the controller field of /proc/PID/cgroup for h.
func hierarchyKey(h inspect.Hierarchy) string {
	if h.Version == 2 {
		return ""
	}
	parts := append([]string(nil), h.Controllers...)
	if h.Name != "" {
		parts = append(parts, "name="+h.Name)
	}
	return strings.Join(parts, ",")
}

func TestLaunchLiveExitStatusSignalsAndKeep(t *testing.T) {
	needRootForLaunch(t)
	l := testLauncher(t)
	parent := testCgroupParent(t, l)
	tests := []struct {
		name string
		cmd  []string
		keep bool
		want *ExitError
	}{
		{name: "zero", cmd: []string{"true"}},
		{name: "exit 7", cmd: []string{"/bin/sh", "-c", "exit 7"}, want: &ExitError{Code: 7}},
		{name: "killed", cmd: []string{"/bin/sh", "-c", "kill -KILL $$"}, want: &ExitError{Code: 137, Signal: syscall.SIGKILL}},
		{name: "keep", cmd: []string{"/bin/sh", "-c", "exit 3"}, keep: true, want: &ExitError{Code: 3}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, lc, err := launchOutput(t, l, LaunchRequest{Command: tc.cmd, CgroupParent: parent, Name: fmt.Sprintf("exit%d", i), Keep: tc.keep})
			var got *ExitError
			if err != nil && !errors.As(err, &got) {
				t.Fatalf("run: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("exit (-want +got):\n%s", diff)
			}
			for _, cg := range lc.Plan.Cgroups {
				_, err := os.Stat(cg.Dir)
				if tc.keep && err != nil {
					t.Errorf("--keep: cgroup %s is gone: %v", cg.Dir, err)
				}
				if !tc.keep && !os.IsNotExist(err) {
					t.Errorf("cgroup %s still there (%v)", cg.Dir, err)
				}
			}
		})
	}
	t.Run("trapped signal", func(t *testing.T) {
		lc, err := l.Launch(LaunchRequest{Command: []string{"/bin/sh", "-c", `trap "exit 42" TERM; echo ready; while :; do sleep 0.05; done`},
			CgroupParent: parent, Name: "trap"})
		if err != nil {
			t.Fatal(err)
		}
		r, w, _ := os.Pipe()
		lc.SetStdout(w)
		if err := lc.Start(); err != nil {
			t.Fatal(err)
		}
		w.Close()
		buf := make([]byte, 6)
		if _, err := r.Read(buf); err != nil {
			t.Fatalf("no ready from the command: %v", err)
		}
		_ = syscall.Kill(lc.InitPID(), syscall.SIGTERM)
		err = lc.Wait()
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != 42 {
			t.Errorf("Wait = %v, want exit 42 from the trap", err)
		}
	})
}

// The limits hold from the command's first instruction: with pids.max 2
// (the init and the command) the command's first fork fails; with 3 it
// works. On v2 the init is born in the cgroup; on v1 it is held until
// placed.
func TestLaunchLiveLimitsHoldFromTheStart(t *testing.T) {
	needRootForLaunch(t)
	l := testLauncher(t)
	parent := testCgroupParent(t, l)
	tests := []struct {
		pids       string
		wantOut    string
		wantStderr string
	}{
		{pids: "2", wantStderr: "fork"}, // dash: "Cannot fork", busybox: "can't fork"
		{pids: "3", wantOut: "forked\n"},
	}
	for _, tc := range tests {
		t.Run("pids "+tc.pids, func(t *testing.T) {
			lc, err := l.Launch(LaunchRequest{Command: []string{"/bin/sh", "-c", "( : ) && echo forked"},
				Pids: tc.pids, CgroupParent: parent, Name: "pids" + tc.pids})
			if err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			lc.SetStdout(&stdout)
			lc.SetStderr(&stderr)
			err = lc.Run()
			if stdout.String() != tc.wantOut {
				t.Errorf("stdout %q, want %q (err %v, stderr %q)", stdout.String(), tc.wantOut, err, stderr.String())
			}
			if tc.wantStderr != "" && (!strings.Contains(strings.ToLower(stderr.String()), tc.wantStderr) || err == nil) {
				t.Errorf("stderr %q, err %v: want the fork to fail", stderr.String(), err)
			}
		})
	}
}

// A background launch (the TUI's) runs in a session of its own, away from
// the caller's terminal, and can be found by PID while it runs.
func TestLaunchLiveBackground(t *testing.T) {
	needRootForLaunch(t)
	l := testLauncher(t)
	parent := testCgroupParent(t, l)
	lc, err := l.Launch(LaunchRequest{Command: []string{"sleep", "30"}, CgroupParent: parent, Name: "bg"})
	if err != nil {
		t.Fatal(err)
	}
	lc.Background = true
	lc.SetStdin(nil)
	if err := lc.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = syscall.Kill(lc.InitPID(), syscall.SIGKILL)
		_ = lc.Wait()
	}()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", lc.InitPID()))
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	// fields[3] is field 6, the session; fields[4] is field 7, tty_nr.
	if fields[3] != fmt.Sprint(lc.InitPID()) || fields[4] != "0" {
		t.Errorf("init session %s tty %s, want its own session (%d) and no terminal", fields[3], fields[4], lc.InitPID())
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", lc.PID()))
	if err != nil || strings.TrimSpace(string(comm)) != "sleep" {
		t.Errorf("PID() %d runs %q (%v), want sleep", lc.PID(), comm, err)
	}
}

func TestLaunchLiveUserAndTimeNamespaces(t *testing.T) {
	needRootForLaunch(t)
	l := testLauncher(t)
	parent := testCgroupParent(t, l)
	out, _, err := launchOutput(t, l, LaunchRequest{Command: []string{"/bin/sh", "-c",
		linksInside + `; echo "uid_map $(cat /proc/self/uid_map | tr -s ' ' | sed 's/^ //')"; echo "id $(id -u)"`},
		NS: []inspect.NSType{inspect.TimeNS}, MapRoot: true, CgroupParent: parent, Name: "user"})
	if err != nil {
		t.Fatal(err)
	}
	got := keyValues(out)
	ours := nsLinks(t, os.Getpid())
	for _, ty := range []string{"user", "time", "pid", "mnt"} {
		if got[ty] == ours[ty] {
			t.Errorf("%s namespace is ours (%s), want a new one", ty, got[ty])
		}
	}
	for _, ty := range []string{"net", "uts", "ipc"} {
		if got[ty] != ours[ty] {
			t.Errorf("%s namespace is new (%s), want ours", ty, got[ty])
		}
	}
	if want := fmt.Sprintf("0 %d 1", os.Getuid()); got["uid_map"] != want {
		t.Errorf("uid_map %q, want %q", got["uid_map"], want)
	}
	if got["id"] != "0" {
		t.Errorf("id -u inside = %q, want 0", got["id"])
	}
}

func TestLaunchLiveFailuresLeaveNothing(t *testing.T) {
	needRootForLaunch(t)
	l := testLauncher(t)
	parent := testCgroupParent(t, l)
	t.Run("command not found", func(t *testing.T) {
		_, lc, err := launchOutput(t, l, LaunchRequest{Command: []string{"no-such-command-xyz"}, CgroupParent: parent, Name: "nf"})
		if !errors.Is(err, ErrCommandNotFound) || !strings.Contains(err.Error(), "no-such-command-xyz") {
			t.Fatalf("run = %v, want %v naming the command", err, ErrCommandNotFound)
		}
		for _, cg := range lc.Plan.Cgroups {
			if _, err := os.Stat(cg.Dir); !os.IsNotExist(err) {
				t.Errorf("cgroup %s left behind (%v)", cg.Dir, err)
			}
		}
	})
	t.Run("name in use", func(t *testing.T) {
		first, err := l.Launch(LaunchRequest{Command: []string{"sleep", "10"}, CgroupParent: parent, Name: "dup"})
		if err != nil {
			t.Fatal(err)
		}
		if err := first.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			_ = syscall.Kill(first.InitPID(), syscall.SIGKILL)
			_ = first.Wait()
		}()
		_, _, err = launchOutput(t, l, LaunchRequest{Command: []string{"true"}, CgroupParent: parent, Name: "dup"})
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "already exists") {
			t.Fatalf("second launch with the same name = %v, want refused: already exists", err)
		}
		for _, cg := range first.Plan.Cgroups {
			if _, err := os.Stat(cg.Dir); err != nil {
				t.Errorf("the first launch lost its cgroup %s: %v", cg.Dir, err)
			}
		}
	})
	t.Run("limit refused after the cgroup was made", func(t *testing.T) {
		layout, err := l.cgroupLayout()
		if err != nil {
			t.Fatal(err)
		}
		if layout.Mode == inspect.CgroupUnified {
			t.Skip("v1 only: a v1 child's CPU quota may not exceed its parent's")
		}
		cgs, err := l.planCgroups(parent, "x")
		if err != nil {
			t.Fatal(err)
		}
		for _, cg := range cgs {
			if !cg.Hierarchy.Has("cpu") {
				continue
			}
			dir := filepath.Dir(cg.Dir)
			if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
				t.Fatal(err)
			}
			quota := filepath.Join(dir, "cpu.cfs_quota_us")
			if err := os.WriteFile(quota, []byte("10000"), 0); err != nil {
				t.Fatal(err)
			}
			defer os.WriteFile(quota, []byte("-1"), 0)
		}
		_, lc, err := launchOutput(t, l, LaunchRequest{Command: []string{"true"}, CPU: "1", CgroupParent: parent, Name: "badlimit"})
		if err == nil {
			t.Fatal("a CPU limit above the parent's was accepted")
		}
		t.Logf("refused: %v", err)
		plan, perr := l.Plan(LaunchRequest{Command: []string{"true"}, CgroupParent: parent, Name: "badlimit"})
		if perr != nil {
			t.Fatal(perr)
		}
		_ = lc
		for _, cg := range plan.Cgroups {
			if _, err := os.Stat(cg.Dir); !os.IsNotExist(err) {
				t.Errorf("cgroup %s left behind (%v)", cg.Dir, err)
			}
		}
	})
}

// launchFake plays the init for a Launcher with an injected executor: it
// reports the command started as PID 2 and, at Wait, that it exited with
// code (or was killed by sig).
type launchFake struct {
	cmds []*exec.Cmd
	code int
	sig  syscall.Signal
}

func (f *launchFake) Start(cmd *exec.Cmd) error {
	f.cmds = append(f.cmds, cmd)
	status := cmd.ExtraFiles[1]
	_, err := status.Write([]byte("started 2\n"))
	return err
}

func (f *launchFake) Wait(cmd *exec.Cmd) error {
	status := cmd.ExtraFiles[1]
	_, _ = fmt.Fprintf(status, "exited %d %d\n", f.code, int(f.sig))
	status.Close()
	if f.code == 0 {
		return nil
	}
	return &ExitError{Code: f.code}
}

// What a TUI test does: a form's values in, an injected executor, a
// fixture cgroup tree; the command, its environment and clone flags come
// out, and the cgroups are made and removed, with no process started.
func TestLaunchWithInjectedExecutor(t *testing.T) {
	root := t.TempDir()
	layout := inspect.CgroupLayout{Mode: inspect.CgroupLegacy, Hierarchies: []inspect.Hierarchy{
		{ID: 4, Version: 1, Controllers: []string{"memory"}, Mount: filepath.Join(root, "memory")},
		{ID: 8, Version: 1, Controllers: []string{"pids"}, Mount: filepath.Join(root, "pids")},
	}}
	for _, h := range layout.Hierarchies {
		if err := os.MkdirAll(h.Mount, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fake := &launchFake{code: 3}
	l := NewLauncher(WithLaunchLayout(layout), WithLaunchExecutor(fake), WithLaunchHelper("/usr/bin/nscope"))
	lc, err := l.Launch(LaunchRequest{Command: []string{"sleep", "60"}, NS: []inspect.NSType{inspect.NetNS, inspect.UTSNS, inspect.CgroupNS},
		Hostname: "form", Name: "fromtui", CgroupParent: "/tui"})
	if err != nil {
		t.Fatal(err)
	}
	if err := lc.Start(); err != nil {
		t.Fatal(err)
	}
	for _, h := range layout.Hierarchies {
		if _, err := os.Stat(filepath.Join(h.Mount, "tui/fromtui")); err != nil {
			t.Errorf("cgroup not made in %s: %v", h.Mount, err)
		}
	}
	err = lc.Wait()
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Code != 3 {
		t.Errorf("Wait = %v, want exit 3", err)
	}
	if len(fake.cmds) != 1 {
		t.Fatalf("executor got %d commands", len(fake.cmds))
	}
	cmd := fake.cmds[0]
	if diff := cmp.Diff([]string{"nscope-init", "sleep", "60"}, cmd.Args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	if cmd.Path != "/usr/bin/nscope" {
		t.Errorf("path %q", cmd.Path)
	}
	wantFlags := uintptr(syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWNET | syscall.CLONE_NEWUTS)
	if cmd.SysProcAttr.Cloneflags != wantFlags || cmd.SysProcAttr.UseCgroupFD {
		t.Errorf("clone flags %#x (cgroup fd %v), want %#x and no fd on v1", cmd.SysProcAttr.Cloneflags, cmd.SysProcAttr.UseCgroupFD, wantFlags)
	}
	env := strings.Join(cmd.Env, "\n")
	for _, want := range []string{"_NSCOPE_NSEXEC=init", "_NSCOPE_INIT_SETUP=mount,uts,net,cgroupns", "_NSCOPE_INIT_HOSTNAME=form"} {
		if !strings.Contains(env, want+"\n") && !strings.HasSuffix(env, want) {
			t.Errorf("init environment lacks %s", want)
		}
	}
	for _, h := range layout.Hierarchies {
		if _, err := os.Stat(filepath.Join(h.Mount, "tui/fromtui")); !os.IsNotExist(err) {
			t.Errorf("cgroup in %s not removed: %v", h.Mount, err)
		}
		procs, _ := os.ReadFile(filepath.Join(h.Mount, "tui/cgroup.procs"))
		if len(procs) != 0 {
			t.Errorf("something was written to cgroup.procs: %q", procs)
		}
	}
}
