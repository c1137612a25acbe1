package control

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
)

// LaunchCgroup is a launched command's cgroup in one hierarchy.
type LaunchCgroup struct {
	// Hierarchy is where it lives.
	Hierarchy inspect.Hierarchy
	// Path is its path inside the hierarchy, as /proc/PID/cgroup prints
	// it ("/nscope/nscope-run-42").
	Path string
	// Dir is its directory.
	Dir string
}

// planCgroups places the cgroup name under parent in every mounted
// hierarchy. A relative parent is taken beneath our own cgroup there.
func (l *Launcher) planCgroups(parent, name string) ([]LaunchCgroup, error) {
	const allowed = `want a cgroup path: absolute inside every hierarchy ("/nscope"), or relative to nscope's own cgroup ("." or "tests")`
	if parent == "" {
		parent = DefaultCgroupParent
	}
	for _, r := range parent {
		if r < 0x20 || r == 0x7f {
			return nil, invalid("cgroup parent", parent, "contains a control character; %s", allowed)
		}
	}
	for _, part := range strings.Split(parent, "/") {
		if part == ".." {
			return nil, invalid("cgroup parent", parent, `".." is not allowed; %s`, allowed)
		}
	}
	layout, err := l.cgroupLayout()
	if err != nil {
		return nil, err
	}
	var own map[int]string
	if !filepath.IsAbs(parent) {
		data, err := readProcFile(filepath.Join(l.procRoot, "self", "cgroup"))
		if err != nil {
			return nil, fmt.Errorf("read our own cgroups for the relative cgroup parent %q: %w", parent, err)
		}
		own = ownCgroups(data)
	}
	var out []LaunchCgroup
	for _, h := range layout.Hierarchies {
		base := parent
		if own != nil {
			ours, ok := own[h.ID]
			if !ok {
				return nil, invalid("cgroup parent", parent, "nscope has no cgroup in the %s hierarchy to be relative to; %s", h.Label(), allowed)
			}
			base = filepath.Join(ours, parent)
		}
		path := filepath.Join("/", base, name)
		out = append(out, LaunchCgroup{Hierarchy: h, Path: path, Dir: filepath.Join(h.Mount, path)})
	}
	return out, nil
}

func (l *Launcher) cgroupLayout() (inspect.CgroupLayout, error) {
	if l.layout != nil {
		return *l.layout, nil
	}
	layout, err := inspect.DetectCgroupLayout(l.procRoot, l.sysRoot)
	if err != nil {
		return layout, err
	}
	l.layout = &layout
	return layout, nil
}

// ownCgroups maps hierarchy IDs to paths from /proc/self/cgroup lines
// "ID:controllers:path" (ID 0 is cgroup v2).
func ownCgroups(data []byte) map[int]string {
	out := map[int]string{}
	for _, line := range bytes.Split(data, []byte("\n")) {
		parts := bytes.SplitN(line, []byte(":"), 3)
		if len(parts) != 3 {
			continue
		}
		id, err := strconv.Atoi(string(parts[0]))
		if err != nil {
			continue
		}
		out[id] = string(parts[2])
	}
	return out
}

// madeCgroups are the leaf directories a launch created, to remove later.
type madeCgroups struct {
	dirs []string
}

// createCgroups makes every planned cgroup: missing parents first (v1
// cpuset ones inherit cpuset.cpus and cpuset.mems, or no process could
// join them), then, on v2, enables controllers for the parent's children,
// then the cgroup itself, which must not exist yet. On failure what was
// made is removed again.
func createCgroups(cgs []LaunchCgroup, v2Controllers []string) (*madeCgroups, error) {
	made := &madeCgroups{}
	for _, cg := range cgs {
		parent := filepath.Dir(cg.Path)
		if err := mkdirParents(cg.Hierarchy, parent); err != nil {
			made.remove()
			return nil, err
		}
		if cg.Hierarchy.Version == 2 && len(v2Controllers) > 0 {
			if err := enableControllers(cg.Hierarchy, parent, v2Controllers); err != nil {
				made.remove()
				return nil, err
			}
		}
		if err := os.Mkdir(cg.Dir, 0o755); err != nil {
			made.remove()
			if errors.Is(err, os.ErrExist) {
				return nil, fmt.Errorf("cgroup %s already exists in the %s hierarchy (%s): another launch uses this name; choose another name: %w",
					cg.Path, cg.Hierarchy.Label(), cg.Dir, ErrRefused)
			}
			return nil, &KernelError{Op: "create cgroup", Path: cg.Dir, Err: unwrapErrno(err)}
		}
		made.dirs = append(made.dirs, cg.Dir)
		if needsCpusetCopy(cg.Hierarchy) {
			if err := inheritCpuset(cg.Dir); err != nil {
				made.remove()
				return nil, err
			}
		}
	}
	return made, nil
}

// mkdirParents creates the directories of path below the hierarchy's
// mount that are missing. They are left in place afterwards: other
// launches may share them.
func mkdirParents(h inspect.Hierarchy, path string) error {
	dir := h.Mount
	for _, part := range strings.Split(strings.Trim(path, "/"), "/") {
		if part == "" {
			continue
		}
		dir = filepath.Join(dir, part)
		err := os.Mkdir(dir, 0o755)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return &KernelError{Op: "create cgroup", Path: dir, Err: unwrapErrno(err)}
		}
		if needsCpusetCopy(h) {
			if err := inheritCpuset(dir); err != nil {
				return err
			}
		}
	}
	return nil
}

