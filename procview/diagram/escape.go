package diagram

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxLabelRunes caps one label line; longer host text is cut with "…".
const maxLabelRunes = 48

// visible makes host text safe to show: invalid UTF-8 bytes, C0 and C1
// controls, DEL and the bidirectional overrides and isolates (which can
// make text read backwards) become visible escapes such as \x1b and
// \u202e, and the line is cut to maxLabelRunes. The result is plain,
// printable UTF-8; the DOT and XML escapes come on top.
func visible(s string) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); {
		if n == maxLabelRunes {
			b.WriteString("…")
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\x%02x`, r)
		case isBidiControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
		n++
	}
	return b.String()
}

// isBidiControl reports the formatting characters that reorder text: the
// embeddings and overrides U+202A-U+202E, the isolates U+2066-U+2069 and
// the marks U+200E, U+200F, U+061C.
func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// dotString quotes s for a DOT double-quoted string: backslash and quote
// escaped, so no DOT escape sequence (\n, \l, \N, ...) can come from the
// host's text.
func dotString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if r == '\\' || r == '"' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// xmlText escapes s for XML character data and attribute values.
func xmlText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&#39;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
