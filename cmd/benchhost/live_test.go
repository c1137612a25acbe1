package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/testutil"
)

// childEnv makes the test binary run "benchhost up" (TestLiveDown).
const testChildEnv = "BENCHHOST_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(testChildEnv); args != "" {
		os.Exit(run(strings.Fields(args)))
	}
	os.Exit(m.Run())
}

// needLiveHost skips unless the test can build a bench host here.
func needLiveHost(t *testing.T) {
	t.Helper()
	testutil.RequireRoot(t, "creates namespaces and v1 cgroups")
	if _, err := findHierarchies(); err != nil {
		t.Skipf("needs cgroup v1 hierarchies: %v", err)
	}
	if _, err := findTools(); err != nil {
		t.Skip(err)
	}
}

// alive reports whether pid exists and has not exited.
func alive(pid int) bool { return !isZombie(pid) }

// nsLink reads /proc/PID/ns/TYPE.
func nsLink(t *testing.T, pid, typ string) string {
	t.Helper()
	l, err := os.Readlink(filepath.Join("/proc", pid, "ns", typ))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// readTrim reads a small file without its trailing newline.
func readTrim(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// TestLiveHostBuildAndTeardown builds a small host and checks what an
// operator would: each container's PID 1 is a shell in six new
// namespaces with its hostname set, its cgroups carry the limits and are
// the root of its cgroup namespace, the plain sleeps are there; then that
// teardown leaves no process, cgroup or log behind.
func TestLiveHostBuildAndTeardown(t *testing.T) {
	needLiveHost(t)
	const containers, plain = 3, 10
	h, err := newBenchHost(hostConfig{Containers: containers, Plain: plain})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.close() })
	if err := h.build(context.Background()); err != nil {
		t.Fatal(err)
	}
	pidsDir := h.baseDir(h.pidsHierarchy())
	var started []int
	for n := 1; n <= containers; n++ {
		name := containerName(n)
		pids, err := cgroupPIDs(filepath.Join(pidsDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if len(pids) != procsPerContainer {
			t.Fatalf("%s: %d processes in its pids cgroup, want %d", name, len(pids), procsPerContainer)
		}
		started = append(started, pids...)
		init := ""
		for _, pid := range pids {
			status := readTrim(t, fmt.Sprintf("/proc/%d/status", pid))
			if strings.Contains(status, "\nNSpid:\t"+strconv.Itoa(pid)+"\t1\n") {
				init = strconv.Itoa(pid)
			}
		}
		if init == "" {
			t.Fatalf("%s: no process is PID 1 of a new pid namespace (NSpid)", name)
		}
		if comm := readTrim(t, "/proc/"+init+"/comm"); comm != "sh" {
			t.Errorf("%s: PID 1 inside is %q, want sh", name, comm)
		}
		for _, typ := range []string{"pid", "net", "mnt", "uts", "ipc", "cgroup"} {
			if nsLink(t, init, typ) == nsLink(t, "self", typ) {
				t.Errorf("%s: PID 1 shares our %s namespace, want its own", name, typ)
			}
		}
		if nsLink(t, init, "user") != nsLink(t, "self", "user") {
			t.Errorf("%s: PID 1 is in another user namespace, want ours", name)
		}
		out, err := exec.Command("nsenter", "-t", init, "-u", "-C", "-m", "sh", "-c", "cat /proc/sys/kernel/hostname /proc/1/cgroup").CombinedOutput()
		if err != nil {
			t.Fatalf("%s: nsenter: %v: %s", name, err, out)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if lines[0] != "bench-"+name {
			t.Errorf("%s: hostname %q, want %q", name, lines[0], "bench-"+name)
		}
		// Seen from inside, every bench hierarchy's cgroup is the root:
		// it was placed before it unshared the cgroup namespace.
		for _, hi := range h.hier {
			want := ":" + hi.label() + ":/"
			found := false
			for _, l := range lines[1:] {
				found = found || strings.HasSuffix(l, want) && strings.Count(l, ":") == 2
			}
			if !found {
				t.Errorf("%s: /proc/1/cgroup inside has no %q line:\n%s", name, want, strings.Join(lines[1:], "\n"))
			}
		}
		for _, hi := range h.hier {
			for _, w := range containerLimits(n, hi) {
				if got := readTrim(t, filepath.Join(h.baseDir(hi), name, w.File)); got != w.Value {
					t.Errorf("%s: %s is %s, want %s", name, w.File, got, w.Value)
				}
			}
		}
	}
	plainPIDs, err := cgroupPIDs(filepath.Join(pidsDir, "plain"))
	if err != nil {
		t.Fatal(err)
	}
	if len(plainPIDs) != plain {
		t.Fatalf("plain cgroup has %d processes, want %d", len(plainPIDs), plain)
	}
	for _, pid := range plainPIDs {
		data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		st, err := inspect.ParseProcStat(data)
		if err != nil || st.Comm != "sleep" || st.PPID != os.Getpid() {
			t.Errorf("plain process %d: %+v (%v), want a sleep whose parent is us", pid, st, err)
		}
	}
	started = append(started, plainPIDs...)
	if h.census.Processes < len(started) || h.census.ByType["net"] < containers+1 {
		t.Errorf("census %s, want at least %d processes and %d net namespaces", h.census, len(started), containers+1)
	}
	created := append([]string(nil), h.created...)

	if err := h.close(); err != nil {
		t.Fatalf("teardown: %v", err)
	}
	for _, pid := range started {
		if alive(pid) {
			t.Errorf("process %d still runs after teardown", pid)
		}
	}
	for _, dir := range created {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("cgroup %s still there after teardown (%v)", dir, err)
		}
	}
	if _, err := os.Stat(h.logPath()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("log %s still there after teardown", h.logPath())
	}
}

// TestLiveDown runs "benchhost up" in a child, checks that down leaves a
// running host alone, kills the child with SIGKILL (no teardown runs),
// and checks that the kernel killed the host's processes and down removed
// its cgroups.
func TestLiveDown(t *testing.T) {
	needLiveHost(t)
	child := exec.Command("/proc/self/exe", "-test.run=^$")
	child.Env = append(os.Environ(), testChildEnv+"=up -containers 2 -plain 3")
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	name := benchPrefix + strconv.Itoa(child.Process.Pid)
	t.Cleanup(func() {
		_ = child.Process.Kill()
		_ = child.Wait()
		_ = runDown(new(strings.Builder), downOptions{force: true, only: name})
	})
	up := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "up:") {
				up <- nil
				return
			}
		}
		up <- fmt.Errorf("benchhost up ended without saying it is up: %v", sc.Err())
	}()
	select {
	case err := <-up:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("benchhost up did not come up within 2 minutes")
	}
	runs, err := findRuns()
	if err != nil {
		t.Fatal(err)
	}
	var run benchRun
	for _, r := range runs {
		if r.Name == name {
			run = r
		}
	}
	if !run.Alive || len(run.Dirs) == 0 {
		t.Fatalf("findRuns: %s is %+v, want a live run with directories", name, run)
	}
	var members []int
	for _, d := range run.Dirs {
		if strings.Contains(d, "/pids/") {
			for _, sub := range []string{"c1", "c2", "plain"} {
				pids, err := cgroupPIDs(filepath.Join(d, sub))
				if err != nil {
					t.Fatal(err)
				}
				members = append(members, pids...)
			}
		}
	}
	if len(members) != 2*procsPerContainer+3 {
		t.Fatalf("the child's host has %d processes, want %d", len(members), 2*procsPerContainer+3)
	}

	var out strings.Builder
	if err := runDown(&out, downOptions{only: name}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "left "+name+" alone") {
		t.Errorf("down on a running host said %q, want that it left it alone", out.String())
	}
	for _, d := range run.Dirs {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("down removed %s of a running host: %v", d, err)
		}
	}

	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	deadline := time.Now().Add(30 * time.Second)
	for _, pid := range members {
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if alive(pid) {
			t.Errorf("process %d of the killed benchhost still runs", pid)
		}
	}
	out.Reset()
	if err := runDown(&out, downOptions{only: name}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "removed "+name) {
		t.Errorf("down said %q, want that it removed %s", out.String(), name)
	}
	for _, d := range run.Dirs {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still there after down (%v)", d, err)
		}
	}
}

