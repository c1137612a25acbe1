package inspect

import (
	"bytes"
	"fmt"
	"strconv"
)

// Mount is one line of /proc/PID/mountinfo. See proc(5), "/proc/pid/mountinfo".
type Mount struct {
	ID       int
	ParentID int
	Major    uint32
	Minor    uint32
	// Root is the root of the mount within its filesystem; for an nsfs bind
	// mount it is the namespace, e.g. "net:[4026532281]".
	Root         string
	MountPoint   string
	Options      string
	FSType       string
	Source       string
	SuperOptions string
}

// ParseMountInfo parses the contents of a mountinfo file. Lines that do not
// have the documented shape are an error naming the line.
func ParseMountInfo(data []byte) ([]Mount, error) {
	var mounts []Mount
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		m, err := parseMountLine(line)
		if err != nil {
			return nil, fmt.Errorf("mountinfo line %d: %w", lineNo, err)
		}
		mounts = append(mounts, m)
	}
	return mounts, nil
}

func parseMountLine(line []byte) (Mount, error) {
	var m Mount
	fields := bytes.Fields(line)
	// id parent maj:min root mountpoint options [optional...] - fstype source superopts
	sep := -1
	for i := 6; i < len(fields); i++ {
		if len(fields[i]) == 1 && fields[i][0] == '-' {
			sep = i
			break
		}
	}
	if len(fields) < 7 || sep < 0 || len(fields) < sep+3 {
		return m, fmt.Errorf("too few fields in %q", line)
	}
	var err error
	if m.ID, err = strconv.Atoi(string(fields[0])); err != nil {
		return m, fmt.Errorf("mount ID %q: %w", fields[0], err)
	}
	if m.ParentID, err = strconv.Atoi(string(fields[1])); err != nil {
		return m, fmt.Errorf("parent ID %q: %w", fields[1], err)
	}
	majMin := fields[2]
	colon := bytes.IndexByte(majMin, ':')
	if colon < 0 {
		return m, fmt.Errorf("device %q is not MAJOR:MINOR", majMin)
	}
	maj, err := strconv.ParseUint(string(majMin[:colon]), 10, 32)
	if err != nil {
		return m, fmt.Errorf("device major %q: %w", majMin, err)
	}
	minor, err := strconv.ParseUint(string(majMin[colon+1:]), 10, 32)
	if err != nil {
		return m, fmt.Errorf("device minor %q: %w", majMin, err)
	}
	m.Major, m.Minor = uint32(maj), uint32(minor)
	m.Root = unescapeOctal(fields[3])
	m.MountPoint = unescapeOctal(fields[4])
	m.Options = string(fields[5])
	m.FSType = string(fields[sep+1])
	m.Source = unescapeOctal(fields[sep+2])
	if len(fields) > sep+3 {
		m.SuperOptions = string(fields[sep+3])
	}
	return m, nil
}

// unescapeOctal undoes the kernel's \ooo escaping of space, tab, newline
// and backslash in mountinfo paths.
func unescapeOctal(b []byte) string {
	if bytes.IndexByte(b, '\\') < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] == '\\' && isOctal(b, i+1) {
			v := (b[i+1]-'0')*64 + (b[i+2]-'0')*8 + (b[i+3] - '0')
			out = append(out, v)
			i += 3
			continue
		}
		out = append(out, b[i])
	}
	return string(out)
}

func isOctal(b []byte, i int) bool {
	if i+3 > len(b) {
		return false
	}
	for _, c := range b[i : i+3] {
		if c < '0' || c > '7' {
			return false
		}
	}
	return true
}

// nsfsRoot parses the root field of an nsfs mount, "net:[4026532281]",
// into the namespace type and inode.
func nsfsRoot(root string) (NSType, uint64, bool) {
	return parseNSLink([]byte(root))
}

// parseNSLink parses a namespace link text such as "net:[4026531840]"
// (from readlink of /proc/PID/ns/net or an fd) into type and inode.
// "pid_for_children" links read as "pid:[...]".
func parseNSLink(b []byte) (NSType, uint64, bool) {
	colon := bytes.IndexByte(b, ':')
	if colon <= 0 || len(b) < colon+4 || b[colon+1] != '[' || b[len(b)-1] != ']' {
		return 0, 0, false
	}
	var t NSType
	switch string(b[:colon]) {
	case "mnt":
		t = MntNS
	case "pid":
		t = PIDNS
	case "net":
		t = NetNS
	case "ipc":
		t = IPCNS
	case "uts":
		t = UTSNS
	case "user":
		t = UserNS
	case "cgroup":
		t = CgroupNS
	case "time":
		t = TimeNS
	default:
		return 0, 0, false
	}
	ino, err := strconv.ParseUint(string(b[colon+2:len(b)-1]), 10, 64)
	if err != nil {
		return 0, 0, false
	}
	return t, ino, true
}
