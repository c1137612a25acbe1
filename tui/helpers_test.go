package tui

import (
	"context"
	"github.com/nscope/nscope/internal/testutil"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/nscope/nscope/inspect"
)

func TestMain(m *testing.M) {
	// Golden files show start times; make them independent of the
	// machine's zone.
	time.Local = time.UTC
	testutil.RunIsolated(m)
}

// loadFixture reads testdata/NAME.json.
func loadFixture(t testing.TB, name string) *inspect.Snapshot {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := inspect.Load(f)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return s
}

// liveModel returns a model as the app runs it on a live host, after it
// received the scans of snaps (one message per scan, as the scan command
// would send them), at w×h, with the clock 1.5 s after the last scan.
func liveModel(t testing.TB, w, h int, snaps ...*inspect.Snapshot) *Model {
	t.Helper()
	return liveModelWith(t, Options{}, w, h, snaps...)
}

// liveModelWith is liveModel with opts for what the test injects
// (Enterer, Launcher, EUID, ...); its Source and Now are set here.
func liveModelWith(t testing.TB, opts Options, w, h int, snaps ...*inspect.Snapshot) *Model {
	t.Helper()
	last := snaps[len(snaps)-1]
	now := last.Time.Add(1500 * time.Millisecond)
	opts.Source = scanFunc(func() (*inspect.Snapshot, error) { return last, nil })
	opts.Now = func() time.Time { return now }
	m := New(opts)
	send(m, tea.WindowSizeMsg{Width: w, Height: h})
	m.Init()
	for _, s := range snaps {
		send(m, scanMsg{gen: m.gen, snap: s})
		// The tick for the next scan; it starts a new generation.
		send(m, tickMsg{gen: m.gen})
	}
	return m
}

// scanFunc adapts a function to Source; it has no counter refresh, so
// every refresh is a full scan.
type scanFunc func() (*inspect.Snapshot, error)

func (f scanFunc) Scan(context.Context) (*inspect.Snapshot, error) { return f() }

func (scanFunc) Refresher(*inspect.Snapshot) (*inspect.Refresher, error) { return nil, nil }

// send delivers one message and drops the command (tests run no I/O).
func send(m *Model, msg tea.Msg) tea.Cmd {
	_, cmd := m.Update(msg)
	return cmd
}

// keyNames maps names used in tests to key presses.
var keyNames = map[string]tea.KeyPressMsg{
	"enter":     {Code: tea.KeyEnter},
	"esc":       {Code: tea.KeyEscape},
	"tab":       {Code: tea.KeyTab},
	"shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift},
	"up":        {Code: tea.KeyUp},
	"down":      {Code: tea.KeyDown},
	"left":      {Code: tea.KeyLeft},
	"right":     {Code: tea.KeyRight},
	"pgup":      {Code: tea.KeyPgUp},
	"pgdown":    {Code: tea.KeyPgDown},
	"home":      {Code: tea.KeyHome},
	"end":       {Code: tea.KeyEnd},
	"space":     {Code: tea.KeySpace, Text: " "},
	"backspace": {Code: tea.KeyBackspace},
	"ctrl+c":    {Code: 'c', Mod: tea.ModCtrl},
}

// press returns the key press for a name or a single character.
func press(k string) tea.KeyPressMsg {
	if msg, ok := keyNames[k]; ok {
		return msg
	}
	r := []rune(k)
	if len(r) != 1 {
		panic("unknown key " + k)
	}
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

// keys sends key presses; a string longer than one rune that is not a
// key name is typed character by character.
func keys(m *Model, ks ...string) {
	for _, k := range ks {
		if _, ok := keyNames[k]; ok || len([]rune(k)) == 1 {
			send(m, press(k))
			continue
		}
		for _, r := range k {
			send(m, press(string(r)))
		}
	}
}

// screen returns the rendered screen without colours, trailing spaces
// trimmed per line.
func screen(m *Model) string {
	lines := strings.Split(ansi.Strip(m.View().Content), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n") + "\n"
}
