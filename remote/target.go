package remote

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Target is a host to reach over ssh: [USER@]HOST[:PORT], as typed after
// -H. User and Port are empty and 0 unless given, so that the user's ssh
// config decides them.
type Target struct {
	User string
	Host string
	Port int
}

// String writes the target back as it can be typed: user@host:port, an
// IPv6 address in brackets when a port follows.
func (t Target) String() string {
	var b strings.Builder
	if t.User != "" {
		b.WriteString(t.User)
		b.WriteByte('@')
	}
	host := t.Host
	if t.Port != 0 && strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	b.WriteString(host)
	if t.Port != 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(t.Port))
	}
	return b.String()
}

// ErrBadTarget says a host as typed is not one nscope passes to ssh.
var ErrBadTarget = errors.New("not a host nscope can reach")

// maxTargets bounds a host list: a fleet view of more hosts than this is
// a mistake (a wrong file given to -H @FILE) more often than a plan.
const maxTargets = 1000

// ParseTarget parses [USER@]HOST[:PORT]. HOST is a name, an IPv4
// address, or an IPv6 address ([::1]:2222 with a port, ::1 without).
// Nothing that ssh would read as an option (a leading '-') and no
// whitespace, control or shell characters are accepted: the host goes to
// ssh's command line.
func ParseTarget(s string) (Target, error) {
	var t Target
	bad := func(why string) (Target, error) {
		return Target{}, fmt.Errorf("host %q: %s; want [USER@]HOST[:PORT], e.g. root@db1:2222: %w", s, why, ErrBadTarget)
	}
	rest := s
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		t.User, rest = rest[:at], rest[at+1:]
		if t.User == "" {
			return bad("empty user before @")
		}
		if !validName(t.User, "._-") {
			return bad("a user name is letters, digits, '.', '_' and '-', not starting with '-'")
		}
	}
	port := ""
	switch {
	case strings.HasPrefix(rest, "["):
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return bad("'[' without ']'")
		}
		t.Host = rest[1:end]
		after := rest[end+1:]
		if after != "" {
			if !strings.HasPrefix(after, ":") {
				return bad("text after ']' that is not :PORT")
			}
			port = after[1:]
			if port == "" {
				return bad("empty port after ':'")
			}
		}
		if !validName(t.Host, ":.%") || strings.Count(t.Host, ":") < 2 {
			return bad("brackets hold an IPv6 address")
		}
	case strings.Count(rest, ":") > 1:
		// A bare IPv6 address: no port.
		t.Host = rest
		if !validName(t.Host, ":.%") {
			return bad("not an IPv6 address")
		}
	default:
		t.Host = rest
		if i := strings.IndexByte(rest, ':'); i >= 0 {
			t.Host, port = rest[:i], rest[i+1:]
			if port == "" {
				return bad("empty port after ':'")
			}
		}
		if t.Host == "" {
			return bad("no host name")
		}
		if !validName(t.Host, "._-") {
			return bad("a host is a name or address of letters, digits, '.', '_' and '-', not starting with '-'")
		}
	}
	if t.Host == "" {
		return bad("no host name")
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' || port[0] == '+' {
			return bad("the port is a number from 1 to 65535")
		}
		t.Port = n
	}
	return t, nil
}

// validName reports whether s is letters, digits and the extra bytes,
// and does not start with '-'.
func validName(s, extra string) bool {
	if s == "" || s[0] == '-' || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(extra, c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// ParseTargetList parses hosts separated by commas or newlines; blank
// entries and lines starting with '#' are skipped, and a host named twice
// counts once. It is the parser of -H a,b and of the file of -H @FILE.
func ParseTargetList(data []byte) ([]Target, error) {
	var out []Target
	seen := map[Target]bool{}
	for n, line := range bytes.Split(data, []byte("\n")) {
		text := strings.TrimSpace(string(line))
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		for _, item := range strings.Split(text, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			t, err := ParseTarget(item)
			if err != nil {
				if bytes.Count(data, []byte("\n")) > 0 {
					return nil, fmt.Errorf("line %d: %w", n+1, err)
				}
				return nil, err
			}
			if seen[t] {
				continue
			}
			seen[t] = true
			out = append(out, t)
			if len(out) > maxTargets {
				return nil, fmt.Errorf("more than %d hosts: %w", maxTargets, ErrBadTarget)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no host given: %w", ErrBadTarget)
	}
	return out, nil
}
