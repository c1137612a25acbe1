package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/term"
)

// The app draws its frames on the terminal itself instead of through
// bubbletea's renderer. That renderer wakes frameRate times a second
// whether or not anything changed, and on the bench VM each wake-up of a
// Go program costs about 0.015% of a core: 20 frames a second took 0.3%
// of the 1% an idle live TUI may spend. The screen draws when a frame
// changes and only then, at most frameRate times a second, so a quiet
// screen costs nothing and a key after a pause shows at once.
//
// bubbletea still reads and decodes the keys and the mouse (run with
// tea.WithoutRenderer); the screen does what its renderer did with the
// terminal: raw mode, the alternate screen, the hidden cursor, mouse
// reporting as the view asks, bracketed paste, the keyboard protocols,
// the window title, the size (SIGWINCH), and leaving all of it for a
// shell (tea.Exec) and on the way out.

// display is the terminal the app draws on.
type display struct {
	in, out *os.File
	env     []string
	gap     time.Duration // least time between two draws

	// pmu guards the frame asked for; the UI goroutine only takes pmu,
	// never waits on the terminal.
	pmu     sync.Mutex
	content string
	title   string
	mouse   bool // the view asks for mouse reports (cell motion)
	w, h    int

	// mu guards the terminal: what is drawn, and every write.
	mu         sync.Mutex
	buf        bytes.Buffer // the renderer's output, written out per draw
	scr        *uv.TerminalRenderer
	cells      uv.ScreenBuffer
	drawnW     int
	drawnH     int
	drawn      string
	drawnTitle string
	drawnMouse bool
	erase      bool // the next draw repaints everything
	synced     bool // the terminal has synchronized output (mode 2026)
	active     bool // between start (or resume) and stop (or suspend)
	saved      *term.State
	draws      int // frames written, for tests

	// send reaches the program: a resize, and a quit when the terminal
	// is gone (hung up: a write fails, or it cannot be entered again
	// after a shell). lost makes that quit once.
	send func(tea.Msg)
	lost sync.Once

	kick chan struct{}
	done chan struct{}
	wg   sync.WaitGroup
	stop sync.Once
}

// errNotTerminal is newDisplay's answer when in or out is not a terminal;
// Run then leaves the drawing to bubbletea.
var errNotTerminal = errors.New("not a terminal")

// newDisplay returns a screen on the terminal in and out, of its present
// size. Nothing is written until start.
func newDisplay(in, out *os.File, env []string) (*display, error) {
	if !term.IsTerminal(in.Fd()) || !term.IsTerminal(out.Fd()) {
		return nil, errNotTerminal
	}
	w, h, err := term.GetSize(out.Fd())
	if err != nil {
		return nil, fmt.Errorf("terminal size: %w", err)
	}
	s := &display{in: in, out: out, env: env, gap: time.Second / frameRate, w: w, h: h,
		kick: make(chan struct{}, 1), done: make(chan struct{})}
	s.scr = uv.NewTerminalRenderer(&s.buf, env)
	s.scr.SetColorProfile(colorprofile.Detect(out, env))
	s.scr.SetTabStops(-1)
	s.scr.SetScrollOptim(true)
	s.cells = uv.NewScreenBuffer(w, h)
	return s, nil
}

// size is the terminal's size when the screen was made or last resized.
func (s *display) size() (w, h int) {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	return s.w, s.h
}

// start puts the terminal in raw mode, enters the alternate screen and
// starts drawing. send gets a tea.WindowSizeMsg when the terminal is
// resized.
func (s *display) start(send func(tea.Msg)) error {
	s.send = send
	if err := s.enter(); err != nil {
		return err
	}
	s.wg.Add(2)
	go s.drawLoop()
	go s.watchSize()
	return nil
}

// gone ends the program: the terminal went away (its window closed, or
// the ssh connection dropped) and nothing can be shown or typed again.
// bubbletea alone would not notice while a shell had the terminal.
func (s *display) gone() {
	s.lost.Do(func() {
		if s.send != nil {
			go s.send(tea.QuitMsg{})
		}
	})
}

// enter sets raw mode and writes the modes the app runs in; the next
// draw repaints everything.
func (s *display) enter() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	saved, err := term.MakeRaw(s.in.Fd())
	if err != nil {
		return fmt.Errorf("raw mode: %w", err)
	}
	s.saved = saved
	s.scr.SaveCursor()
	s.scr.SetFullscreen(true)
	s.scr.SetRelativeCursor(false)
	s.scr.Erase()
	s.erase, s.active = true, true
	s.drawnTitle, s.drawnMouse = "", false
	// The background colour is asked here too: bubbletea writes the
	// app's own query (tea.RequestBackgroundColor, for a light or dark
	// palette) only at its next tick, up to a second late without its
	// renderer; the answer reaches the app the same way either time.
	// So is whether the terminal has synchronized output, as bubbletea
	// asks (its answer comes to syncReport).
	seq := ansi.SetModeAltScreenSaveCursor + ansi.ResetModeTextCursorEnable +
		ansi.SetModeBracketedPaste + ansi.SetModifyOtherKeys2 + ansi.PushKittyKeyboard(1) +
		ansi.RequestBackgroundColor
	if askSyncedOutput(s.env) {
		seq += ansi.RequestModeSynchronizedOutput
	}
	_, err = s.out.WriteString(seq)
	return err
}