// TestLiveCPU runs three commands in tmux and checks the figures an
// operator would: a sleeping command uses no CPU, a busy loop uses some,
// and a command that exits is reported as such; the windows are 160x50;
// nothing is left running afterwards.
func TestLiveCPU(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: reads every process's /proc/PID/stat")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("needs tmux")
	}
	ctx := context.Background()
	s, err := newTmuxSession(ctx, benchPrefix+"test-"+strconv.Itoa(os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.newWindow(ctx, t.TempDir(), "sleep 30")
	if err != nil {
		t.Fatal(err)
	}
	size, err := s.paneSize(ctx, p)
	s.kill(ctx)
	killStrayChildren(nil, 2*time.Second)
	s.removeSocket()
	if err != nil {
		t.Fatal(err)
	}
	if size != "160x50" {
		t.Errorf("window size %s, want 160x50", size)
	}

	cmds := []string{"sleep 60", "while :; do :; done", "exit 3"}
	results, err := measureCPU(ctx, t.TempDir(), cmds, 500*time.Millisecond, 2*time.Second, nil)
	// tmux 3.3a sometimes never learns the status of a command that
	// exits at once; then it is "unknown", but never a wrong number.
	if err == nil || !strings.Contains(err.Error(), `"exit 3" exited with status 3`) && !strings.Contains(err.Error(), `"exit 3" exited with status unknown`) {
		t.Errorf("error %v, want one saying that \"exit 3\" exited with status 3", err)
	}
	if len(results) != len(cmds)+1 {
		t.Fatalf("%d results, want one per command and the tmux server: %+v", len(results), results)
	}
	sleeper, busy, exited := results[0], results[1], results[2]
	if sleeper.Seconds > 0.02 || sleeper.Note != "" {
		t.Errorf("sleep: %+v, want no CPU time and no note", sleeper)
	}
	if busy.Seconds <= sleeper.Seconds || busy.Percent <= 0 {
		t.Errorf("busy loop: %+v, want more CPU than the sleeper's %+v", busy, sleeper)
	}
	if !strings.Contains(exited.Note, "exited (status 3)") && !strings.Contains(exited.Note, "exited (status unknown)") {
		t.Errorf("exit 3: note %q, want that it exited with status 3", exited.Note)
	}
	if out, err := exec.Command("tmux", "-L", benchPrefix+"cpu-"+strconv.Itoa(os.Getpid()), "list-sessions").CombinedOutput(); err == nil {
		t.Errorf("the tmux server still runs after the measurement: %s", out)
	}
	if _, err := os.Stat("/tmp/tmux-0/" + benchPrefix + "cpu-" + strconv.Itoa(os.Getpid())); err == nil {
		t.Errorf("the tmux socket is left behind")
	}
	tab, err := readProcTable("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, pid := range tab.children[os.Getpid()] {
		t.Errorf("child %d (%s) left running after the measurement", pid, tab.stats[pid].Comm)
	}
}
