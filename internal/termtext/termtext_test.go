package termtext

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

func TestEscape(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "sleep 1000", "sleep 1000"},
		{"utf8 kept", "nginx — wörker 日本", "nginx — wörker 日本"},
		{"backslash kept", `system-serial\x2dgetty.slice`, `system-serial\x2dgetty.slice`},
		{"osc title", "\x1b]0;pwned\a\x1b[2J", `\e]0;pwned\a\e[2J`},
		{"osc 52", "\x1b]52;c;cHduZWQ=\a", `\e]52;c;cHduZWQ=\a`},
		{"newline and tab", "a\nb\tc\r", `a\nb\tc\r`},
		{"nul and other C0", "a\x00b\x01c\x1f", `a\x00b\x01c\x1f`},
		{"del", "a\x7fb", `a\x7fb`},
		{"raw C1 CSI byte", "a\x9b2Jb", `a\x9b2Jb`},
		{"C1 as UTF-8", "a\u009b2J\u0085b", `a\u009b2J\u0085b`},
		{"bidi override", "evil\u202etxt.exe", `evil\u202etxt.exe`},
		{"bidi isolates and marks", "\u2066\u2067\u2068\u2069\u200e\u200f\u061c", `\u2066\u2067\u2068\u2069\u200e\u200f\u061c`},
		{"line separators", "a\u2028b\u2029c", `a\u2028b\u2029c`},
		{"invalid utf8", "a\xff\xc3b", `a\xff\xc3b`},
		{"replacement char kept", "a\uFFFDb", "a\uFFFDb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Escape(tc.in)
			if got != tc.want {
				t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if i := Find(got); i >= 0 {
				t.Errorf("Escape(%q) = %q still has an unsafe rune at %d", tc.in, got, i)
			}
			if (Find(tc.in) < 0) != (got == tc.in) {
				t.Errorf("Find(%q) = %d disagrees with Escape", tc.in, Find(tc.in))
			}
		})
	}
}

func TestEscapeDoesNotAllocateForSafeText(t *testing.T) {
	s := "/system.slice/docker-0123456789ab.scope nginx: worker process — ü"
	if n := testing.AllocsPerRun(100, func() { _ = Escape(s) }); n != 0 {
		t.Errorf("Escape of safe text allocates %v times", n)
	}
}

func TestCell(t *testing.T) {
	long := strings.Repeat("x", 60000)
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"fits", "abc", 5, "abc"},
		{"exact", "abcde", 5, "abcde"},
		{"cut", "abcdef", 5, "abcd…"},
		{"cut escaped", "a\x1bbcdef", 5, `a\eb…`},
		{"wide runes", "日本語日本語", 5, "日本…"},
		{"no limit", "a\nb", 0, `a\nb`},
		{"60 kB", long, 80, strings.Repeat("x", 79) + "…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Cell(tc.in, tc.n)
			if got != tc.want {
				t.Errorf("Cell(%.20q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
			if tc.n > 0 && ansi.StringWidth(got) > tc.n {
				t.Errorf("Cell(%.20q, %d) is %d cells wide", tc.in, tc.n, ansi.StringWidth(got))
			}
		})
	}
}

func TestEscapeJSON(t *testing.T) {
	values := []string{
		"plain", "\x1b]0;pwned\a", "\u009b2J", "evil\u202etxt", "del\x7f", "\u2066x\u2069", "日本", "a\xffb",
	}
	for _, v := range values {
		raw, err := json.Marshal(map[string]string{"comm": v})
		if err != nil {
			t.Fatal(err)
		}
		out := EscapeJSON(raw)
		if i := Find(string(out)); i >= 0 {
			t.Errorf("EscapeJSON(%s) = %s: unsafe at %d", raw, out, i)
		}
		var back map[string]string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("EscapeJSON(%s) = %s is not JSON: %v", raw, out, err)
		}
		want := eachInvalidByte(v)
		if back["comm"] != want {
			t.Errorf("EscapeJSON(%s) decodes to %q, want %q", raw, back["comm"], want)
		}
	}
}

