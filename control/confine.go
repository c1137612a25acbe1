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
// target: the named one when the user gave an absolute directory (it must
// carry the controller, except for v2 core files), else the layout's.
func hierarchyFor(layout inspect.CgroupLayout, t Target, controller string) (*inspect.Hierarchy, error) {
	if t.Hierarchy != nil {
		if t.Hierarchy.Has(controller) || (t.Hierarchy.Version == 2 && controller == "") {
			return t.Hierarchy, nil
		}
		if h := layout.ForController(controller); h != nil && h.Version == 1 && t.Hierarchy.Version == 1 {
			// A v1 directory named by mount: the same relative path in the
			// hierarchy carrying the controller is what the user means.
			return h, nil
		}
		return nil, fmt.Errorf("the %s hierarchy (%s) has no %s controller: %w", t.Hierarchy.Label(), t.Hierarchy.Mount, controller, ErrNoController)
	}
	if h := layout.ForController(controller); h != nil {
		return h, nil
	}
	return nil, fmt.Errorf("no mounted cgroup hierarchy carries the %s controller (mode %s): %w", controller, layout.Mode, ErrNoController)
}
