package inspect

import (
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// nsReach is a way into one namespace, found now: an open nsfs file of it
// (checked by fstat to be that namespace) and, when the namespace has a
// member process, one whose ns link still points at it.
type nsReach struct {
	id  NSID
	typ NSType
	// fd is the open nsfs file; -1 when the scanner reads a fixture tree.
	fd int
	// pid is a member process checked to be in the namespace; 0 for none.
	pid int
	via string
}

func (r *nsReach) close() {
	if r.fd >= 0 {
		unix.Close(r.fd)
		r.fd = -1
	}
}

// maxReachDepth bounds the walk through child namespaces that reaches a
// namespace held only as a parent or owner.
const maxReachDepth = 32

// reach finds a way into n: a member process first, then each holder.
func (s *Scanner) reach(snap *Snapshot, n *Namespace) (*nsReach, error) {
	r := &nsReach{id: n.ID, typ: n.Type, fd: -1}
	// A member process: the one whose /proc files describe the namespace.
	for _, pid := range n.Members {
		if s.inNamespace(pid, nsLinkNames[n.Type], n.ID) {
			r.pid = pid
			r.via = "process " + strconv.Itoa(pid)
			break
		}
	}
	if !s.cfg.live() {
		if r.pid == 0 {
			return nil, fmt.Errorf("no member process in the fixture: %w", ErrNotLive)
		}
		return r, nil
	}
	fd, via, err := s.openNS(snap, n, 0)
	if err != nil {
		return nil, err
	}
	r.fd = fd
	if r.pid == 0 {
		r.via = via
	}
	return r, nil
}

// inNamespace reports whether /proc/PID/<link> is namespace id now. On a
// fixture tree the links are text, and the snapshot is trusted.
func (s *Scanner) inNamespace(pid int, link string, id NSID) bool {
	p := s.cfg.procRoot + "/" + strconv.Itoa(pid) + "/" + link
	if !s.cfg.live() {
		return unix.Access(s.cfg.procRoot+"/"+strconv.Itoa(pid), unix.F_OK) == nil
	}
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return false
	}
	return st.Dev == id.Dev && st.Ino == id.Ino
}

// openNS opens an nsfs file of n, trying its members, then its holders in
// the order the snapshot lists them, and returns the fd (checked to be n)
// and how it got there.
func (s *Scanner) openNS(snap *Snapshot, n *Namespace, depth int) (int, string, error) {
	if depth > maxReachDepth {
		return -1, "", fmt.Errorf("namespace chain deeper than %d: %w", maxReachDepth, ErrUnreachable)
	}
	proc := func(pid int, rest string) string { return s.cfg.procRoot + "/" + strconv.Itoa(pid) + "/" + rest }
	try := func(path string) int {
		// O_NONBLOCK: a path from the host (a bind mount point, an fd)
		// may have become a FIFO, whose open would wait for a writer.
		fd, err := openAt(unix.AT_FDCWD, path, unix.O_RDONLY|unix.O_NONBLOCK)
		if err != nil {
			return -1
		}
		if id, err := nsFDID(fd); err != nil || id != n.ID {
			unix.Close(fd)
			return -1
		}
		return fd
	}
	for _, pid := range n.Members {
		if fd := try(proc(pid, nsLinkNames[n.Type])); fd >= 0 {
			return fd, "process " + strconv.Itoa(pid), nil
		}
	}
	for _, h := range n.Holders {
		switch h.Kind {
		case HeldForChildren:
			link := "ns/pid_for_children"
			if n.Type == TimeNS {
				link = "ns/time_for_children"
			}
			if fd := try(proc(h.PID, link)); fd >= 0 {
				return fd, fmt.Sprintf("%s of process %d", link[3:], h.PID), nil
			}
		case HeldByFD:
			if fd := try(proc(h.PID, "fd/"+strconv.Itoa(h.FD))); fd >= 0 {
				return fd, fmt.Sprintf("fd %d of process %d", h.FD, h.PID), nil
			}
		case HeldByBindMount, HeldByNamedNetns:
			word := "bind mount "
			if h.Kind == HeldByNamedNetns {
				word = "named netns " + h.Name + " at "
			}
			for _, p := range s.mountPaths(snap, h) {
				if fd := try(p); fd >= 0 {
					return fd, word + h.Path, nil
				}
			}
		case HeldAsParent, HeldAsOwner:
			via := snap.Namespace(h.Via)
			if via == nil {
				continue
			}
			cfd, _, err := s.openNS(snap, via, depth+1)
			if err != nil {
				continue
			}
			get, word := nsParent, "parent"
			if h.Kind == HeldAsOwner {
				get, word = nsOwner, "owner"
			}
			fd, err := get(cfd)
			unix.Close(cfd)
			if err != nil {
				continue
			}
			if id, err := nsFDID(fd); err != nil || id != n.ID {
				unix.Close(fd)
				continue
			}
			return fd, fmt.Sprintf("%s of %s %s", word, via.Type, via.ID), nil
		}
	}
	return -1, "", fmt.Errorf("no process is in it and nothing that holds it could be opened: %w", ErrUnreachable)
}

// mountPaths returns the paths through which a bind mount can be opened
// from here: the path itself when the mount is in the scanner's own mount
// namespace (or the namespace is unknown), and the path under the root of
// every member of the mount namespace that has it.
func (s *Scanner) mountPaths(snap *Snapshot, h Holder) []string {
	var out []string
	if h.MountNS.IsZero() || h.MountNS == snap.Host.SelfNS[MntNS] {
		out = append(out, h.Path)
	}
	if m := snap.Namespace(h.MountNS); m != nil {
		for i, pid := range m.Members {
			if i == 3 {
				break
			}
			out = append(out, s.cfg.procRoot+"/"+strconv.Itoa(pid)+"/root"+h.Path)
		}
	}
	return out
}
