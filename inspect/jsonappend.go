package inspect

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// Hand-written JSON for the records a snapshot has thousands of. The
// output decodes to exactly what encoding/json writes for the same struct
// tags (TestWriteJSONCompact compares them); reflection made the
// encoding of a 4,000-process snapshot take longer than reading it.

// appendProcessJSON appends p as a JSON object.
func appendProcessJSON(b []byte, p *Process) []byte {
	b = append(b, `{"pid":`...)
	b = strconv.AppendInt(b, int64(p.PID), 10)
	b = append(b, `,"ppid":`...)
	b = strconv.AppendInt(b, int64(p.PPID), 10)
	b = append(b, `,"comm":`...)
	b = appendJSONString(b, p.Comm)
	if len(p.Cmdline) > 0 {
		b = append(b, `,"cmdline":[`...)
		for i, a := range p.Cmdline {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, a)
		}
		b = append(b, ']')
	}
	b = append(b, `,"uid":`...)
	b = strconv.AppendInt(b, int64(p.UID), 10)
	b = append(b, `,"user":`...)
	b = appendJSONString(b, p.User)
	b = append(b, `,"state":`...)
	b = appendJSONString(b, p.State)
	b = append(b, `,"start_time":"`...)
	b = p.StartTime.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","threads":`...)
	b = strconv.AppendInt(b, int64(p.Threads), 10)
	b = append(b, `,"utime_us":`...)
	b = strconv.AppendInt(b, p.UTimeUS, 10)
	b = append(b, `,"stime_us":`...)
	b = strconv.AppendInt(b, p.STimeUS, 10)
	b = append(b, `,"rss_bytes":`...)
	b = strconv.AppendInt(b, p.RSSBytes, 10)
	if p.Kernel {
		b = append(b, `,"kernel":true`...)
	}
	b = append(b, `,"nspid":`...)
	b = appendIntsJSON(b, p.NSpid)
	b = append(b, `,"ns":`...)
	ns, _ := p.NS.MarshalJSON()
	b = append(b, ns...)
	b = append(b, `,"pid_for_children":`...)
	b = appendNSIDJSON(b, p.PIDForChildren)
	b = append(b, `,"time_for_children":`...)
	b = appendNSIDJSON(b, p.TimeForChildren)
	if len(p.Cgroups) > 0 {
		b = append(b, `,"cgroups":[`...)
		for i, c := range p.Cgroups {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"hierarchy":`...)
			b = strconv.AppendInt(b, int64(c.Hierarchy), 10)
			b = append(b, `,"controllers":`...)
			b = appendJSONString(b, c.Controllers)
			b = append(b, `,"path":`...)
			b = appendJSONString(b, c.Path)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendContainerRefJSON(b, p.Container)
	return append(b, '}')
}

// appendContainerRefJSON appends `,"container":{...}` for a set reference.
func appendContainerRefJSON(b []byte, r ContainerRef) []byte {
	if r.IsZero() {
		return b
	}
	b = append(b, `,"container":{"runtime":`...)
	b = appendJSONString(b, r.Runtime)
	b = append(b, `,"id":`...)
	b = appendJSONString(b, r.ID)
	return append(b, '}')
}

// appendNamespaceJSON appends n as a JSON object.
func appendNamespaceJSON(b []byte, n *Namespace) []byte {
	b = append(b, `{"id":`...)
	b = appendNSIDJSON(b, n.ID)
	b = append(b, `,"type":"`...)
	b = append(b, n.Type.String()...)
	b = append(b, '"')
	if !n.Owner.IsZero() {
		b = append(b, `,"owner":`...)
		b = appendNSIDJSON(b, n.Owner)
	}
	if !n.Parent.IsZero() {
		b = append(b, `,"parent":`...)
		b = appendNSIDJSON(b, n.Parent)
	}
	b = append(b, `,"owner_uid":`...)
	b = strconv.AppendInt(b, int64(n.OwnerUID), 10)
	b = append(b, `,"level":`...)
	b = strconv.AppendInt(b, int64(n.Level), 10)
	if n.Initial {
		b = append(b, `,"initial":true`...)
	}
	if len(n.Members) > 0 {
		b = append(b, `,"members":`...)
		b = appendIntsJSON(b, n.Members)
	}
	if len(n.Holders) > 0 {
		b = append(b, `,"holders":[`...)
		for i := range n.Holders {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendHolderJSON(b, &n.Holders[i])
		}
		b = append(b, ']')
	}
	b = appendContainerRefJSON(b, n.Container)
	return append(b, '}')
}

func appendHolderJSON(b []byte, h *Holder) []byte {
	b = append(b, `{"kind":`...)
	b = appendJSONString(b, string(h.Kind))
	if h.PID != 0 {
		b = append(b, `,"pid":`...)
		b = strconv.AppendInt(b, int64(h.PID), 10)
	}
	if h.FD != 0 {
		b = append(b, `,"fd":`...)
		b = strconv.AppendInt(b, int64(h.FD), 10)
	}
	if h.Path != "" {
		b = append(b, `,"path":`...)
		b = appendJSONString(b, h.Path)
	}
	if h.Name != "" {
		b = append(b, `,"name":`...)
		b = appendJSONString(b, h.Name)
	}
	if !h.MountNS.IsZero() {
		b = append(b, `,"mount_ns":`...)
		b = appendNSIDJSON(b, h.MountNS)
	}
	if !h.Via.IsZero() {
		b = append(b, `,"via":`...)
		b = appendNSIDJSON(b, h.Via)
	}
	return append(b, '}')
}

func appendNSIDJSON(b []byte, id NSID) []byte {
	b = append(b, `{"dev":`...)
	b = strconv.AppendUint(b, id.Dev, 10)
	b = append(b, `,"ino":`...)
	b = strconv.AppendUint(b, id.Ino, 10)
	return append(b, '}')
}

func appendIntsJSON(b []byte, v []int) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, n := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(n), 10)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaping as encoding/json
// does: quotes, backslashes, control characters, <, > and &, U+2028 and
// U+2029; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
