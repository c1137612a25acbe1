package inspect

import (
	"bytes"
	"fmt"
)

// procStatus holds the fields nscope uses from /proc/PID/status.
type procStatus struct {
	// UID is the effective user ID (second number of "Uid:").
	UID int
	// NSpid is the PID in each nested pid namespace, outermost first.
	NSpid []int
}

// parseStatus parses the contents of /proc/PID/status, reading "Uid:" and
// "NSpid:" (Linux 4.1+). A missing NSpid line is not an error: NSpid is
// then nil and callers fall back to the PID. See proc(5).
func parseStatus(data []byte) (procStatus, error) {
	var st procStatus
	haveUID := false
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		switch {
		case bytes.HasPrefix(line, []byte("Uid:")):
			f := bytes.Fields(line[4:])
			if len(f) < 2 {
				return st, fmt.Errorf("status: Uid line %q lacks the effective UID", line)
			}
			uid, err := atoi(f[1])
			if err != nil {
				return st, fmt.Errorf("status: Uid %q: %w", f[1], err)
			}
			st.UID, haveUID = uid, true
		case bytes.HasPrefix(line, []byte("NSpid:")):
			f := bytes.Fields(line[6:])
			st.NSpid = make([]int, 0, len(f))
			for _, tok := range f {
				pid, err := atoi(tok)
				if err != nil {
					return st, fmt.Errorf("status: NSpid %q: %w", tok, err)
				}
				st.NSpid = append(st.NSpid, pid)
			}
			// NSpid comes after Uid in every kernel since 4.1; stop early.
			if haveUID {
				return st, nil
			}
		}
	}
	if !haveUID {
		return st, fmt.Errorf("status: no Uid line")
	}
	return st, nil
}

// parseCmdline splits /proc/PID/cmdline at NUL bytes. A process that
// rewrote its argv into one space-separated string stays one element.
func parseCmdline(data []byte) []string {
	data = bytes.TrimRight(data, "\x00")
	if len(data) == 0 {
		return nil
	}
	n := bytes.Count(data, []byte{0}) + 1
	out := make([]string, 0, n)
	for len(data) > 0 {
		i := bytes.IndexByte(data, 0)
		if i < 0 {
			out = append(out, string(data))
			break
		}
		out = append(out, string(data[:i]))
		data = data[i+1:]
	}
	return out
}
