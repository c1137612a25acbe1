package tui

import (
	"strings"
	"unicode"

	tea "charm.land/bubbletea/v2"
)

// lineInput is a one-line text editor for the filter: insert, delete,
// move by character and word, paste. It is small on purpose; the filter
// needs no more.
type lineInput struct {
	value []rune
	pos   int
}

// Value returns the text.
func (in *lineInput) Value() string { return string(in.value) }

// SetValue replaces the text and puts the cursor at its end.
func (in *lineInput) SetValue(s string) {
	in.value = []rune(s)
	in.pos = len(in.value)
}

// Update edits the text for a key press or paste; changed reports
// whether the text changed.
func (in *lineInput) Update(msg tea.Msg) (changed bool) {
	switch msg := msg.(type) {
	case tea.PasteMsg:
		in.insert(strings.ReplaceAll(msg.Content, "\n", " "))
		return true
	case tea.KeyPressMsg:
		switch msg.String() {
		case "backspace", "ctrl+h":
			if in.pos > 0 {
				in.value = append(in.value[:in.pos-1], in.value[in.pos:]...)
				in.pos--
				return true
			}
		case "delete", "ctrl+d":
			if in.pos < len(in.value) {
				in.value = append(in.value[:in.pos], in.value[in.pos+1:]...)
				return true
			}
		case "left", "ctrl+b":
			in.pos = max(0, in.pos-1)
		case "right", "ctrl+f":
			in.pos = min(len(in.value), in.pos+1)
		case "home", "ctrl+a":
			in.pos = 0
		case "end", "ctrl+e":
			in.pos = len(in.value)
		case "ctrl+u":
			changed = in.pos > 0
			in.value = in.value[in.pos:]
			in.pos = 0
			return changed
		case "ctrl+k":
			changed = in.pos < len(in.value)
			in.value = in.value[:in.pos]
			return changed
		case "ctrl+w", "alt+backspace":
			start := in.pos
			for start > 0 && unicode.IsSpace(in.value[start-1]) {
				start--
			}
			for start > 0 && !unicode.IsSpace(in.value[start-1]) {
				start--
			}
			changed = start < in.pos
			in.value = append(in.value[:start], in.value[in.pos:]...)
			in.pos = start
			return changed
		default:
			if msg.Text != "" && msg.Mod&^tea.ModShift == 0 {
				in.insert(msg.Text)
				return true
			}
		}
	}
	return false
}

func (in *lineInput) insert(s string) {
	rs := []rune(s)
	out := make([]rune, 0, len(in.value)+len(rs))
	out = append(out, in.value[:in.pos]...)
	out = append(out, rs...)
	out = append(out, in.value[in.pos:]...)
	in.value = out
	in.pos += len(rs)
}

// render draws the text in w cells with the cursor cell in cursor paint,
// scrolled so the cursor stays visible.
func (in *lineInput) render(w int, cursor paint) string {
	if w <= 1 {
		return ""
	}
	start := 0
	if in.pos >= w {
		start = in.pos - w + 1
	}
	var b strings.Builder
	used := 0
	for i := start; i <= len(in.value) && used < w; i++ {
		ch := " "
		if i < len(in.value) {
			ch = sanitize(string(in.value[i]))
		}
		if i == in.pos {
			b.WriteString(cursor.Render(ch))
		} else if i < len(in.value) {
			b.WriteString(ch)
		}
		used += width(ch)
	}
	return b.String()
}
