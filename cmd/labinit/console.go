package main

import (
	"fmt"
	"io"
	"sync"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
)

// console writes to the serial console and makes sure every marker starts
// its own line, even when test output before it did not end in a newline.
type console struct {
	mu      sync.Mutex
	w       io.Writer
	midLine bool
}

func newConsole(w io.Writer) *console { return &console{w: w} }

// Write copies test output to the console.
func (c *console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(p) > 0 {
		c.midLine = p[len(p)-1] != '\n'
	}
	return c.w.Write(p)
}

// printf writes a formatted message.
func (c *console) printf(format string, args ...any) {
	fmt.Fprintf(c, format, args...)
}

// marker prints m on a line of its own.
func (c *console) marker(m labproto.Marker) {
	c.mu.Lock()
	defer c.mu.Unlock()
	line := m.Format() + "\n"
	if c.midLine {
		line = "\n" + line
	}
	c.midLine = false
	_, _ = io.WriteString(c.w, line)
}
