package control

import (
	"fmt"

	"github.com/nscope/nscope/inspect"
)

// ContainerFinder tells enter which container, if any, a process belongs
// to. SnapshotContainers fills it from a snapshot.
type ContainerFinder interface {
	// ContainerOf returns the container of pid, or nil for a plain
	// process; an error when it cannot tell.
	ContainerOf(pid int) (*EnterContainer, error)
}

// EnterContainer names a container for enter's plan and messages.
type EnterContainer struct {
	// Runtime is "docker", "podman", "runc", ...; ID its full ID; Name
	// what users call it.
	Runtime string `json:"runtime"`
	ID      string `json:"id"`
	Name    string `json:"name"`
}

// String returns "docker container web".
func (c *EnterContainer) String() string {
	name := c.Name
	if name == "" {
		name = c.ID
	}
	return c.Runtime + " container " + name
}

// EnterContainerOf returns the container as enter names it, or nil for
// none and for nscope's own launches ("nscope run" sandboxes are the
// operator's, entered as before).
func EnterContainerOf(c *inspect.Container) *EnterContainer {
	if c == nil || c.Runtime == "nscope" {
		return nil
	}
	return &EnterContainer{Runtime: c.Runtime, ID: c.ID, Name: c.Name}
}

// SnapshotContainers finds a process's container in a snapshot.
type SnapshotContainers struct{ Snap *inspect.Snapshot }

// ContainerOf implements ContainerFinder.
func (s SnapshotContainers) ContainerOf(pid int) (*EnterContainer, error) {
	if s.Snap == nil {
		return nil, fmt.Errorf("no snapshot")
	}
	return EnterContainerOf(s.Snap.ContainerOf(pid)), nil
}
