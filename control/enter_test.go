package control

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/control/nsexec"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/testutil"
)

// fixtureProc builds a fake /proc with "self" and process 42. shared lists
// the namespace types 42 shares with self (hard links, same inode); the
// others are distinct files. noTime drops the time namespace files (an old
// kernel). shells are the executables inside 42's root.
type fixtureProc struct {
	shared      []inspect.NSType
	noTime      bool
	shells      []string
	sameRoot    bool
	selfCgroup  string
	theirCgroup string
}

func (f fixtureProc) build(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, p := range []string{"self/ns", "42/ns", "self/root", "42/root"} {
		if err := os.MkdirAll(filepath.Join(dir, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(path, data string, mode os.FileMode) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, ty := range inspect.AllNSTypes {
		if ty == inspect.TimeNS && f.noTime {
			continue
		}
		ours := filepath.Join(dir, "self/ns", ty.String())
		theirs := filepath.Join(dir, "42/ns", ty.String())
		write(ours, ty.String(), 0o644)
		var err error
		if containsType(f.shared, ty) {
			err = os.Link(ours, theirs)
		} else {
			err = os.WriteFile(theirs, []byte("other"), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// 42 (my proc) S 1 ... field 22 is 777.
	stat := "42 (my (proc)) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 777 1000 10 0 0"
	write(filepath.Join(dir, "42/stat"), stat, 0o644)
	write(filepath.Join(dir, "stat"), "cpu  1 2 3 4\ncpu0 1 2 3 4\nbtime 1700000000\nprocesses 9\n", 0o644)
	write(filepath.Join(dir, "self/cgroup"), "0::"+f.selfCgroup+"\n", 0o644)
	write(filepath.Join(dir, "42/cgroup"), "0::"+f.theirCgroup+"\n", 0o644)
	for _, sh := range f.shells {
		write(filepath.Join(dir, "42/root", sh), "#!/bin/true\n", 0o755)
	}
	write(filepath.Join(dir, "42/root/etc/passwd"), "root:x:0:0::/root:/bin/sh\n", 0o644)
	if f.sameRoot {
		if err := os.Remove(filepath.Join(dir, "self/root")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(dir, "42/root"), filepath.Join(dir, "self/root")); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func containsType(list []inspect.NSType, t inspect.NSType) bool {
	for _, x := range list {
		if x == t {
			return true
		}
	}
	return false
}

var v2Layout = inspect.CgroupLayout{Mode: inspect.CgroupUnified,
	Hierarchies: []inspect.Hierarchy{{ID: 0, Version: 2, Mount: "/sys/fs/cgroup"}}}

func TestPlan(t *testing.T) {
	all := inspect.AllNSTypes
	tests := []struct {
		name    string
		fixture fixtureProc
		req     EnterRequest
		want    *EnterPlan
		wantErr error
	}{
		{
			name:    "default joins what differs, takes root and cgroup, finds bash",
			fixture: fixtureProc{shared: []inspect.NSType{inspect.UserNS, inspect.TimeNS}, shells: []string{"bin/bash", "bin/sh"}, selfCgroup: "/", theirCgroup: "/box"},
			req:     EnterRequest{PID: 42},
			want: &EnterPlan{PID: 42, StartTicks: 777,
				Join:   []inspect.NSType{inspect.MntNS, inspect.PIDNS, inspect.NetNS, inspect.IPCNS, inspect.UTSNS, inspect.CgroupNS},
				Shared: []inspect.NSType{inspect.UserNS, inspect.TimeNS},
				Root:   true, Cgroup: "/box", CgroupProcs: "/sys/fs/cgroup/box/cgroup.procs",
				Command: []string{"/bin/bash"}, ShellTried: []string{"/bin/bash"}},
		},
		{
			name:    "$SHELL first when it exists inside",
			fixture: fixtureProc{shells: []string{"bin/bash", "usr/bin/zsh"}, selfCgroup: "/a", theirCgroup: "/a"},
			req:     EnterRequest{PID: 42, Shell: "/usr/bin/zsh"},
			want: &EnterPlan{PID: 42, StartTicks: 777, Join: all, Root: true,
				Command: []string{"/usr/bin/zsh"}, ShellTried: []string{"/usr/bin/zsh"}},
		},
		{
			name:    "falls back to /bin/sh, naming what it tried",
			fixture: fixtureProc{shells: []string{"bin/sh"}},
			req:     EnterRequest{PID: 42, Shell: "/usr/bin/fish"},
			want: &EnterPlan{PID: 42, StartTicks: 777, Join: all, Root: true,
				Command: []string{"/bin/sh"}, ShellTried: []string{"/usr/bin/fish", "/bin/bash", "/bin/sh"}},
		},
		{
			name:    "no shell inside",
			fixture: fixtureProc{},
			req:     EnterRequest{PID: 42, Shell: "/bin/zsh"},
			wantErr: ErrNoShell,
		},
		{
			name:    "host tools keeps our mount namespace and root",
			fixture: fixtureProc{selfCgroup: "/", theirCgroup: "/box"},
			req:     EnterRequest{PID: 42, HostTools: true, Command: []string{"ss", "-tln"}},
			want: &EnterPlan{PID: 42, StartTicks: 777,
				Join:   []inspect.NSType{inspect.PIDNS, inspect.NetNS, inspect.IPCNS, inspect.UTSNS, inspect.UserNS, inspect.CgroupNS, inspect.TimeNS},
				Cgroup: "/box", CgroupProcs: "/sys/fs/cgroup/box/cgroup.procs", Command: []string{"ss", "-tln"}},
		},
		{
			name:    "explicit list without cgroup leaves the cgroup alone",
			fixture: fixtureProc{shared: []inspect.NSType{inspect.UTSNS}, selfCgroup: "/", theirCgroup: "/box"},
			req:     EnterRequest{PID: 42, NS: []inspect.NSType{inspect.NetNS, inspect.UTSNS}, Command: []string{"ip", "a"}},
			want: &EnterPlan{PID: 42, StartTicks: 777, Join: []inspect.NSType{inspect.NetNS},
				Shared: []inspect.NSType{inspect.UTSNS}, Command: []string{"ip", "a"}},
		},
		{
			name:    "chrooted in our mount namespace: root without mnt",
			fixture: fixtureProc{shared: all, shells: []string{"bin/sh"}},
			req:     EnterRequest{PID: 42},
			want: &EnterPlan{PID: 42, StartTicks: 777, Shared: all, Root: true,
				Command: []string{"/bin/sh"}, ShellTried: []string{"/bin/bash", "/bin/sh"}},
		},
		{
			name:    "same root, all shared: nothing to join, no chroot",
			fixture: fixtureProc{shared: all, sameRoot: true},
			req:     EnterRequest{PID: 42, All: true, Command: []string{"true"}},
			want:    &EnterPlan{PID: 42, StartTicks: 777, Shared: all, Command: []string{"true"}},
		},
		{
			name:    "old kernel: default skips the time namespace",
			fixture: fixtureProc{noTime: true},
			req:     EnterRequest{PID: 42, Command: []string{"true"}},
			want: &EnterPlan{PID: 42, StartTicks: 777, Root: true,
				Join:    []inspect.NSType{inspect.MntNS, inspect.PIDNS, inspect.NetNS, inspect.IPCNS, inspect.UTSNS, inspect.UserNS, inspect.CgroupNS},
				Command: []string{"true"}},
		},
		{
			name:    "old kernel: asking for time is refused",
			fixture: fixtureProc{noTime: true},
			req:     EnterRequest{PID: 42, NS: []inspect.NSType{inspect.TimeNS}, Command: []string{"true"}},
			wantErr: ErrKernelTooOld,
		},
		{
			name:    "start time differs: PID reused",
			fixture: fixtureProc{},
			req:     EnterRequest{PID: 42, StartTicks: 776, Command: []string{"true"}},
			wantErr: ErrProcessReplaced,
		},
		{
			name:    "snapshot start time matches",
			fixture: fixtureProc{shared: inspect.AllNSTypes, sameRoot: true},
			req:     EnterRequest{PID: 42, StartedAt: time.Unix(1700000000, 0).Add(7770 * time.Millisecond), Command: []string{"true"}},
			want:    &EnterPlan{PID: 42, StartTicks: 777, Shared: inspect.AllNSTypes, Command: []string{"true"}},
		},
		{
			name:    "snapshot start time differs: PID reused",
			fixture: fixtureProc{},
			req:     EnterRequest{PID: 42, StartedAt: time.Unix(1700000000, 0).Add(7780 * time.Millisecond), Command: []string{"true"}},
			wantErr: ErrProcessReplaced,
		},
		{
			name:    "no such process",
			fixture: fixtureProc{},
			req:     EnterRequest{PID: 43, Command: []string{"true"}},
			wantErr: ErrNoProcess,
		},
		{
			name:    "invalid PID",
			fixture: fixtureProc{},
			req:     EnterRequest{PID: -1},
			wantErr: ErrBadRequest,
		},
		{
			name:    "list and all together",
			fixture: fixtureProc{},
			req:     EnterRequest{PID: 42, All: true, NS: []inspect.NSType{inspect.NetNS}},
			wantErr: ErrBadRequest,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := tc.fixture.build(t)
			e := NewEnterer(WithEnterProcRoot(root), WithEnterLayout(v2Layout))
			got, err := e.Plan(tc.req)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Plan error = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNoShellMessageNamesWhatWasTried(t *testing.T) {
	root := fixtureProc{}.build(t)
	_, err := NewEnterer(WithEnterProcRoot(root), WithEnterLayout(v2Layout)).Plan(EnterRequest{PID: 42, Shell: "/bin/zsh"})
	for _, want := range []string{"/bin/zsh", "/bin/bash", "/bin/sh", "no shell inside process 42"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// fakeExecutor records the command and plays the helper: it writes report
// to the error descriptor and Wait returns waitErr.
type fakeExecutor struct {
	cmds    []*exec.Cmd
	report  string
	waitErr error
}

func (f *fakeExecutor) Start(cmd *exec.Cmd) error {
	f.cmds = append(f.cmds, cmd)
	if f.report != "" {
		if _, err := cmd.ExtraFiles[0].Write([]byte(f.report)); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeExecutor) Wait(*exec.Cmd) error { return f.waitErr }

func TestEnterCommandWithFakeExecutor(t *testing.T) {
	plan := &EnterPlan{PID: 42, StartTicks: 777, Join: []inspect.NSType{inspect.MntNS, inspect.NetNS, inspect.UserNS},
		Root: true, CgroupProcs: "/sys/fs/cgroup/box/cgroup.procs", Command: []string{"/bin/sh", "-c", "exit 3"}}
	tests := []struct {
		name     string
		fake     fakeExecutor
		wantKind error
		wantExit *ExitError
	}{
		{name: "exit status passes through", fake: fakeExecutor{waitErr: &ExitError{Code: 3}}, wantExit: &ExitError{Code: 3}},
		{name: "clean exit", fake: fakeExecutor{}},
		{name: "helper refused: not permitted", fake: fakeExecutor{report: "nsexec\t1\tsetns\tuser\n"}, wantKind: ErrNotPermitted},
		{name: "helper refused: PID reused", fake: fakeExecutor{report: "nsexec\t0\tverify\tstarted=778 expected=777\n"}, wantKind: ErrProcessReplaced},
		{name: "helper: process gone", fake: fakeExecutor{report: "nsexec\t3\tpidfd_open\t42\n"}, wantKind: ErrNoProcess},
		{name: "helper: old kernel", fake: fakeExecutor{report: "nsexec\t38\tpidfd_open\t42\n"}, wantKind: ErrKernelTooOld},
		{name: "helper: command missing", fake: fakeExecutor{report: "nsexec\t2\texec\t/bin/sh\n"}, wantKind: ErrCommandNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := tc.fake
			e := NewEnterer(WithEnterExecutor(&fake), WithEnterHelper("/usr/bin/nscope"))
			c, err := e.Command(plan)
			if err != nil {
				t.Fatal(err)
			}
			err = c.Run()
			switch {
			case tc.wantKind != nil:
				if !errors.Is(err, tc.wantKind) {
					t.Fatalf("Run = %v, want %v", err, tc.wantKind)
				}
			case tc.wantExit != nil:
				var ee *ExitError
				if !errors.As(err, &ee) {
					t.Fatalf("Run = %v, want exit error", err)
				}
				if diff := cmp.Diff(tc.wantExit, ee); diff != "" {
					t.Errorf("exit (-want +got):\n%s", diff)
				}
			case err != nil:
				t.Fatalf("Run = %v", err)
			}
			if len(fake.cmds) != 1 {
				t.Fatalf("executor got %d commands, want 1", len(fake.cmds))
			}
			got := fake.cmds[0]
			if diff := cmp.Diff([]string{"nscope-enter", "/bin/sh", "-c", "exit 3"}, got.Args); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
			if got.Path != "/usr/bin/nscope" {
				t.Errorf("path = %q", got.Path)
			}
			env := map[string]string{}
			for _, kv := range got.Env {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
			for k, want := range map[string]string{
				nsexec.EnvMode: "enter", nsexec.EnvPID: "42", nsexec.EnvStart: "777", nsexec.EnvNS: "mnt,net,user",
				nsexec.EnvRoot: "1", nsexec.EnvCgroup: "/sys/fs/cgroup/box/cgroup.procs", nsexec.EnvErrFD: "3",
				"PATH": enterPath,
			} {
				if env[k] != want {
					t.Errorf("env %s = %q, want %q", k, env[k], want)
				}
			}
			for k := range env {
				if !strings.HasPrefix(k, "_NSCOPE_NSEXEC") && k != "PATH" && k != "TERM" {
					t.Errorf("env %s leaks into the target", k)
				}
			}
		})
	}
}

// --- live tests: real namespaces made with unshare(1), as root ---

func needRoot(t *testing.T) {
	t.Helper()
	testutil.RequireRoot(t, "creates namespaces with unshare and enters them")
	testutil.RequireTools(t, "unshare")
}

// nsLinks reads the namespace links of dir ("/proc/PID" or, inside, "/proc/self").
func nsLinks(t *testing.T, pid int) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, ty := range inspect.AllNSTypes {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ty))
		if err != nil {
			t.Fatal(err)
		}
		out[ty.String()] = l
	}
	return out
}

// nspid returns the NSpid line of /proc/PID/status.
func nspid(t *testing.T, pid int) []string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "NSpid:"); ok {
			return strings.Fields(rest)
		}
	}
	t.Fatalf("no NSpid in /proc/%d/status", pid)
	return nil
}

// linksInside is a shell script that prints "type link" for every type as
// seen by the shell itself.
const linksInside = `for t in mnt pid net ipc uts user cgroup time; do echo "$t $(readlink /proc/self/ns/$t)"; done`

func parseLinks(out string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok {
			m[k] = v
		}
	}
	return m
}

// enterAndRun enters req and returns the command's stdout.
func enterAndRun(t *testing.T, req EnterRequest) (string, error) {
	t.Helper()
	c, err := NewEnterer().Enter(req)
	if err != nil {
		return "", err
	}
	var stdout, stderr bytes.Buffer
	c.SetStdin(nil)
	c.SetStdout(&stdout)
	c.SetStderr(&stderr)
	err = c.Run()
	if stderr.Len() > 0 {
		t.Logf("stderr: %s", stderr.String())
	}
	return stdout.String(), err
}

func TestEnterLiveEveryType(t *testing.T) {
	needRoot(t)
	targets := []struct {
		name string
		args []string
		// differ are the types the target must not share with us, or
		// the test proves nothing; pidDepth is its pid namespace depth.
		differ   []string
		pidDepth int
	}{
		{name: "pid mnt net ipc uts cgroup time", args: []string{"--fork", "--pid", "--mount-proc", "--net", "--uts", "--ipc", "--cgroup", "--time", "--kill-child"},
			differ: []string{"pid", "mnt", "net", "ipc", "uts", "cgroup", "time"}, pidDepth: 2},
		{name: "user ns with a nested pid ns", args: []string{"--user", "--map-root-user", "--pid", "--fork", "--mount-proc", "--kill-child",
			"unshare", "--pid", "--fork", "--mount-proc", "--kill-child"},
			differ: []string{"user", "pid", "mnt"}, pidDepth: 3},
	}
	for _, tc := range targets {
		t.Run(tc.name, func(t *testing.T) {
			pid := testutil.StartUnshare(t, tc.args...)
			want := nsLinks(t, pid)
			out, err := enterAndRun(t, EnterRequest{PID: pid, Command: []string{"/bin/sh", "-c", linksInside}})
			if err != nil {
				t.Fatalf("enter %d: %v", pid, err)
			}
			if diff := cmp.Diff(want, parseLinks(out)); diff != "" {
				t.Errorf("namespaces inside differ from the target's (-target +inside):\n%s", diff)
			}
			ours := nsLinks(t, os.Getpid())
			for _, ty := range tc.differ {
				if ours[ty] == want[ty] {
					t.Errorf("target shares our %s namespace: the test proves nothing", ty)
				}
			}
			if got := len(nspid(t, pid)); got != tc.pidDepth {
				t.Errorf("target's pid namespace depth = %d, want %d", got, tc.pidDepth)
			}
		})
	}
}

func TestEnterLiveHostToolsKeepsHostMount(t *testing.T) {
	needRoot(t)
	pid := testutil.StartUnshare(t, "--fork", "--pid", "--mount-proc", "--net", "--uts", "--kill-child")
	target := nsLinks(t, pid)
	ours := nsLinks(t, os.Getpid())
	out, err := enterAndRun(t, EnterRequest{PID: pid, HostTools: true, Command: []string{"/bin/sh", "-c", linksInside}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for k, v := range target {
		want[k] = v
	}
	want["mnt"] = ours["mnt"]
	if diff := cmp.Diff(want, parseLinks(out)); diff != "" {
		t.Errorf("--host-tools (-want +got):\n%s", diff)
	}
}

func TestEnterLiveRefusesVanishedAndReusedPID(t *testing.T) {
	needRoot(t)
	t.Run("vanished", func(t *testing.T) {
		gone := exec.Command("true")
		if err := gone.Run(); err != nil {
			t.Fatal(err)
		}
		_, err := enterAndRun(t, EnterRequest{PID: gone.Process.Pid, Command: []string{"true"}})
		if !errors.Is(err, ErrNoProcess) {
			t.Fatalf("enter of an exited process = %v, want %v", err, ErrNoProcess)
		}
	})
	t.Run("start time from an inspect snapshot", func(t *testing.T) {
		pid := testutil.StartUnshare(t, "--fork", "--pid", "--mount-proc", "--kill-child")
		s := inspect.New()
		defer s.Close()
		snap, err := s.Scan(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		p := snap.Process(pid)
		if p == nil {
			t.Fatalf("inspect did not see process %d", pid)
		}
		out, err := enterAndRun(t, EnterRequest{PID: pid, StartedAt: p.StartTime, Command: []string{"echo", "entered"}})
		if err != nil || out != "entered\n" {
			t.Fatalf("enter with the snapshot's start time: %q, %v", out, err)
		}
		_, err = enterAndRun(t, EnterRequest{PID: pid, StartedAt: p.StartTime.Add(10 * time.Millisecond), Command: []string{"true"}})
		if !errors.Is(err, ErrProcessReplaced) {
			t.Fatalf("enter with a start time one tick off = %v, want %v", err, ErrProcessReplaced)
		}
	})
	t.Run("reused after planning", func(t *testing.T) {
		pid := testutil.StartUnshare(t, "--fork", "--pid", "--mount-proc", "--kill-child")
		e := NewEnterer()
		plan, err := e.Plan(EnterRequest{PID: pid, Command: []string{"/bin/sh", "-c", "echo entered"}})
		if err != nil {
			t.Fatal(err)
		}
		// The caller saw another process with this PID: the helper, which
		// pins the live one, must refuse it.
		plan.StartTicks++
		c, err := e.Command(plan)
		if err != nil {
			t.Fatal(err)
		}
		var stdout bytes.Buffer
		c.SetStdout(&stdout)
		err = c.Run()
		if !errors.Is(err, ErrProcessReplaced) {
			t.Fatalf("Run = %v, want %v", err, ErrProcessReplaced)
		}
		if stdout.Len() != 0 {
			t.Errorf("the command ran anyway: %q", stdout.String())
		}
	})
}

func TestEnterLiveExitStatusAndSignals(t *testing.T) {
	needRoot(t)
	pid := testutil.StartUnshare(t, "--fork", "--pid", "--mount-proc", "--net", "--kill-child")
	tests := []struct {
		name string
		cmd  []string
		want *ExitError
	}{
		{name: "zero", cmd: []string{"true"}},
		{name: "exit 7", cmd: []string{"/bin/sh", "-c", "exit 7"}, want: &ExitError{Code: 7}},
		{name: "killed by TERM", cmd: []string{"/bin/sh", "-c", "kill -TERM $$"}, want: &ExitError{Code: 128 + 15, Signal: syscall.SIGTERM}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := enterAndRun(t, EnterRequest{PID: pid, Command: tc.cmd})
			var got *ExitError
			if err != nil && !errors.As(err, &got) {
				t.Fatalf("Run = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("exit (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("command not found inside", func(t *testing.T) {
		_, err := enterAndRun(t, EnterRequest{PID: pid, Command: []string{"no-such-command-here"}})
		if !errors.Is(err, ErrCommandNotFound) || !strings.Contains(err.Error(), "no-such-command-here") {
			t.Fatalf("Run = %v, want %v naming the command", err, ErrCommandNotFound)
		}
	})
}

func TestEnterLiveCleanEnvironmentAndNoStrayFDs(t *testing.T) {
	needRoot(t)
	pid := testutil.StartUnshare(t, "--fork", "--pid", "--mount-proc", "--kill-child")
	// A descriptor of ours without close-on-exec must not reach the target.
	f, err := os.Open("/etc/hostname")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := unix.FcntlInt(f.Fd(), unix.F_SETFD, 0); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NSCOPE_TEST_SECRET", "leak")
	out, err := enterAndRun(t, EnterRequest{PID: pid, Command: []string{"/bin/sh", "-c",
		`ls /proc/self/fd | sort -n | tr '\n' ' '; echo; env | grep -v '^PWD=\|^SHLVL=\|^_=' | sort`}})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// 0 1 2 and the descriptor ls itself opens for /proc/self/fd.
	if fds := strings.Fields(lines[0]); len(fds) != 4 {
		t.Errorf("descriptors inside = %v, want only 0 1 2 and ls's own", fds)
	}
	env := map[string]string{}
	for _, kv := range lines[1:] {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	delete(env, "TERM") // kept when the test runs with one
	want := map[string]string{"PATH": enterPath, "HOME": "/root"}
	if diff := cmp.Diff(want, env); diff != "" {
		t.Errorf("environment inside (-want +got):\n%s", diff)
	}
}
