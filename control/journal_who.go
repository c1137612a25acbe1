package control

import (
	"bytes"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"sync"
)

// noLoginUID is what /proc/self/loginuid reads when the session has no
// login user (a daemon, a container, a system without audit login).
const noLoginUID = 4294967295

// CurrentUser returns who runs this nscope, for the journal's "user":
// the login user of the session (the audit loginuid, which sudo and su
// keep, so that two operators who are both root are told apart), else
// the user sudo was run by (SUDO_USER), else the real user. A user
// without a name is "uid N". See pam_loginuid(8) and proc(5).
func CurrentUser() string {
	currentUserOnce.Do(func() { currentUser = lookupCurrentUser("/proc/self/loginuid", os.Getenv, os.Getuid()) })
	return currentUser
}

var (
	currentUserOnce sync.Once
	currentUser     string
)

// lookupCurrentUser is CurrentUser reading the loginuid file, the
// environment and the real UID given.
func lookupCurrentUser(loginUIDFile string, getenv func(string) string, uid int) string {
	if data, err := os.ReadFile(loginUIDFile); err == nil {
		if n, ok := parseLoginUID(data); ok {
			return userName(n)
		}
	}
	if name := getenv("SUDO_USER"); name != "" && getenv("SUDO_UID") != "" && validUserName(name) {
		return name
	}
	return userName(uid)
}

// parseLoginUID parses /proc/self/loginuid; false when it is unset.
func parseLoginUID(data []byte) (int, bool) {
	n, err := strconv.ParseUint(string(bytes.TrimSpace(data)), 10, 32)
	if err != nil || n == noLoginUID {
		return 0, false
	}
	return int(n), true
}

// userName names uid from the user database, "uid N" when it has none.
func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil && validUserName(u.Username) {
		return u.Username
	}
	return fmt.Sprintf("uid %d", uid)
}

// validUserName accepts what useradd(8) does (and a little more), so a
// name from the environment cannot put control characters or a line
// break into the journal and the history.
func validUserName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '.', r == '@', r == '$':
		default:
			return false
		}
	}
	return true
}

// WithUser records user as who makes the editor's changes instead of
// CurrentUser (tests use it to be two operators).
func WithUser(user string) Option { return func(e *Editor) { e.user = user } }

// Who says who made a change: "alice (PID 4711)"; a change journaled by
// an nscope that did not record users is "uid 0 (PID 4711)".
func (c Change) Who() string {
	who := c.User
	if who == "" {
		who = fmt.Sprintf("uid %d", c.UID)
	}
	return fmt.Sprintf("%s (PID %d)", who, c.PID)
}

// User returns who the editor journals as making its changes: WithUser's
// user, else CurrentUser.
func (e *Editor) User() string {
	if e.user != "" {
		return e.user
	}
	return CurrentUser()
}
