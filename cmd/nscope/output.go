package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/termtext"
)

// writeJSON writes v as indented JSON, with the runes encoding/json
// leaves raw that could control a terminal (DEL, C1, bidi overrides)
// written as \u escapes: the same values, safe to print.
func writeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(termtext.EscapeJSON(buf.Bytes()))
	return err
}

// maxCellWidth caps one table cell, so that a 60 kB command line or a
// forged journal value does not print as one line of 60,000 characters
// when the output is not a terminal (on a terminal the whole line is cut
// to its width). --json keeps every byte.
const maxCellWidth = 1024

// table writes aligned columns; the last column may be cut to the
// terminal width when standard output is a terminal. Every cell is host
// text until proven otherwise: it is escaped (termtext.Cell) and capped
// at maxCellWidth cells.
type table struct {
	w     io.Writer
	width int
	rows  [][]string
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{w: w, width: terminalWidth(w)}
	t.rows = append(t.rows, header)
	return t
}

// row adds one row; its cells are escaped and capped.
func (t *table) row(cols ...string) {
	cells := make([]string, len(cols))
	for i, c := range cols {
		cells[i] = termtext.Cell(c, maxCellWidth)
	}
	t.rows = append(t.rows, cells)
}

// flush prints the table.
func (t *table) flush() error {
	if len(t.rows) == 0 {
		return nil
	}
	n := len(t.rows[0])
	widths := make([]int, n)
	for _, r := range t.rows {
		for i := 0; i < n-1 && i < len(r); i++ {
			widths[i] = max(widths[i], cellWidth(r[i]))
		}
	}
	var b strings.Builder
	for _, r := range t.rows {
		b.Reset()
		for i := 0; i < n && i < len(r); i++ {
			if i < n-1 {
				b.WriteString(r[i])
				b.WriteString(strings.Repeat(" ", widths[i]-cellWidth(r[i])+2))
				continue
			}
			b.WriteString(r[i])
		}
		line := strings.TrimRight(b.String(), " ")
		if t.width > 0 {
			line = cutCells(line, t.width)
		}
		if _, err := fmt.Fprintln(t.w, line); err != nil {
			return err
		}
	}
	return nil
}

// cellWidth is the terminal cells of escaped text.
func cellWidth(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}

// cutCells shortens escaped text s to at most n terminal cells.
func cutCells(s string, n int) string {
	if cellWidth(s) <= n {
		return s
	}
	if n <= 1 {
		return ansi.Truncate(s, n, "")
	}
	return ansi.Truncate(s, n, "…")
}

// msgf prints a message whose arguments may hold host text (cgroup paths,
// process names, values read from files or the journal): every string,
// error and Stringer argument is escaped, so it stays on its line and
// cannot control the terminal, and capped like a table cell. The format
// itself is nscope's.
func msgf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, format, escapeArgs(args)...)
}

// escapeArgs escapes the text arguments of a message.
func escapeArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			out[i] = termtext.Cell(v, maxCellWidth)
		case error:
			out[i] = termtext.Cell(v.Error(), maxCellWidth)
		case fmt.Stringer:
			out[i] = termtext.Cell(v.String(), maxCellWidth)
		default:
			out[i] = a
		}
	}
	return out
}

// errorText is an error as nscope prints it: each line escaped (host
// text in a message cannot control the terminal; joined errors keep their
// lines).
func errorText(err error) string {
	if err == nil {
		return ""
	}
	return termtext.EscapeLines(err.Error())
}

// terminalWidth returns the width of w when it is a terminal, else 0.
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil || ws.Col == 0 {
		return 0
	}
	return int(ws.Col)
}

// commandLine renders a process's command for a table: the argument vector
// joined, or [comm] for kernel threads and processes without one.
func commandLine(p *inspect.Process) string {
	if len(p.Cmdline) == 0 {
		return "[" + p.Comm + "]"
	}
	return strings.Join(p.Cmdline, " ")
}

// countOf says how many things of an unreadable kind were not read:
// "1 process", "12 processes", "3 cgroup directories", "2 files".
func countOf(u inspect.Unreadable) string {
	one, many := "file", "files"
	switch {
	case strings.HasPrefix(u.Kind, "process "), u.Kind == inspect.UnreadableMountinfo:
		one, many = "process", "processes"
	case u.Kind == inspect.UnreadableCgroupDir:
		one, many = "cgroup directory", "cgroup directories"
	case u.Kind == inspect.UnreadableNSFS:
		one, many = "namespace", "namespaces"
	}
	if u.Count == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", u.Count, many)
}

// warnUnreadable prints what the scan could not read to stderr, so a
// normal user knows the picture is partial.
func warnUnreadable(w io.Writer, snap *inspect.Snapshot) {
	for _, u := range snap.Unreadable {
		msgf(w, "nscope: %s not readable for %s (%s, e.g. %s)\n", u.Kind, countOf(u), u.Errno, u.Example)
	}
	if len(snap.Unreadable) > 0 && !snap.Host.Root {
		fmt.Fprintln(w, "nscope: run as root to see everything")
	}
}
