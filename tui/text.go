package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// isASCII reports whether s is plain 7-bit text, whose width is its length.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] < 0x20 {
			return false
		}
	}
	return true
}

// width returns the number of terminal cells plain text s takes.
func width(s string) int {
	if isASCII(s) {
		return len(s)
	}
	return ansi.StringWidth(s)
}

// fit pads or truncates plain text s to exactly w cells, left-aligned
// (right-aligned when right is set). Truncation ends in "…".
func fit(s string, w int, right bool) string {
	if w <= 0 {
		return ""
	}
	sw := width(s)
	if sw > w {
		if w == 1 {
			return "…"
		}
		s = ansi.Truncate(sanitize(s), w, "…")
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

// sanitize replaces control characters (a command line can hold any
// byte) so they cannot move the cursor or change colours.
func sanitize(s string) string {
	if isASCII(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
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
