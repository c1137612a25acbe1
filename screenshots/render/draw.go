package main

import (
	"image"
	"image/color"
	"image/draw"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// fontSet holds the faces and the cell size they give.
type fontSet struct {
	regular, bold font.Face
	cellW, cellH  int
	ascent        int
}

func loadFonts(size float64) (*fontSet, error) {
	face := func(ttf []byte) (font.Face, error) {
		f, err := opentype.Parse(ttf)
		if err != nil {
			return nil, err
		}
		return opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	}
	reg, err := face(gomono.TTF)
	if err != nil {
		return nil, err
	}
	bold, err := face(gomonobold.TTF)
	if err != nil {
		return nil, err
	}
	adv, _ := reg.GlyphAdvance('M')
	m := reg.Metrics()
	return &fontSet{
		regular: reg, bold: bold,
		cellW:  adv.Ceil(),
		cellH:  (m.Ascent + m.Descent).Ceil() + 2,
		ascent: m.Ascent.Ceil() + 1,
	}, nil
}

// drawCell paints one cell at pixel (px, py).
func drawCell(img *image.RGBA, fs *fontSet, px, py int, c cell) {
	fg, bg := c.fg, c.bg
	if fg == nil {
		fg = defaultFG
	}
	if bg == nil {
		bg = defaultBG
	}
	if c.reverse {
		fg, bg = bg, fg
	}
	if c.faint {
		fg = mix(fg, bg, 0.55)
	}
	w, h := fs.cellW, fs.cellH
	if c.cont {
		w = fs.cellW
	}
	rect := image.Rect(px, py, px+w, py+h)
	draw.Draw(img, rect, &image.Uniform{bg}, image.Point{}, draw.Src)
	if c.cont || c.r == ' ' {
		return
	}
	if !drawShape(img, rect, c.r, fg) {
		face := fs.regular
		if c.bold {
			face = fs.bold
		}
		if _, ok := face.GlyphAdvance(c.r); !ok {
			c.r = '?'
		}
		d := font.Drawer{Dst: img, Src: &image.Uniform{fg}, Face: face, Dot: fixed.P(px, py+fs.ascent)}
		d.DrawString(string(c.r))
	}
	if c.underline {
		fill(img, image.Rect(px, py+h-2, px+w, py+h-1), fg)
	}
}

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, &image.Uniform{c}, image.Point{}, draw.Src)
}

func mix(a, b color.Color, t float64) color.Color {
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	f := func(x, y uint32) uint8 { return uint8((float64(x)*t + float64(y)*(1-t)) / 257) }
	return color.RGBA{f(ar, br), f(ag, bg), f(ab, bb), 0xff}
}

// drawShape draws box-drawing lines, block elements and small triangles
// as shapes filling the cell exactly, so lines join and bars line up;
// it reports false for other characters.
func drawShape(img *image.RGBA, r image.Rectangle, ch rune, c color.Color) bool {
	w, h := r.Dx(), r.Dy()
	cx, cy := r.Min.X+w/2, r.Min.Y+h/2
	const t = 1 // line thickness
	left := image.Rect(r.Min.X, cy, cx+t, cy+t)
	right := image.Rect(cx, cy, r.Max.X, cy+t)
	up := image.Rect(cx, r.Min.Y, cx+t, cy+t)
	down := image.Rect(cx, cy, cx+t, r.Max.Y)
	lines := func(parts ...image.Rectangle) bool {
		for _, p := range parts {
			fill(img, p, c)
		}
		return true
	}
	switch ch {
	case '─':
		return lines(left, right)
	case '│':
		return lines(up, down)
	case '┌', '╭':
		return lines(right, down)
	case '┐', '╮':
		return lines(left, down)
	case '└', '╰':
		return lines(right, up)
	case '┘', '╯':
		return lines(left, up)
	case '├':
		return lines(up, down, right)
	case '┤':
		return lines(up, down, left)
	case '┬':
		return lines(left, right, down)
	case '┴':
		return lines(left, right, up)
	case '┼':
		return lines(left, right, up, down)
	case '█':
		return lines(r)
	case '▀':
		return lines(image.Rect(r.Min.X, r.Min.Y, r.Max.X, cy))
	case '▄':
		return lines(image.Rect(r.Min.X, cy, r.Max.X, r.Max.Y))
	case '░', '▒', '▓':
		return lines(image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Max.Y)) // rare; solid is fine
	case '▸', '▶':
		tri(img, r, c, true, ch == '▶')
		return true
	case '▾':
		tri(img, r, c, false, false)
		return true
	case '·':
		return lines(image.Rect(cx-1, cy-1, cx+1, cy+1))
	case '┈', '┄', '╌': // dashed lines: the quota line of a CPU chart
		n := map[rune]int{'┈': 4, '┄': 3, '╌': 2}[ch]
		for i := range n {
			x0 := r.Min.X + w*i/n
			fill(img, image.Rect(x0, cy, x0+max(1, w/(2*n)), cy+t), c)
		}
		return true
	}
	if ch >= '▁' && ch <= '▇' { // lower eighths
		n := int(ch-'▁') + 1
		return lines(image.Rect(r.Min.X, r.Max.Y-h*n/8, r.Max.X, r.Max.Y))
	}
	if ch >= '▉' && ch <= '▏' { // left eighths, 7/8 down to 1/8
		n := 7 - int(ch-'▉')
		return lines(image.Rect(r.Min.X, r.Min.Y, r.Min.X+max(1, w*n/8), r.Max.Y))
	}
	return false
}

// tri draws a small filled triangle pointing right or down; big fills
// more of the cell.
func tri(img *image.RGBA, r image.Rectangle, c color.Color, pointRight, big bool) {
	w, h := r.Dx(), r.Dy()
	size := w * 5 / 8
	if big {
		size = w * 7 / 8
	}
	x0 := r.Min.X + (w-size)/2
	y0 := r.Min.Y + (h-size)/2
	for i := 0; i < size; i++ {
		if pointRight {
			// Column i is taller near the left edge.
			half := (size - i) / 2
			fill(img, image.Rect(x0+i, y0+size/2-half, x0+i+1, y0+size/2+half+1), c)
		} else {
			half := (size - i) / 2
			fill(img, image.Rect(x0+size/2-half, y0+i, x0+size/2+half+1, y0+i+1), c)
		}
	}
}