// TestJSONWriterSplitsRunes writes a document one byte at a time: a
// bidi override split between writes must still be escaped.
func TestJSONWriterSplitsRunes(t *testing.T) {
	raw, _ := json.Marshal([]string{"a\u202eb", "\u0085", "日本", "x\x7f"})
	for _, chunk := range []int{1, 2, 3, 5, 1 << 10} {
		var out bytes.Buffer
		w := NewJSONWriter(&out)
		for i := 0; i < len(raw); i += chunk {
			if _, err := w.Write(raw[i:min(len(raw), i+chunk)]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), EscapeJSON(raw)) {
			t.Errorf("chunk %d: %s, want %s", chunk, out.Bytes(), EscapeJSON(raw))
		}
	}
}

// FuzzEscape: whatever the bytes, the escaped text has nothing unsafe,
// fits one line, and Cell keeps to its width.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "a", "\x1b]52;c;cHduZWQ=\a", "\xe2\x80\xae", "\xc2\x9b", "\x9b", "日\n本", "\xf0\x9f\x98"} {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		e := Escape(s)
		if i := Find(e); i >= 0 {
			t.Fatalf("Escape(%q) = %q: unsafe byte at %d", s, e, i)
		}
		if !utf8.ValidString(e) {
			t.Fatalf("Escape(%q) = %q is not valid UTF-8", s, e)
		}
		if Escape(e) != e {
			t.Fatalf("Escape is not idempotent on %q", s)
		}
		if g := strings.ReplaceAll(StripSGR(EscapeStyled(s)), "\n", ""); Find(g) >= 0 {
			t.Fatalf("EscapeStyled(%q) leaves %q", s, g)
		}
		n = (n%200+200)%200 + 1
		if c := Cell(s, n); ansi.StringWidth(c) > n || Find(c) >= 0 {
			t.Fatalf("Cell(%q, %d) = %q", s, n, c)
		}
		raw, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		out := EscapeJSON(raw)
		if Find(string(out)) >= 0 {
			t.Fatalf("EscapeJSON(%s) = %s", raw, out)
		}
		var back string
		if err := json.Unmarshal(out, &back); err != nil || back != eachInvalidByte(s) {
			t.Fatalf("EscapeJSON(%s) = %s decodes to %q, %v", raw, out, back, err)
		}
	})
}

// eachInvalidByte replaces every byte that is not valid UTF-8 with
// U+FFFD, as encoding/json does.
func eachInvalidByte(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}

func TestEscapeStyled(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain lines", "a\nb", "a\nb"},
		{"sgr kept", "\x1b[1;38;2;1:2:3mx\x1b[m\ny", "\x1b[1;38;2;1:2:3mx\x1b[m\ny"},
		{"osc escaped", "\x1b[1mx\x1b]0;t\a\x1b[m", "\x1b[1mx\\e]0;t\\a\x1b[m"},
		{"csi other than sgr", "\x1b[2J", `\e[2J`},
		{"c1 and bidi", "a\u009bb\u202e\xff", `a\u009bb\u202e\xff`},
		{"cr and tab", "a\rb\tc", `a\rb\tc`},
		{"unterminated sgr", "\x1b[1", `\e[1`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := EscapeStyled(tc.in); got != tc.want {
				t.Errorf("EscapeStyled(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestStripSGRLeavesNothingUnsafe: a styled frame, once guarded, is SGR
// and safe text only.
func TestStripSGRLeavesNothingUnsafe(t *testing.T) {
	out := EscapeStyled("\x1b[31m\x1b]52;c;x\a\x1b[m\n\u202e")
	if i := Find(strings.ReplaceAll(StripSGR(out), "\n", "")); i >= 0 {
		t.Errorf("%q: unsafe at %d", out, i)
	}
}
