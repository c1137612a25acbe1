package control

import (
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
)

// FakeFS is an in-memory cgroupfs for tests of nscope's write side and of
// its callers (the TUI's edit dialogs). It holds files and directories by
// absolute path, emulates the kernel's checks for the limit, freeze and
// kill files of v1 and v2 (see fakekernel.go), records every write, and
// returns errnos injected with FailWrite and FailRead. Safe for
// concurrent use.
type FakeFS struct {
	mu        sync.Mutex
	files     map[string]string
	dirs      map[string]bool
	writeErrs map[string]error
	readErrs  map[string]error
	symlinks  map[string]string
	foreign   map[string]bool
	blockDevs map[string]bool
	writes    []string
	killed    []int
	onWrite   func(path, value string)
}

// NewFakeFS returns an empty FakeFS.
func NewFakeFS() *FakeFS {
	return &FakeFS{
		files: map[string]string{}, dirs: map[string]bool{}, writeErrs: map[string]error{},
		readErrs: map[string]error{}, symlinks: map[string]string{}, foreign: map[string]bool{},
		blockDevs: map[string]bool{"8:0": true, "259:0": true},
	}
}

// FakeRoot is where NewFakeHost mounts its hierarchies.
const FakeRoot = "/fake/sys/fs/cgroup"

// NewFakeHost returns a FakeFS holding the root cgroups of a host in the
// given mode and its layout. Legacy and hybrid mirror a Debian host with
// one v1 hierarchy per controller (cpu, cpuacct, cpuset, memory, devices,
// freezer, blkio, pids, name=systemd), hybrid adding an empty cgroup2 at
// unified/; unified has cgroup2 at the top with cpu, memory, pids and io.
func NewFakeHost(mode inspect.CgroupMode) (*FakeFS, inspect.CgroupLayout) {
	f := NewFakeFS()
	layout := inspect.CgroupLayout{Mode: mode}
	if mode == inspect.CgroupUnified {
		layout.Hierarchies = []inspect.Hierarchy{{ID: 0, Version: 2, Controllers: []string{"cpu", "memory", "pids", "io"}, Mount: FakeRoot}}
	} else {
		for i, c := range []string{"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"} {
			layout.Hierarchies = append(layout.Hierarchies, inspect.Hierarchy{ID: i + 1, Version: 1, Controllers: []string{c}, Mount: filepath.Join(FakeRoot, c)})
		}
		layout.Hierarchies = append(layout.Hierarchies, inspect.Hierarchy{ID: 9, Version: 1, Name: "systemd", Mount: filepath.Join(FakeRoot, "systemd")})
		if mode == inspect.CgroupHybrid {
			layout.Hierarchies = append(layout.Hierarchies, inspect.Hierarchy{ID: 0, Version: 2, Mount: filepath.Join(FakeRoot, "unified")})
		}
	}
	for i := range layout.Hierarchies {
		f.mkdir(&layout.Hierarchies[i], "/")
	}
	return f, layout
}

// AddCgroup creates the cgroup (and its parents) in every hierarchy of
// the layout, with each controller's files at their kernel defaults.
func (f *FakeFS) AddCgroup(layout inspect.CgroupLayout, path string) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := range layout.Hierarchies {
		for n := 1; n <= len(parts); n++ {
			f.mkdir(&layout.Hierarchies[i], "/"+strings.Join(parts[:n], "/"))
		}
	}
}

// mkdir creates one cgroup directory with default files, like mkdir(2)
// in a cgroupfs.
func (f *FakeFS) mkdir(h *inspect.Hierarchy, path string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	dir := filepath.Join(h.Mount, path)
	if f.dirs[dir] {
		return
	}
	f.dirs[dir] = true
	root := path == "/"
	set := func(name, value string) { f.files[filepath.Join(dir, name)] = value }
	set("cgroup.procs", "")
	if h.Version == 2 {
		set("cgroup.controllers", strings.Join(h.Controllers, " "))
		set("cgroup.subtree_control", strings.Join(h.Controllers, " "))
		if root {
			return
		}
		set("cgroup.freeze", "0")
		set("cgroup.events", "populated 0\nfrozen 0")
		set("cgroup.kill", "")
		for _, c := range h.Controllers {
			switch c {
			case "cpu":
				set("cpu.max", "max 100000")
				set("cpu.weight", "100")
			case "memory":
				set("memory.max", "max")
				set("memory.high", "max")
				set("memory.low", "0")
				set("memory.current", "0")
			case "pids":
				set("pids.max", "max")
			case "io":
				set("io.max", "")
			}
		}
		return
	}
	for _, c := range h.Controllers {
		switch c {
		case "cpu":
			set("cpu.cfs_quota_us", "-1")
			set("cpu.cfs_period_us", "100000")
			set("cpu.shares", "1024")
		case "memory":
			set("memory.limit_in_bytes", "9223372036854771712")
			set("memory.usage_in_bytes", "0")
		case "pids":
			if !root {
				set("pids.max", "max")
			}
		case "freezer":
			if !root {
				set("freezer.state", "THAWED")
			}
		}
	}
}

// SetFile sets a file's content (e.g. memory.usage_in_bytes, or procs).
func (f *FakeFS) SetFile(path, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[path] = value
}

