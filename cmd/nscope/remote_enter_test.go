package main

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/internal/testutil"
)

// TestRemoteEnter: enter over -H runs the command in the remote
// target's namespaces, and nscope exits with its status.
func TestRemoteEnter(t *testing.T) {
	h := startRemoteHost(t)
	pid := testutil.StartUnshare(t, "--net")
	want, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	res := h.remote(t, "", "enter", strconv.Itoa(pid), "--ns", "net", "--", "sh", "-c", "readlink /proc/self/ns/net; echo to-stderr >&2; exit 7")
	if res.code != 7 || strings.TrimSpace(res.stdout) != want || strings.TrimSpace(res.stderr) != "to-stderr" {
		t.Errorf("enter over -H: exit %d, stdout %q, stderr %q; want exit 7, %s and to-stderr", res.code, res.stdout, res.stderr, want)
	}
	res = h.remote(t, "hello from here\n", "enter", strconv.Itoa(pid), "--ns", "net", "--", "cat")
	if res.code != 0 || res.stdout != "hello from here\n" {
		t.Errorf("enter over -H with input: exit %d, stdout %q, stderr %q", res.code, res.stdout, res.stderr)
	}
	res = h.remote(t, "", "enter", "999999999")
	if res.code != exitUsage {
		t.Errorf("enter of a PID beyond pid_max over -H: exit %d (%s), want %d", res.code, res.stderr, exitUsage)
	}
}

// TestRemoteEnterTerminal: on a terminal, enter over -H gives the remote
// shell a terminal of this one's size that follows its resizes; keys go
// to it and the exit status comes back.
func TestRemoteEnterTerminal(t *testing.T) {
	h := startRemoteHost(t)
	pid := testutil.StartUnshare(t, "--net")
	master, slave := openPTY(t)
	defer master.Close()
	setWinsize(t, master, 100, 30)
	cmd := exec.Command(nscopeBinary(t), "-H", h.target, "enter", strconv.Itoa(pid), "--ns", "net", "--", "sh")
	cmd.Env = append(append(os.Environ(), "NSCOPE_STATE_DIR="+h.state, "TERM=dumb"), h.env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	defer cmd.Process.Kill()
	var mu sync.Mutex
	var screen bytes.Buffer
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	expect := func(what string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			got := screen.String()
			mu.Unlock()
			if strings.Contains(got, what) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("the terminal never showed %q; it shows:\n%s", what, screen.String())
	}
	// The commands print markers built at run time, so the echo of the
	// typed line does not match.
	type_ := func(line string) {
		if _, err := master.Write([]byte(line + "\r")); err != nil {
			t.Fatal(err)
		}
	}
	type_(`test -t 0 && echo "T""TY:yes"; echo "SI""ZE:$(stty size)"`)
	expect("TTY:yes")
	expect("SIZE:30 100")
	setWinsize(t, master, 120, 40)
	time.Sleep(300 * time.Millisecond)
	type_(`echo "SI""ZE:$(stty size)"`)
	expect("SIZE:40 120")
	type_("exit 5")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != 5 {
			t.Errorf("the remote shell's exit 5 came back as %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("nscope -H enter did not end after the shell's exit")
	}
}

// setWinsize sets a terminal's size.
func setWinsize(t *testing.T, f *os.File, cols, rows int) {
	t.Helper()
	if err := unix.IoctlSetWinsize(int(f.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Col: uint16(cols), Row: uint16(rows)}); err != nil {
		t.Fatal(err)
	}
}

// TestRemoteRun: run over -H launches the command in new namespaces on
// the remote and exits with its status.
func TestRemoteRun(t *testing.T) {
	h := startRemoteHost(t)
	parent := cliCgroupParent(t)
	res := h.remote(t, "", "run", "--yes", "--cgroup-parent", parent, "--name", "remote-run", "--pids", "20", "--", "sh", "-c", "hostname; cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /proc/self/cgroup; exit 3")
	if res.code != 3 || !strings.HasPrefix(res.stdout, "remote-run\n") {
		t.Errorf("run over -H: exit %d, stdout %q, stderr %q; want exit 3 and the hostname remote-run", res.code, res.stdout, res.stderr)
	}
}

// TestRemoteSignalForwarded: without a terminal, a SIGINT nscope gets is
// passed to the remote command, which it ends; nothing is left running
// on the remote.
func TestRemoteSignalForwarded(t *testing.T) {
	h := startRemoteHost(t)
	pid := testutil.StartUnshare(t, "--net")
	// A second argument sleep adds up makes the remote sleep findable.
	marker := "0.000" + strconv.Itoa(os.Getpid()) + strconv.Itoa(int(time.Now().UnixNano()%1e6))
	cmd := exec.Command(nscopeBinary(t), "-H", h.target, "enter", strconv.Itoa(pid), "--ns", "net", "--", "sleep", "300", marker)
	cmd.Env = append(append(os.Environ(), "NSCOPE_STATE_DIR="+h.state), h.env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// The sleep itself: nscope, ssh and the agent carry the marker in their
	// arguments too, and nscope may not be watching for SIGINT yet.
	testutil.WaitFor(t, "the remote sleep", func() bool { return len(sleepsNamed(marker)) > 0 })
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Errorf("enter over -H after SIGINT: %v (%s), want exit 130", err, stderr.String())
	}
	testutil.WaitFor(t, "no remote sleep left", func() bool { return len(sleepsNamed(marker)) == 0 })
	testutil.WaitFor(t, "no agent left", func() bool { return len(agentPIDs(h)) == 0 })
}

// sleepsNamed returns the PIDs of the sleep processes with an argument arg.
func sleepsNamed(arg string) []int {
	var out []int
	for _, pid := range processesNamed(arg) {
		if testutil.Comm(pid) == "sleep" {
			out = append(out, pid)
		}
	}
	return out
}

// processesNamed returns the PIDs with an argument arg.
func processesNamed(arg string) []int {
	var out []int
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile("/proc/" + d.Name() + "/cmdline")
		if err == nil && strings.Contains(string(data), "\x00"+arg+"\x00") {
			out = append(out, pid)
		}
	}
	return out
}
