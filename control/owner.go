package control

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/nscope/nscope/inspect"
)

// Owner is who manages a cgroup besides the kernel: a container runtime
// (docker, podman, runc, ...) whose container it is, and/or systemd when it
// is the host's service manager and a unit holds the cgroup. A direct
// write is not seen by either: the runtime keeps believing its own limits
// and state, and may overwrite nscope's values.
type Owner struct {
	// Container is the runtime's container, as its state files describe
	// it (name, state, the limits it believes); nil when only systemd
	// manages the cgroup.
	Container *inspect.Container
	// Nested is set when the cgroup is below the container's own cgroup
	// (a cgroup made inside it), which the runtime does not manage.
	Nested bool
	// ContainerCgroup is the container's own cgroup path.
	ContainerCgroup string
	// Unit is the systemd unit holding the cgroup, only where systemd is
	// the service manager.
	Unit string
}

// OwnerFinder tells who owns a cgroup, by its path inside the
// hierarchies. SnapshotOwners fills it from a snapshot.
type OwnerFinder interface {
	// OwnerOf returns the owner of the cgroup at path, or nil.
	OwnerOf(cgroupPath string) (*Owner, error)
}

// WithOwners makes the editor name a cgroup's owner before it changes,
// freezes or kills it (see Plan.Owner). Without it only systemd units are
// named, and only where systemd is the host's service manager.
func WithOwners(f OwnerFinder) Option { return func(e *Editor) { e.owners = f } }

// WithSystemdManager says whether systemd is the host's service manager,
// instead of asking the host (PID 1 is systemd, or /run/systemd/system
// exists); tests of systemd hosts use it.
func WithSystemdManager(on bool) Option {
	return func(e *Editor) { e.owners = systemdOwners{manager: on} }
}

// SystemdManager reports whether systemd is the service manager under
// procRoot and runRoot: PID 1 is systemd, or /run/systemd/system exists
// (sd_booted(3)). Unit names in cgroup paths mean nothing otherwise.
func SystemdManager(procRoot, runRoot string) bool {
	if comm, err := os.ReadFile(filepath.Join(procRoot, "1", "comm")); err == nil && strings.TrimSpace(string(comm)) == "systemd" {
		return true
	}
	st, err := os.Stat(filepath.Join(runRoot, "systemd", "system"))
	return err == nil && st.IsDir()
}

// systemdOwners names a cgroup's unit when systemd is the manager.
type systemdOwners struct{ manager bool }

func (s systemdOwners) OwnerOf(path string) (*Owner, error) {
	if !s.manager {
		return nil, nil
	}
	if unit := SystemdUnit(path); unit != "" {
		return &Owner{Unit: unit}, nil
	}
	return nil, nil
}

// SnapshotOwners finds a cgroup's owner in a snapshot: the container whose
// cgroup it is (or that it is nested in), and the systemd unit where
// systemd is the service manager (the snapshot says so, or its PID 1 is
// systemd).
type SnapshotOwners struct{ Snap *inspect.Snapshot }

// OwnerOf implements OwnerFinder.
func (s SnapshotOwners) OwnerOf(path string) (*Owner, error) {
	snap := s.Snap
	if snap == nil {
		return nil, nil
	}
	o := &Owner{}
	if p1 := snap.Process(1); snap.Host.Systemd || (p1 != nil && p1.Comm == "systemd") {
		o.Unit = SystemdUnit(path)
	}
	for _, h := range snap.Hierarchies {
		cg := snap.Cgroup(h.ID, path)
		if cg == nil || cg.Container.IsZero() {
			continue
		}
		c := snap.Container(cg.Container)
		if c == nil || c.Runtime == "nscope" {
			continue
		}
		o.Container = c
		o.ContainerCgroup = path
		if own := snap.ContainerCgroup(c, h.ID); own != nil && own.Path != path {
			o.Nested, o.ContainerCgroup = true, own.Path
		}
		break
	}
	if o.Container == nil && o.Unit == "" {
		return nil, nil
	}
	return o, nil
}

// SetOwners replaces the editor's OwnerFinder, as the TUI does with each
// new snapshot; plans made afterwards use it.
func (e *Editor) SetOwners(f OwnerFinder) {
	e.mu.Lock()
	e.owners = f
	e.mu.Unlock()
}

// ownerOf asks the editor's finder (by default, the host's systemd).
func (e *Editor) ownerOf(path string) (*Owner, error) {
	e.mu.Lock()
	f := e.owners
	e.mu.Unlock()
	return f.OwnerOf(path)
}
