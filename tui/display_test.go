package tui

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/internal/testutil"
)

// ptyPair opens a pseudo-terminal of w×h cells: the display gets the
// slave as its terminal, the test reads what it writes from the master.
func ptyPair(t *testing.T, w, h int) (master, slave *os.File) {
	t.Helper()
	mfd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: open /dev/ptmx: %v", err)
	}
	master = os.NewFile(uintptr(mfd), "/dev/ptmx")
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetUint32(mfd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	slave, err = os.OpenFile("/dev/pts/"+strconv.FormatUint(uint64(n), 10), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty slave: %v", err)
	}
	t.Cleanup(func() { slave.Close() })
	if err := unix.IoctlSetWinsize(mfd, unix.TIOCSWINSZ, &unix.Winsize{Col: uint16(w), Row: uint16(h)}); err != nil {
		t.Fatalf("set pty size: %v", err)
	}
	return master, slave
}

// ptyOutput gathers what the display writes to the terminal.
type ptyOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func readPTY(master *os.File) *ptyOutput {
	o := &ptyOutput{}
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := master.Read(b)
			o.mu.Lock()
			o.buf.Write(b[:n])
			o.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return o
}

// take returns what was written since the last take, once it contains
// want (or fails after 5 s).
func (o *ptyOutput) take(t *testing.T, want string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		o.mu.Lock()
		s := o.buf.String()
		if strings.Contains(s, want) {
			o.buf.Reset()
			o.mu.Unlock()
			return s
		}
		o.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("the terminal was not sent %q; it got %q", want, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// rawMode reports whether the terminal is in raw mode (no line editing,
// no echo).
func rawMode(t *testing.T, f *os.File) bool {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatalf("termios: %v", err)
	}
	return tio.Lflag&(unix.ICANON|unix.ECHO) == 0
}

// newTestDisplay is a display on a fresh pty that has entered the
// alternate screen, without its draw loop: the test calls draw.
func newTestDisplay(t *testing.T) (*display, *ptyOutput, *os.File) {
	t.Helper()
	master, slave := ptyPair(t, 40, 6)
	out := readPTY(master)
	d, err := newDisplay(slave, slave, []string{"TERM=xterm-256color"})
	if err != nil {
		t.Fatalf("newDisplay: %v", err)
	}
	if w, h := d.size(); w != 40 || h != 6 {
		t.Fatalf("size = %d×%d, want the terminal's 40×6", w, h)
	}
	if err := d.enter(); err != nil {
		t.Fatalf("enter: %v", err)
	}
	t.Cleanup(d.leave)
	// The background colour query goes out with the modes, not a second
	// later with bubbletea's next tick.
	out.take(t, "\x1b]11;?\x07")
	return d, out, slave
}

func TestDisplayNotATerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := newDisplay(f, f, nil); !errors.Is(err, errNotTerminal) {
		t.Fatalf("newDisplay on a file: %v, want errNotTerminal (bubbletea draws then)", err)
	}
}

// TestDisplayDrawsChangesOnly checks what reaches the terminal: the first
// frame whole; nothing, and no wake-up of the draw loop, for the same
// frame again; of several frames asked for before a draw, only the last.
func TestDisplayDrawsChangesOnly(t *testing.T) {
	d, out, slave := newTestDisplay(t)
	if !rawMode(t, slave) {
		t.Fatal("the terminal is not in raw mode after enter")
	}
	d.show(tea.View{Content: "alpha row\nbeta row", WindowTitle: "nscope — box"})
	d.draw()
	s := out.take(t, "beta row")
	if !strings.Contains(s, "alpha row") || !strings.Contains(s, "\x1b]2;nscope — box\a") {
		t.Fatalf("the first frame was not drawn whole with its title: %q", s)
	}

	if strings.Contains(s, "\x1b[?1002h") {
		t.Fatalf("a view without mouse reports turned them on: %q", s)
	}
	d.show(tea.View{Content: "alpha row\nbeta row", WindowTitle: "nscope — box", MouseMode: tea.MouseModeCellMotion})
	d.draw()
	if s := out.take(t, "\x1b[?1002h"); strings.Contains(s, "row") {
		t.Fatalf("turning mouse reports on redrew the rows: %q", s)
	}
	if d.draws != 2 {
		t.Fatalf("draws = %d, want 2", d.draws)
	}
	d.draws = 1

	wakes := len(d.kick)
	for range 5 {
		d.show(tea.View{Content: "alpha row\nbeta row", WindowTitle: "nscope — box", MouseMode: tea.MouseModeCellMotion})
	}
	if len(d.kick) != wakes {
		t.Fatal("showing the same frame again woke the draw loop")
	}
	d.draw()
	d.show(tea.View{Content: "alpha row\ngamma row", WindowTitle: "nscope — box", MouseMode: tea.MouseModeCellMotion})
	d.show(tea.View{Content: "alpha row\ndelta row", WindowTitle: "nscope — box", MouseMode: tea.MouseModeCellMotion})
	d.draw()
	s = out.take(t, "delta")
	if strings.Contains(s, "gamma") || strings.Contains(s, "alpha") || strings.Contains(s, "]2;") {
		t.Fatalf("the second draw wrote more than the changed row: %q", s)
	}
	if d.draws != 2 {
		t.Fatalf("draws = %d, want 2 (the same frame again is not drawn)", d.draws)
	}
}

