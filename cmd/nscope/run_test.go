package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The run and enter tests drive the real binary: both re-execute it (the
// nsexec constructor enters namespaces and is the init), and the exit
// status is part of what they promise.

var (
	builtOnce sync.Once
	builtPath string
	builtErr  error
)

// nscopeBinary builds ./cmd/nscope once per test run.
func nscopeBinary(t *testing.T) string {
	t.Helper()
	builtOnce.Do(func() {
		dir, err := os.MkdirTemp("", "nscope-cli-test-")
		if err != nil {
			builtErr = err
			return
		}
		builtPath = filepath.Join(dir, "nscope")
		out, err := exec.Command("go", "build", "-o", builtPath, ".").CombinedOutput()
		if err != nil {
			builtErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if builtErr != nil {
		t.Fatal(builtErr)
	}
	return builtPath
}

// cliResult is what a run of the binary produced.
type cliResult struct {
	stdout, stderr string
	code           int
}

// runNscope runs the binary with args and stdin, with the change journal
// in a temporary directory.
func runNscope(t *testing.T, stdin string, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(nscopeBinary(t), args...)
	cmd.Env = append(os.Environ(), "NSCOPE_STATE_DIR="+t.TempDir())
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		t.Fatalf("nscope %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// cliCgroupParent is a unique cgroup parent relative to our own cgroup in
// every hierarchy; what is left beneath it is removed at the end.
func cliCgroupParent(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("nscope-clitest-%d-%08x", os.Getpid(), rand.Uint32())
	t.Cleanup(func() {
		data, _ := os.ReadFile("/proc/self/cgroup")
		mounts, _ := filepath.Glob("/sys/fs/cgroup/*")
		mounts = append(mounts, "/sys/fs/cgroup")
		for _, line := range strings.Split(string(data), "\n") {
			parts := strings.SplitN(line, ":", 3)
			if len(parts) != 3 {
				continue
			}
			for _, m := range mounts {
				dir := filepath.Join(m, parts[2], name)
				entries, err := os.ReadDir(dir)
				if err != nil {
					continue
				}
				for _, e := range entries {
					if e.IsDir() {
						_ = unix.Rmdir(filepath.Join(dir, e.Name()))
					}
				}
				_ = unix.Rmdir(dir)
			}
		}
	})
	return name
}

func needRootCLI(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates namespaces and cgroups")
	}
}

func TestRunCLIRefusesBadInput(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{name: "no command", args: []string{"run"}, wantCode: 2, wantErr: "requires at least 1 arg"},
		{name: "unknown namespace", args: []string{"run", "--ns", "net,bogus", "--", "true"}, wantCode: 2, wantErr: `unknown namespace type "bogus"`},
		{name: "ns and all", args: []string{"run", "--ns", "net", "--all", "--", "true"}, wantCode: 2, wantErr: "--ns and --all"},
		{name: "bad cpu", args: []string{"run", "--cpu", "lots", "--", "true"}, wantCode: 2, wantErr: `cpu "lots"`},
		{name: "bad memory", args: []string{"run", "--memory", "12Q", "--", "true"}, wantCode: 2, wantErr: `memory "12Q"`},
		{name: "bad pids", args: []string{"run", "--pids", "-3", "--", "true"}, wantCode: 2, wantErr: `pids "-3"`},
		{name: "hostname without uts", args: []string{"run", "--ns", "net", "--hostname", "h", "--", "true"}, wantCode: 2, wantErr: "UTS"},
		{name: "bad hostname", args: []string{"run", "--hostname", "no_underscores", "--", "true"}, wantCode: 2, wantErr: `hostname "no_underscores"`},
		{name: "bad name", args: []string{"run", "--name", "a/b", "--", "true"}, wantCode: 2, wantErr: `name "a/b"`},
		{name: "parent escapes", args: []string{"run", "--cgroup-parent", "../x", "--", "true"}, wantCode: 2, wantErr: `".." is not allowed`},
		{name: "read-only", args: []string{"--read-only", "run", "--", "true"}, wantCode: 1, wantErr: "--read-only"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := runNscope(t, "", tc.args...)
			if res.code != tc.wantCode || !strings.Contains(res.stderr, tc.wantErr) {
				t.Errorf("nscope %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), res.code, res.stderr, tc.wantCode, tc.wantErr)
			}
			if res.stdout != "" {
				t.Errorf("stdout %q, want nothing", res.stdout)
			}
		})
	}
}

func TestRunCLIExitStatus(t *testing.T) {
	needRootCLI(t)
	parent := cliCgroupParent(t)
	plain := filepath.Join(t.TempDir(), "plain-file")
	if err := os.WriteFile(plain, []byte("not a program\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		cmd      []string
		wantCode int
		wantErr  string
	}{
		{name: "exit 3", cmd: []string{"/bin/sh", "-c", "exit 3"}, wantCode: 3},
		{name: "killed", cmd: []string{"/bin/sh", "-c", "kill -KILL $$"}, wantCode: 137},
		{name: "not found", cmd: []string{"no-such-command-xyz"}, wantCode: 127, wantErr: "command not found: no-such-command-xyz"},
		{name: "not executable", cmd: []string{plain}, wantCode: 126, wantErr: "cannot run " + plain},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"run", "--yes", "--cgroup-parent", parent, "--name", fmt.Sprintf("exit%d", i), "--"}, tc.cmd...)
			res := runNscope(t, "", args...)
			if res.code != tc.wantCode || !strings.Contains(res.stderr, tc.wantErr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", res.code, res.stderr, tc.wantCode, tc.wantErr)
			}
		})
	}
}

func TestRunCLIPipesAndKeep(t *testing.T) {
	needRootCLI(t)
	parent := cliCgroupParent(t)
	res := runNscope(t, "hello from stdin\n", "run", "--yes", "--cgroup-parent", parent, "--name", "kept", "--keep", "--hostname", "cli-box",
		"--", "/bin/sh", "-c", `read line; echo "$line"; hostname; echo "pid $$"`)
	want := "hello from stdin\ncli-box\npid 2\n"
	if res.code != 0 || res.stdout != want {
		t.Errorf("exit %d, stdout %q (stderr %q); want 0 and %q", res.code, res.stdout, res.stderr, want)
	}
	kept, _ := filepath.Glob("/sys/fs/cgroup/*/" + parent + "/kept")
	more, _ := filepath.Glob("/sys/fs/cgroup/*/*/*/" + parent + "/kept")
	if len(kept)+len(more) == 0 {
		t.Errorf("--keep: no cgroup named kept under %s in any hierarchy", parent)
	}
}

// A signal sent to nscope reaches the command through the init.
func TestRunCLIForwardsSignals(t *testing.T) {
	needRootCLI(t)
	parent := cliCgroupParent(t)
	cmd := exec.Command(nscopeBinary(t), "run", "--yes", "--cgroup-parent", parent, "--", "/bin/sh", "-c",
		`trap "echo got TERM; exit 42" TERM; echo ready; while :; do sleep 0.05; done`)
	cmd.Env = append(os.Environ(), "NSCOPE_STATE_DIR="+t.TempDir())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	buf := make([]byte, 6)
	if _, err := io.ReadFull(stdout, buf); err != nil || string(buf) != "ready\n" {
		t.Fatalf("read %q, %v; want ready", buf, err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stdout)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 42 || string(rest) != "got TERM\n" {
		t.Errorf("after SIGTERM to nscope: %v, output %q; want exit 42 and got TERM", err, rest)
	}
}

// openPTY returns the master and the slave of a new pseudo-terminal.
// See pty(7).
func openPTY(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("ptsname: %v", err)
	}
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return master, slave
}

// On a terminal the command is the foreground job: an interactive shell
// owns the terminal, runs jobs, and the exit status comes back.
func TestRunCLIInteractiveShellOnATerminal(t *testing.T) {
	needRootCLI(t)
	sh, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("needs bash")
	}
	parent := cliCgroupParent(t)
	master, slave := openPTY(t)
	defer master.Close()
	cmd := exec.Command(nscopeBinary(t), "run", "--yes", "--cgroup-parent", parent, "--", sh, "--norc", "--noprofile", "-i")
	cmd.Env = append(os.Environ(), "NSCOPE_STATE_DIR="+t.TempDir(), "PS1=$ ", "TERM=dumb")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	defer cmd.Process.Kill()
	script := "" +
		`echo "fg=$(( $(ps -o tpgid= -p $$) == $$ ))"` + "\n" +
		"sleep 30 &\n" +
		`echo "jobs=$(jobs | wc -l)"` + "\n" +
		"kill %1\n" +
		"exit 4\n"
	if _, err := master.Write([]byte(script)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		_, _ = io.Copy(&out, master) // EIO when the last slave closes
		done <- cmd.Wait()
	}()
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("the shell did not exit; output so far:\n%s", out.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 4 {
		t.Errorf("exit = %v, want 4; output:\n%s", err, out.String())
	}
	for _, want := range []string{"fg=1", "jobs=1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "no job control") || strings.Contains(out.String(), "cannot set terminal process group") {
		t.Errorf("the shell has no job control:\n%s", out.String())
	}
}
