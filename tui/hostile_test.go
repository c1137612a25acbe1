package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/nscope/nscope/internal/hostile"
	"github.com/nscope/nscope/internal/termtext"
)

// TestHostileNamesTUI loads a snapshot whose processes, cgroups, holders
// and hostname carry terminal escapes, newlines, a C1 CSI, a bidi override
// and invalid UTF-8 (as "nscope --load evil.json" or a live host could),
// and checks every view with the detail pane: the frame the cells build
// holds nothing but nscope's own styling, keeps its height (a newline in
// a comm must not push the key bar off) and its width in every line, and
// the window title is escaped.
func TestHostileNamesTUI(t *testing.T) {
	snap, err := hostile.Apply(loadFixture(t, "small-2"), hostile.Classic)
	if err != nil {
		t.Fatal(err)
	}
	const w, h = 140, 40
	m := New(Options{Snapshot: snap, LoadedFrom: "evil\x1b[2J.json"})
	send(m, tea.WindowSizeMsg{Width: w, Height: h})
	if title := m.View().WindowTitle; termtext.Find(title) >= 0 || !strings.Contains(title, `evil\a\e]52;c;cHduZWQ=\a`) {
		t.Errorf("window title %q: want the hostname escaped", title)
	}
	for _, view := range []string{"1", "2", "3"} {
		keys(m, view)
		for _, step := range []string{"list", "down", "down", "detail"} {
			switch step {
			case "down":
				keys(m, "down")
			case "detail":
				keys(m, "tab")
			}
			// The cells' own escaping, without the frame's last guard.
			checkFrame(t, "view "+view+" "+step+" (render)", m.render(), w, h)
			checkFrame(t, "view "+view+" "+step+" (View)", m.View().Content, w, h)
		}
		keys(m, "esc")
	}
	keys(m, "2")
	if s := screen(m); !strings.Contains(s, `\e]0;pwned\a\e[2J\u202eexe.txt \x9b2J`) {
		t.Errorf("the process list does not show the command line escaped:\n%s", s)
	}
}

// checkFrame fails when a rendered frame holds anything but SGR styling
// and safe text, or is not h lines of w cells.
func checkFrame(t *testing.T, what, frame string, w, h int) {
	t.Helper()
	lines := strings.Split(frame, "\n")
	if len(lines) != h {
		t.Errorf("%s: %d lines, want %d", what, len(lines), h)
	}
	for i, l := range lines {
		text := termtext.StripSGR(l)
		if j := termtext.Find(text); j >= 0 {
			t.Errorf("%s: line %d holds %q raw: %q", what, i, text[j:min(len(text), j+4)], text)
			return
		}
		if cw := ansi.StringWidth(l); cw != w {
			t.Errorf("%s: line %d is %d cells wide, want %d: %q", what, i, cw, w, text)
			return
		}
	}
}
