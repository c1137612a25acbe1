package dialog

import (
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/nscope/nscope/internal/termtext"
)

// Text is a read-only dialog: a title and paragraphs of text, wrapped to
// the box and scrollable with the arrow keys. esc, enter, q or the key
// that opened it close it.
type Text struct {
	// Title is drawn on the first line, styled by TitleStyle.
	Title string
	// Paragraphs are wrapped separately, with a blank line between them.
	Paragraphs []string
	// Footer is a dim last line, e.g. "esc closes".
	Footer string
	// Style renders the title and footer; nil leaves them plain.
	TitleStyle, FooterStyle func(string) string
	// CloseKeys close the dialog in addition to esc, enter and q.
	CloseKeys []string
	// Width is the preferred width of the text; 0 means 72 cells.
	Width  int
	scroll int
}

// Update scrolls or closes the dialog.
func (t *Text) Update(msg tea.Msg) (Dialog, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		k := msg.String()
		switch k {
		case "esc", "enter", "q":
			return t, Close
		case "up", "k":
			t.scroll = max(0, t.scroll-1)
		case "down", "j":
			t.scroll++
		}
		for _, c := range t.CloseKeys {
			if k == c {
				return t, Close
			}
		}
	case tea.MouseClickMsg:
		return t, Close
	case tea.MouseWheelMsg:
		if msg.Button == tea.MouseWheelUp {
			t.scroll = max(0, t.scroll-1)
		} else {
			t.scroll++
		}
	}
	return t, nil
}

// View wraps the text to the box and shows the part that fits.
func (t *Text) View(width, height int) string {
	w := t.Width
	if w <= 0 {
		w = 72
	}
	w = min(w, width)
	style := func(f func(string) string, s string) string {
		if f == nil {
			return s
		}
		return f(s)
	}
	var body []string
	for i, p := range t.Paragraphs {
		if i > 0 {
			body = append(body, "")
		}
		// Paragraphs quote host text (paths, names in errors).
		body = append(body, strings.Split(ansi.Wordwrap(termtext.Escape(p), w, ""), "\n")...)
	}
	room := height - 2
	if t.Footer != "" {
		room -= 2
	}
	room = max(1, room)
	t.scroll = min(t.scroll, max(0, len(body)-room))
	end := min(len(body), t.scroll+room)
	out := []string{style(t.TitleStyle, ansi.Truncate(termtext.Escape(t.Title), w, "…")), ""}
	for _, l := range body[t.scroll:end] {
		out = append(out, l+strings.Repeat(" ", max(0, w-ansi.StringWidth(l))))
	}
	if t.Footer != "" {
		out = append(out, "", style(t.FooterStyle, ansi.Truncate(t.Footer, w, "…")))
	}
	return strings.Join(out, "\n")
}
