// Package termtext makes text read from the host safe to print on a
// terminal. Process names, command lines, hostnames and cgroup paths are
// chosen by whoever runs on the host; printed raw, an ESC, BEL, a C1 CSI
// (0x9b) or a bidi override lets another user move the operator's cursor,
// set the window title, write the clipboard (OSC 52) or make text read
// backwards. Every terminal sink of nscope (CLI tables and messages, TUI
// rows and titles) passes host text through Escape, and every JSON
// document through EscapeJSON.
//
// See ECMA-48 (C0 and C1 control functions) and Unicode UAX #9 (the bidi
// formatting characters).
package termtext

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Unsafe reports whether rune r may not reach a terminal as it is: a C0
// control, DEL, a C1 control (U+0080–U+009F), a bidi embedding, override,
// isolate or mark (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C),
// or the line and paragraph separators U+2028 and U+2029.
func Unsafe(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f:
		return true
	case r < 0x80:
		return false
	case r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f:
		return true
	case r >= 0x2028 && r <= 0x202e:
		return true
	case r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// Find returns the byte offset of the first thing in s that Escape would
// rewrite (an unsafe rune or a byte that is not valid UTF-8), or -1 when s
// is safe to print as it is.
func Find(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || Unsafe(r) {
			return i
		}
		i += size
	}
	return -1
}

// Escape returns s with every unsafe rune written visibly, so it prints
// on one line and cannot control the terminal: the usual C escapes for
// \a \b \t \n \v \f \r and \e (ESC), \xNN for other C0 bytes, DEL and
// bytes that are not valid UTF-8 (a raw C1 CSI is \x9b), and \uNNNN for C1
// controls, bidi formatting characters and U+2028/U+2029. Everything else,
// including backslashes (systemd unit names hold "\x2d"), is kept. Safe
// text is returned as it is, without allocating.
func Escape(s string) string {
	i := Find(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				writeC0(&b, c)
			} else {
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			writeHex(&b, `\x`, uint32(c), 2)
		case Unsafe(r):
			writeHex(&b, `\u`, uint32(r), 4)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

const hexDigits = "0123456789abcdef"

func writeC0(b *strings.Builder, c byte) {
	switch c {
	case '\a':
		b.WriteString(`\a`)
	case '\b':
		b.WriteString(`\b`)
	case '\t':
		b.WriteString(`\t`)
	case '\n':
		b.WriteString(`\n`)
	case '\v':
		b.WriteString(`\v`)
	case '\f':
		b.WriteString(`\f`)
	case '\r':
		b.WriteString(`\r`)
	case 0x1b:
		b.WriteString(`\e`)
	default:
		writeHex(b, `\x`, uint32(c), 2)
	}
}

func writeHex(b *strings.Builder, prefix string, v uint32, digits int) {
	b.WriteString(prefix)
	for shift := 4 * (digits - 1); shift >= 0; shift -= 4 {
		b.WriteByte(hexDigits[(v>>uint(shift))&0xf])
	}
}

// EscapeLines escapes each line of s and keeps the newlines between them:
// for messages that are several lines on purpose (joined errors). A
// newline inside host text then starts a line, but cannot do more.
func EscapeLines(s string) string {
	if Find(s) < 0 {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = Escape(l)
	}
	return strings.Join(lines, "\n")
}

// Width returns the number of terminal cells s takes once escaped.
func Width(s string) int {
	s = Escape(s)
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}

// Cell escapes s and cuts it to at most n cells, ending in "…" when cut:
// one table cell or title that cannot grow without bound (a command line
// can be 2 MiB). n <= 0 means no limit.
func Cell(s string, n int) string {
	s = Escape(s)
	if n <= 0 {
		return s
	}
	if len(s) <= n {
		// Every cell holds at least one byte, so s fits.
		return s
	}
	// Cut the bytes first: wide runes take at most 4 bytes per 2 cells,
	// so 4n bytes hold more than n cells, and ansi need not measure a
	// 60 kB line.
	if len(s) > 4*n+4 {
		cut := 4*n + 4
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	if ansi.StringWidth(s) <= n {
		return s
	}
	if n == 1 {
		return "…"
	}
	return ansi.Truncate(s, n, "…")
}

// EscapeStyled is Escape for a whole rendered screen: it keeps the
// newlines between lines and the SGR sequences (ESC [ params m) that
// style it, and escapes every other control, DEL, C1, bidi character and
// invalid byte. It is the last guard of a TUI frame, behind the escaping
// of each cell: whatever host text reached the frame raw prints visibly
// and cannot move the cursor, set a title or write the clipboard.
func EscapeStyled(s string) string {
	i := findStyled(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 64)
	b.WriteString(s[:i])
	for i < len(s) {
		if n := sgrLen(s[i:]); n > 0 {
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		c := s[i]
		if c == '\n' {
			b.WriteByte(c)
			i++
			continue
		}
		j := i + 1
		if c >= utf8.RuneSelf {
			_, size := utf8.DecodeRuneInString(s[i:])
			j = i + size
		}
		b.WriteString(Escape(s[i:j]))
		i = j
	}
	return b.String()
}

// findStyled is Find, allowing newlines and SGR sequences.
func findStyled(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\n':
			i++
		case c == 0x1b:
			n := sgrLen(s[i:])
			if n == 0 {
				return i
			}
			i += n
		case c < 0x20 || c == 0x7f:
			return i
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if (r == utf8.RuneError && size == 1) || Unsafe(r) {
				return i
			}
			i += size
		}
	}
	return -1
}

// sgrLen returns the length of the SGR sequence s starts with (ESC [,
// digits, ';' and ':', then 'm'), or 0.
func sgrLen(s string) int {
	if len(s) < 3 || s[0] != 0x1b || s[1] != '[' {
		return 0
	}
	for i := 2; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 'm':
			return i + 1
		case c >= '0' && c <= '9', c == ';', c == ':':
		default:
			return 0
		}
	}
	return 0
}

// StripSGR removes SGR sequences from s: what is left of a styled frame
// is its text, which Find can check.
func StripSGR(s string) string {
	if !strings.Contains(s, "\x1b[") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if n := sgrLen(s[i:]); n > 0 {
			i += n
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}
