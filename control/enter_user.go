package control

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// maxAccountFile caps reads of a target's /etc/passwd and /etc/group.
const maxAccountFile = 1 << 20

// passwdUser is one line of passwd(5).
type passwdUser struct {
	Name     string
	UID, GID int64
	Home     string
}

// groupEntry is one line of group(5).
type groupEntry struct {
	Name    string
	GID     int64
	Members []string
}

// parsePasswd parses passwd(5) lines; malformed ones are skipped (the file
// is the target's, and anything may be in it).
func parsePasswd(data []byte) []passwdUser {
	var out []passwdUser
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		f := strings.Split(string(line), ":")
		if len(f) < 6 || f[0] == "" || strings.HasPrefix(f[0], "#") {
			continue
		}
		uid, err1 := parseID([]byte(f[2]))
		gid, err2 := parseID([]byte(f[3]))
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, passwdUser{Name: f[0], UID: uid, GID: gid, Home: f[5]})
	}
	return out
}

// parseGroup parses group(5) lines; malformed ones are skipped.
func parseGroup(data []byte) []groupEntry {
	var out []groupEntry
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		f := strings.Split(string(line), ":")
		if len(f) < 3 || f[0] == "" || strings.HasPrefix(f[0], "#") {
			continue
		}
		gid, err := parseID([]byte(f[2]))
		if err != nil {
			continue
		}
		g := groupEntry{Name: f[0], GID: gid}
		if len(f) > 3 && f[3] != "" {
			g.Members = strings.Split(f[3], ",")
		}
		out = append(out, g)
	}
	return out
}

// execUser is a user as the command takes it.
type execUser struct {
	Name   string // "" when passwd does not know the UID
	UID    int64
	GID    int64
	Groups []int64
	Home   string
}

// errNoSuchUser and errNoSuchGroup are resolveUser's refusals.
var (
	errNoSuchUser  = errors.New("no such user")
	errNoSuchGroup = errors.New("no such group")
)

// resolveUser resolves "user[:group]" as runc does for docker exec --user:
// a name must be in passwd; a number need not be (then its group is 0 and
// its home "/"); the group defaults to the user's primary group, and the
// supplementary groups are those of group(5) that list the user's name.
func resolveUser(spec string, users []passwdUser, groups []groupEntry) (execUser, error) {
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	u := execUser{Home: "/"}
	var found *passwdUser
	if n, err := parseID([]byte(userPart)); err == nil {
		u.UID = n
		for i := range users {
			if users[i].UID == n {
				found = &users[i]
				break
			}
		}
	} else {
		for i := range users {
			if users[i].Name == userPart {
				found = &users[i]
				break
			}
		}
		if found == nil {
			return u, fmt.Errorf("user %q: %w in the target's /etc/passwd", userPart, errNoSuchUser)
		}
		u.UID = found.UID
	}
	if found != nil {
		u.Name, u.GID = found.Name, found.GID
		if filepath.IsAbs(found.Home) {
			u.Home = found.Home
		}
		for _, g := range groups {
			if slices.Contains(g.Members, found.Name) && g.GID != u.GID && !slices.Contains(u.Groups, g.GID) {
				u.Groups = append(u.Groups, g.GID)
			}
		}
	}
	if hasGroup {
		if n, err := parseID([]byte(groupPart)); err == nil {
			u.GID = n
		} else {
			i := slices.IndexFunc(groups, func(g groupEntry) bool { return g.Name == groupPart })
			if i < 0 {
				return u, fmt.Errorf("group %q: %w in the target's /etc/group", groupPart, errNoSuchGroup)
			}
			u.GID = groups[i].GID
		}
	}
	return u, nil
}

// checkUserSpec refuses a --user that is not "user[:group]" of names or
// numbers.
func checkUserSpec(spec string) error {
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	ok := func(s string) bool {
		return s != "" && len(s) <= 256 && !strings.ContainsFunc(s, func(r rune) bool {
			return r <= ' ' || r == 0x7f || r == ':' || r == '/'
		})
	}
	if !ok(userPart) || (hasGroup && !ok(groupPart)) {
		return fmt.Errorf("user %q: want NAME or UID, optionally :GROUP or :GID, as docker exec --user takes it", spec)
	}
	return nil
}

// readInRoot reads path inside root (a path of ours, like /proc/PID/root)
// as if root were "/": absolute symlinks in the target resolve inside it.
func readInRoot(root, path string) ([]byte, error) {
	rootfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(rootfd)
	fd, err := unix.Openat2(rootfd, path, &unix.OpenHow{Flags: unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NONBLOCK, Resolve: unix.RESOLVE_IN_ROOT})
	if errors.Is(err, unix.ENOSYS) {
		fd, err = unix.Open(filepath.Join(root, path), unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	}
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	buf := make([]byte, 0, 4096)
	chunk := make([]byte, 32<<10)
	for len(buf) <= maxAccountFile {
		n, err := unix.Read(fd, chunk)
		if n > 0 {
			buf = append(buf, chunk[:n]...)
		}
		if err != nil || n == 0 {
			unix.Close(fd)
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, err
			}
			return buf, nil
		}
	}
	unix.Close(fd)
	return nil, fmt.Errorf("%s is larger than %d bytes", path, maxAccountFile)
}

// homeOf returns uid's home in users, or "/".
func homeOf(users []passwdUser, uid int64) string {
	for _, u := range users {
		if u.UID == uid && filepath.IsAbs(u.Home) {
			return u.Home
		}
	}
	return "/"
}

// nameOf returns uid's name in users, or "".
func nameOf(users []passwdUser, uid int64) string {
	for _, u := range users {
		if u.UID == uid {
			return u.Name
		}
	}
	return ""
}

// formatIDs renders IDs for messages: "0, 10, 27".
func formatIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ", ")
}
