package main

import (
	"context"
	"io"
	"sync"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
)

// printOwner prints what nscope says of a cgroup's owner (a container
// runtime or systemd): who, what it believes, that it will not know, and
// its own command.
func printOwner(w io.Writer, n *control.OwnerNote) {
	for _, l := range n.Lines() {
		msgf(w, "  owner: %s\n", l)
	}
}

// scanOwnerFinder scans the host once, when the editor first asks who
// owns a cgroup.
type scanOwnerFinder struct {
	once sync.Once
	snap *inspect.Snapshot
	err  error
}

// OwnerOf implements control.OwnerFinder.
func (f *scanOwnerFinder) OwnerOf(path string) (*control.Owner, error) {
	f.once.Do(func() {
		f.snap, f.err = scan(context.Background(), inspect.WithFDs(false), inspect.WithMounts(false))
	})
	if f.err != nil {
		return nil, f.err
	}
	return control.SnapshotOwners{Snap: f.snap}.OwnerOf(path)
}
