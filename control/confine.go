package control

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
)

// Target is a cgroup named by the user, resolved against the layout.
type Target struct {
	// Path is the cgroup's path inside its hierarchy, "/" for the root,
	// as /proc/PID/cgroup and "nscope cg" print it.
	Path string `json:"path"`
	// Hierarchy, when not nil, is the one hierarchy the user named by
	// giving an absolute directory under its mount; nil means "the
	// hierarchy that carries each controller".
	Hierarchy *inspect.Hierarchy `json:"hierarchy,omitempty"`
}

// String returns the path, prefixed with the hierarchy's mount when the
// user named one.
func (t Target) String() string {
	if t.Hierarchy != nil {
		return filepath.Join(t.Hierarchy.Mount, t.Path)
	}
	return t.Path
}

// IsRoot reports whether the target is a hierarchy's root cgroup.
func (t Target) IsRoot() bool { return t.Path == "/" }

// ResolveTarget turns what the user typed into a Target: a path relative
// to the hierarchies ("/system.slice/x.service", "a/b") or an absolute
// directory under a cgroup mount ("/sys/fs/cgroup/memory/a"). ".."
// components and control characters are refused. Existence is checked
// when a file is read or written.
func ResolveTarget(layout inspect.CgroupLayout, name string) (Target, error) {
	const allowed = `want a cgroup path as "nscope cg" prints it ("/a/b") or a directory under a cgroup mount ("/sys/fs/cgroup/cpu/a/b")`
	if strings.TrimSpace(name) == "" {
		return Target{}, invalid("cgroup", name, "empty; %s", allowed)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return Target{}, invalid("cgroup", name, "contains a control character; %s", allowed)
		}
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return Target{}, invalid("cgroup", name, `".." is not allowed; %s`, allowed)
		}
	}
	clean := filepath.Clean("/" + name)
	// The longest mount that contains the path names the hierarchy.
	var best *inspect.Hierarchy
	for i := range layout.Hierarchies {
		h := &layout.Hierarchies[i]
		if h.Mount == "" {
			continue
		}
		if clean == h.Mount || strings.HasPrefix(clean, h.Mount+"/") {
			if best == nil || len(h.Mount) > len(best.Mount) {
				best = h
			}
		}
	}
	if best != nil {
		rel := strings.TrimPrefix(clean, best.Mount)
		if rel == "" {
			rel = "/"
		}
		h := *best
		return Target{Path: rel, Hierarchy: &h}, nil
	}
	if strings.HasPrefix(clean, "/sys/fs/cgroup") {
		return Target{}, invalid("cgroup", name, "no cgroup hierarchy is mounted there; %s", allowed)
	}
	return Target{Path: clean}, nil
}

// cgroupDir returns the confined directory of the target in hierarchy h:
// it must exist, stay inside h's mount after symlinks are resolved, and be
// on a cgroup filesystem.
func cgroupDir(fsys FS, h *inspect.Hierarchy, t Target) (string, error) {
	dir := filepath.Join(h.Mount, t.Path)
	mount, err := fsys.ResolveDir(h.Mount)
	if err != nil {
		return "", fmt.Errorf("cgroup mount %s: %w", h.Mount, err)
	}
	resolved, err := fsys.ResolveDir(dir)
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
			return "", fmt.Errorf("cgroup %s does not exist in the %s hierarchy (%s): %w", t.Path, h.Label(), dir, ErrNoSuchCgroup)
		}
		return "", &KernelError{Op: "open", Path: dir, Err: err}
	}
	if resolved != mount && !strings.HasPrefix(resolved, mount+"/") {
		return "", fmt.Errorf("%s resolves to %s, outside the %s mount %s: %w", dir, resolved, h.Label(), h.Mount, ErrOutsideCgroupFS)
	}
	if err := fsys.CheckCgroupFS(resolved); err != nil {
		return "", err
	}
	return dir, nil
}

