package control

import (
	"bytes"
	"fmt"
	"strconv"
)

// ProcCreds are the credentials and confinement of a process as
// /proc/PID/status shows them: IDs in the reader's user namespace,
// capability sets as masks. See proc(5) and capabilities(7).
type ProcCreds struct {
	// UID and GID are the effective IDs (the second of the four Uid: and
	// Gid: fields); Groups the supplementary groups.
	UID, GID int64
	Groups   []int64
	// Caps are CapEff, CapPrm, CapInh, CapBnd and CapAmb.
	Caps CapSets
	// NoNewPrivs is the NoNewPrivs: flag.
	NoNewPrivs bool
	// Seccomp is the mode: 0 none, 1 strict, 2 filter; SeccompFilters the
	// number of filters (Linux 5.9+; -1 when the kernel does not say).
	Seccomp        int
	SeccompFilters int
}

// CapSets are the five capability sets of a process.
type CapSets struct {
	Effective   uint64 `json:"effective"`
	Permitted   uint64 `json:"permitted"`
	Inheritable uint64 `json:"inheritable"`
	Bounding    uint64 `json:"bounding"`
	Ambient     uint64 `json:"ambient"`
}

// field returns the set a status key names ("CapEff" and so on).
func (s *CapSets) field(key string) *uint64 {
	switch key {
	case "CapInh":
		return &s.Inheritable
	case "CapPrm":
		return &s.Permitted
	case "CapEff":
		return &s.Effective
	case "CapBnd":
		return &s.Bounding
	}
	return &s.Ambient
}

// ParseProcCreds parses the credential lines of /proc/PID/status. Every
// one of Uid, Gid, Groups, CapInh, CapPrm, CapEff, CapBnd and Seccomp must
// be there and well formed: enter takes them over, so a partial read is an
// error, never a default.
func ParseProcCreds(data []byte) (ProcCreds, error) {
	c := ProcCreds{SeccompFilters: -1}
	seen := map[string]bool{}
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		key, val, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		k := string(key)
		f := bytes.Fields(val)
		var err error
		switch k {
		case "Uid", "Gid":
			if len(f) != 4 {
				return c, fmt.Errorf("status %s: %q, want 4 IDs", k, val)
			}
			var id int64
			if id, err = parseID(f[1]); err == nil {
				if k == "Uid" {
					c.UID = id
				} else {
					c.GID = id
				}
			}
		case "Groups":
			c.Groups = make([]int64, 0, len(f))
			for _, g := range f {
				var id int64
				if id, err = parseID(g); err != nil {
					break
				}
				c.Groups = append(c.Groups, id)
			}
		case "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb":
			if len(f) != 1 {
				return c, fmt.Errorf("status %s: %q, want one hex mask", k, val)
			}
			var m uint64
			if m, err = strconv.ParseUint(string(f[0]), 16, 64); err == nil {
				*c.Caps.field(k) = m
			}
		case "NoNewPrivs", "Seccomp", "Seccomp_filters":
			if len(f) != 1 {
				return c, fmt.Errorf("status %s: %q, want one number", k, val)
			}
			var n int
			if n, err = strconv.Atoi(string(f[0])); err == nil && n < 0 {
				err = fmt.Errorf("negative")
			}
			switch k {
			case "NoNewPrivs":
				c.NoNewPrivs = n == 1
			case "Seccomp":
				c.Seccomp = n
			default:
				c.SeccompFilters = n
			}
		default:
			continue
		}
		if err != nil {
			return c, fmt.Errorf("status %s: %q: %w", k, val, err)
		}
		seen[k] = true
	}
	for _, k := range []string{"Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "Seccomp"} {
		if !seen[k] {
			return c, fmt.Errorf("status has no %s: line", k)
		}
	}
	return c, nil
}

// parseID parses a user or group ID: a decimal uint32.
func parseID(b []byte) (int64, error) {
	n, err := strconv.ParseUint(string(b), 10, 32)
	return int64(n), err
}

// ParseEnviron splits /proc/PID/environ (NUL-separated) into the entries
// enter may hand to execve: NAME=VALUE with a name, no nscope variable, at
// most nsexec.MaxEnv of them. The rest are returned as dropped, for a
// warning. The file is what the process made of its environment area, so
// anything may be in it.
func ParseEnviron(data []byte) (env []string, dropped int) {
	for entry := range bytes.SplitSeq(data, []byte{0}) {
		if len(entry) == 0 {
			continue
		}
		kv := string(entry)
		if checkEnvEntry(kv) != nil || len(env) >= envMax {
			dropped++
			continue
		}
		env = append(env, kv)
	}
	return env, dropped
}
