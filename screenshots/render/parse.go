package main

import (
	"image/color"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"
)

// cell is one terminal cell: a character and its attributes. A nil
// colour is the terminal's default.
type cell struct {
	r                                             rune
	fg, bg                                        color.Color
	bold, faint, italic, underline, reverse, cont bool
}

// sgr is the current graphic rendition while parsing.
type sgr struct {
	fg, bg                                  color.Color
	bold, faint, italic, underline, reverse bool
}

// parse lays the captured text out on a cols×rows grid, applying SGR
// sequences (other escape sequences are skipped).
func parse(data []byte, cols, rows int) [][]cell {
	grid := make([][]cell, rows)
	for i := range grid {
		grid[i] = make([]cell, cols)
		for j := range grid[i] {
			grid[i][j].r = ' '
		}
	}
	var st sgr
	s := string(data)
	y := 0
	for _, line := range strings.Split(s, "\n") {
		if y >= rows {
			break
		}
		x := 0
		for i := 0; i < len(line); {
			if line[i] == 0x1b {
				i = escape(line, i, &st)
				continue
			}
			r, n := utf8.DecodeRuneInString(line[i:])
			i += n
			if r == '\r' {
				continue
			}
			w := runewidth.RuneWidth(r)
			if w == 0 {
				continue
			}
			if x+w > cols {
				break
			}
			grid[y][x] = cell{r: r, fg: st.fg, bg: st.bg, bold: st.bold, faint: st.faint, italic: st.italic, underline: st.underline, reverse: st.reverse}
			if w == 2 {
				grid[y][x+1] = cell{r: ' ', bg: st.bg, reverse: st.reverse, cont: true}
			}
			x += w
		}
		// tmux pads with the line's last background only where text was.
		y++
	}
	return grid
}

// escape applies the escape sequence at line[i] and returns the index
// after it.
func escape(line string, i int, st *sgr) int {
	if i+1 >= len(line) {
		return i + 1
	}
	switch line[i+1] {
	case '[':
		j := i + 2
		for j < len(line) && (line[j] < 0x40 || line[j] > 0x7e) {
			j++
		}
		if j < len(line) && line[j] == 'm' {
			applySGR(line[i+2:j], st)
		}
		return j + 1
	case ']':
		// OSC (e.g. hyperlinks): up to BEL or ST.
		j := i + 2
		for j < len(line) {
			if line[j] == 0x07 {
				return j + 1
			}
			if line[j] == 0x1b && j+1 < len(line) && line[j+1] == '\\' {
				return j + 2
			}
			j++
		}
		return j
	}
	return i + 2
}

// applySGR applies "1;38;5;208" and the like.
func applySGR(params string, st *sgr) {
	if params == "" {
		*st = sgr{}
		return
	}
	ps := strings.FieldsFunc(params, func(r rune) bool { return r == ';' || r == ':' })
	num := func(k int) int {
		if k >= len(ps) {
			return 0
		}
		v, _ := strconv.Atoi(ps[k])
		return v
	}
	for k := 0; k < len(ps); k++ {
		switch p := num(k); {
		case p == 0:
			*st = sgr{}
		case p == 1:
			st.bold = true
		case p == 2:
			st.faint = true
		case p == 3:
			st.italic = true
		case p == 4:
			st.underline = true
		case p == 7:
			st.reverse = true
		case p == 22:
			st.bold, st.faint = false, false
		case p == 23:
			st.italic = false
		case p == 24:
			st.underline = false
		case p == 27:
			st.reverse = false
		case p >= 30 && p <= 37:
			st.fg = palette(p - 30)
		case p >= 90 && p <= 97:
			st.fg = palette(p - 90 + 8)
		case p == 39:
			st.fg = nil
		case p >= 40 && p <= 47:
			st.bg = palette(p - 40)
		case p >= 100 && p <= 107:
			st.bg = palette(p - 100 + 8)
		case p == 49:
			st.bg = nil
		case p == 38 || p == 48 || p == 58:
			var c color.Color
			switch num(k + 1) {
			case 5:
				c = palette(num(k + 2))
				k += 2
			case 2:
				c = color.RGBA{uint8(num(k + 2)), uint8(num(k + 3)), uint8(num(k + 4)), 0xff}
				k += 4
			}
			switch p {
			case 38:
				st.fg = c
			case 48:
				st.bg = c
			}
		}
	}
}

// basic16 are xterm's default first 16 colours.
var basic16 = [16]color.RGBA{
	{0x00, 0x00, 0x00, 0xff}, {0xcd, 0x00, 0x00, 0xff}, {0x00, 0xcd, 0x00, 0xff}, {0xcd, 0xcd, 0x00, 0xff},
	{0x00, 0x00, 0xee, 0xff}, {0xcd, 0x00, 0xcd, 0xff}, {0x00, 0xcd, 0xcd, 0xff}, {0xe5, 0xe5, 0xe5, 0xff},
	{0x7f, 0x7f, 0x7f, 0xff}, {0xff, 0x00, 0x00, 0xff}, {0x00, 0xff, 0x00, 0xff}, {0xff, 0xff, 0x00, 0xff},
	{0x5c, 0x5c, 0xff, 0xff}, {0xff, 0x00, 0xff, 0xff}, {0x00, 0xff, 0xff, 0xff}, {0xff, 0xff, 0xff, 0xff},
}

// palette returns colour n of the xterm 256-colour palette.
func palette(n int) color.Color {
	switch {
	case n < 0 || n > 255:
		return nil
	case n < 16:
		return basic16[n]
	case n < 232:
		n -= 16
		level := func(v int) uint8 {
			if v == 0 {
				return 0
			}
			return uint8(55 + 40*v)
		}
		return color.RGBA{level(n / 36), level(n / 6 % 6), level(n % 6), 0xff}
	}
	g := uint8(8 + 10*(n-232))
	return color.RGBA{g, g, g, 0xff}
}
