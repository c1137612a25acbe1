package events

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/testutil"
)

// The live tests run helper processes by re-executing the test binary
// with NSCOPE_EVENTS_HELPER set; init runs the helper on the main thread
// (the thread-group leader) before the testing package starts.
const helperEnv = "NSCOPE_EVENTS_HELPER"

// renamedComm is the name the lifecycle helper gives itself.
const renamedComm = "nsev-renamed"

func init() {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		return
	}
	switch mode {
	case "lifecycle":
		// Rename the process (prctl on the leader thread), then exec a
		// shell that exits 7.
		name := append([]byte(renamedComm), 0)
		if err := unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&name[0])), 0, 0, 0); err != nil {
			os.Exit(90)
		}
		syscall.Exec("/bin/sh", []string{"sh", "-c", "exit 7"}, nil)
		os.Exit(91)
	case "setuid":
		// Give up root (every thread, as Go does), then exit.
		if err := syscall.Setresuid(65534, 65534, 65534); err != nil {
			os.Exit(92)
		}
		os.Exit(0)
	case "alloc":
		bufio.NewReader(os.Stdin).ReadString('\n')
		var keep [][]byte
		for range 1024 {
			b := make([]byte, 1<<20)
			for i := 0; i < len(b); i += 4096 {
				b[i] = 1
			}
			keep = append(keep, b)
		}
		fmt.Println("allocated", len(keep))
		os.Exit(0)
	case "sleep":
		bufio.NewReader(os.Stdin).ReadString('\n')
		time.Sleep(time.Hour)
	}
	os.Exit(0)
}

// requireRoot skips the test when not running as root.
func requireRoot(t *testing.T) {
	t.Helper()
	testutil.RequireRoot(t, "loads BPF programs, creates cgroups and namespaces")
}

// helper is a started helper process, held at its stdin gate.
type helper struct {
	cmd  *exec.Cmd
	gate io.WriteCloser
	done chan struct{}
}

// startHelper starts a helper in its own process group; Cleanup kills it.
func startHelper(t *testing.T, mode string) *helper {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	gate, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	h := &helper{cmd: cmd, gate: gate, done: make(chan struct{})}
	testutil.StartGroup(t, cmd)
	// Wait reaps in StartGroup's cleanup; done closes when the process
	// is gone, seen through a pidfd.
	go func() {
		waitExit(cmd.Process.Pid)
		close(h.done)
	}()
	return h
}

// waitExit returns once pid has exited (it may be a zombie still).
func waitExit(pid int) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return
	}
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		if n, err := unix.Poll(fds, -1); n > 0 || (err != nil && err != unix.EINTR) {
			return
		}
	}
}

func (h *helper) pid() int { return h.cmd.Process.Pid }

// release lets the helper go on.
func (h *helper) release(t *testing.T) {
	t.Helper()
	if _, err := h.gate.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
}

// testCgroup is a test-owned cgroup: a uniquely named directory beneath
// our own cgroup in each requested hierarchy, removed (after thawing and
// killing what is left in it) when the test ends.
type testCgroup struct {
	// dir and rel are the directory and the path inside the hierarchy,
	// by controller ("v2" for the cgroup2 hierarchy).
	dir, rel map[string]string
}

func newTestCgroup(t *testing.T, controllers ...string) *testCgroup {
	t.Helper()
	requireRoot(t)
	layout, err := inspect.DetectCgroupLayout("/proc", "/sys")
	if err != nil {
		t.Skipf("no cgroup layout: %v", err)
	}
	own := testutil.OwnCgroups(t)
	name := testutil.UniqueName("nscope-evtest")
	cg := &testCgroup{dir: map[string]string{}, rel: map[string]string{}}
	for _, c := range controllers {
		var h *inspect.Hierarchy
		if c == "v2" {
			h = layout.Unified()
		} else if h = layout.ForController(c); h != nil && h.Version != 1 {
			h = nil
		}
		if h == nil {
			t.Skipf("needs the %s hierarchy (this host is %s)", c, layout.Mode)
		}
		rel := filepath.Join(own[h.ID], name)
		dir := filepath.Join(h.Mount, rel)
		testutil.MakeCgroup(t, dir)
		cg.dir[c], cg.rel[c] = dir, rel
	}
	return cg
}

// write writes a cgroup file of the cgroup in a controller's hierarchy.
func (cg *testCgroup) write(t *testing.T, controller, file, value string) {
	t.Helper()
	testutil.WriteCgroupFile(t, cg.dir[controller], file, value)
	// A frozen helper cannot die: thaw before the helpers are killed
	// (cleanups run last first, and the helpers started before this).
	if (file == "freezer.state" && value == "FROZEN") || (file == "cgroup.freeze" && value == "1") {
		dir, thawed := cg.dir[controller], "THAWED"
		if file == "cgroup.freeze" {
			thawed = "0"
		}
		t.Cleanup(func() { _ = os.WriteFile(filepath.Join(dir, file), []byte(thawed), 0) })
	}
}

// openStream opens a stream and closes it when the test ends.
func openStream(t *testing.T, opts ...Option) *Stream {
	t.Helper()
	requireRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, src := range s.Sources() {
		if src.Name == "processes" && !src.Running {
			t.Fatalf("process events do not run: %s", src.Detail)
		}
	}
	return s
}

// collect reads events that keep selects until done says the last one
// read completes the picture (or the deadline, which fails the test).
func collect(t *testing.T, sub *Subscription, what string, keep func(*Event) bool, done func([]Event) bool) []Event {
	t.Helper()
	var got []Event
	deadline := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-sub.Events():
			if !ok {
				t.Fatalf("stream closed while waiting for %s; got %s", what, describe(got))
			}
			if !keep(&ev) {
				continue
			}
			got = append(got, ev)
			if done(got) {
				return got
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %s; got %s", what, describe(got))
		}
	}
}

// describe lists events for a failure message.
func describe(evs []Event) string {
	var b strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&b, "\n  %s pid=%d comm=%q cgroup=%q old=%q new=%q count=%d detail=%q", ev.Kind, ev.PID, ev.Comm, ev.Cgroup, ev.Old, ev.New, ev.Count, ev.Detail)
	}
	return b.String()
}

// kinds returns the events' kinds.
func kinds(evs []Event) []Kind {
	out := make([]Kind, len(evs))
	for i, ev := range evs {
		out[i] = ev.Kind
	}
	return out
}

// hasKind reports whether evs has an event of kind k.
func hasKind(evs []Event, k Kind) bool {
	for _, ev := range evs {
		if ev.Kind == k {
			return true
		}
	}
	return false
}