// leave undoes enter: the modes reset, the main screen back with the
// cursor shown, the terminal's own mode restored.
func (s *display) leave() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.active {
		return
	}
	s.active = false
	s.scr.MoveTo(0, s.cells.Height()-1)
	_ = s.scr.Flush()
	s.buf.WriteString(ansi.ResetModifyOtherKeys + ansi.PopKittyKeyboard(1) + ansi.ResetModeBracketedPaste)
	if s.drawnMouse {
		s.buf.WriteString(ansi.ResetModeMouseButtonEvent + ansi.ResetModeMouseExtSgr)
	}
	if s.drawnTitle != "" {
		s.buf.WriteString(ansi.SetWindowTitle(""))
	}
	s.buf.WriteString(ansi.ResetModeAltScreenSaveCursor + ansi.SetModeTextCursorEnable)
	_, _ = s.out.Write(s.buf.Bytes())
	s.buf.Reset()
	s.scr.Erase()
	s.scr.SetRelativeCursor(true)
	s.scr.SetFullscreen(false)
	s.scr.RestoreCursor()
	if s.saved != nil {
		_ = term.Restore(s.in.Fd(), s.saved)
		s.saved = nil
	}
}

// close leaves the terminal as it was and stops drawing; the last frame
// asked for is not drawn. It may be called more than once.
func (s *display) close() {
	s.stop.Do(func() {
		close(s.done)
		s.wg.Wait()
		s.leave()
	})
}

// show asks for v to be drawn. An unchanged frame costs a comparison; a
// changed one is drawn by the draw loop, off the UI goroutine.
func (s *display) show(v tea.View) {
	s.pmu.Lock()
	mouse := v.MouseMode != tea.MouseModeNone
	same := v.Content == s.content && v.WindowTitle == s.title && mouse == s.mouse
	s.content, s.title, s.mouse = v.Content, v.WindowTitle, mouse
	s.pmu.Unlock()
	if !same {
		s.wake()
	}
}

// resize records the terminal's new size; the next draw repaints.
func (s *display) resize(w, h int) {
	s.pmu.Lock()
	changed := w != s.w || h != s.h
	s.w, s.h = w, h
	s.pmu.Unlock()
	if changed {
		s.wake()
	}
}

func (s *display) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// drawLoop draws when woken, at most once every gap: the frames asked
// for within a gap are drawn as one, the last.
func (s *display) drawLoop() {
	defer s.wg.Done()
	var last time.Time
	for {
		select {
		case <-s.done:
			return
		case <-s.kick:
		}
		if wait := s.gap - time.Since(last); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-s.done:
				t.Stop()
				return
			case <-t.C:
			}
		}
		last = time.Now()
		s.draw()
	}
}

// draw writes what changed between the frame drawn last and the one
// asked for now.
func (s *display) draw() {
	s.pmu.Lock()
	content, title, mouse, w, h := s.content, s.title, s.mouse, s.w, s.h
	s.pmu.Unlock()

	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.active {
		return
	}
	if w != s.drawnW || h != s.drawnH {
		s.scr.Resize(w, h)
		s.cells.Resize(w, h)
		s.cells.Touched = nil
		s.drawnW, s.drawnH = w, h
		s.erase = true
	}
	if !s.erase && content == s.drawn && title == s.drawnTitle && mouse == s.drawnMouse {
		return
	}
	if s.erase {
		s.scr.Erase()
		s.erase = false
	}
	if title != s.drawnTitle {
		_, _ = s.scr.WriteString(ansi.SetWindowTitle(title))
		s.drawnTitle = title
	}
	if mouse != s.drawnMouse {
		// Cell motion: presses, releases, drags and the wheel, in SGR.
		if mouse {
			_, _ = s.scr.WriteString(ansi.SetModeMouseButtonEvent + ansi.SetModeMouseExtSgr)
		} else {
			_, _ = s.scr.WriteString(ansi.ResetModeMouseButtonEvent + ansi.ResetModeMouseExtSgr)
		}
		s.drawnMouse = mouse
	}
	s.cells.Clear()
	uv.NewStyledString(content).Draw(&s.cells, s.cells.Bounds())
	s.scr.Render(s.cells.RenderBuffer)
	if err := s.scr.Flush(); err == nil && s.buf.Len() > 0 {
		out := s.buf.Bytes()
		if s.synced {
			// The terminal shows the frame at once, not as it arrives.
			out = append(append([]byte(ansi.SetModeSynchronizedOutput), out...), ansi.ResetModeSynchronizedOutput...)
		}
		if _, err := s.out.Write(out); err != nil {
			s.gone()
		}
	}
	s.buf.Reset()
	s.drawn = content
	s.draws++
}

