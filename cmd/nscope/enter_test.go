package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/internal/testutil"
)

func TestEnterCLIRefusesBadInput(t *testing.T) {
	self := fmt.Sprint(os.Getpid())
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "no pid", args: []string{"enter"}, wantCode: 2, wantErr: "requires at least 1 arg"},
		{name: "pid not a number", args: []string{"enter", "abc"}, wantCode: 2, wantErr: `PID "abc"`},
		{name: "negative pid", args: []string{"enter", "--", "-4"}, wantCode: 2, wantErr: "missing PID"},
		{name: "command without --", args: []string{"enter", self, "ls"}, wantCode: 2, wantErr: "put the command after --"},
		{name: "two pids", args: []string{"enter", self, "7", "--", "ls"}, wantCode: 2, wantErr: "one PID"},
		{name: "unknown namespace", args: []string{"enter", self, "--ns", "netw"}, wantCode: 2, wantErr: `unknown namespace type "netw"`},
		{name: "ns and all", args: []string{"enter", self, "--ns", "net", "--all"}, wantCode: 2, wantErr: "--ns and --all"},
		{name: "host tools with only mnt", args: []string{"enter", self, "--ns", "mnt", "--host-tools"}, wantCode: 2, wantErr: "joins nothing"},
		{name: "read-only", args: []string{"--read-only", "enter", self, "--", "true"}, wantCode: 1, wantErr: "--read-only"},
		{name: "plus sign", args: []string{"enter", "+" + self, "--", "true"}, wantCode: 2, wantErr: `PID "+` + self + `"`},
		{name: "leading zero", args: []string{"enter", "0" + self, "--", "true"}, wantCode: 2, wantErr: "without sign or leading zeros"},
		{name: "hex", args: []string{"enter", "0x1f", "--", "true"}, wantCode: 2, wantErr: `PID "0x1f"`},
		{name: "space", args: []string{"enter", " " + self, "--", "true"}, wantCode: 2, wantErr: "positive decimal number"},
		{name: "beyond pid_max", args: []string{"enter", "99999999999", "--", "true"}, wantCode: 2, wantErr: "positive decimal number"},
		{name: "kernel thread", args: []string{"enter", kernelThread(t), "--", "true"}, wantCode: 2, wantErr: "is a kernel thread"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := runNscope(t, "", tc.args...)
			if res.code != tc.wantCode || !strings.Contains(res.stderr, tc.wantErr) {
				t.Errorf("nscope %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), res.code, res.stderr, tc.wantCode, tc.wantErr)
			}
		})
	}
}

// kernelThread returns the PID of a kernel thread (kthreadd is PID 2 on
// most hosts).
func kernelThread(t *testing.T) string {
	t.Helper()
	for pid := 2; pid < 200; pid++ {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
		if len(fields) > 6 {
			var flags uint64
			fmt.Sscan(fields[6], &flags)
			if flags&0x00200000 != 0 {
				return fmt.Sprint(pid)
			}
		}
	}
	t.Skip("no kernel thread among PIDs 2-199")
	return ""
}

// startUnshare runs "unshare ARGS... sleep 1000" and returns the PID of
// the sleep; all is killed when the test ends.
func startUnshare(t *testing.T, args ...string) int {
	t.Helper()
	return testutil.StartUnshare(t, append(args, "--kill-child")...)
}

func nsLinksOf(t *testing.T, pid int) string {
	t.Helper()
	var b strings.Builder
	for _, ty := range []string{"mnt", "pid", "net", "ipc", "uts", "user", "cgroup", "time"} {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ty))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %s\n", ty, l)
	}
	return b.String()
}

const cliLinksInside = `for t in mnt pid net ipc uts user cgroup time; do echo "$t $(readlink /proc/self/ns/$t)"; done`

