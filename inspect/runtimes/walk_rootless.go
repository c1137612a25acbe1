package runtimes

import (
	"bytes"
	"path/filepath"
	"strconv"
)

// rootless reads the containers/storage of every user with a runtime
// directory under /run/user, where readable: their storage.conf, else
// ~/.local/share/containers/storage and /run/user/UID/containers.
func (p *pass) rootless() {
	names, _ := p.list(p.path("/run/user"))
	var homes map[int]string
	for _, n := range names {
		uid, err := strconv.Atoi(n)
		if err != nil || uid <= 0 {
			continue
		}
		p.users = append(p.users, uid)
		if homes == nil {
			v, ok := p.load(p.path("/etc/passwd"), func(b []byte) (any, error) { return ParsePasswdHomes(b), nil })
			if !ok {
				homes = map[int]string{}
			} else {
				homes = v.(map[int]string)
			}
		}
		home := homes[uid]
		if home == "" || !filepath.IsAbs(home) {
			continue
		}
		graph := filepath.Join(home, ".local/share/containers/storage")
		run := filepath.Join("/run/user", n, "containers")
		if v, ok := p.load(p.path(filepath.Join(home, ".config/containers/storage.conf")), func(b []byte) (any, error) { return ParseStorageConfig(b), nil }); ok {
			c := v.(StorageConfig)
			if filepath.IsAbs(c.GraphRoot) {
				graph = c.GraphRoot
			}
			if filepath.IsAbs(c.RunRoot) {
				run = c.RunRoot
			}
		}
		p.storageAt(p.path(graph), p.path(run), uid)
	}
}

// ParsePasswdHomes returns the home directory of every user in an
// /etc/passwd file, by UID.
func ParsePasswdHomes(data []byte) map[int]string {
	homes := map[int]string{}
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		f := bytes.Split(line, []byte(":"))
		if len(f) < 7 {
			continue
		}
		uid, err := strconv.Atoi(string(f[2]))
		if err != nil || uid < 0 {
			continue
		}
		if _, dup := homes[uid]; !dup {
			homes[uid] = string(f[5])
		}
	}
	return homes
}
