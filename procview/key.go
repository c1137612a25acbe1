package procview

import (
	"fmt"

	"github.com/nscope/nscope/inspect"
)

// Kind says which of the three trees an item belongs to.
type Kind uint8

// The kinds of item a view shows.
const (
	KindNamespace Kind = iota + 1
	KindProcess
	KindCgroup
)

// String returns "namespace", "process" or "cgroup".
func (k Kind) String() string {
	switch k {
	case KindNamespace:
		return "namespace"
	case KindProcess:
		return "process"
	case KindCgroup:
		return "cgroup"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Key identifies an item across snapshots for as long as the item lives:
// a namespace by its NSID, a process by PID and start time (so a reused
// PID is a different item), a cgroup by hierarchy and path. Keys are
// comparable and are what expansion state, selection and history are
// stored under.
type Key struct {
	Kind Kind
	NS   inspect.NSID
	PID  int
	// Start is the process start time in Unix nanoseconds.
	Start  int64
	Cgroup inspect.CgroupKey
}

// NamespaceKey returns the key of a namespace.
func NamespaceKey(id inspect.NSID) Key { return Key{Kind: KindNamespace, NS: id} }

// ProcessKey returns the key of a process.
func ProcessKey(p *inspect.Process) Key {
	return Key{Kind: KindProcess, PID: p.PID, Start: p.StartTime.UnixNano()}
}

// CgroupKey returns the key of a cgroup.
func CgroupKey(c *inspect.Cgroup) Key { return Key{Kind: KindCgroup, Cgroup: c.Key()} }

// IsZero reports whether k is the zero Key (no item).
func (k Key) IsZero() bool { return k.Kind == 0 }

// String renders the key for logs and tests: "ns:4026531836",
// "pid:42", "cg:4:/a/b", "cg:*:/a/b" (merged).
func (k Key) String() string {
	switch k.Kind {
	case KindNamespace:
		return "ns:" + k.NS.String()
	case KindProcess:
		return fmt.Sprintf("pid:%d", k.PID)
	case KindCgroup:
		if k.IsMerged() {
			return "cg:*:" + k.Cgroup.Path
		}
		return fmt.Sprintf("cg:%d:%s", k.Cgroup.Hierarchy, k.Cgroup.Path)
	}
	return "none"
}