// File returns a file's content, or "" when it does not exist.
func (f *FakeFS) File(path string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.files[path]
}

// AddProcs appends PIDs to a cgroup directory's cgroup.procs.
func (f *FakeFS) AddProcs(dir string, pids ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := filepath.Join(dir, "cgroup.procs")
	cur := strings.Fields(f.files[p])
	for _, pid := range pids {
		cur = append(cur, strconv.Itoa(pid))
	}
	f.files[p] = strings.Join(cur, "\n")
}

// FailWrite makes writes to target fail with err (usually a unix.Errno).
// target is an absolute path or a bare file name ("memory.max") that
// matches in every directory. A nil err removes the injection.
func (f *FakeFS) FailWrite(target string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		delete(f.writeErrs, target)
		return
	}
	f.writeErrs[target] = err
}

// FailRead makes reads of target (a path or a bare file name) fail.
func (f *FakeFS) FailRead(target string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		delete(f.readErrs, target)
		return
	}
	f.readErrs[target] = err
}

// Symlink makes the directory path link resolve to target.
func (f *FakeFS) Symlink(link, target string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.symlinks[link] = target
	f.dirs[link] = true
	f.dirs[target] = true
}

// MarkForeign marks dir (and below) as not a cgroup filesystem.
func (f *FakeFS) MarkForeign(dir string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.foreign[dir] = true
}

// OnWrite calls fn after every successful write (e.g. to make a process
// fork while a kill is in progress).
func (f *FakeFS) OnWrite(fn func(path, value string)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onWrite = fn
}

// Writes returns the successful writes so far as "path=value", in order.
func (f *FakeFS) Writes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.writes...)
}

// Killed returns the PIDs KillProcesses signalled, in order.
func (f *FakeFS) Killed() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.killed...)
}

func (f *FakeFS) injected(m map[string]error, path string) error {
	if err, ok := m[path]; ok {
		return err
	}
	return m[filepath.Base(path)]
}

// ReadFile returns a file's content, ENOENT when it does not exist.
func (f *FakeFS) ReadFile(path string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.injected(f.readErrs, path); err != nil {
		return nil, err
	}
	v, ok := f.files[path]
	if !ok {
		if f.dirs[path] {
			return nil, unix.EISDIR
		}
		return nil, unix.ENOENT
	}
	if v != "" && !strings.HasSuffix(v, "\n") {
		v += "\n"
	}
	return []byte(v), nil
}

// WriteFile emulates a write(2) to a cgroup file: injected errors first,
// then the kernel's checks, then the new content.
func (f *FakeFS) WriteFile(path string, value []byte) error {
	f.mu.Lock()
	if err := f.injected(f.writeErrs, path); err != nil {
		f.mu.Unlock()
		return err
	}
	if _, ok := f.files[path]; !ok {
		f.mu.Unlock()
		return unix.ENOENT
	}
	if err := f.kernelWrite(path, strings.TrimSpace(string(value))); err != nil {
		f.mu.Unlock()
		return err
	}
	f.writes = append(f.writes, path+"="+string(value))
	hook := f.onWrite
	f.mu.Unlock()
	if hook != nil {
		hook(path, string(value))
	}
	return nil
}

// ResolveDir follows symlinks registered with Symlink.
func (f *FakeFS) ResolveDir(dir string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	dir = filepath.Clean(dir)
	for i := 0; i < 40; i++ {
		changed := false
		for link, target := range f.symlinks {
			if dir == link || strings.HasPrefix(dir, link+"/") {
				dir = filepath.Join(target, strings.TrimPrefix(dir, link))
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	if !f.dirs[dir] {
		if _, ok := f.files[dir]; ok {
			return "", unix.ENOTDIR
		}
		return "", unix.ENOENT
	}
	return dir, nil
}

// CheckCgroupFS fails for directories marked with MarkForeign.
func (f *FakeFS) CheckCgroupFS(dir string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for d := range f.foreign {
		if dir == d || strings.HasPrefix(dir, d+"/") {
			return &KernelError{Op: "statfs", Path: dir, Err: ErrOutsideCgroupFS}
		}
	}
	return nil
}

// SubDirs lists child directories.
func (f *FakeFS) SubDirs(dir string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.dirs[dir] {
		return nil, unix.ENOENT
	}
	var out []string
	for d := range f.dirs {
		if filepath.Dir(d) == dir && d != dir {
			if _, link := f.symlinks[d]; !link {
				out = append(out, filepath.Base(d))
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// KillProcesses asks members once and removes each PID it lists from
// every cgroup.procs.
func (f *FakeFS) KillProcesses(pids []int, members func() (map[int]bool, error)) ([]int, error) {
	in, err := members()
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var signalled []int
	for _, pid := range pids {
		if in[pid] {
			f.killed = append(f.killed, pid)
			signalled = append(signalled, pid)
			f.removeProc(pid)
		}
	}
	return signalled, nil
}

func (f *FakeFS) removeProc(pid int) {
	ps := strconv.Itoa(pid)
	for path, v := range f.files {
		if filepath.Base(path) != "cgroup.procs" {
			continue
		}
		var keep []string
		for _, p := range strings.Fields(v) {
			if p != ps {
				keep = append(keep, p)
			}
		}
		f.files[path] = strings.Join(keep, "\n")
	}
}
