package inspect

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// NSType is one of the eight Linux namespace types. See namespaces(7).
type NSType int

// The namespace types, in the order nscope lists them.
const (
	MntNS NSType = iota
	PIDNS
	NetNS
	IPCNS
	UTSNS
	UserNS
	CgroupNS
	TimeNS
	// NumNSTypes is the number of namespace types.
	NumNSTypes
)

var nsTypeNames = [NumNSTypes]string{"mnt", "pid", "net", "ipc", "uts", "user", "cgroup", "time"}

var nsCloneFlags = [NumNSTypes]uintptr{
	unix.CLONE_NEWNS, unix.CLONE_NEWPID, unix.CLONE_NEWNET, unix.CLONE_NEWIPC,
	unix.CLONE_NEWUTS, unix.CLONE_NEWUSER, unix.CLONE_NEWCGROUP, unix.CLONE_NEWTIME,
}

// AllNSTypes lists every namespace type in display order.
var AllNSTypes = []NSType{MntNS, PIDNS, NetNS, IPCNS, UTSNS, UserNS, CgroupNS, TimeNS}

// String returns the short name the kernel uses in /proc/PID/ns ("net", "pid", ...).
func (t NSType) String() string {
	if t < 0 || t >= NumNSTypes {
		return fmt.Sprintf("nstype(%d)", int(t))
	}
	return nsTypeNames[t]
}

// CloneFlag returns the CLONE_NEW* flag that creates a namespace of this type.
func (t NSType) CloneFlag() uintptr {
	if t < 0 || t >= NumNSTypes {
		return 0
	}
	return nsCloneFlags[t]
}

// NSTypeFromCloneFlag maps a CLONE_NEW* value (as returned by the
// NS_GET_NSTYPE ioctl) to its NSType.
func NSTypeFromCloneFlag(flag uintptr) (NSType, bool) {
	for t, f := range nsCloneFlags {
		if f == flag {
			return NSType(t), true
		}
	}
	return 0, false
}

// ParseNSType parses a namespace type name. It accepts the kernel's short
// names and the common long forms ("mount", "network").
func ParseNSType(s string) (NSType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "mnt", "mount", "ns":
		return MntNS, nil
	case "pid":
		return PIDNS, nil
	case "net", "network":
		return NetNS, nil
	case "ipc":
		return IPCNS, nil
	case "uts":
		return UTSNS, nil
	case "user":
		return UserNS, nil
	case "cgroup":
		return CgroupNS, nil
	case "time":
		return TimeNS, nil
	}
	return 0, fmt.Errorf("unknown namespace type %q (allowed: mnt, pid, net, ipc, uts, user, cgroup, time)", s)
}

// ParseNSTypeList parses a comma-separated list of namespace types such as
// "net,pid". Duplicates are dropped; the result keeps display order.
func ParseNSTypeList(s string) ([]NSType, error) {
	var seen [NumNSTypes]bool
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		t, err := ParseNSType(part)
		if err != nil {
			return nil, err
		}
		seen[t] = true
	}
	var out []NSType
	for _, t := range AllNSTypes {
		if seen[t] {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty namespace type list %q (allowed: mnt, pid, net, ipc, uts, user, cgroup, time)", s)
	}
	return out, nil
}

// MarshalText implements encoding.TextMarshaler.
func (t NSType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *NSType) UnmarshalText(b []byte) error {
	v, err := ParseNSType(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}
