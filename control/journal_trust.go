package control

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// The journal is state nscope trusts: undo writes the old values it
// holds, as root, into the cgroups it names. So it is opened without
// following a symlink (a link planted at journal.jsonl would make root
// append to the file it points at), and a directory or file that is not
// owned by the effective user, or that group or others may write, is
// refused: whoever can write it can forge the changes undo makes.

// openStateDir opens the journal's directory, creating it (mode 0700)
// when create is set, without following a symlink as its last component,
// and checks it can be trusted. A missing directory, when not creating,
// is os.ErrNotExist.
func (j *Journal) openStateDir(create bool) (int, error) {
	if create {
		if err := os.MkdirAll(j.dir, 0o700); err != nil {
			return -1, fmt.Errorf("journal directory %s: %w: %w", j.dir, err, ErrJournal)
		}
	}
	fd, err := unix.Open(j.dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	switch {
	case errors.Is(err, unix.ENOENT) && !create:
		return -1, os.ErrNotExist
	case errors.Is(err, unix.ELOOP), errors.Is(err, unix.ENOTDIR):
		return -1, fmt.Errorf("journal directory %s is a symlink or not a directory; nscope does not follow it (set NSCOPE_STATE_DIR to a directory of your own): %w", j.dir, ErrJournal)
	case err != nil:
		return -1, fmt.Errorf("journal directory %s: %s: %w", j.dir, Explain(err, ""), ErrJournal)
	}
	if err := checkTrusted(fd, j.dir, "journal directory", unix.S_IFDIR); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// openJournalFile opens the journal file in the directory dirfd with
// flags, never following a symlink, and checks it can be trusted.
func (j *Journal) openJournalFile(dirfd, flags int) (*os.File, error) {
	fd, err := unix.Openat(dirfd, JournalFile, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NOCTTY, 0o600)
	if errors.Is(err, unix.ELOOP) {
		return nil, fmt.Errorf("journal %s is a symlink; nscope does not follow it (someone may want root to write where it points): %w", j.Path(), ErrJournal)
	}
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil, os.ErrNotExist
		}
		return nil, fmt.Errorf("journal %s: %s: %w", j.Path(), Explain(err, ""), ErrJournal)
	}
	if err := checkTrusted(fd, j.Path(), "journal", unix.S_IFREG); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), j.Path()), nil
}

// checkTrusted refuses an open file or directory that is not of the
// wanted type, not owned by the effective user, or writable by group or
// others.
func checkTrusted(fd int, path, what string, typ uint32) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fmt.Errorf("%s %s: %w: %w", what, path, err, ErrJournal)
	}
	euid := os.Geteuid()
	switch {
	case st.Mode&unix.S_IFMT != typ:
		return fmt.Errorf("%s %s is not a regular %s: %w", what, path, map[bool]string{true: "directory", false: "file"}[typ == unix.S_IFDIR], ErrJournal)
	case int(st.Uid) != euid:
		return fmt.Errorf("%s %s is owned by uid %d, not by nscope's effective user (uid %d); refusing to trust it: whoever owns it can forge the changes undo makes (use a directory of your own, e.g. NSCOPE_STATE_DIR): %w",
			what, path, st.Uid, euid, ErrJournal)
	case st.Mode&0o022 != 0:
		return fmt.Errorf("%s %s is writable by group or others (mode %04o); refusing to trust it: they can forge the changes undo makes (chmod go-w %s): %w",
			what, path, st.Mode&0o7777, path, ErrJournal)
	}
	return nil
}
