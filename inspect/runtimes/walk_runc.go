package runtimes

import (
	"os"
	"path/filepath"
	"strconv"
)

// runcRoot is a directory of runc or crun container states.
type runcRoot struct {
	runtime string
	dir     string
	uid     int
}

// runcStates reads every runc and crun root: the states of containers
// another runtime named fill in their PIDs and cgroups; the rest were run
// with runc or crun directly.
func (p *pass) runcStates() {
	roots := append([]runcRoot{
		{runtime: Runc, dir: p.path("/run/runc")},
		{runtime: Crun, dir: p.path("/run/crun")},
	}, p.runcRoots...)
	for _, uid := range p.users {
		base := p.path(filepath.Join("/run/user", strconv.Itoa(uid)))
		roots = append(roots, runcRoot{Runc, filepath.Join(base, "runc"), uid}, runcRoot{Crun, filepath.Join(base, "crun"), uid})
	}
	for _, root := range roots {
		ids, ok := p.list(root.dir)
		if !ok {
			continue
		}
		src := -1
		for _, id := range ids {
			if old := p.lookup(id); old != nil && old.Runtime == Docker && old.PID != 0 {
				// docker recorded the PID and names the container in its
				// cgroup path: its runc state (~30 KiB) adds nothing.
				continue
			}
			r := p.runcState(root, id)
			if r == nil {
				continue
			}
			if old := p.lookup(id); old != nil {
				fill(old, r)
				continue
			}
			// Run directly: created until started, while exec.fifo exists.
			r.State = "running"
			if _, err := os.Lstat(filepath.Join(root.dir, id, "exec.fifo")); err == nil {
				r.State = "created"
			}
			if src < 0 {
				src = p.source(root.runtime, root.dir)
			}
			p.sources[src].Containers++
			p.add(r)
		}
	}
}

// runcState reads one container's state in a runc or crun root.
func (p *pass) runcState(root runcRoot, id string) *Record {
	var path string
	var v any
	var ok bool
	trusted := p.dirUnchanged(filepath.Join(root.dir, id))
	if root.runtime == Crun {
		path = filepath.Join(root.dir, id, "status")
		v, ok = p.loadIn(trusted, path, func(b []byte) (any, error) { return ParseCrunStatus(id, b) })
	} else {
		path = filepath.Join(root.dir, id, "state.json")
		v, ok = p.loadIn(trusted, path, func(b []byte) (any, error) { return ParseRuncState(b) })
	}
	if !ok {
		return nil
	}
	r := *v.(*Record)
	r.Source, r.UID = p.rel(path), root.uid
	return &r
}

// itoa formats n in decimal.
func itoa(n int) string { return strconv.Itoa(n) }