// TestDisplaySynchronizedOutput checks that the terminal is asked
// whether it has synchronized output (mode 2026), and that once it says
// so every frame is wrapped in it; over ssh an unknown terminal is not
// asked, as bubbletea does not.
func TestDisplaySynchronizedOutput(t *testing.T) {
	master, slave := ptyPair(t, 40, 6)
	out := readPTY(master)
	d, err := newDisplay(slave, slave, []string{"TERM=xterm-256color"})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.enter(); err != nil {
		t.Fatal(err)
	}
	defer d.leave()
	out.take(t, "\x1b[?2026$p")
	d.show(tea.View{Content: "before"})
	d.draw()
	if s := out.take(t, "before"); strings.Contains(s, "\x1b[?2026h") {
		t.Fatalf("a frame was wrapped before the terminal answered: %q", s)
	}
	app := screenApp{Model: stillModel{}, s: d}
	app.Update(tea.ModeReportMsg{Mode: ansi.ModeSynchronizedOutput, Value: ansi.ModeReset})
	d.show(tea.View{Content: "after"})
	d.draw()
	s := out.take(t, "\x1b[?2026l")
	if i, j := strings.Index(s, "\x1b[?2026h"), strings.Index(s, "after"); i < 0 || j < i {
		t.Fatalf("the frame is not wrapped in synchronized output: %q", s)
	}

	if askSyncedOutput([]string{"TERM=xterm-256color", "SSH_TTY=/dev/pts/3"}) {
		t.Error("over ssh an xterm is asked")
	}
	if !askSyncedOutput([]string{"TERM=xterm-kitty", "SSH_TTY=/dev/pts/3"}) {
		t.Error("over ssh kitty is not asked")
	}
	if askSyncedOutput([]string{"TERM=xterm-256color", "TERM_PROGRAM=Apple_Terminal"}) {
		t.Error("Apple's Terminal is asked")
	}
}

// TestDisplayResizeRepaints checks that a new size repaints the frame
// whole, in the new size.
func TestDisplayResizeRepaints(t *testing.T) {
	d, out, _ := newTestDisplay(t)
	d.show(tea.View{Content: "one\ntwo"})
	d.draw()
	out.take(t, "two")
	d.resize(30, 4)
	d.draw()
	s := out.take(t, "two")
	if !strings.Contains(s, "one") {
		t.Fatalf("a resize did not repaint the whole frame: %q", s)
	}
	if d.drawnW != 30 || d.drawnH != 4 {
		t.Fatalf("drawn at %d×%d, want 30×4", d.drawnW, d.drawnH)
	}
}

// fakeExec is a command run by tea.Exec that records the terminal's mode
// while it runs.
type fakeExec struct {
	t      *testing.T
	slave  *os.File
	out    *ptyOutput
	raw    bool
	seen   string
	result error
}

func (f *fakeExec) Run() error {
	f.raw = rawMode(f.t, f.slave)
	f.seen = f.out.take(f.t, "\x1b[?1049l")
	return f.result
}
func (f *fakeExec) SetStdin(io.Reader)  {}
func (f *fakeExec) SetStdout(io.Writer) {}
func (f *fakeExec) SetStderr(io.Writer) {}

