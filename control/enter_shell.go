package control

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"
)

// defaultShells are tried after the caller's $SHELL, in order.
var defaultShells = []string{"/bin/bash", "/bin/sh"}

// findShell returns the first of shell (the caller's $SHELL, if absolute),
// /bin/bash and /bin/sh that is an executable file inside root, and the
// list of what it tried. root is the target's root as a path of ours
// (/proc/PID/root) or "/".
func findShell(root, shell string) (string, []string, error) {
	var tried []string
	candidates := defaultShells
	if filepath.IsAbs(shell) {
		candidates = append([]string{filepath.Clean(shell)}, defaultShells...)
	}
	rootfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", nil, fmt.Errorf("open %s: %w", root, err)
	}
	defer unix.Close(rootfd)
	var lastErr error
	for _, c := range candidates {
		if slices.Contains(tried, c) {
			continue
		}
		tried = append(tried, c)
		if err := executableIn(rootfd, root, c); err != nil {
			lastErr = err
			continue
		}
		return c, tried, nil
	}
	return "", tried, lastErr
}

// executableIn checks that path, resolved inside the directory rootfd as if
// it were "/", is a regular file with an execute bit. Absolute symlinks in
// the target (/bin/sh -> /usr/bin/dash) resolve inside it too.
func executableIn(rootfd int, root, path string) error {
	fd, err := unix.Openat2(rootfd, path, &unix.OpenHow{
		Flags:   unix.O_PATH | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_IN_ROOT,
	})
	if errors.Is(err, unix.ENOSYS) {
		// openat2(2) is Linux 5.6+; a plain join misreads absolute
		// symlinks but finds the common case.
		fd, err = unix.Open(filepath.Join(root, path), unix.O_PATH|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if st.Mode&0o111 == 0 {
		return fmt.Errorf("%s is not executable", path)
	}
	return nil
}
