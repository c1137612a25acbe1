package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/google/go-cmp/cmp"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/record"
)

// memoryTestCgroup makes a cgroup for the test beneath our own in the
// hierarchy that has the memory controller, and returns its directory and
// its path inside the hierarchy. It is removed at the end.
func memoryTestCgroup(t *testing.T) (dir, path string) {
	t.Helper()
	layout, err := inspect.DetectCgroupLayout("/proc", "/sys")
	if err != nil {
		t.Skipf("no cgroups: %v", err)
	}
	var h *inspect.Hierarchy
	for i := range layout.Hierarchies {
		if layout.Hierarchies[i].Has("memory") {
			h = &layout.Hierarchies[i]
			break
		}
	}
	if h == nil {
		t.Skip("no hierarchy has the memory controller")
	}
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	own := ""
	for _, line := range strings.Split(string(data), "\n") {
		if parts := strings.SplitN(line, ":", 3); len(parts) == 3 && parts[0] == strconv.Itoa(h.ID) {
			own = parts[2]
		}
	}
	path = filepath.Join(own, fmt.Sprintf("nscope-rectest-%d-%08x", os.Getpid(), rand.Uint32()))
	dir = filepath.Join(h.Mount, path)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cannot make a test cgroup: %v", err)
	}
	t.Cleanup(func() {
		for range 50 {
			if err := unix.Rmdir(dir); err == nil || os.IsNotExist(err) {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("test cgroup %s left behind", dir)
	})
	return dir, path
}

// startIn starts a command in its own process group and in the cgroup
// dir (placed right after start), and kills the group at the end.
func startIn(t *testing.T, dir string, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { killGroup(cmd) })
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// liveScan scans the host now.
func liveScan(t *testing.T) *inspect.Snapshot {
	t.Helper()
	sc := inspect.New()
	defer sc.Close()
	snap, err := sc.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// moment is a live view of the host around one moment of the scene: a
// scan before and a scan at it; what both agree on held still.
type moment struct {
	name          string
	before, at    *inspect.Snapshot
	wantProcess   int // a PID that must be in the replay, 0 for none
	absentProcess int // a PID that must not be in the replay
	wantMemoryMax int64
}

// TestRecordScene records a scripted scene with the real binary — a
// process started in a test cgroup, the cgroup's memory limit changed
// through "nscope set", the process killed and a busy one started, an OOM
// kill — and checks that "nscope snapshot --at T --from DIR" shows each
// moment as a live scan saw it, for everything that held still around it,
// and that the limit change and the OOM kill are marked.
func TestRecordScene(t *testing.T) {
	needRootCLI(t)
	bin := nscopeBinary(t)
	cgDir, cgPath := memoryTestCgroup(t)
	state, dir := t.TempDir(), filepath.Join(t.TempDir(), "rec")
	env := append(os.Environ(), "NSCOPE_STATE_DIR="+state)

	rec := exec.Command(bin, "record", "--interval", "200ms", "--full-every", "1s", dir)
	rec.Env = env
	var recErr strings.Builder
	rec.Stderr = &recErr
	if err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rec.Process.Kill(); _ = rec.Wait() })
	waitFor(t, 20*time.Second, "the first records", func() bool {
		r, err := record.Open(dir)
		if err != nil {
			return false
		}
		defer r.Close()
		return len(r.Entries()) >= 3
	})

	// observe scans the host, waits past a full scan and scans again.
	var moments []moment
	observe := func(m moment) {
		m.before = liveScan(t)
		// Long enough for a full scan (every second) to fall between, even on
		// a loaded machine.
		time.Sleep(2500 * time.Millisecond)
		m.at = liveScan(t)
		moments = append(moments, m)
	}
	limitBefore := readLimit(t, cgDir)

	sleeper := startIn(t, cgDir, "sleep", "1000")
	time.Sleep(1200 * time.Millisecond)
	observe(moment{name: "process started", wantProcess: sleeper.Process.Pid, wantMemoryMax: limitBefore})

	set := exec.Command(bin, "set", cgPath, "--memory", "64M", "-y")
	set.Env = env
	out, err := set.CombinedOutput()
	if err != nil {
		t.Fatalf("nscope set: %v\n%s", err, out)
	}
	time.Sleep(1200 * time.Millisecond)
	observe(moment{name: "limit changed", wantProcess: sleeper.Process.Pid, wantMemoryMax: 64 << 20})

	killGroup(sleeper)
	busy := startIn(t, cgDir, "sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; sleep 1000")
	time.Sleep(1200 * time.Millisecond)
	observe(moment{name: "process exited, busy one started", wantProcess: busy.Process.Pid, absentProcess: sleeper.Process.Pid, wantMemoryMax: 64 << 20})

	// An OOM kill: tail keeps its one endless line in memory, past the
	// 64M limit. The shell joins the cgroup before it forks the pipeline.
	hog := exec.Command("sh", "-c", `echo $$ > "$1/cgroup.procs" && head -c 1000000000 /dev/zero | tail`, "sh", cgDir)
	hog.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := hog.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { killGroup(hog) })
	done := make(chan struct{})
	var hogState *os.ProcessState
	go func() { hogState, _ = hog.Process.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("a pipeline holding 1G under a 64M limit still ran after 30s")
	}
	if hogState.ExitCode() != 137 {
		t.Errorf("the pipeline ended with %v, want 137 (tail killed by the OOM killer)", hogState)
	}
	time.Sleep(2 * time.Second)

	if err := rec.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := rec.Wait(); err != nil {
		t.Fatalf("nscope record after SIGTERM: %v\n%s", err, recErr.String())
	}
	if !strings.Contains(recErr.String(), "wrote ") {
		t.Errorf("nscope record said no summary at exit:\n%s", recErr.String())
	}

	for _, m := range moments {
		t.Run(m.name, func(t *testing.T) {
			at := m.at.Time.Format(time.RFC3339Nano)
			res := runNscope(t, "", "snapshot", "--at", at, "--from", dir)
			if res.code != 0 {
				t.Fatalf("snapshot --at %s: exit %d\n%s", at, res.code, res.stderr)
			}
			got, err := inspect.Load(strings.NewReader(res.stdout))
			if err != nil {
				t.Fatalf("snapshot --at prints no snapshot: %v", err)
			}
			compareHeldStill(t, m, got, cgPath)
		})
	}

	r, err := record.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	first, last := r.Range()
	var sawJournal, sawLimit bool
	for _, i := range r.Marks(first, last, record.MarkJournal|record.MarkLimitChange, 0) {
		x, err := r.Extras(i)
		if err != nil {
			t.Fatal(err)
		}
		for _, mk := range x.Marks {
			if mk.Kind == record.MarkLimitChange && strings.HasSuffix(mk.Cgroup, filepath.Base(cgPath)) && mk.Limit == "memory_max" && mk.New == strconv.Itoa(64<<20) {
				sawLimit = true
			}
		}
		for _, e := range x.Journal {
			if e.File != "" && strings.HasSuffix(e.Cgroup, filepath.Base(cgPath)) {
				sawJournal = true
			}
		}
	}
	if !sawJournal || !sawLimit {
		t.Errorf("the recording lacks the limit change: journal entry %v, limit-change mark %v", sawJournal, sawLimit)
	}
	var oom int64
	for _, i := range r.Marks(first, last, record.MarkOOMKill, 0) {
		x, err := r.Extras(i)
		if err != nil {
			t.Fatal(err)
		}
		for _, mk := range x.Marks {
			if mk.Kind == record.MarkOOMKill && mk.Cgroup == cgPath {
				oom += mk.Count
			}
		}
	}
	if oom < 1 {
		t.Errorf("the recording has no OOM-kill mark for %s (the pipeline ended with %v)", cgPath, hogState)
	}
}