func TestEnterCLILive(t *testing.T) {
	needRootCLI(t)
	target := startUnshare(t, "--fork", "--pid", "--mount-proc", "--net", "--uts", "--ipc", "--cgroup", "--time")
	pid := fmt.Sprint(target)
	t.Run("every namespace", func(t *testing.T) {
		res := runNscope(t, "", "enter", pid, "--", "/bin/sh", "-c", cliLinksInside)
		if res.code != 0 {
			t.Fatalf("exit %d: %s", res.code, res.stderr)
		}
		if diff := cmp.Diff(nsLinksOf(t, target), res.stdout); diff != "" {
			t.Errorf("namespaces inside (-target +inside):\n%s", diff)
		}
	})
	t.Run("host tools", func(t *testing.T) {
		// The host's readlink, the target's network, and a private copy
		// of our mounts (its /proc is the target's pid namespace's).
		res := runNscope(t, "", "enter", pid, "--host-tools", "--", "readlink", "/proc/self/ns/mnt", "/proc/self/ns/net", "/proc/1/exe")
		ours, _ := os.Readlink("/proc/self/ns/mnt")
		theirMnt, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", target))
		theirNet, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", target))
		sleep, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", target))
		got := strings.Split(strings.TrimSpace(res.stdout), "\n")
		if res.code != 0 || len(got) != 3 || got[0] == ours || got[0] == theirMnt || got[1] != theirNet || got[2] != sleep {
			t.Errorf("exit %d, stdout %q (stderr %q); want a private mnt (not %s or %s), net %s and /proc/1 the target's %s",
				res.code, res.stdout, res.stderr, ours, theirMnt, theirNet, sleep)
		}
	})
	t.Run("default shell reads stdin", func(t *testing.T) {
		res := runNscope(t, "echo \"shell $0\"; readlink /proc/self/ns/pid; exit 6\n", "enter", pid)
		ns, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", target))
		if want := "shell /bin/"; res.code != 6 || !strings.HasPrefix(res.stdout, want) || !strings.HasSuffix(res.stdout, ns+"\n") {
			t.Errorf("exit %d, stdout %q (stderr %q); want exit 6 from a shell in %s", res.code, res.stdout, res.stderr, ns)
		}
	})
	t.Run("reused pid refused", func(t *testing.T) {
		start, err := control.ReadStartTicks(target)
		if err != nil {
			t.Fatal(err)
		}
		res := runNscope(t, "", "enter", pid, "--start-time", fmt.Sprint(start+1), "--", "echo", "entered")
		if res.code != 125 || res.stdout != "" || !strings.Contains(res.stderr, "PID was reused") {
			t.Errorf("exit %d, stdout %q, stderr %q; want 125, nothing run, PID was reused", res.code, res.stdout, res.stderr)
		}
		ok := runNscope(t, "", "enter", pid, "--start-time", fmt.Sprint(start), "--", "echo", "entered")
		if ok.code != 0 || ok.stdout != "entered\n" {
			t.Errorf("with the right start time: exit %d, stdout %q, stderr %q", ok.code, ok.stdout, ok.stderr)
		}
	})
	t.Run("command not found inside", func(t *testing.T) {
		res := runNscope(t, "", "enter", pid, "--", "no-such-command-xyz")
		if res.code != 127 || !strings.Contains(res.stderr, "no-such-command-xyz") {
			t.Errorf("exit %d, stderr %q; want 127 naming the command", res.code, res.stderr)
		}
	})
}

func TestEnterCLIVanishedProcess(t *testing.T) {
	needRootCLI(t)
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	res := runNscope(t, "", "enter", fmt.Sprint(gone.Process.Pid), "--", "true")
	if res.code != 125 || !strings.Contains(res.stderr, "no such process") {
		t.Errorf("exit %d, stderr %q; want 125 and no such process", res.code, res.stderr)
	}
}

// A user namespace with a nested pid namespace inside, entered whole.
func TestEnterCLIUserNamespaceNestedPID(t *testing.T) {
	needRootCLI(t)
	target := startUnshare(t, "--user", "--map-root-user", "--pid", "--fork", "--mount-proc", "--kill-child",
		"unshare", "--pid", "--fork", "--mount-proc")
	res := runNscope(t, "", "enter", fmt.Sprint(target), "--", "/bin/sh", "-c", cliLinksInside+"; id -u")
	want := nsLinksOf(t, target) + "0\n"
	if res.code != 0 {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	if diff := cmp.Diff(want, res.stdout); diff != "" {
		t.Errorf("inside (-want +got):\n%s", diff)
	}
	var status bytes.Buffer
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", target))
	status.Write(data)
	if !strings.Contains(status.String(), "NSpid:") || len(strings.Fields(strings.SplitN(strings.SplitN(status.String(), "NSpid:", 2)[1], "\n", 2)[0])) != 3 {
		t.Errorf("target is not in a pid namespace nested twice:\n%s", status.String())
	}
}

// TestEnterCLINonRootOwnUserNamespace: a normal user may enter a process
// in a user namespace that user owns (their own "unshare -U -r" shell):
// the kernel grants them every capability there. The README says so.
func TestEnterCLINonRootOwnUserNamespace(t *testing.T) {
	needRootCLI(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare (util-linux)")
	}
	const nobody = 65534
	// A copy of the binary the other user can run.
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		_ = os.Chmod(d, 0o755)
	}
	bin := filepath.Join(dir, "nscope")
	data, err := os.ReadFile(nscopeBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	asNobody := &syscall.SysProcAttr{Setpgid: true, Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	target := exec.Command("unshare", "--user", "--map-root-user", "sleep", "1000")
	target.SysProcAttr = asNobody
	target.Dir = "/"
	if err := target.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-target.Process.Pid, syscall.SIGKILL)
		_ = target.Wait()
	})
	// unshare execs sleep in the new user namespace (no fork without
	// --fork): wait until its user namespace differs from ours.
	ours, _ := os.Readlink("/proc/self/ns/user")
	pid := target.Process.Pid
	for i := 0; ; i++ {
		theirs, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/user", pid))
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if theirs != "" && theirs != ours && strings.TrimSpace(string(comm)) == "sleep" {
			break
		}
		if i > 500 {
			t.Skipf("unshare -U -r as uid %d did not start (unprivileged user namespaces disabled?)", nobody)
		}
		time.Sleep(10 * time.Millisecond)
	}
	enter := exec.Command(bin, "enter", fmt.Sprint(pid), "--", "/bin/sh", "-c", "id -u; readlink /proc/self/ns/user")
	enter.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	enter.Dir = "/"
	enter.Env = []string{"PATH=/usr/bin:/bin", "NSCOPE_STATE_DIR=/nonexistent"}
	out, err := enter.CombinedOutput()
	want, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/user", pid))
	if err != nil || string(out) != "0\n"+want+"\n" {
		t.Errorf("enter as uid %d of its own unshare -U -r: %v\n%s\nwant root inside %s", nobody, err, out, want)
	}
}
