package tui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
	"github.com/nscope/nscope/tui/dialog"
)

// TestStaleScanDropped: a scan that finishes after a newer one was
// started (here: after pausing) must not replace what is shown.
func TestStaleScanDropped(t *testing.T) {
	s1, s2 := loadFixture(t, "small-1"), loadFixture(t, "small-2")
	m := liveModel(t, 80, 24, s1)
	oldGen := m.gen
	keys(m, "space") // pause: the scan in flight is now stale
	if !m.paused {
		t.Fatal("space did not pause")
	}
	send(m, scanMsg{gen: oldGen, snap: s2})
	if m.snap != s1 {
		t.Error("a stale scan result replaced the snapshot")
	}
	if !strings.Contains(screen(m), "PAUSED") {
		t.Errorf("the status line does not say PAUSED:\n%s", screen(m))
	}
	if cmd := send(m, tickMsg{gen: m.gen}); cmd != nil {
		t.Error("a tick while paused started a scan")
	}
	keys(m, "space")
	send(m, scanMsg{gen: m.gen, snap: s2})
	if m.snap != s2 {
		t.Error("the scan after resuming was not applied")
	}
}

// TestScanErrorShown: a failed scan says why in the status line and keeps
// the last good snapshot.
func TestScanErrorShown(t *testing.T) {
	s1 := loadFixture(t, "small-1")
	m := liveModel(t, 100, 24, s1)
	send(m, scanMsg{gen: m.gen, err: errors.New("scan: list processes: permission denied")})
	if m.snap != s1 {
		t.Error("a failed scan dropped the snapshot")
	}
	if got := screen(m); !strings.Contains(got, "scan failed: scan: list processes: permission denied") {
		t.Errorf("the error is not in the status line:\n%s", got)
	}
}

// TestScanCommandUsesSource runs the command a tick returns: it scans the
// source off the UI goroutine and returns a message the model applies.
func TestScanCommandUsesSource(t *testing.T) {
	s2 := loadFixture(t, "small-2")
	calls := 0
	m := New(Options{Source: scanFunc(func() (*inspect.Snapshot, error) { calls++; return s2, nil })})
	send(m, tea.WindowSizeMsg{Width: 80, Height: 24})
	cmd := m.startScan()
	msg, ok := cmd().(scanMsg)
	if !ok || calls != 1 {
		t.Fatalf("the scan command returned %T after %d scans", msg, calls)
	}
	send(m, msg)
	if m.snap != s2 {
		t.Error("the scan result was not applied")
	}
}

func TestTooSmall(t *testing.T) {
	m := liveModel(t, 50, 10, loadFixture(t, "small-2"))
	if got := strings.Join(strings.Fields(screen(m)), " "); !strings.Contains(got, "nscope needs at least 60×14 cells; this terminal is 50×10.") {
		t.Errorf("a tiny terminal shows:\n%s", got)
	}
}

// TestMouse: a click selects the row under the pointer, a click on a tab
// switches the view, the wheel scrolls, a click on a detail link follows
// it.
func TestMouse(t *testing.T) {
	m := liveModel(t, 80, 24, loadFixture(t, "small-1"), loadFixture(t, "small-2"))
	// Row lines start below the tabs and the header: y=2 is the first.
	send(m, tea.MouseClickMsg{X: 10, Y: 4, Button: tea.MouseLeft})
	if r := m.list().selected(); r == nil || r.Process.PID != 412 {
		t.Errorf("clicking the third row selected %+v, want PID 412", r)
	}
	x := m.tabRanges()[CgroupsView][0] + 1
	send(m, tea.MouseClickMsg{X: x, Y: 0, Button: tea.MouseLeft})
	if m.view != CgroupsView {
		t.Errorf("clicking the Cgroups tab shows view %v", m.view)
	}
	keys(m, "2")
	// The process detail: the first link is the parent.
	keys(m, "home", "down")
	line := -1
	for i, l := range m.detail.lines {
		if !l.link.IsZero() {
			line = i
			break
		}
	}
	y := m.lay.detY + 1 + line - m.detail.offset
	send(m, tea.MouseClickMsg{X: 4, Y: y, Button: tea.MouseLeft})
	if r := m.list().selected(); r == nil || r.Process == nil || r.Process.PID != 1 {
		t.Errorf("clicking the parent link selected %+v, want PID 1", r)
	}
}

// TestWheel: the wheel scrolls the list under the pointer, dragging the
// cursor along at the edge, and scrolls the detail pane under it.
func TestWheel(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	m := liveModel(t, 80, 24, bigHost(t, 500, t0, 1000))
	for range 10 {
		send(m, tea.MouseWheelMsg{X: 10, Y: 5, Button: tea.MouseWheelDown})
	}
	l := m.list()
	if l.offset != 10*wheelStep {
		t.Errorf("ten wheel notches scrolled to row %d, want %d", l.offset, 10*wheelStep)
	}
	if l.cursor < l.offset || l.cursor >= l.offset+l.height {
		t.Errorf("the cursor %d is off screen (rows %d-%d)", l.cursor, l.offset, l.offset+l.height-1)
	}
	send(m, tea.MouseWheelMsg{X: 10, Y: m.lay.detY + 2, Button: tea.MouseWheelDown})
	if m.detail.offset != wheelStep {
		t.Errorf("the wheel over the details scrolled them to %d, want %d", m.detail.offset, wheelStep)
	}
}

