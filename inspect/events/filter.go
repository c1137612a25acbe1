package events

import (
	"fmt"
	"path"
	"strings"
)

// Filter selects the events a subscription receives. The zero Filter
// passes everything. Lost and Warning events always pass.
type Filter struct {
	// Kinds, when not empty, keeps only these kinds.
	Kinds []Kind
	// Cgroup, when set, keeps events about this cgroup or one beneath it
	// (in any hierarchy), and process and namespace events of processes
	// that were in one when the event happened. "/" keeps everything.
	Cgroup string
}

// ValidCgroupFilter checks a --cgroup value: an absolute path inside a
// hierarchy, as /proc/PID/cgroup prints it, without "." or ".."
// components, NUL or newline.
func ValidCgroupFilter(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("empty cgroup path: want an absolute path inside the hierarchy such as /docker/ID")
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("cgroup path %q is not absolute: want a path inside the hierarchy such as /docker/ID", p)
	case strings.ContainsAny(p, "\x00\n"):
		return fmt.Errorf("cgroup path %q holds a NUL or newline", p)
	case path.Clean(p) != p && path.Clean(p)+"/" != p:
		return fmt.Errorf("cgroup path %q is not clean (no ., .. or repeated /)", p)
	}
	return nil
}

// Match reports whether ev passes the filter.
func (f *Filter) Match(ev *Event) bool {
	if ev.Kind == Lost || ev.Kind == Warning {
		return true
	}
	if len(f.Kinds) > 0 {
		found := false
		for _, k := range f.Kinds {
			if k == ev.Kind {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if f.Cgroup == "" || f.Cgroup == "/" {
		return true
	}
	root := strings.TrimSuffix(f.Cgroup, "/")
	if len(ev.procCgroups) > 0 {
		for _, pc := range ev.procCgroups {
			if under(pc.Path, root) {
				return true
			}
		}
		return false
	}
	return ev.Cgroup != "" && under(ev.Cgroup, root)
}

// under reports whether path p is root or beneath it.
func under(p, root string) bool {
	return p == root || (strings.HasPrefix(p, root) && len(p) > len(root) && p[len(root)] == '/')
}