// TestDisplaySuspendedCommand checks the shell's round trip: while the
// command runs the terminal is in its own mode on the main screen with
// the cursor shown and the mouse off; after, raw mode and the alternate
// screen are back and the unchanged frame is drawn whole.
func TestDisplaySuspendedCommand(t *testing.T) {
	d, out, slave := newTestDisplay(t)
	d.show(tea.View{Content: "the list", WindowTitle: "nscope — box", MouseMode: tea.MouseModeCellMotion})
	d.draw()
	out.take(t, "the list")

	var sent []tea.Msg
	d.send = func(m tea.Msg) { sent = append(sent, m) }
	f := &fakeExec{t: t, slave: slave, out: out, result: fmt.Errorf("exit status 3")}
	err := suspended{ExecCommand: f, s: d}.Run()
	if err == nil || err.Error() != "exit status 3" {
		t.Fatalf("Run = %v, want the command's own error", err)
	}
	if f.raw {
		t.Error("the command ran with the terminal in raw mode")
	}
	for _, seq := range []string{"\x1b[?25h", "\x1b[?1002l", "\x1b[?2004l", "\x1b]2;\a"} {
		if !strings.Contains(f.seen, seq) {
			t.Errorf("leaving for the command did not send %q: %q", seq, f.seen)
		}
	}
	if !rawMode(t, slave) {
		t.Error("raw mode is not back after the command")
	}
	if len(sent) != 0 {
		t.Errorf("sent %v, want nothing: the size did not change", sent)
	}
	d.draw()
	s := out.take(t, "the list")
	if !strings.Contains(s, "\x1b[?1049h") || !strings.Contains(s, "nscope — box") {
		t.Fatalf("coming back did not enter the alternate screen and repaint with the title: %q", s)
	}
}

// TestDisplayHangup checks that a terminal that went away ends the
// program: a draw that cannot be written, and a shell after which the
// terminal cannot be entered again, send a quit (once).
func TestDisplayHangup(t *testing.T) {
	quits := make(chan tea.Msg, 4)
	d, out, slave := newTestDisplay(t)
	d.send = func(m tea.Msg) { quits <- m }
	d.show(tea.View{Content: "before"})
	d.draw()
	out.take(t, "before")
	// Hang up: the slave is all the display has; a closed fd fails
	// every write as a hung-up terminal does.
	slave.Close()
	d.show(tea.View{Content: "after"})
	d.draw()
	waitQuit(t, quits, "a draw the terminal could not take")

	d2, _, slave2 := newTestDisplay(t)
	quits2 := make(chan tea.Msg, 4)
	d2.send = func(m tea.Msg) { quits2 <- m }
	f := &closingExec{f: slave2}
	if err := (suspended{ExecCommand: f, s: d2}).Run(); err == nil {
		t.Fatal("coming back to a terminal that went away is not an error")
	}
	waitQuit(t, quits2, "a terminal gone while a shell ran")
}

// waitQuit waits for the quit the display sends after what happened.
func waitQuit(t *testing.T, sent <-chan tea.Msg, what string) {
	t.Helper()
	select {
	case m := <-sent:
		if _, ok := m.(tea.QuitMsg); !ok {
			t.Fatalf("sent %T after %s, want tea.QuitMsg", m, what)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not end the program", what)
	}
}

// closingExec is a command during which the terminal goes away.
type closingExec struct{ f *os.File }

func (c *closingExec) Run() error          { return c.f.Close() }
func (c *closingExec) SetStdin(io.Reader)  {}
func (c *closingExec) SetStdout(io.Writer) {}
func (c *closingExec) SetStderr(io.Writer) {}

// stillModel is a model that changes nothing.
type stillModel struct{}

func (stillModel) Init() tea.Cmd                         { return nil }
func (m stillModel) Update(tea.Msg) (tea.Model, tea.Cmd) { return m, nil }
func (stillModel) View() tea.View                        { return tea.View{Content: "still"} }

// panicky is a model whose Update panics.
type panicky struct{}

func (panicky) Init() tea.Cmd                       { return nil }
func (panicky) Update(tea.Msg) (tea.Model, tea.Cmd) { panic("boom") }
func (panicky) View() tea.View                      { return tea.View{Content: "x"} }

// TestDisplayAppPanicLeaves checks that a panic in the app leaves the
// screen (raw mode off, main screen back) before it goes on to bubbletea,
// which prints it.
func TestDisplayAppPanicLeaves(t *testing.T) {
	d, out, slave := newTestDisplay(t)
	app := screenApp{Model: panicky{}, s: d}
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v, want the app's panic", r)
			}
		}()
		app.Update(tea.KeyPressMsg{})
	}()
	out.take(t, "\x1b[?1049l")
	if rawMode(t, slave) {
		t.Fatal("the terminal is still in raw mode after the app panicked")
	}
}

// TestDisplayAppResize checks that a resize reaches the display before
// the model draws in the new size.
func TestDisplayAppResize(t *testing.T) {
	d, _, _ := newTestDisplay(t)
	app := screenApp{Model: stillModel{}, s: d}
	app.Update(tea.WindowSizeMsg{Width: 33, Height: 5})
	if w, h := d.size(); w != 33 || h != 5 {
		t.Fatalf("size = %d×%d after a resize to 33×5", w, h)
	}
}

