package tui

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/testutil"
	"github.com/nscope/nscope/procview"
)

// asUID makes the actions see the given effective UID.
func asUID(uid int) func() int { return func() int { return uid } }

// selectProcess selects pid in the process view of m.
func selectProcess(t *testing.T, m *Model, pid int) {
	t.Helper()
	p := m.snap.Process(pid)
	if p == nil || !m.show(procview.ProcessKey(p)) {
		t.Fatalf("cannot select process %d", pid)
	}
}

// TestShellRefusals checks that x starts nothing when it must not: not
// root, read-only, a kernel thread.
func TestShellRefusals(t *testing.T) {
	snap := loadFixture(t, "small-2")
	user := snap.Processes[len(snap.Processes)-1]
	t.Run("not root", func(t *testing.T) {
		m := liveModelWith(t, Options{EUID: asUID(1000)}, 100, 40, snap)
		selectProcess(t, m, user.PID)
		d := newFlowDriver(t, m)
		d.keys("x")
		d.wantDialog("not running as root (euid 1000)", "Nothing was started.")
	})
	t.Run("read-only", func(t *testing.T) {
		m := New(Options{Source: scanFunc(func() (*inspect.Snapshot, error) { return snap, nil }), ReadOnly: true, EUID: asUID(0)})
		m.Init()
		send(m, scanMsg{gen: m.gen, snap: snap})
		selectProcess(t, m, user.PID)
		d := newFlowDriver(t, m)
		d.keys("x")
		if text := d.awaitFlash(); m.dialogs.Len() != 0 || !strings.Contains(text, "read-only") {
			t.Errorf("x under --read-only: %d dialogs, flash %q; want a refusal in the status line", m.dialogs.Len(), text)
		}
	})
}

// TestShellChecklistLive plans against a real target made with unshare
// and checks the checklist and the command it builds; nothing is entered.
func TestShellChecklistLive(t *testing.T) {
	testutil.RequireRoot(t, "reads another process's namespaces")
	testutil.CheckLeaks(t)
	sleeper := testutil.StartUnshare(t, "--uts", "--net", "--fork", "--kill-child")
	// /proc is enough here; the BPF iterators' links are the scanner's to
	// close, and this test checks what the model leaves open.
	s := inspect.New(inspect.WithCgroups(false), inspect.WithBPF(false))
	defer s.Close()
	snap, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fake := &enterFake{waitErr: &control.ExitError{Code: 3}}
	m := liveModelWith(t, Options{Enterer: control.NewEnterer(control.WithEnterExecutor(fake))}, 120, 40, snap)
	selectProcess(t, m, sleeper)
	d := newFlowDriver(t, m)
	d.keys("x")
	awaitMsg[shellPlannedMsg](d, "the plan")
	d.wantDialog("Shell in the namespaces of PID", "[x] net", "[x] uts", "shared with nscope already", "host tools")
	sd := m.dialogs.Top().(*shellDialog)
	if diff := cmp.Diff([]inspect.NSType{inspect.NetNS, inspect.UTSNS}, sd.plan0.Join); diff != "" {
		t.Fatalf("default plan joins (-want +got):\n%s", diff)
	}
	// Untick net (the third line), keep uts, and open the shell.
	d.keys("down", "down", " ", "enter")
	ready := awaitMsg[shellReadyMsg](d, "the command")
	if ready.err != nil {
		t.Fatalf("enter: %v", ready.err)
	}
	if diff := cmp.Diff([]inspect.NSType{inspect.UTSNS}, ready.cmd.Plan.Join); diff != "" {
		t.Errorf("the shell joins (-want +got):\n%s", diff)
	}
	if len(ready.cmd.Plan.Command) != 1 || !strings.HasSuffix(ready.cmd.Plan.Command[0], "sh") {
		t.Errorf("command %v, want a shell", ready.cmd.Plan.Command)
	}
	// Run it as tea.Exec does, through the injected executor: the helper
	// is asked for uts only, and the exit status reaches the status line.
	runErr := ready.cmd.Run()
	if len(fake.cmds) != 1 {
		t.Fatalf("executor got %d commands, want 1", len(fake.cmds))
	}
	env := strings.Join(fake.cmds[0].Env, "\n")
	if !strings.Contains(env, "uts") || strings.Contains(env, "net") {
		t.Errorf("helper environment asks for the wrong namespaces:\n%s", env)
	}
	if msg := shellEnded(sleeper, "PID x", ready.cmd.Plan.Command, runErr).(FlashMsg); !msg.Err || !strings.Contains(msg.Text, "status 3") {
		t.Errorf("end message %+v, want exit status 3 as an error", msg)
	}
	// A helper that could not join says why, in plain words.
	refused := &enterFake{report: "nsexec\t1\tsetns\tuts\n"}
	m.opts.Enterer = control.NewEnterer(control.WithEnterExecutor(refused))
	d.awaitClosed()
	d.keys("x")
	awaitMsg[shellPlannedMsg](d, "the plan")
	d.keys("enter")
	ready = awaitMsg[shellReadyMsg](d, "the command")
	if ready.err != nil {
		t.Fatalf("enter: %v", ready.err)
	}
	if msg := shellEnded(sleeper, "PID x", ready.cmd.Plan.Command, ready.cmd.Run()).(FlashMsg); !msg.Err || !strings.Contains(msg.Text, "could not enter") || !strings.Contains(msg.Text, "not permitted") {
		t.Errorf("refusal message %+v, want \"could not enter\" and \"not permitted\"", msg)
	}
}

