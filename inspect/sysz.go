package inspect

import (
	"bytes"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The hot path of a scan makes tens of thousands of openat and readlinkat
// calls with a handful of fixed names. These helpers take NUL-terminated
// names so that no C string is allocated per call.

// cstr returns s as a NUL-terminated byte slice.
func cstr(s string) []byte { return append([]byte(s), 0) }

// openatZ is openat(2) with a NUL-terminated name, retrying on EINTR.
func openatZ(dirfd int, name []byte, flags int) (int, error) {
	for {
		r, _, e := unix.Syscall6(unix.SYS_OPENAT, uintptr(dirfd), uintptr(unsafe.Pointer(&name[0])),
			uintptr(flags|unix.O_CLOEXEC|unix.O_NOCTTY), 0, 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return -1, e
		}
		return int(r), nil
	}
}

// readlinkatZ is readlinkat(2) with a NUL-terminated name.
func readlinkatZ(dirfd int, name []byte, buf []byte) ([]byte, error) {
	for {
		r, _, e := unix.Syscall6(unix.SYS_READLINKAT, uintptr(dirfd), uintptr(unsafe.Pointer(&name[0])),
			uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return nil, e
		}
		return buf[:r], nil
	}
}

// readAtZ is readAt with a NUL-terminated name.
func readAtZ(dirfd int, name []byte, buf *[]byte) ([]byte, error) {
	fd, err := openatZ(dirfd, name, unix.O_RDONLY)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	return readAll(fd, buf, true)
}

// readDirents calls fn for every entry of the open directory fd, with its
// NUL-terminated name (valid only during the call) and d_type, until
// getdents returns nothing: a call that leaves room in the buffer is not
// the end, as the kernel cuts a batch short when a signal is pending
// (filldir64 in fs/readdir.c), and Go's preemption sends them. See
// getdents64(2).
func readDirents(fd int, buf []byte, fn func(namez []byte, typ uint8)) error {
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n <= 0 {
			return nil
		}
		forEachDirent(buf[:n], fn)
	}
}

// direntName strips the NUL terminator and padding from a dirent name.
func direntName(namez []byte) []byte {
	if i := bytes.IndexByte(namez, 0); i >= 0 {
		return namez[:i]
	}
	return namez
}
