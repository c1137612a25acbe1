package control

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"golang.org/x/sys/unix"
)

// FS is the cgroup file access and process signalling the write side
// needs. RealFS talks to the kernel; FakeFS is an in-memory cgroupfs for
// tests (including injected kernel errors). Paths are absolute.
type FS interface {
	// ReadFile returns the contents of a cgroup file.
	ReadFile(path string) ([]byte, error)
	// WriteFile writes value to a cgroup file in one write(2), as cgroup
	// files require.
	WriteFile(path string, value []byte) error
	// ResolveDir returns dir with every symlink resolved; an error when it
	// does not exist or is not a directory.
	ResolveDir(dir string) (string, error)
	// CheckCgroupFS returns nil when dir is on a cgroup v1 or v2
	// filesystem, and an error wrapping ErrOutsideCgroupFS otherwise.
	CheckCgroupFS(dir string) error
	// SubDirs returns the names of dir's child directories (child cgroups).
	SubDirs(dir string) ([]string, error)
	// KillProcesses sends SIGKILL to those of pids that members, asked
	// once after every one of them is pinned, says are still in the
	// cgroup: a PID reused by a process elsewhere is never signalled, and
	// a kill of N processes reads the membership once, not N times. It
	// returns the PIDs signalled and the first error.
	KillProcesses(pids []int, members func() (map[int]bool, error)) ([]int, error)
}

// RealFS is the FS of the running kernel.
type RealFS struct{}

// ReadFile reads a cgroup file; errors are the bare errno, since callers
// name the path.
func (RealFS) ReadFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	return data, unwrapPathError(err)
}

// WriteFile writes value in a single write(2) without following a final
// symlink, so the kernel sees the whole value at once.
func (RealFS) WriteFile(path string, value []byte) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NOCTTY, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	for {
		n, err := unix.Write(fd, value)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n != len(value) {
			return fmt.Errorf("short write: %d of %d bytes", n, len(value))
		}
		return nil
	}
}

// ResolveDir resolves symlinks and checks dir is a directory.
func (RealFS) ResolveDir(dir string) (string, error) {
	r, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", unwrapPathError(err)
	}
	st, err := os.Stat(r)
	if err != nil {
		return "", unwrapPathError(err)
	}
	if !st.IsDir() {
		return "", unix.ENOTDIR
	}
	return r, nil
}

// CheckCgroupFS checks the filesystem magic with statfs(2).
func (RealFS) CheckCgroupFS(dir string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", dir, err)
	}
	if st.Type != unix.CGROUP_SUPER_MAGIC && st.Type != unix.CGROUP2_SUPER_MAGIC {
		return fmt.Errorf("%s is on a filesystem with magic %#x: %w", dir, st.Type, ErrOutsideCgroupFS)
	}
	return nil
}

// SubDirs lists child directories, sorted.
func (RealFS) SubDirs(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// KillProcesses pins each PID with a pidfd (pidfd_open(2)), reads the
// membership once, then signals the pinned members through their pidfds
// (pidfd_send_signal(2)), so a PID reused after the membership read is
// never hit. When descriptors run out (EMFILE), the PIDs pinned so far
// are handled and the rest pinned in the next batch. Falls back to
// kill(2) after one membership read on kernels without pidfds. A process
// that is already gone is not an error.
func (RealFS) KillProcesses(pids []int, members func() (map[int]bool, error)) ([]int, error) {
	var signalled []int
	var firstErr error
	note := func(err error) {
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	for len(pids) > 0 {
		type pinned struct{ pid, fd int }
		var batch []pinned
		noPidfd := false
		rest := pids[:0:0]
		for i, pid := range pids {
			fd, err := unix.PidfdOpen(pid, 0)
			switch {
			case err == nil:
				batch = append(batch, pinned{pid, fd})
				continue
			case errors.Is(err, unix.ESRCH):
				continue
			case errors.Is(err, unix.ENOSYS):
				noPidfd = true
			case (errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE)) && len(batch) > 0:
				rest = pids[i:]
			default:
				note(fmt.Errorf("pin PID %d: %w", pid, err))
				continue
			}
			if noPidfd || len(rest) > 0 {
				break
			}
		}
		in, err := members()
		if err != nil {
			for _, p := range batch {
				unix.Close(p.fd)
			}
			note(err)
			return signalled, firstErr
		}
		if noPidfd {
			for _, pid := range pids {
				if !in[pid] {
					continue
				}
				if err := unix.Kill(pid, unix.SIGKILL); err != nil && !errors.Is(err, unix.ESRCH) {
					note(fmt.Errorf("SIGKILL %d: %w", pid, err))
					continue
				}
				signalled = append(signalled, pid)
			}
			rest = nil
		}
		for _, p := range batch {
			if in[p.pid] {
				err := unix.PidfdSendSignal(p.fd, unix.SIGKILL, nil, 0)
				switch {
				case err == nil:
					signalled = append(signalled, p.pid)
				case !errors.Is(err, unix.ESRCH):
					note(fmt.Errorf("SIGKILL %d: %w", p.pid, err))
				}
			}
			unix.Close(p.fd)
		}
		pids = rest
	}
	return signalled, firstErr
}

// unwrapPathError returns the errno inside an *os.PathError so that
// messages name the path once.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
