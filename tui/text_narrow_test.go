package tui

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// Every rune narrowRune accepts is one cell as ansi.StringWidth counts
// it; strings of them are as wide as they have runes and are cut as
// ansi.Truncate cuts them.
func TestNarrowRunes(t *testing.T) {
	var narrow []rune
	for r := rune(0); r < 0x3000; r++ {
		if !narrowRune(r) {
			continue
		}
		narrow = append(narrow, r)
		if w := ansi.StringWidth(string(r)); w != 1 {
			t.Errorf("U+%04X: ansi.StringWidth = %d, narrowRune says 1", r, w)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		var b strings.Builder
		n := 1 + rng.IntN(40)
		for range n {
			b.WriteRune(narrow[rng.IntN(len(narrow))])
		}
		s := b.String()
		sw, ok := narrowWidth(s)
		if !ok || sw != n || ansi.StringWidth(s) != n {
			t.Fatalf("%q: narrowWidth %d %v, ansi.StringWidth %d, want %d", s, sw, ok, ansi.StringWidth(s), n)
		}
		for w := 2; w <= n+1; w++ {
			if got, want := truncate(s, sw, w), ansi.Truncate(s, w, "…"); got != want {
				t.Fatalf("truncate(%q, %d) = %q, ansi.Truncate says %q", s, w, got, want)
			}
		}
	}
	// Wide, combining and zero-width runes take the slow path.
	for _, s := range []string{"名前", "e\u0301", "a\u200db", "soft\u00adhyphen", "🙂"} {
		if _, ok := narrowWidth(s); ok {
			t.Errorf("%q counted as narrow", s)
		}
		if got, want := width(s), ansi.StringWidth(s); got != want {
			t.Errorf("width(%q) = %d, ansi.StringWidth says %d", s, got, want)
		}
	}
}
