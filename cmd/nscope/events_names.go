package main

import (
	"sync"
	"time"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/inspect/runtimes"
	"github.com/nscope/nscope/procview"
)

// rediscoverGap is the least time between two reads of the runtimes'
// files for a container the events name that was not known.
const rediscoverGap = 2 * time.Second

// eventNamer names the container of an event's cgroup as its runtime
// does ("docker:web", the form --container takes), like docker events'
// name attribute, and by runtime and short ID ("docker:3f4e5d6c7b8a")
// when the runtime's files do not name it (removed, or a runtime whose
// files nscope cannot read). Names come from a discovery of the
// runtimes' files at the start and again, at most every rediscoverGap,
// when an event names a container not seen yet: never per event.
type eventNamer struct {
	d   *runtimes.Discoverer
	now func() time.Time

	mu    sync.Mutex
	names map[inspect.ContainerRef]string
	last  time.Time
}

// newEventNamer reads the runtimes' files under root now (now: the
// clock, time.Now but in tests).
func newEventNamer(root string, now func() time.Time) *eventNamer {
	n := &eventNamer{d: runtimes.NewDiscoverer(root), now: now}
	n.discover()
	return n
}

// discover reads the runtimes' files again. Called with mu held, or
// before the namer is shared.
func (n *eventNamer) discover() {
	res := n.d.Discover()
	names := make(map[inspect.ContainerRef]string, len(res.Records))
	for _, r := range res.Records {
		if r.Name != "" {
			names[inspect.ContainerRef{Runtime: r.Runtime, ID: r.ID}] = r.Name
		}
	}
	n.names, n.last = names, n.now()
}

// name is the events stream's container namer.
func (n *eventNamer) name(path string) string {
	h, ok := runtimes.FromCgroupPath(path, false)
	if !ok || h.Runtime == "" {
		return ""
	}
	ref := inspect.ContainerRef{Runtime: h.Runtime, ID: h.ID}
	n.mu.Lock()
	defer n.mu.Unlock()
	name, known := n.names[ref]
	if !known && n.now().Sub(n.last) >= rediscoverGap {
		n.discover()
		name, known = n.names[ref]
	}
	if !known {
		return procview.ContainerFromCgroup(path)
	}
	return h.Runtime + ":" + name
}

// close releases the discoverer's watch of the state directories.
func (n *eventNamer) close() { n.d.Close() }