// needsCpusetCopy reports whether new cgroups in h start with empty
// cpuset.cpus and cpuset.mems: v1 cpuset hierarchies. On v2 an empty
// cpuset means "the parent's".
func needsCpusetCopy(h inspect.Hierarchy) bool { return h.Version == 1 && h.Has("cpuset") }

// inheritCpuset copies cpuset.cpus and cpuset.mems from the parent when
// they are empty in dir (v1 leaves them empty unless the parent sets
// cgroup.clone_children).
func inheritCpuset(dir string) error {
	for _, file := range []string{"cpuset.cpus", "cpuset.mems"} {
		own, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			return &KernelError{Op: "read", Path: filepath.Join(dir, file), Err: unwrapErrno(err)}
		}
		if len(bytes.TrimSpace(own)) > 0 {
			continue
		}
		val, err := os.ReadFile(filepath.Join(filepath.Dir(dir), file))
		if err != nil {
			return &KernelError{Op: "read", Path: filepath.Join(filepath.Dir(dir), file), Err: unwrapErrno(err)}
		}
		if err := os.WriteFile(filepath.Join(dir, file), bytes.TrimSpace(val), 0); err != nil {
			return &KernelError{Op: "write", Path: filepath.Join(dir, file), Value: string(bytes.TrimSpace(val)), Err: unwrapErrno(err)}
		}
	}
	return nil
}

// enableControllers makes the controllers available to the children of
// path: each must be in cgroup.subtree_control of every cgroup from the
// root down to path. Controllers already enabled are not written. See
// cgroup-v2.rst, "Enabling and Disabling".
func enableControllers(h inspect.Hierarchy, path string, controllers []string) error {
	dir := h.Mount
	parts := []string{""}
	for _, p := range strings.Split(strings.Trim(path, "/"), "/") {
		if p != "" {
			parts = append(parts, p)
		}
	}
	for _, part := range parts {
		dir = filepath.Join(dir, part)
		file := filepath.Join(dir, "cgroup.subtree_control")
		cur, err := os.ReadFile(file)
		if err != nil {
			return &KernelError{Op: "read", Path: file, Err: unwrapErrno(err)}
		}
		enabled := strings.Fields(string(cur))
		var add []string
		for _, c := range controllers {
			if !slices.Contains(enabled, c) {
				add = append(add, "+"+c)
			}
		}
		if len(add) == 0 {
			continue
		}
		val := strings.Join(add, " ")
		if err := os.WriteFile(file, []byte(val), 0); err != nil {
			return &KernelError{Op: "write", Path: file, Value: val, Err: unwrapErrno(err)}
		}
	}
	return nil
}

// placeByWrite writes pid to cgroup.procs of each cgroup.
func placeByWrite(cgs []LaunchCgroup, pid int) error {
	for _, cg := range cgs {
		file := filepath.Join(cg.Dir, "cgroup.procs")
		val := strconv.Itoa(pid)
		if err := os.WriteFile(file, []byte(val), 0); err != nil {
			kerr := &KernelError{Op: "write", Path: file, Value: val, Err: unwrapErrno(err)}
			if errors.Is(err, unix.ENOSPC) && needsCpusetCopy(cg.Hierarchy) {
				return emptyCpusetError(cg.Dir, kerr)
			}
			return kerr
		}
	}
	return nil
}

// emptyCpusetError explains ENOSPC from a v1 cpuset cgroup: it takes no
// process while cpuset.cpus or cpuset.mems is empty, which is what a new
// cgroup under a parent with empty ones (or without
// cgroup.clone_children) gets. See cgroup-v1/cpusets.rst.
func emptyCpusetError(dir string, kerr *KernelError) error {
	var empty []string
	for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
		if v, err := os.ReadFile(filepath.Join(dir, f)); err == nil && len(bytes.TrimSpace(v)) == 0 {
			empty = append(empty, f)
		}
	}
	if len(empty) == 0 {
		return kerr
	}
	parent := filepath.Dir(dir)
	return fmt.Errorf("%w; %s of %s is empty, and a v1 cpuset cgroup takes no process until both cpuset.cpus and cpuset.mems are set: "+
		"nscope copies them from the parent, and %s has none either; set the parent's (e.g. from %s/cpuset.cpus and cpuset.mems) or choose another --cgroup-parent",
		kerr, strings.Join(empty, " and "), dir, parent, filepath.Dir(parent))
}

// cgroupRemoveWait bounds how long remove waits for the last processes of
// a cgroup to be gone (the kernel kills a pid namespace's processes when
// its init exits, and they leave the cgroup as they are reaped).
const cgroupRemoveWait = 3 * time.Second

// remove deletes the created cgroups, deepest first, retrying while the
// kernel still counts exiting processes (EBUSY).
func (m *madeCgroups) remove() error {
	if m == nil {
		return nil
	}
	var errs []error
	deadline := time.Now().Add(cgroupRemoveWait)
	for i := len(m.dirs) - 1; i >= 0; i-- {
		dir := m.dirs[i]
		for {
			err := unix.Rmdir(dir)
			if err == nil || err == unix.ENOENT {
				break
			}
			if err == unix.EBUSY && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			why := Explain(err, "")
			if err == unix.EBUSY {
				why = fmt.Sprintf("%s (EBUSY): it still has processes %v after the command ended", err.Error(), cgroupRemoveWait)
			}
			errs = append(errs, fmt.Errorf("remove cgroup %s: %s", dir, why))
			break
		}
	}
	m.dirs = nil
	return errors.Join(errs...)
}

// unwrapErrno returns the errno inside a *PathError, so that KernelError
// explains it.
func unwrapErrno(err error) error {
	if errno := errnoOf(err); errno != 0 {
		return errno
	}
	return err
}