func TestStylesAdapt(t *testing.T) {
	dark, light, plain := NewStyles(true, false), NewStyles(false, false), NewStyles(true, true)
	for _, r := range []role{roleSelected, roleLink, roleWarn, roleCrit, roleTitle, roleDim} {
		if dark.of(r) == light.of(r) {
			t.Errorf("role %d looks the same on dark and light backgrounds", r)
		}
	}
	for r := role(0); r < numRoles; r++ {
		on := plain.of(r).on
		if strings.Contains(on, "38;") || strings.Contains(on, "48;") {
			t.Errorf("NO_COLOR role %d sets a colour: %q", r, on)
		}
	}
	if plain.of(roleSelected).on == "" {
		t.Error("without colour the selected row is not marked (reverse)")
	}
	// A whole screen without colour has no colour sequences.
	m := New(Options{Snapshot: loadFixture(t, "small-2"), LoadedFrom: "small-2.json", NoColor: true})
	send(m, tea.WindowSizeMsg{Width: 100, Height: 30})
	keys(m, "3")
	out := m.View().Content
	for _, seq := range []string{"\x1b[38;", "\x1b[48;", ";38;", ";48;"} {
		if strings.Contains(out, seq) {
			t.Fatalf("NO_COLOR screen contains %q", seq)
		}
	}
	if ansi.Strip(out) == out {
		t.Error("NO_COLOR screen has no attributes at all (the selection must still show)")
	}
	// The background answer switches the styles.
	send(m, tea.BackgroundColorMsg{Color: lightBG{}})
	if m.st.Dark {
		t.Error("a light background answer kept the dark styles")
	}
}

type lightBG struct{}

func (lightBG) RGBA() (r, g, b, a uint32) { return 0xffff, 0xffff, 0xffff, 0xffff }

// TestActions: an action's key shows in the help, runs on the
// selection, opens its dialog, and is refused on a loaded snapshot when
// it changes the host or does not apply.
func TestActions(t *testing.T) {
	var got []Selection
	zap := Action{
		Key:           key.NewBinding(key.WithKeys("Z"), key.WithHelp("Z", "zap the cgroup")),
		Applies:       func(s Selection) bool { return s.Cgroup != nil },
		NotApplicable: "select a cgroup to zap",
		Run: func(env ActionEnv) (dialog.Dialog, tea.Cmd) {
			got = append(got, env.Selection)
			return &dialog.Text{Title: "Zap", Paragraphs: []string{"zapped " + env.Selection.Cgroup.Path}}, nil
		},
	}
	write := Action{
		Key:     key.NewBinding(key.WithKeys("W"), key.WithHelp("W", "write something")),
		Mutates: true,
		Run: func(ActionEnv) (dialog.Dialog, tea.Cmd) {
			t.Error("a mutating action ran on a loaded snapshot")
			return nil, nil
		},
	}
	m := New(Options{Snapshot: loadFixture(t, "small-2"), LoadedFrom: "small-2.json", Now: func() time.Time { return time.Unix(0, 0) },
		Actions: []Action{zap, write}})
	send(m, tea.WindowSizeMsg{Width: 100, Height: 30})
	keys(m, "?")
	if s := screen(m); !strings.Contains(s, "zap the cgroup") {
		t.Errorf("the help does not list the action:\n%s", s)
	}
	keys(m, "?")

	flash := func(cmd tea.Cmd) string {
		if cmd == nil {
			return ""
		}
		if f, ok := cmd().(FlashMsg); ok {
			return f.Text
		}
		return ""
	}
	if text := flash(send(m, press("Z"))); text != "select a cgroup to zap" {
		t.Errorf("Z on a process flashed %q", text)
	}
	if text := flash(send(m, press("W"))); !strings.Contains(text, "saved snapshot") {
		t.Errorf("W on a loaded snapshot flashed %q", text)
	}
	keys(m, "3", "/", "nscope", "enter", "Z")
	if len(got) != 1 || got[0].Cgroup == nil || got[0].Cgroup.Path != "/nscope-run-demo" {
		t.Fatalf("the action got %+v", got)
	}
	if s := screen(m); !strings.Contains(s, "zapped /nscope-run-demo") {
		t.Errorf("the action's dialog is not shown:\n%s", s)
	}
	keys(m, "j") // keys go to the dialog, not the list
	if m.list().selected().Cgroup.Path != "/nscope-run-demo" {
		t.Error("a key moved the list under an open dialog")
	}
	cmd := send(m, press("esc"))
	send(m, cmd())
	if m.dialogs.Len() != 0 {
		t.Error("esc did not close the dialog")
	}
}

// TestFilterKeys: typing filters as you go, backspace widens, esc clears.
func TestFilterKeys(t *testing.T) {
	m := liveModel(t, 80, 24, loadFixture(t, "small-1"), loadFixture(t, "small-2"))
	keys(m, "/", "nginx")
	if n := len(m.list().rows); n != 5 {
		t.Errorf("filter nginx shows %d rows, want 5 (3 nginx, init and containerd-shim)", n)
	}
	keys(m, "backspace", "backspace", "backspace", "backspace", "backspace")
	if m.list().filter != "" {
		t.Errorf("backspace left the filter %q", m.list().filter)
	}
	keys(m, "stress", "esc")
	if m.filtering || m.list().filter != "" {
		t.Error("esc did not clear the filter")
	}
}

// TestSourceContext: quitting cancels the context scans run under.
func TestSourceContext(t *testing.T) {
	var seen context.Context
	m := New(Options{Source: ctxSource(func(ctx context.Context) { seen = ctx })})
	m.startScan()()
	m.quit()
	if seen == nil || seen.Err() == nil {
		t.Error("quitting did not cancel the scan context")
	}
	_ = procview.SortPID
}

type ctxSource func(context.Context)

func (ctxSource) Refresher(*inspect.Snapshot) (*inspect.Refresher, error) { return nil, nil }

func (f ctxSource) Scan(ctx context.Context) (*inspect.Snapshot, error) {
	f(ctx)
	return nil, errors.New("no host")
}