// killGroup kills the process group of cmd and reaps cmd.
func killGroup(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_, _ = cmd.Process.Wait()
}

// readLimit reads the test cgroup's memory limit as the snapshot shows it.
func readLimit(t *testing.T, dir string) int64 {
	t.Helper()
	snap := liveScan(t)
	for i := range snap.Cgroups {
		c := &snap.Cgroups[i]
		if c.Limits.MemoryMax != nil && strings.HasSuffix(dir, c.Path) && c.Path != "/" {
			return *c.Limits.MemoryMax
		}
	}
	t.Fatalf("the live scan lacks the test cgroup %s", dir)
	return 0
}

// compareHeldStill checks the replayed snapshot against the live scans
// around its moment: every process, namespace and cgroup that both scans
// agree on is in the replay with the same identity, and the scene's own
// process and limit are as the scene left them.
func compareHeldStill(t *testing.T, m moment, got *inspect.Snapshot, cgPath string) {
	t.Helper()
	if got.Time.After(m.at.Time) || m.at.Time.Sub(got.Time) > 2*time.Second {
		t.Errorf("replay time %s, want at most 2s before %s", got.Time, m.at.Time)
	}
	stable := 0
	for i := range m.at.Processes {
		p := &m.at.Processes[i]
		b := m.before.Process(p.PID)
		// Held still: the same in both scans, and not exiting (a zombie
		// loses its command line).
		if b == nil || identity(b) != identity(p) || p.State == "Z" || p.State == "X" {
			continue
		}
		stable++
		g := got.Process(p.PID)
		if g == nil {
			t.Errorf("process %d (%s) held still but is not in the replay", p.PID, p.Comm)
			continue
		}
		if a, b := identity(g), identity(p); a != b {
			// Field by field: a whole identity can be a 60 kB command line.
			var ga, wb map[string]any
			_ = json.Unmarshal([]byte(a), &ga)
			_ = json.Unmarshal([]byte(b), &wb)
			t.Errorf("process %d in the replay (record at %s, live scans at %s and %s) (-want +got):\n%.4000s",
				p.PID, got.Time.Format(time.RFC3339Nano), m.before.Time.Format(time.RFC3339Nano), m.at.Time.Format(time.RFC3339Nano), cmp.Diff(wb, ga))
		}
	}
	if stable < 5 {
		t.Errorf("only %d processes held still; the comparison says little", stable)
	}
	for i := range m.at.Namespaces {
		n := &m.at.Namespaces[i]
		// Held still: the same members and holders in both scans (an
		// inode number freed by another job can be handed out again).
		if b := m.before.Namespace(n.ID); b == nil || nsIdentity(b) != nsIdentity(n) {
			continue
		}
		g := got.Namespace(n.ID)
		if g == nil || g.Type != n.Type || g.Parent != n.Parent || g.Owner != n.Owner || g.Level != n.Level {
			t.Errorf("namespace %s %s held still; replay has %+v", n.Type, n.ID, g)
		}
	}
	for i := range m.at.Cgroups {
		c := &m.at.Cgroups[i]
		b := m.before.Cgroup(c.Hierarchy, c.Path)
		if b == nil || !sameLimits(b.Limits, c.Limits) {
			continue
		}
		g := got.Cgroup(c.Hierarchy, c.Path)
		if g == nil || !sameLimits(g.Limits, c.Limits) {
			t.Errorf("cgroup %s (hierarchy %d) held still; replay has %+v", c.Path, c.Hierarchy, g)
		}
	}
	if m.wantProcess != 0 && got.Process(m.wantProcess) == nil {
		t.Errorf("the scene's process %d is not in the replay", m.wantProcess)
	}
	if m.absentProcess != 0 && got.Process(m.absentProcess) != nil {
		t.Errorf("process %d had exited but is in the replay", m.absentProcess)
	}
	found := false
	for i := range got.Cgroups {
		c := &got.Cgroups[i]
		if c.Path == cgPath && c.Limits.MemoryMax != nil {
			found = true
			if *c.Limits.MemoryMax != m.wantMemoryMax {
				t.Errorf("test cgroup memory_max %d in the replay, want %d", *c.Limits.MemoryMax, m.wantMemoryMax)
			}
			if m.wantProcess != 0 && !containsInt(c.Procs, m.wantProcess) {
				t.Errorf("test cgroup members %v in the replay lack %d", c.Procs, m.wantProcess)
			}
		}
	}
	if !found {
		t.Errorf("the replay lacks the test cgroup %s", cgPath)
	}
}

// identity renders what does not change while a process lives (a kernel
// worker's name does: it names the work it does).
func identity(p *inspect.Process) string {
	comm := p.Comm
	if p.Kernel {
		comm = ""
	}
	b, _ := json.Marshal(struct {
		PPID      int
		Comm      string
		Cmdline   []string
		UID       int
		StartTime time.Time
		NSpid     []int
		NS        inspect.NSSet
		Cgroups   []inspect.ProcCgroup
	}{p.PPID, comm, p.Cmdline, p.UID, p.StartTime.UTC(), p.NSpid, p.NS, p.Cgroups})
	return string(b)
}

// nsIdentity renders a namespace's place, members and holders.
func nsIdentity(n *inspect.Namespace) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func sameLimits(a, b inspect.Limits) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
