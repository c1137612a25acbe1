package inspect

import (
	"errors"

	"golang.org/x/sys/unix"
)

// maxProcFile caps how much of one /proc or cgroup file is read. /proc
// files report a size of 0 or 4096 whatever they hold, so they are read
// until EOF into a growing buffer, up to this cap.
const maxProcFile = 4 << 20

// readAt reads the whole file name relative to dirfd into *buf (grown as
// needed and kept for reuse) and returns the bytes read. It is for files
// the kernel writes in one piece (single_open seq files such as stat,
// status and cgroup, cmdline, and cgroup control files), where a read
// that does not fill the buffer has returned everything.
func readAt(dirfd int, name string, buf *[]byte) ([]byte, error) {
	fd, err := openAt(dirfd, name, unix.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	return readAll(fd, buf, true)
}

// readAll reads fd into *buf until EOF. With oneShot, it stops after a
// read that leaves room in the buffer, saving the read that would return
// EOF; only use it for files produced in one piece. Multi-record seq files
// (mountinfo, maps) return at most a page per read and need oneShot false.
func readAll(fd int, buf *[]byte, oneShot bool) ([]byte, error) {
	if cap(*buf) < 4096 {
		*buf = make([]byte, 0, 16384)
	}
	b := (*buf)[:0]
	for {
		if len(b) == cap(b) {
			if cap(b) >= maxProcFile {
				return b, nil
			}
			nb := make([]byte, len(b), 2*cap(b))
			copy(nb, b)
			b = nb
			*buf = b
		}
		n, err := unix.Read(fd, b[len(b):cap(b)])
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return nil, err
		}
		b = b[:len(b)+n]
		if n == 0 || (oneShot && len(b) < cap(b)) {
			return b, nil
		}
	}
}

// openAt opens name relative to dirfd, retrying on EINTR.
func openAt(dirfd int, name string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, flags|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
		if err == unix.EINTR {
			continue
		}
		return fd, err
	}
}

// vanished reports whether err means the object went away while we read it
// (process exited, cgroup removed): such objects are skipped silently.
func vanished(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH) || errors.Is(err, unix.ENOTDIR)
}

// denied reports whether err is a permission failure that must be counted.
func denied(err error) bool {
	return errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM)
}

// errnoName returns the symbolic name of the errno inside err ("EACCES"),
// or the error text when there is none.
func errnoName(err error) string {
	var errno unix.Errno
	if errors.As(err, &errno) {
		if name := unix.ErrnoName(errno); name != "" {
			return name
		}
	}
	return err.Error()
}
