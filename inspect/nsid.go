package inspect

import (
	"strconv"
)

// NSID identifies a namespace: the device and inode number of its nsfs
// file, as stat(2) on /proc/PID/ns/TYPE reports them. The inode alone is
// what "net:[4026531840]" shows; the device makes it unique.
// See namespaces(7), "The /proc/[pid]/ns/ directory".
type NSID struct {
	Dev uint64 `json:"dev"`
	Ino uint64 `json:"ino"`
}

// IsZero reports whether id is the zero value, meaning "unknown" or "none".
func (id NSID) IsZero() bool { return id.Dev == 0 && id.Ino == 0 }

// String returns the inode number, the form lsns and /proc links print.
func (id NSID) String() string {
	if id.IsZero() {
		return "-"
	}
	return strconv.FormatUint(id.Ino, 10)
}

// NSSet holds one namespace ID per type, indexed by NSType.
type NSSet [NumNSTypes]NSID

// Get returns the ID of the namespace of type t.
func (s *NSSet) Get(t NSType) NSID { return s[t] }
