package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
)

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes aligned columns; the last column may be cut to the
// terminal width when standard output is a terminal.
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

// row adds one row.
func (t *table) row(cols ...string) { t.rows = append(t.rows, cols) }

// flush prints the table.
func (t *table) flush() error {
	if len(t.rows) == 0 {
		return nil
	}
	n := len(t.rows[0])
	widths := make([]int, n)
	for _, r := range t.rows {
		for i := 0; i < n-1 && i < len(r); i++ {
			widths[i] = max(widths[i], utf8.RuneCountInString(r[i]))
		}
	}
	var b strings.Builder
	for _, r := range t.rows {
		b.Reset()
		for i := 0; i < n && i < len(r); i++ {
			if i < n-1 {
				b.WriteString(r[i])
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(r[i])+2))
				continue
			}
			b.WriteString(r[i])
		}
		line := strings.TrimRight(b.String(), " ")
		if t.width > 0 {
			line = cutRunes(line, t.width)
		}
		if _, err := fmt.Fprintln(t.w, line); err != nil {
			return err
		}
	}
	return nil
}

// cutRunes shortens s to at most n runes.
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	if n <= 1 {
		return string(r[:n])
	}
	return string(r[:n-1]) + "…"
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

// warnUnreadable prints what the scan could not read to stderr, so a
// normal user knows the picture is partial.
func warnUnreadable(w io.Writer, snap *inspect.Snapshot) {
	for _, u := range snap.Unreadable {
		fmt.Fprintf(w, "nscope: %d %s not readable (%s, e.g. %s)\n", u.Count, u.Kind, u.Errno, u.Example)
	}
	if len(snap.Unreadable) > 0 && !snap.Host.Root {
		fmt.Fprintln(w, "nscope: run as root to see everything")
	}
}