// TestEndToEndShellRoundTrip enters a process's uts namespace with a
// shell from the live TUI in tmux: the shell runs on the main screen in
// the target's namespace, with the cursor shown and the mouse not
// reported, and when it exits the TUI is back on the alternate screen,
// drawn whole, and says how the shell ended.
func TestEndToEndShellRoundTrip(t *testing.T) {
	testutil.RequireRoot(t, "entering another process's namespaces needs CAP_SYS_ADMIN")
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare (util-linux) is not installed")
	}
	marker := fmt.Sprintf("%d.%04d", 4000+rand.IntN(1000), rand.IntN(10000))
	host := "nscope-e2e-" + strings.ReplaceAll(marker, ".", "-")
	target := exec.Command("unshare", "--uts", "sh", "-c", "hostname "+host+" && exec sleep "+marker)
	if err := target.Start(); err != nil {
		t.Fatalf("start the target: %v", err)
	}
	t.Cleanup(func() { _ = target.Process.Kill(); _ = target.Wait() })

	bin := buildBinary(t)
	tm := newTmuxTerm(t, 140, 40)
	tm.sendText("SHELL=/bin/sh " + bin + " --interval 1s")
	tm.send("Enter")
	tm.waitText("updated")
	tm.filter("sleep " + marker)
	// Selected: its row may be cut short in a deep tree, the detail
	// pane's title is not.
	tm.waitText("Process " + strconv.Itoa(target.Process.Pid) + " sleep")
	tm.send("x")
	tm.waitText("Shell in the namespaces of PID " + strconv.Itoa(target.Process.Pid))
	tm.waitText("enter opens the shell")
	tm.send("Enter")
	tm.waitFor("the shell on the main screen", func(string) bool { return tm.format("#{alternate_on}") == "0" })
	for _, c := range []struct{ format, want string }{
		{"#{cursor_flag}", "1"},
		{"#{mouse_any_flag}#{mouse_button_flag}#{mouse_standard_flag}", "000"},
	} {
		if got := tm.format(c.format); got != c.want {
			t.Errorf("in the shell, %s = %q, want %q", c.format, got, c.want)
		}
	}
	tm.sendText("hostname; echo in-shell-$((6*7))")
	tm.send("Enter")
	s := tm.waitText("in-shell-42")
	if !strings.Contains(s, host) {
		t.Fatalf("the shell is not in the target's uts namespace (hostname %s); the screen is:\n%s", host, s)
	}
	tm.sendText("exit")
	tm.send("Enter")
	s = tm.waitText("exited with status 0")
	if got := tm.format("#{alternate_on}"); got != "1" {
		t.Errorf("after the shell, #{alternate_on} = %q, want 1", got)
	}
	if !strings.Contains(s, "filter “sleep "+marker+"”") || !strings.Contains(s, "PID NSPID USER") || !strings.Contains(s, "updated") {
		t.Fatalf("the TUI was not drawn whole after the shell; the screen is:\n%s", s)
	}
	tm.send("q")
	checkRestored(t, tm)

	// The terminal goes away while a shell runs (the window closed, the
	// ssh connection dropped): the shell gets the hangup, and nscope,
	// coming back to no terminal, ends instead of running on unseen.
	tm.sendText("SHELL=/bin/sh " + bin + " --interval 1s")
	tm.send("Enter")
	tm.waitText("updated")
	tm.filter("sleep " + marker)
	tm.send("x")
	tm.waitText("enter opens the shell")
	tm.send("Enter")
	tm.waitFor("the shell on the main screen", func(string) bool { return tm.format("#{alternate_on}") == "0" })
	// Once the shell answers, nscope's helper that entered the
	// namespaces has become the shell: nscope is the one process left
	// running the binary.
	tm.sendText("echo ready-$((6*7))")
	tm.send("Enter")
	tm.waitText("ready-42")
	pids := pidsOf(t, bin)
	if len(pids) != 1 {
		t.Fatalf("%d processes run %s, want the one nscope", len(pids), bin)
	}
	tm.run("kill-server")
	testutil.WaitFor(t, "nscope to end after its terminal hung up", func() bool {
		_, err := os.Stat("/proc/" + strconv.Itoa(pids[0]))
		return err != nil
	})
}

// pidsOf lists the processes that run the executable path.
func pidsOf(t *testing.T, path string) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if exe, err := os.Readlink("/proc/" + e.Name() + "/exe"); err == nil && exe == path {
			pids = append(pids, pid)
		}
	}
	return pids
}