// syncReport takes the terminal's answer about synchronized output:
// supported (set or reset now) means frames are wrapped in it.
func (s *display) syncReport(m tea.ModeReportMsg) {
	if m.Mode != ansi.ModeSynchronizedOutput {
		return
	}
	s.mu.Lock()
	s.synced = m.Value == ansi.ModeReset || m.Value == ansi.ModeSet
	s.mu.Unlock()
}

// askSyncedOutput says whether to ask the terminal about synchronized
// output, by bubbletea's rule: not Apple's Terminal, not over ssh unless
// the terminal is known to answer.
func askSyncedOutput(env []string) bool {
	e := uv.Environ(env)
	term := e.Getenv("TERM")
	_, ssh := e.LookupEnv("SSH_TTY")
	_, wt := e.LookupEnv("WT_SESSION")
	if wt || (!ssh && !strings.Contains(e.Getenv("TERM_PROGRAM"), "Apple")) {
		return true
	}
	for _, t := range []string{"ghostty", "wezterm", "alacritty", "kitty", "rio"} {
		if strings.Contains(term, t) {
			return true
		}
	}
	return false
}

// watchSize sends the terminal's size on every SIGWINCH, and ends the
// program on SIGHUP (the terminal hung up).
func (s *display) watchSize() {
	defer s.wg.Done()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGWINCH, syscall.SIGHUP)
	defer signal.Stop(sig)
	for {
		select {
		case <-s.done:
			return
		case got := <-sig:
			if got == syscall.SIGHUP {
				s.gone()
				continue
			}
		}
		s.sendSize(s.send)
	}
}

// sendSize reads the terminal's size and sends it when it changed.
func (s *display) sendSize(send func(tea.Msg)) {
	w, h, err := term.GetSize(s.out.Fd())
	if err != nil {
		return
	}
	if ow, oh := s.size(); ow == w && oh == h {
		return
	}
	s.resize(w, h)
	send(tea.WindowSizeMsg{Width: w, Height: h})
}

// suspended wraps a command run with tea.Exec: the screen is left while
// it runs (bubbletea, without its renderer, only stops reading keys) and
// entered again, repainted, when it ends.
type suspended struct {
	tea.ExecCommand
	s *display
}

// Run leaves the screen, runs the command and comes back.
func (c suspended) Run() error {
	c.s.leave()
	err := c.ExecCommand.Run()
	if eerr := c.s.enter(); eerr != nil {
		// The terminal went away while the command ran.
		c.s.gone()
		if err == nil {
			err = eerr
		}
	}
	c.s.sendSize(c.s.send)
	c.s.wake()
	return err
}

// screenApp is a model whose frames the screen draws: every view the
// program asks for is handed to the screen, and a resize reaches it
// before the model.
type screenApp struct {
	tea.Model
	s *display
}

// Update passes msg to the model. A panic leaves the screen first, so
// that bubbletea's report of it lands on the main screen.
func (a screenApp) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	defer a.leaveOnPanic()
	switch m := msg.(type) {
	case tea.WindowSizeMsg:
		a.s.resize(m.Width, m.Height)
	case tea.ModeReportMsg:
		a.s.syncReport(m)
	}
	m, cmd := a.Model.Update(msg)
	a.Model = m
	return a, cmd
}

// View renders the model and hands the frame to the screen.
func (a screenApp) View() tea.View {
	defer a.leaveOnPanic()
	v := a.Model.View()
	a.s.show(v)
	return v
}

func (a screenApp) leaveOnPanic() {
	if r := recover(); r != nil {
		a.s.close()
		panic(r)
	}
}

// runOnScreen runs model on the terminal, drawn by a screen when stdin
// and stdout are a terminal and by bubbletea's renderer when not. The
// screen is handed to setScreen before the program starts, for the
// actions that suspend it.
func runOnScreen(ctx context.Context, model tea.Model, setScreen func(*display)) error {
	s, err := newDisplay(os.Stdin, os.Stdout, os.Environ())
	if err != nil {
		p := tea.NewProgram(model, tea.WithContext(ctx), tea.WithFPS(frameRate))
		_, err := p.Run()
		return err
	}
	w, h := s.size()
	p := tea.NewProgram(screenApp{Model: model, s: s}, tea.WithContext(ctx), tea.WithoutRenderer(),
		tea.WithFPS(1), tea.WithWindowSize(w, h))
	if setScreen != nil {
		setScreen(s)
	}
	if err := s.start(p.Send); err != nil {
		s.close()
		return fmt.Errorf("terminal: %w", err)
	}
	defer s.close()
	_, err = p.Run()
	return err
}