// hierarchyFor returns the hierarchy a controller's files live in for the
// target: the named one when the user gave an absolute directory, which
// must carry the controller (v2 core files are in every v2 cgroup), else
// the layout's. A directory under one v1 mount is never taken to mean
// the same path in another hierarchy: that cgroup may belong to someone
// else, and the user named this one.
func hierarchyFor(fsys FS, layout inspect.CgroupLayout, t Target, controller string) (*inspect.Hierarchy, error) {
	if t.Hierarchy != nil {
		if t.Hierarchy.Has(controller) || (t.Hierarchy.Version == 2 && controller == "") {
			return t.Hierarchy, nil
		}
		return nil, misplaced(fsys, layout, t, controller)
	}
	if h := layout.ForController(controller); h != nil {
		return h, nil
	}
	return nil, fmt.Errorf("no mounted cgroup hierarchy carries the %s controller (mode %s): %w", controller, layout.Mode, ErrNoController)
}

// misplaced refuses a change whose controller is not in the hierarchy of
// the directory the user named, and names where it would go: "memory
// limits live in the memory hierarchy, at /sys/fs/cgroup/memory/T/x;
// /sys/fs/cgroup/pids/T/x does not exist".
func misplaced(fsys FS, layout inspect.CgroupLayout, t Target, controller string) error {
	named := t.String()
	what := controller + " limits live"
	if controller == "freezer" {
		what = "freezing lives"
	}
	state := fmt.Sprintf("%s is in the %s hierarchy, which has no %s controller", named, t.Hierarchy.Label(), controller)
	if _, err := cgroupDir(fsys, t.Hierarchy, t); errors.Is(err, ErrNoSuchCgroup) {
		state = named + " does not exist"
	}
	where := fmt.Sprintf("no mounted hierarchy carries the %s controller", controller)
	hint := ""
	if h := layout.ForController(controller); h != nil {
		real := Target{Path: t.Path, Hierarchy: h}
		where = fmt.Sprintf("%s in the %s hierarchy, at %s", what, h.Label(), real)
		if _, err := cgroupDir(fsys, h, real); errors.Is(err, ErrNoSuchCgroup) {
			where += " (which does not exist either)"
		}
		hint = fmt.Sprintf("; name that directory, or %s for the cgroup at that path in every hierarchy", t.Path)
	}
	return invalid("cgroup", named, "%s; %s%s", where, state, hint)
}

// journalWrite checks a write read back from the journal the way a typed
// path is checked, before undo reads or writes anything: its hierarchy
// is one of the layout's, its file one nscope writes on that cgroup
// version, its path exactly the change's cgroup in that hierarchy (no
// ".." component), and that directory exists inside the mount, on a
// cgroup filesystem, after symlinks. A journal edited by someone else
// naming /etc/hostname is refused here: nothing is read from it or
// shown. It returns the directory and the file name.
func (e *Editor) journalWrite(c *Change, w ChangeWrite) (string, string, error) {
	file := filepath.Base(w.Path)
	refuse := func(why string) error {
		return fmt.Errorf("change %s in the journal %s names %q, %s; refusing to read or write it (was the journal edited?): %w",
			c.ID, e.journal.Path(), w.Path, why, ErrOutsideCgroupFS)
	}
	h := e.hierarchyByLabel(w.Hierarchy, w.Version)
	if h == nil {
		return "", "", refuse(fmt.Sprintf("of a cgroup v%d hierarchy %q that is not mounted here", w.Version, w.Hierarchy))
	}
	if !allowed(file, w.Version) {
		return "", "", refuse(fmt.Sprintf("%s is not a file nscope writes on cgroup v%d", file, w.Version))
	}
	for _, part := range strings.Split(c.Cgroup, "/") {
		if part == ".." {
			return "", "", refuse(`its cgroup path has a ".." component`)
		}
	}
	if !strings.HasPrefix(c.Cgroup, "/") || filepath.Join(h.Mount, c.Cgroup, file) != w.Path {
		return "", "", refuse(fmt.Sprintf("not %s of cgroup %q in the %s hierarchy (%s)", file, c.Cgroup, h.Label(), h.Mount))
	}
	confined, err := cgroupDir(e.fs, h, Target{Path: c.Cgroup})
	if err != nil {
		return "", "", err
	}
	return confined, file, nil
}
