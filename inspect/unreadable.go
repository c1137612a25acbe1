package inspect

import (
	"sort"
	"sync"
)

// Kinds of unreadable items reported in Snapshot.Unreadable.
const (
	UnreadableProcess    = "process files"
	UnreadableNamespaces = "process namespaces"
	UnreadableFDs        = "process fds"
	UnreadableMountinfo  = "mountinfo"
	UnreadableNSFS       = "namespace hierarchy"
	UnreadableCgroup     = "cgroup files"
	UnreadableCgroupDir  = "cgroup directories"
)

// unreadableCounter collects unreadable counts from many goroutines.
type unreadableCounter struct {
	mu   sync.Mutex
	byKd map[string]*Unreadable
}

// add counts one failure of kind at path.
func (u *unreadableCounter) add(kind, path string, err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.byKd == nil {
		u.byKd = map[string]*Unreadable{}
	}
	e := u.byKd[kind]
	if e == nil {
		e = &Unreadable{Kind: kind, Errno: errnoName(err), Example: path}
		u.byKd[kind] = e
	}
	e.Count++
}

// list returns the counts sorted by kind.
func (u *unreadableCounter) list() []Unreadable {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]Unreadable, 0, len(u.byKd))
	for _, e := range u.byKd {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}
