// Package hostile puts attacker-chosen text into a snapshot, for the
// tests that check no terminal sink of nscope lets it through: every
// process's comm, command line and user, the hostname, every cgroup's
// name and every namespace holder's path and name.
package hostile

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/nscope/nscope/inspect"
)

// Names are the hostile strings; any bytes.
type Names struct {
	Comm, Cmdline, Hostname, Cgroup string
}

// Classic are the texts an audit used: an OSC title and a screen clear,
// a newline in a comm, OSC 52 (write the clipboard) as a cgroup name, a
// C1 CSI and a bidi override.
var Classic = Names{
	Comm:     "\x1b[31mred\nrow",
	Cmdline:  "\x1b]0;pwned\a\x1b[2J\u202eexe.txt \x9b2J",
	Hostname: "evil\a\x1b]52;c;cHduZWQ=\a",
	Cgroup:   "\x1b]52;c;cHduZWQ=\a",
}

// Apply returns a copy of snap carrying the names: each cgroup path
// component c becomes Cgroup+c (with '/' and NUL, which a cgroup name
// cannot hold, left out), consistently in the cgroups and the processes'
// cgroup lines; comm, user, command line, hostname and holder paths are
// set byte for byte after the snapshot is indexed (a snapshot loaded from
// JSON cannot hold invalid UTF-8 in its keys, but a live scan can hold it
// everywhere).
func Apply(snap *inspect.Snapshot, n Names) (*inspect.Snapshot, error) {
	comp := strings.Map(func(r rune) rune {
		if r == '/' || r == 0 {
			return -1
		}
		return r
	}, n.Cgroup)
	s, err := roundTrip(snap)
	if err != nil {
		return nil, err
	}
	rename := func(p string) string {
		if p == "/" || p == "" {
			return p
		}
		parts := strings.Split(p, "/")
		for i := 1; i < len(parts); i++ {
			parts[i] = comp + parts[i]
		}
		return strings.Join(parts, "/")
	}
	for i := range s.Cgroups {
		s.Cgroups[i].Path = rename(s.Cgroups[i].Path)
	}
	for i := range s.Processes {
		for j := range s.Processes[i].Cgroups {
			s.Processes[i].Cgroups[j].Path = rename(s.Processes[i].Cgroups[j].Path)
		}
	}
	if s, err = roundTrip(s); err != nil {
		return nil, err
	}
	s.Host.Hostname = n.Hostname
	for i := range s.Processes {
		p := &s.Processes[i]
		p.Comm, p.User = n.Comm, n.Comm
		if len(p.Cmdline) > 0 {
			p.Cmdline = []string{n.Cmdline, "--flag=" + n.Cmdline}
		}
	}
	for i := range s.Namespaces {
		for j := range s.Namespaces[i].Holders {
			h := &s.Namespaces[i].Holders[j]
			if h.Path != "" {
				h.Path = "/run/" + n.Cgroup
			}
			if h.Name != "" {
				h.Name = n.Cgroup
			}
		}
	}
	return s, nil
}

// roundTrip copies a snapshot through its JSON form, which also rebuilds
// its indexes.
func roundTrip(snap *inspect.Snapshot) (*inspect.Snapshot, error) {
	var buf bytes.Buffer
	if err := snap.WriteJSON(&buf); err != nil {
		return nil, err
	}
	s, err := inspect.Load(&buf)
	if err != nil {
		return nil, fmt.Errorf("reload the hostile snapshot: %w", err)
	}
	return s, nil
}
