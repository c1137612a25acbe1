package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/nscope/nscope/internal/termtext"
)

// isASCII reports whether s is printable 7-bit text, whose width is its
// length and which needs no escaping.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x7f || s[i] < 0x20 {
			return false
		}
	}
	return true
}

// width returns the number of terminal cells s takes as fit prints it
// (escaped).
func width(s string) int {
	if isASCII(s) {
		return len(s)
	}
	return ansi.StringWidth(sanitize(s))
}

// fit pads or truncates plain text s to exactly w cells, left-aligned
// (right-aligned when right is set). Truncation ends in "…". Host text
// in s is escaped first, always: a name that fits can hold an ESC too.
func fit(s string, w int, right bool) string {
	if w <= 0 {
		return ""
	}
	s = sanitize(s)
	sw := width(s)
	if sw > w {
		if w == 1 {
			return "…"
		}
		s = ansi.Truncate(s, w, "…")
		sw = width(s)
	}
	if sw == w {
		return s
	}
	pad := strings.Repeat(" ", w-sw)
	if right {
		return pad + s
	}
	return s + pad
}

// sanitize escapes what could control the terminal (a command line can
// hold any byte): C0 and C1 controls, DEL, bidi overrides and invalid
// UTF-8 are written visibly ("\e", "\x9b", "\u202e"), the same way the
// CLI writes them (package termtext).
func sanitize(s string) string {
	if isASCII(s) {
		return s
	}
	return termtext.Escape(s)
}

// padRight pads an already styled string to w cells; it never truncates.
func padRight(styled string, w int) string {
	if sw := ansi.StringWidth(styled); sw < w {
		return styled + strings.Repeat(" ", w-sw)
	}
	return styled
}

// truncateStyled cuts an already styled string to at most w cells.
func truncateStyled(styled string, w int) string {
	if ansi.StringWidth(styled) <= w {
		return styled
	}
	return ansi.Truncate(styled, w, "…")
}

// eighths are the partial blocks used for bar ends, 1/8 to 7/8.
var eighths = []string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"}

// bar draws pct (0-100, clamped) as a w-cell bar with eighth-cell
// precision; the filled and empty parts are returned separately so they
// can be painted differently. Without colour the empty part is drawn
// with "·" so the bar stays readable.
func bar(pct float64, w int) (filled, empty string) {
	if w <= 0 {
		return "", ""
	}
	pct = min(max(pct, 0), 100)
	units := int(pct/100*float64(w*8) + 0.5)
	full, part := units/8, units%8
	var b strings.Builder
	b.Grow(w * 3)
	for range full {
		b.WriteString("█")
	}
	used := full
	if part > 0 && used < w {
		b.WriteString(eighths[part])
		used++
	}
	return b.String(), strings.Repeat("·", w-used)
}

// itoa is strconv.Itoa, short for the many places that count things.
func itoa(n int) string { return strconv.Itoa(n) }
