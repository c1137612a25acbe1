package runtimes

import (
	"bytes"
	"strings"
)

// tomlString returns the string value of key in the table section of a
// TOML file ("" for the top level), as containerd's config.toml and
// containers' storage.conf set their directories: `key = "value"` or
// `key = 'value'` on one line. It is not a TOML parser: arrays, inline
// tables and multi-line strings are skipped, which is all these few keys
// need. ok is false when the key is not set.
func tomlString(data []byte, section, key string) (value string, ok bool) {
	current := ""
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if line[0] == '[' {
			// [table] or [[array-of-tables]]; a comment may follow.
			name, _, _ := strings.Cut(strings.TrimLeft(string(line), "["), "]")
			current = strings.TrimSpace(name)
			continue
		}
		if current != section {
			continue
		}
		k, v, found := bytes.Cut(line, []byte("="))
		if !found || string(bytes.Trim(bytes.TrimSpace(k), `"`)) != key {
			continue
		}
		if s, good := tomlQuoted(bytes.TrimSpace(v)); good {
			value, ok = s, true
		}
	}
	return value, ok
}

// tomlQuoted returns the string a basic ("...") or literal ('...') TOML
// string holds, with a trailing comment allowed.
func tomlQuoted(v []byte) (string, bool) {
	if len(v) < 2 {
		return "", false
	}
	switch v[0] {
	case '\'':
		end := bytes.IndexByte(v[1:], '\'')
		if end < 0 {
			return "", false
		}
		return string(v[1 : 1+end]), true
	case '"':
		var b strings.Builder
		for i := 1; i < len(v); i++ {
			c := v[i]
			switch {
			case c == '"':
				return b.String(), true
			case c == '\\' && i+1 < len(v):
				i++
				switch v[i] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				default:
					b.WriteByte(v[i])
				}
			default:
				b.WriteByte(c)
			}
		}
	}
	return "", false
}
