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
	s = sanitize(s)
	if n, ok := narrowWidth(s); ok {
		return n
	}
	return ansi.StringWidth(s)
}

// narrowRune reports whether r is one cell wide and a grapheme of its
// own wherever it stands, as ansi.StringWidth counts it: printable
// ASCII, Latin-1 and Latin Extended letters (not the soft hyphen), the
// general punctuation of dashes, quotes and "…", arrows, box drawing,
// blocks and geometric shapes (the tree guides, bars and marks nscope
// draws) up to U+25FC (U+25FD and U+25FE are emoji, two cells). TestNarrowRunes checks each against ansi.StringWidth.
func narrowRune(r rune) bool {
	switch {
	case r >= 0x20 && r < 0x7f:
		return true
	case r >= 0xa0 && r < 0x300:
		return r != 0xad
	case r >= 0x2010 && r <= 0x2027,
		r >= 0x2190 && r <= 0x21ff,
		r >= 0x2500 && r <= 0x25fc:
		return true
	}
	return false
}

// narrowWidth returns the width of s when every rune of it is narrow
// (narrowRune): its rune count, without the grapheme segmentation
// ansi.StringWidth runs. ok is false otherwise.
func narrowWidth(s string) (n int, ok bool) {
	for _, r := range s {
		if !narrowRune(r) {
			return 0, false
		}
		n++
	}
	return n, true
}

// truncate cuts escaped text s of width sw to w cells ending in "…", as
// ansi.Truncate(s, w, "…") does; narrow text is cut by runes.
func truncate(s string, sw, w int) string {
	if _, ok := narrowWidth(s); !ok {
		return ansi.Truncate(s, w, "…")
	}
	if sw <= w {
		return s
	}
	k := 0
	for i := range s {
		if k == w-1 {
			return s[:i] + "…"
		}
		k++
	}
	return s + "…"
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
		s = truncate(s, sw, w)
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
