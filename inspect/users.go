package inspect

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"time"
)

// userNames maps UIDs to names from a passwd file. It is reloaded when the
// file changes, checked at most once per scan.
type userNames struct {
	path  string
	mu    sync.RWMutex
	names map[int]string
	mtime time.Time
}

// refresh reloads the passwd file if it changed since the last load.
func (u *userNames) refresh() {
	fi, err := os.Stat(u.path)
	if err != nil {
		u.mu.Lock()
		u.names = nil
		u.mu.Unlock()
		return
	}
	u.mu.RLock()
	same := u.names != nil && fi.ModTime().Equal(u.mtime)
	u.mu.RUnlock()
	if same {
		return
	}
	data, err := os.ReadFile(u.path)
	if err != nil {
		return
	}
	names := parsePasswd(data)
	u.mu.Lock()
	u.names, u.mtime = names, fi.ModTime()
	u.mu.Unlock()
}

// name returns the user name for uid, or the number as text.
func (u *userNames) name(uid int) string {
	u.mu.RLock()
	n, ok := u.names[uid]
	u.mu.RUnlock()
	if ok {
		return n
	}
	return strconv.Itoa(uid)
}

// parsePasswd reads name:x:uid:... lines; the first name for a UID wins.
func parsePasswd(data []byte) map[int]string {
	names := map[int]string{}
	for _, line := range bytes.Split(data, []byte{'\n'}) {
		f := bytes.SplitN(line, []byte{':'}, 4)
		if len(f) < 4 || len(f[0]) == 0 || f[0][0] == '#' {
			continue
		}
		uid, err := atoi(f[2])
		if err != nil {
			continue
		}
		if _, dup := names[uid]; !dup {
			names[uid] = string(f[0])
		}
	}
	return names
}
