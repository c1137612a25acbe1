package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
)

// graceAfterTimeout is how long a test binary may run past its own
// -test.timeout (which makes it panic with every goroutine's stack)
// before labinit kills it.
const graceAfterTimeout = 15 * time.Second

// runTestBinary runs one package's test binary with its output on the
// console between begin and end markers, then removes whatever it left
// behind so the next package starts clean. It reports success.
func runTestBinary(con *console, man labproto.Manifest, tb labproto.TestBinary) bool {
	con.marker(labproto.Marker{Kind: labproto.KindBegin, Package: tb.Package})
	start := time.Now()
	cgBefore := listCgroups(cgroupRoot)
	code, leftover, err := runAndReap(con, man, tb)
	if err != nil {
		con.printf("labinit: %v\n", err)
	}
	for _, w := range cleanUpAfter(leftover, cgBefore) {
		con.marker(labproto.Marker{Kind: labproto.KindWarn, Package: tb.Package, Text: w})
	}
	con.marker(labproto.Marker{Kind: labproto.KindEnd, Package: tb.Package, Exit: code, Seconds: time.Since(start).Seconds()})
	return code == 0
}

// testEnv is the environment of every test binary.
func testEnv(man labproto.Manifest) []string {
	env := []string{
		labproto.EnvLab + "=1",
		labproto.EnvConfig + "=" + man.Config,
		labproto.EnvCgroup + "=" + string(man.Cgroup),
		"NSCOPE_BIN=/bin/nscope",
		"PATH=/bin:/sbin:/usr/bin:/usr/sbin",
		"HOME=/root",
		"TMPDIR=/tmp",
		"TERM=dumb",
	}
	return append(env, man.Env...)
}

// runAndReap starts the test binary and waits for it. As PID 1, labinit
// also inherits every orphan the tests leave, so it waits for any child
// and reaps the others on the way. It returns the exit code (128+signal
// when killed) and the processes the tests left running, which it killed.
func runAndReap(con *console, man labproto.Manifest, tb labproto.TestBinary) (int, []string, error) {
	timeout := time.Duration(man.Timeout)
	args := []string{tb.Binary, "-test.v", "-test.run", man.Run, "-test.timeout", timeout.String()}
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		return -1, nil, fmt.Errorf("open %s: %w", os.DevNull, err)
	}
	defer devNull.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return -1, nil, fmt.Errorf("pipe for test output: %w", err)
	}
	if err := os.MkdirAll(tb.Dir, 0o755); err != nil {
		return -1, nil, fmt.Errorf("make working directory: %w", err)
	}
	proc, err := os.StartProcess(tb.Binary, args, &os.ProcAttr{
		Dir:   tb.Dir,
		Env:   testEnv(man),
		Files: []*os.File{devNull, w, w},
	})
	w.Close()
	if err != nil {
		r.Close()
		return -1, nil, fmt.Errorf("start %s: %w", tb.Binary, err)
	}
	copied := make(chan struct{})
	go func() {
		_, _ = io.Copy(con, r)
		close(copied)
	}()

	killer := time.AfterFunc(timeout+graceAfterTimeout, func() {
		con.printf("labinit: %s still running %s after its -test.timeout; killing it\n", tb.Package, graceAfterTimeout)
		_ = unix.Kill(proc.Pid, unix.SIGKILL)
	})
	// A line every half minute tells a hung test from a hung guest.
	started := time.Now()
	heartbeat := time.NewTicker(30 * time.Second)
	exited := make(chan struct{})
	go func() {
		for {
			select {
			case <-heartbeat.C:
				con.printf("labinit: %s still running after %s\n", tb.Package, time.Since(started).Round(time.Second))
			case <-exited:
				return
			}
		}
	}()
	code := waitPID(proc.Pid)
	heartbeat.Stop()
	close(exited)
	killer.Stop()

	// Orphans that still hold the pipe would keep the copy open forever.
	// Frozen ones die only once thawed (v1).
	thawAll()
	leftover := killAllButInit()
	select {
	case <-copied:
	case <-time.After(5 * time.Second):
		con.printf("labinit: test output pipe still open 5s after %s exited\n", tb.Package)
	}
	r.Close()
	return code, leftover, nil
}

// waitPID reaps children until pid exits and returns its exit code.
func waitPID(pid int) int {
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(-1, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1
		}
		if got != pid {
			continue
		}
		switch {
		case ws.Exited():
			return ws.ExitStatus()
		case ws.Signaled():
			return 128 + int(ws.Signal())
		}
	}
}
