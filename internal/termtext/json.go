package termtext

import (
	"io"
	"unicode/utf8"
)

// EscapeJSON rewrites JSON text as encoding/json writes it so that it is
// safe on a terminal and decodes to the same values: DEL, C1 controls,
// bidi formatting characters and U+2028/U+2029, which encoding/json leaves
// raw inside strings, become \uNNNN escapes. The encoder already escapes
// C0 controls and writes invalid UTF-8 as U+FFFD, and outside strings a
// JSON document holds only ASCII, so every rune rewritten is inside a
// string. data is returned as it is when nothing needs rewriting.
func EscapeJSON(data []byte) []byte {
	i := findJSON(data)
	if i < 0 {
		return data
	}
	out := make([]byte, 0, len(data)+32)
	out = append(out, data[:i]...)
	for i < len(data) {
		c := data[i]
		if c < utf8.RuneSelf {
			if c == 0x7f {
				out = append(out, `\u007f`...)
			} else {
				out = append(out, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if size > 1 && Unsafe(r) {
			out = appendU(out, r)
		} else {
			out = append(out, data[i:i+size]...)
		}
		i += size
	}
	return out
}

// findJSON returns the offset of the first rune EscapeJSON rewrites, or -1.
func findJSON(data []byte) int {
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			if c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if size > 1 && Unsafe(r) {
			return i
		}
		i += size
	}
	return -1
}

func appendU(out []byte, r rune) []byte {
	return append(out, '\\', 'u', hexDigits[(r>>12)&0xf], hexDigits[(r>>8)&0xf], hexDigits[(r>>4)&0xf], hexDigits[r&0xf])
}

// JSONWriter applies EscapeJSON to a stream of JSON text written in
// pieces of any size: a rune split between two writes is held back until
// it is complete. Close (or Flush) writes what is held back.
type JSONWriter struct {
	w    io.Writer
	held []byte
	buf  []byte
}

// NewJSONWriter returns a JSONWriter writing to w.
func NewJSONWriter(w io.Writer) *JSONWriter { return &JSONWriter{w: w} }

// Write escapes p and writes it; it reports len(p) written on success.
func (j *JSONWriter) Write(p []byte) (int, error) {
	n := len(p)
	data := p
	if len(j.held) > 0 {
		j.buf = append(append(j.buf[:0], j.held...), p...)
		data = j.buf
		j.held = j.held[:0]
	}
	// Hold back an incomplete rune at the end.
	end := len(data)
	for k := 1; k <= utf8.UTFMax-1 && k <= len(data); k++ {
		c := data[len(data)-k]
		if c < utf8.RuneSelf {
			break
		}
		if utf8.RuneStart(c) {
			if !utf8.FullRune(data[len(data)-k:]) {
				end = len(data) - k
			}
			break
		}
	}
	if end < len(data) {
		j.held = append(j.held[:0], data[end:]...)
		data = data[:end]
	}
	out := EscapeJSON(data)
	if _, err := j.w.Write(out); err != nil {
		return 0, err
	}
	return n, nil
}

// Flush writes a held-back partial rune as it is (it is not valid UTF-8
// and cannot be a control).
func (j *JSONWriter) Flush() error {
	if len(j.held) == 0 {
		return nil
	}
	_, err := j.w.Write(j.held)
	j.held = j.held[:0]
	return err
}
