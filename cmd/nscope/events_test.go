package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/inspect/events"
	"github.com/nscope/nscope/internal/termtext"
	"github.com/nscope/nscope/internal/testutil"
)

// The events CLI test re-executes its own binary as helper processes,
// chosen by NSCOPE_EVENTS_CLI_HELPER; init runs on the main thread (the
// thread-group leader), before the testing package starts.
const eventsHelperEnv = "NSCOPE_EVENTS_CLI_HELPER"

func init() {
	switch os.Getenv(eventsHelperEnv) {
	case "":
		return
	case "lifecycle":
		name := append([]byte("nsev-cli-renamed"[:15]), 0)
		unix.Prctl(unix.PR_SET_NAME, uintptr(unsafe.Pointer(&name[0])), 0, 0, 0)
		syscall.Exec("/bin/sh", []string{"sh", "-c", "exit 7"}, nil)
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
	case "sleep":
		bufio.NewReader(os.Stdin).ReadString('\n')
		time.Sleep(time.Hour)
	}
	os.Exit(0)
}

func TestEventsCLIUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"relative cgroup", []string{"events", "--cgroup", "docker"}, "not absolute"},
		{"dot dot", []string{"events", "--cgroup", "/a/../b"}, "not clean"},
		{"empty cgroup", []string{"events", "--cgroup", ""}, "empty cgroup path"},
		{"no such cgroup", fixtureArgs("events", "--cgroup", "/no/such/cgroup"), "no cgroup /no/such/cgroup in any hierarchy"},
		{"unknown kind", []string{"events", "--kind", "fork,bogus"}, `--kind "bogus": want one or more of fork, exec`},
		{"argument", []string{"events", "extra"}, `unknown command "extra"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runInspectCLI(t, tc.args...)
			var usage *usageError
			if !errors.As(err, &usage) {
				t.Fatalf("nscope %s: error %v is not a usage error (exit code 2)", strings.Join(tc.args, " "), err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to mention %q", err, tc.want)
			}
		})
	}
}

// Host strings reach the terminal escaped: no control character, escape
// sequence, bidi override or invalid UTF-8 gets through the text form.
func TestFormatEventEscapes(t *testing.T) {
	ev := events.Event{
		Time: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), Kind: events.Exec, PID: 42, PPID: 1,
		Comm:     "\x1b]0;pwned\x07",
		Filename: "/tmp/\u202etxt.exe",
		Args:     []string{"ls", "a b", "\xff\xfe", "\x9b31m", "\u009b31m"},
		Cgroup:   "/docker/x\ny",
		Detail:   "plain text",
	}
	line := formatEvent(&ev)
	if i := termtext.Find(line); i >= 0 {
		t.Errorf("line %q holds something unsafe at byte %d", line, i)
	}
	for _, want := range []string{`comm=\e]0;pwned\a`, `filename=/tmp/\u202etxt.exe`, `"a b"`, `\xff\xfe`, `\x9b31m`, `\u009b31m`, `cgroup=/docker/x\ny`, "pid=42", `detail="plain text"`} {
		if !strings.Contains(line, want) {
			t.Errorf("line %q lacks %s", line, want)
		}
	}
	if got := termValue(`say "hi"`); got != `"say \"hi\""` {
		t.Errorf("termValue quotes %q", got)
	}
}

// eventsRun is a running "nscope events".
type eventsRun struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	events []events.Event
	bad    []string
	stderr strings.Builder
	done   chan struct{}
}

// startEvents runs the binary's events command until the test ends, and
// returns once it says it is watching.
func startEvents(t *testing.T, stateDir string, args ...string) *eventsRun {
	t.Helper()
	cmd := exec.Command(nscopeBinary(t), append([]string{"events", "--json"}, args...)...)
	cmd.Env = append(os.Environ(), "NSCOPE_STATE_DIR="+stateDir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &eventsRun{cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var ev events.Event
			r.mu.Lock()
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				r.bad = append(r.bad, sc.Text())
			} else {
				r.events = append(r.events, ev)
			}
			r.mu.Unlock()
		}
	}()
	watching := make(chan string, 1)
	go func() {
		br := bufio.NewReader(stderr)
		first, _ := br.ReadString('\n')
		watching <- first
		rest, _ := io.ReadAll(br)
		r.mu.Lock()
		r.stderr.WriteString(first + string(rest))
		r.mu.Unlock()
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
		cmd.Wait()
	})
	select {
	case line := <-watching:
		if !strings.HasPrefix(line, "nscope: watching processes") {
			t.Fatalf("nscope events does not watch processes: %q", line)
		}
	case <-time.After(time.Minute):
		t.Fatal("nscope events did not start")
	}
	return r
}

// wait returns the events that keep selects once done says they are all
// there; it fails after a generous deadline (timing is not what is
// tested).
func (r *eventsRun) wait(t *testing.T, what string, keep func(*events.Event) bool, done func([]events.Event) bool) []events.Event {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got []events.Event
		r.mu.Lock()
		for i := range r.events {
			if keep(&r.events[i]) {
				got = append(got, r.events[i])
			}
		}
		bad := r.bad
		r.mu.Unlock()
		if len(bad) > 0 {
			t.Fatalf("lines that are not JSON events: %q", bad)
		}
		if len(got) > 0 && done(got) {
			return got
		}
		if time.Now().After(deadline) {
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("timed out waiting for %s (nscope %s); got %+v\nall it printed: %+v", what, strings.Join(r.cmd.Args[1:], " "), got, r.events)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func kindsOf(evs []events.Event) []events.Kind {
	out := make([]events.Kind, len(evs))
	for i, ev := range evs {
		out[i] = ev.Kind
	}
	return out
}

func lastKind(k events.Kind) func([]events.Event) bool {
	return func(evs []events.Event) bool { return evs[len(evs)-1].Kind == k }
}

// cliTestCgroup makes a uniquely named cgroup beneath our own in the
// hierarchy of a v1 controller, removed when the test ends.
func cliTestCgroup(t *testing.T, controller string) (dir, rel string) {
	t.Helper()
	layout, err := inspect.DetectCgroupLayout("/proc", "/sys")
	if err != nil {
		t.Skipf("no cgroup layout: %v", err)
	}
	h := layout.ForController(controller)
	if h == nil || h.Version != 1 {
		t.Skipf("needs the v1 %s controller (this host is %s)", controller, layout.Mode)
	}
	rel = filepath.Join(testutil.OwnCgroups(t)[h.ID], testutil.UniqueName("nscope-evcli"))
	dir = filepath.Join(h.Mount, rel)
	testutil.MakeCgroup(t, dir)
	return dir, rel
}

// cliHelper starts the test binary as a helper held at its stdin gate.
func cliHelper(t *testing.T, mode string) (*exec.Cmd, io.WriteCloser) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), eventsHelperEnv+"="+mode)
	gate, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	testutil.StartGroup(t, cmd)
	return cmd, gate
}

// TestEventsCLILive drives "nscope events --json" as root: a process
// started, renamed, exec'ed and exited; a network namespace added and
// deleted; an OOM kill under a memory limit set with "nscope set"; a
// freeze and thaw with "nscope freeze"/"thaw". Each shows in the stream
// with its content and in order; the limit changes come from the journal.
func TestEventsCLILive(t *testing.T) {
	testutil.RequireRoot(t, "loads BPF programs, creates cgroups and a named netns")
	state := t.TempDir()
	all := startEvents(t, state)

	t.Run("process", func(t *testing.T) {
		cmd, _ := cliHelper(t, "lifecycle")
		pid := cmd.Process.Pid
		got := all.wait(t, "the helper's lifecycle", func(ev *events.Event) bool { return ev.PID == pid && ev.Kind.IsProcess() }, lastKind(events.Exit))
		want := []events.Kind{events.Fork, events.Exec, events.Comm, events.Exec, events.Exit}
		if !slices.Equal(kindsOf(got), want) {
			t.Fatalf("kinds %v, want %v: %+v", kindsOf(got), want, got)
		}
		if got[2].New != "nsev-cli-rename" || got[3].Filename != "/bin/sh" || strings.Join(got[3].Args, " ") != "sh -c exit 7" {
			t.Errorf("comm %q, exec %q %q", got[2].New, got[3].Filename, got[3].Args)
		}
		if ex := got[4]; ex.ExitCode == nil || *ex.ExitCode != 7 {
			t.Errorf("exit code %v, want 7", ex.ExitCode)
		}
	})

	t.Run("netns", func(t *testing.T) {
		testutil.RequireTools(t, "ip")
		name := testutil.UniqueName("nsev-cli")
		if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add: %v\n%s", err, out)
		}
		t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
		held := func(ev *events.Event) bool {
			return ev.Namespace != nil && ev.Namespace.Type == inspect.NetNS && slices.Contains(ev.Namespace.Holders, "named-netns "+name)
		}
		born := all.wait(t, "ns-new of "+name, held, func([]events.Event) bool { return true })
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Fatalf("ip netns del: %v\n%s", err, out)
		}
		got := all.wait(t, "ns-gone of "+name, held, lastKind(events.NSGone))
		if got[0].Kind != events.NSNew || got[len(got)-1].Namespace.ID != born[0].Namespace.ID {
			t.Errorf("events %+v, want ns-new then ns-gone of one namespace", got)
		}
	})

	t.Run("oom", func(t *testing.T) {
		dir, rel := cliTestCgroup(t, "memory")
		limit := runNscopeState(t, state, "set", dir, "memory.limit_in_bytes=48M", "--yes")
		if limit.code != 0 {
			t.Fatalf("nscope set: exit %d: %s", limit.code, limit.stderr)
		}
		all.wait(t, "the limit change", func(ev *events.Event) bool { return ev.Kind == events.Limit && ev.Cgroup == rel }, func([]events.Event) bool { return true })
		cmd, gate := cliHelper(t, "alloc")
		pid := cmd.Process.Pid
		// The exec record is written after the parent can learn the exec
		// succeeded: move the helper only once it is seen, or the move
		// can come first.
		all.wait(t, "the helper's exec", func(ev *events.Event) bool { return ev.PID == pid && ev.Kind == events.Exec }, lastKind(events.Exec))
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(fmt.Sprint(pid)), 0); err != nil {
			t.Fatal(err)
		}
		gate.Write([]byte("go\n"))
		proc := all.wait(t, "the helper's death", func(ev *events.Event) bool { return ev.PID == pid && ev.Kind.IsProcess() }, lastKind(events.Exit))
		if !slices.Equal(kindsOf(proc), []events.Kind{events.Fork, events.Exec, events.Move, events.Exit}) {
			t.Fatalf("process events %v, want fork, exec, move, exit: %+v", kindsOf(proc), proc)
		}
		if ex := proc[3]; ex.Signal != 9 || !ex.OOMKilled || ex.Cgroup != rel {
			t.Errorf("exit %+v, want SIGKILL by the OOM killer in %s", ex, rel)
		}
		mem := all.wait(t, "oom and oom-kill", func(ev *events.Event) bool {
			return ev.Cgroup == rel && (ev.Kind == events.OOM || ev.Kind == events.OOMKill)
		}, lastKind(events.OOMKill))
		if mem[0].Kind != events.OOM {
			t.Errorf("memory events %v, want oom first", kindsOf(mem))
		}
	})

	t.Run("freeze", func(t *testing.T) {
		dir, rel := cliTestCgroup(t, "freezer")
		filtered := startEvents(t, state, "--cgroup", rel)
		cmd, _ := cliHelper(t, "sleep")
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(fmt.Sprint(cmd.Process.Pid)), 0); err != nil {
			t.Fatal(err)
		}
		frozenOrThawed := func(ev *events.Event) bool {
			return ev.Cgroup == rel && (ev.Kind == events.Frozen || ev.Kind == events.Thawed)
		}
		if res := runNscopeState(t, state, "freeze", dir, "--yes"); res.code != 0 {
			t.Fatalf("nscope freeze: exit %d: %s", res.code, res.stderr)
		}
		// The v1 freezer is polled: a thaw before the next poll would
		// undo a freeze no one saw. Thaw once both streams report it.
		all.wait(t, "frozen", frozenOrThawed, lastKind(events.Frozen))
		filtered.wait(t, "frozen", frozenOrThawed, lastKind(events.Frozen))
		if res := runNscopeState(t, state, "thaw", dir); res.code != 0 {
			t.Fatalf("nscope thaw: exit %d: %s", res.code, res.stderr)
		}
		for _, r := range []*eventsRun{all, filtered} {
			got := r.wait(t, "frozen, thawed", frozenOrThawed, lastKind(events.Thawed))
			if !slices.Equal(kindsOf(got), []events.Kind{events.Frozen, events.Thawed}) {
				t.Errorf("freezer events %v, want frozen, thawed", kindsOf(got))
			}
			limits := r.wait(t, "the freeze and thaw in the journal", func(ev *events.Event) bool { return ev.Kind == events.Limit && ev.Cgroup == rel },
				func(evs []events.Event) bool { return len(evs) >= 2 })
			if limits[0].New != "FROZEN" || limits[1].New != "THAWED" {
				t.Errorf("journaled changes %+v, want FROZEN then THAWED", limits)
			}
		}
		// The filtered stream holds only what concerns the cgroup.
		filtered.mu.Lock()
		defer filtered.mu.Unlock()
		for _, ev := range filtered.events {
			if ev.Kind == events.Warning || ev.Kind == events.Lost {
				continue
			}
			if ev.Cgroup != rel && !strings.HasPrefix(ev.Cgroup, rel+"/") && ev.PID != cmd.Process.Pid {
				t.Errorf("--cgroup %s let through %+v", rel, ev)
			}
		}
	})
}

// runNscopeState runs the binary with its journal in dir.
func runNscopeState(t *testing.T, dir string, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(nscopeBinary(t), args...)
	cmd.Env = append(os.Environ(), "NSCOPE_STATE_DIR="+dir)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return res
}
