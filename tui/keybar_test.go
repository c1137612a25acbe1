package tui

import (
	"image/color"
	"math"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// luminance is the WCAG 2 relative luminance of c.
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		s := float64(v) / 0xffff
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// contrast is the WCAG 2 contrast ratio of two colours, 1 to 21.
func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// TestKeyBarContrast: the key bar's keys and descriptions are readable on
// a projector, at least 7:1 (WCAG AAA) against a black or a white
// background (the bubbles defaults were grey 239 on black, 2.0:1, and 249
// on white, 1.9:1); NO_COLOR keeps them uncoloured, keys bold.
func TestKeyBarContrast(t *testing.T) {
	for _, tc := range []struct {
		name string
		dark bool
		bg   color.Color
	}{
		{"dark", true, color.Black},
		{"light", false, color.White},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := helpStyles(tc.dark, false)
			for what, st := range map[string]lipgloss.Style{"key": hs.ShortKey, "description": hs.ShortDesc, "full key": hs.FullKey, "full description": hs.FullDesc} {
				fg := st.GetForeground()
				if _, none := fg.(lipgloss.NoColor); none || fg == nil {
					t.Fatalf("%s has no colour", what)
				}
				if c := contrast(fg, tc.bg); c < 7 {
					t.Errorf("%s contrast %.1f:1 on the %s background, want at least 7:1", what, c, tc.name)
				}
			}
		})
	}
	t.Run("no colour", func(t *testing.T) {
		hs := helpStyles(true, true)
		for _, st := range []lipgloss.Style{hs.ShortKey, hs.ShortDesc, hs.ShortSeparator} {
			if fg := st.GetForeground(); fg != nil {
				if _, none := fg.(lipgloss.NoColor); !none {
					t.Errorf("NO_COLOR key bar has a colour %v", fg)
				}
			}
		}
		if !hs.ShortKey.GetBold() {
			t.Error("NO_COLOR keys are not bold")
		}
	})
	t.Run("rendered footer", func(t *testing.T) {
		m := liveModel(t, 100, 24, loadFixture(t, "small-2"))
		footer := m.renderFooter()
		// The description colour of the dark palette, #d0d0d0.
		if !strings.Contains(footer, "38;2;208;208;208") {
			t.Errorf("the footer does not draw descriptions in the text colour: %q", footer)
		}
		m = New(Options{NoColor: true, Snapshot: loadFixture(t, "small-2")})
		if f := m.renderFooter(); strings.Contains(f, "38;") || strings.Contains(f, "48;") {
			t.Errorf("NO_COLOR footer has colours: %q", f)
		} else if ansi.Strip(f) == f {
			t.Errorf("NO_COLOR footer has no bold keys: %q", f)
		}
	})
}
