// Command render turns a terminal screen captured with "tmux capture-pane
// -e -p" (text with SGR colour sequences) into a PNG, drawing each cell
// with the Go Mono font (golang.org/x/image/font/gofont, BSD licence) and
// the box-drawing, block and triangle characters the TUI uses as
// pixel-exact shapes, as terminals do.
//
// Usage: render -cols 120 -rows 36 -in screen.ansi -out screen.png
package main

import (
	"bufio"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
)

func main() {
	cols := flag.Int("cols", 120, "terminal width in cells")
	rows := flag.Int("rows", 36, "terminal height in cells")
	in := flag.String("in", "", "captured screen (tmux capture-pane -e -p)")
	out := flag.String("out", "", "PNG to write")
	size := flag.Float64("size", 15, "font size in pixels")
	flag.Parse()
	if *in == "" || *out == "" || *cols < 1 || *rows < 1 {
		fmt.Fprintln(os.Stderr, "usage: render -cols N -rows N -in screen.ansi -out screen.png")
		os.Exit(2)
	}
	if err := run(*in, *out, *cols, *rows, *size); err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
}

func run(in, out string, cols, rows int, size float64) error {
	data, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	grid := parse(data, cols, rows)
	fonts, err := loadFonts(size)
	if err != nil {
		return err
	}
	img := image.NewRGBA(image.Rect(0, 0, cols*fonts.cellW+2*margin, rows*fonts.cellH+2*margin))
	draw.Draw(img, img.Bounds(), &image.Uniform{defaultBG}, image.Point{}, draw.Src)
	for y, line := range grid {
		for x, c := range line {
			drawCell(img, fonts, margin+x*fonts.cellW, margin+y*fonts.cellH, c)
		}
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := png.Encode(w, img); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// margin is the border around the screen, in pixels.
const margin = 8

var (
	defaultFG = color.RGBA{0xd0, 0xd0, 0xd0, 0xff}
	defaultBG = color.RGBA{0x1c, 0x1c, 0x1c, 0xff}
)