// enterFake plays the enter helper: it reports report on the error
// descriptor (a refusal) and Wait returns waitErr.
type enterFake struct {
	cmds    []*exec.Cmd
	report  string
	waitErr error
}

func (f *enterFake) Start(cmd *exec.Cmd) error {
	f.cmds = append(f.cmds, cmd)
	if f.report != "" {
		if _, err := cmd.ExtraFiles[0].Write([]byte(f.report)); err != nil {
			return err
		}
	}
	return nil
}

func (f *enterFake) Wait(*exec.Cmd) error { return f.waitErr }

// TestShellGoneTarget shows the plain-words error for a process that
// exited since the scan.
func TestShellGoneTarget(t *testing.T) {
	snap := loadFixture(t, "small-2")
	// The fixture's PIDs are not this machine's: plan on an empty /proc.
	en := control.NewEnterer(control.WithEnterProcRoot(t.TempDir()))
	m := liveModelWith(t, Options{EUID: asUID(0), Enterer: en}, 100, 40, snap)
	p := snap.Processes[len(snap.Processes)-1]
	selectProcess(t, m, p.PID)
	d := newFlowDriver(t, m)
	d.keys("x")
	awaitMsg[shellPlannedMsg](d, "the plan")
	d.wantDialog(fmt.Sprintf("%d", p.PID), "no such process")
}

// launchFake plays the init for control.Launcher: it reports the command
// started, and exited with code when waited for.
type launchFake struct {
	mu   sync.Mutex
	cmds []*exec.Cmd
	code int
}

func (f *launchFake) Start(cmd *exec.Cmd) error {
	f.mu.Lock()
	f.cmds = append(f.cmds, cmd)
	f.mu.Unlock()
	_, err := cmd.ExtraFiles[1].Write([]byte("started 2\n"))
	return err
}

func (f *launchFake) Wait(cmd *exec.Cmd) error {
	status := cmd.ExtraFiles[1]
	_, _ = fmt.Fprintf(status, "exited %d 0\n", f.code)
	status.Close()
	if f.code == 0 {
		return nil
	}
	return &control.ExitError{Code: f.code}
}

// TestSpawnForm drives n: bad input is refused inline with nothing
// launched; a good form launches through the injected executor with the
// namespaces and limits asked for, in cgroups that are removed when the
// command ends.
func TestSpawnForm(t *testing.T) {
	testutil.CheckLeaks(t)
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
	fake := &launchFake{code: 0}
	rec := &recordingLauncher{l: control.NewLauncher(control.WithLaunchLayout(layout), control.WithLaunchExecutor(fake),
		control.WithLaunchHelper("/usr/bin/nscope"),
		control.WithLaunchEditorOptions(control.WithJournalDir(t.TempDir())))}

	m := liveModelWith(t, Options{EUID: asUID(0), Launcher: rec}, 100, 40, loadFixture(t, "small-2"))
	d := newFlowDriver(t, m)
	d.keys("n")
	d.wantDialog("Launch a process in new namespaces", "sleep infinity", "[x] net", "[ ] user")
	// command, hostname, CPU, memory: type a bad memory limit.
	d.keys("tab", "tab", "tab", "lots", "enter")
	d.wantDialog("memory")
	if len(fake.cmds) != 0 {
		t.Fatalf("bad input launched %d commands", len(fake.cmds))
	}
	// Fix it; name the cgroup; untick net (name, then mnt, pid, net).
	d.keys("ctrl+u", "64M", "tab", "tab", "web", "tab", "tab", "tab", " ", "enter")
	started := awaitMsg[spawnStartedMsg](d, "the launch")
	if started.err != nil {
		t.Fatalf("launch: %v", started.err)
	}
	t.Cleanup(func() { os.Remove(started.log) })
	if len(fake.cmds) != 1 {
		t.Fatalf("executor got %d commands, want 1", len(fake.cmds))
	}
	cmd := fake.cmds[0]
	if diff := cmp.Diff([]string{"nscope-init", "sleep", "infinity"}, cmd.Args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	flags := cmd.SysProcAttr.Cloneflags
	if flags&syscall.CLONE_NEWNET != 0 || flags&syscall.CLONE_NEWUTS == 0 || flags&syscall.CLONE_NEWPID == 0 {
		t.Errorf("clone flags %#x: want new pid and uts, no new net", flags)
	}
	if !cmd.SysProcAttr.Setsid {
		t.Errorf("a launch from the TUI must run in its own session, away from the terminal")
	}
	if rec.req.Memory != "64M" || rec.req.Name != "web" || rec.req.Hostname != "" {
		t.Errorf("request memory %q name %q hostname %q; want 64M, web and the default hostname", rec.req.Memory, rec.req.Name, rec.req.Hostname)
	}
	cgroupDir := filepath.Join(root, "memory", "nscope", "web")
	// The app registers it, waits, and says how it ended; the cgroups go.
	text := ""
	d.await("the end of the launched command", func(msg tea.Msg) bool {
		f, ok := msg.(FlashMsg)
		text = f.Text
		return ok && strings.Contains(f.Text, "exited with status 0")
	})
	if !strings.Contains(text, "web") {
		t.Errorf("end message %q does not name the cgroup", text)
	}
	if _, err := os.Stat(cgroupDir); !os.IsNotExist(err) {
		t.Errorf("cgroup %s still there after the command ended (%v)", cgroupDir, err)
	}
	if n := m.launched.stopAll(time.Second); n != 0 {
		t.Errorf("%d launches still registered after they ended", n)
	}
}

// recordingLauncher records the request the form makes and launches it
// without the limits: writing them needs a real cgroup filesystem, and
// control's own tests cover that; this test is about the form.
type recordingLauncher struct {
	l   *control.Launcher
	req control.LaunchRequest
}

func (r *recordingLauncher) Launch(req control.LaunchRequest) (*control.LaunchCmd, error) {
	r.req = req
	req.CPU, req.Memory, req.Pids = "", "", ""
	return r.l.Launch(req)
}

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"sleep infinity", []string{"sleep", "infinity"}, false},
		{`sh -c 'while :; do sleep 1; done'`, []string{"sh", "-c", "while :; do sleep 1; done"}, false},
		{`echo "" x`, []string{"echo", "", "x"}, false},
		{"  a   b  ", []string{"a", "b"}, false},
		{`sh -c 'oops`, nil, true},
	}
	for _, tc := range tests {
		got, err := splitCommand(tc.in)
		if (err != nil) != tc.wantErr || !slices.Equal(got, tc.want) {
			t.Errorf("splitCommand(%q) = %q, %v; want %q (error %v)", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

// TestSelectProcessMsg checks that a launched process is selected once a
// full scan has it, and that a missing one is reported.
func TestSelectProcessMsg(t *testing.T) {
	snap := loadFixture(t, "small-2")
	m := liveModel(t, 100, 40, snap)
	m.switchView(NamespacesView)
	want := snap.Processes[len(snap.Processes)-1]
	if send(m, SelectProcessMsg{PID: want.PID}) == nil {
		t.Fatal("SelectProcessMsg started no scan")
	}
	send(m, scanMsg{gen: m.gen, snap: snap})
	if r := m.list().selected(); m.view != ProcessesView || r == nil || r.Process == nil || r.Process.PID != want.PID {
		t.Errorf("after the scan: view %v, selected %+v; want process %d in the process view", m.view, r, want.PID)
	}
	send(m, SelectProcessMsg{PID: 999999})
	send(m, scanMsg{gen: m.gen, snap: snap})
	if !strings.Contains(m.flash.Text, "999999 is not in the last scan") {
		t.Errorf("flash %q, want the missing process reported", m.flash.Text)
	}
}
