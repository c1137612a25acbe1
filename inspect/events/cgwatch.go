package events

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
)

// What a cgroup watch is for.
type watchRole uint8

const (
	roleDir       watchRole = iota // the cgroup directory: children made and removed
	roleEvents                     // v2 cgroup.events
	roleMemEvents                  // v2 memory.events
	roleFreezer                    // v1 freezer.state: written
)

// cgHier is one hierarchy the watcher follows and what it watches there.
type cgHier struct {
	h *inspect.Hierarchy
	// announce: mkdir and rmdir here are CgroupNew and CgroupGone events.
	announce bool
	// oom: v1 memory, OOM by eventfd; freezer: v1 freezer, polled.
	oom, freezer bool
}

// cgNode is one watched cgroup.
type cgNode struct {
	hier *cgHier
	path string // inside the hierarchy
	dir  string // absolute
	wds  []int32
	ev   cgroupEvents
	mem  inspect.MemoryEvents
	// oomFD is the v1 OOM eventfd, -1 when none.
	oomFD int
	// freezerFD is v1 freezer.state kept open for polling, -1 when none.
	freezerFD int
	fstate    string
}

// cgWatcher follows cgroups: directories made and removed, v2
// cgroup.events and memory.events by inotify (the kernel reports a
// modification when a value changes), v1 memory OOM by eventfd
// (cgroup.event_control on memory.oom_control) and the v1 freezer by
// polling freezer.state (it has no notification).
type cgWatcher struct {
	s     *Stream
	in    *inotify
	ep    *epollSet
	hiers []*cgHier
	root  string

	mu      sync.Mutex
	nodes   map[string]*cgNode // by absolute directory
	oomFDs  map[int]*cgNode
	freezer map[*cgNode]bool
	capped  int
	// recheck asks for memory.oom_control to be read again after an
	// OOM notification.
	recheck chan *cgNode
	// poke asks for a freezer poll now.
	poke chan struct{}
}

// startCgroups walks the cgroup trees, sets up every watch and starts
// the readers.
func (s *Stream) startCgroups() {
	w := &cgWatcher{s: s, root: s.cfg.cgroupRoot, nodes: map[string]*cgNode{}, recheck: make(chan *cgNode, 64), poke: make(chan struct{}, 1),
		oomFDs: map[int]*cgNode{}, freezer: map[*cgNode]bool{}}
	var err error
	if w.in, err = s.inotify(); err != nil {
		s.warn("cgroups", err.Error())
		return
	}
	if w.ep, err = newEpollSet(); err != nil {
		s.warn("cgroups", err.Error())
		return
	}
	w.hiers = chooseHierarchies(s.layout)
	var how []string
	for _, ch := range w.hiers {
		w.walk(ch, w.root)
		switch {
		case ch.h.Version == 2:
			how = append(how, "v2 cgroup.events, memory.events (inotify)")
		case ch.oom:
			how = append(how, "v1 memory OOM (eventfd)")
		case ch.freezer:
			how = append(how, fmt.Sprintf("v1 freezer.state (read when written, and every %v)", s.cfg.freezePoll))
		}
	}
	w.mu.Lock()
	n, capped := len(w.nodes), w.capped
	w.mu.Unlock()
	if len(w.hiers) == 0 {
		w.close()
		s.warn("cgroups", "no cgroup hierarchy to watch")
		return
	}
	s.setSource("cgroups", true, fmt.Sprintf("%d cgroups: %s", n, joinComma(how)))
	if capped > 0 {
		s.warn("cgroups", fmt.Sprintf("watching %d cgroups, not %d more (the limit; narrow with a cgroup filter)", n, capped))
	}
	s.onClose(w.close)
	w.in.onOverflow(func() {
		w.s.publish(w.rewalk([]Event{{Time: time.Now(), Kind: Lost, Source: SourceInotify,
			Detail: "the kernel's inotify queue overflowed: cgroup events were lost, rewalking the cgroup trees"}})...)
	})
	s.goSource(w.readOOM)
	s.goSource(w.recheckOOM)
	if w.hasFreezer() {
		s.mu.Lock()
		s.freezerPoke = w.poke
		s.mu.Unlock()
		s.goSource(w.pollFreezer)
	}
}

// chooseHierarchies picks the hierarchies to watch.
func chooseHierarchies(layout inspect.CgroupLayout) []*cgHier {
	var out []*cgHier
	if h := layout.Unified(); h != nil {
		out = append(out, &cgHier{h: h, announce: true})
	}
	mem, frz := layout.ForController("memory"), layout.ForController("freezer")
	if mem != nil && mem.Version == 1 {
		out = append(out, &cgHier{h: mem, announce: true, oom: true, freezer: frz == mem})
	}
	if frz != nil && frz.Version == 1 && frz != mem {
		out = append(out, &cgHier{h: frz, announce: true, freezer: true})
	}
	return out
}

// walk registers the cgroup at p in ch and everything beneath it.
func (w *cgWatcher) walk(ch *cgHier, p string) []*cgNode {
	dir := filepath.Join(ch.h.Mount, p)
	n := w.register(ch, p, dir)
	if n == nil {
		return nil
	}
	added := []*cgNode{n}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return added
	}
	for _, e := range entries {
		if e.IsDir() {
			added = append(added, w.walk(ch, path.Join(p, e.Name()))...)
		}
	}
	return added
}

// register sets up the watches of one cgroup; nil when it is already
// watched, vanished, or over the limit.
func (w *cgWatcher) register(ch *cgHier, p, dir string) *cgNode {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.nodes[dir] != nil {
		return nil
	}
	if len(w.nodes) >= w.s.cfg.maxCgroups {
		w.capped++
		return nil
	}
	n := &cgNode{hier: ch, path: p, dir: dir, oomFD: -1, freezerFD: -1}
	wd, err := w.in.add(dir, unix.IN_CREATE|unix.IN_DELETE|unix.IN_ONLYDIR, w.handler(n, roleDir))
	if err != nil {
		return nil
	}
	n.wds = append(n.wds, wd)
	if ch.h.Version == 2 {
		w.watchFile(n, "cgroup.events", roleEvents)
		w.watchFile(n, "memory.events", roleMemEvents)
	}
	if ch.oom {
		w.watchOOM(n)
	}
	if ch.freezer {
		w.openFreezer(n)
	}
	w.nodes[dir] = n
	return n
}

// watchFile reads a v2 events file for its first values and watches it
// for changes; a missing file (memory.events without the controller) is
// not watched.
func (w *cgWatcher) watchFile(n *cgNode, name string, role watchRole) {
	file := filepath.Join(n.dir, name)
	data, err := os.ReadFile(file)
	if err != nil {
		return
	}
	wd, err := w.in.add(file, unix.IN_MODIFY, w.handler(n, role))
	if err != nil {
		return
	}
	n.wds = append(n.wds, wd)
	switch role {
	case roleEvents:
		n.ev = parseCgroupEvents(data)
	case roleMemEvents:
		n.mem = memoryCounters(data)
	}
}

// unregister drops the cgroup at dir and everything beneath it, and
// returns what it dropped.
func (w *cgWatcher) unregister(dir string) []*cgNode {
	w.mu.Lock()
	defer w.mu.Unlock()
	var gone []*cgNode
	for d, n := range w.nodes {
		if d == dir || (len(d) > len(dir) && d[:len(dir)] == dir && d[len(dir)] == '/') {
			for _, wd := range n.wds {
				w.in.remove(wd)
			}
			w.closeOOM(n)
			if n.freezerFD >= 0 {
				unix.Close(n.freezerFD)
				delete(w.freezer, n)
			}
			delete(w.nodes, d)
			gone = append(gone, n)
		}
	}
	return gone
}

// handler returns the inotify handler of one watch of a cgroup.
func (w *cgWatcher) handler(n *cgNode, role watchRole) func(inotifyEvent) {
	return func(ie inotifyEvent) {
		w.s.publish(w.handle(ie, n, role, nil)...)
	}
}

// handle turns one inotify event into cgroup events.
func (w *cgWatcher) handle(ie inotifyEvent, n *cgNode, role watchRole, out []Event) []Event {
	now := time.Now()
	switch role {
	case roleDir:
		if ie.mask&unix.IN_ISDIR == 0 || ie.name == "" {
			return out
		}
		child := path.Join(n.path, ie.name)
		switch {
		case ie.mask&(unix.IN_CREATE|unix.IN_MOVED_TO) != 0:
			for _, c := range w.walk(n.hier, child) {
				out = w.announce(c, CgroupNew, now, out)
			}
		case ie.mask&(unix.IN_DELETE|unix.IN_MOVED_FROM) != 0:
			for _, c := range w.unregister(filepath.Join(n.dir, ie.name)) {
				out = w.announce(c, CgroupGone, now, out)
			}
		}
	case roleEvents:
		if ie.mask&unix.IN_MODIFY == 0 {
			return out
		}
		data, err := os.ReadFile(filepath.Join(n.dir, "cgroup.events"))
		if err != nil {
			return out
		}
		w.mu.Lock()
		old, cur := n.ev, parseCgroupEvents(data)
		// A key the read did not see keeps its value.
		if !cur.hasPopulated {
			cur.populated, cur.hasPopulated = old.populated, old.hasPopulated
		}
		if !cur.hasFrozen {
			cur.frozen, cur.hasFrozen = old.frozen, old.hasFrozen
		}
		n.ev = cur
		w.mu.Unlock()
		if cur.hasPopulated && cur.populated != old.populated {
			out = append(out, w.cgEvent(n, pick(cur.populated, Populated, Empty), SourceInotify, now))
		}
		if cur.hasFrozen && cur.frozen != old.frozen {
			out = append(out, w.cgEvent(n, pick(cur.frozen, Frozen, Thawed), SourceInotify, now))
		}
	case roleMemEvents:
		if ie.mask&unix.IN_MODIFY == 0 {
			return out
		}
		data, err := os.ReadFile(filepath.Join(n.dir, "memory.events"))
		if err != nil || len(bytes.TrimSpace(data)) == 0 {
			return out
		}
		w.mu.Lock()
		old, cur := n.mem, memoryCounters(data)
		n.mem = cur
		w.mu.Unlock()
		out = w.memDeltas(n, old, cur, SourceInotify, now, out)
	case roleFreezer:
		if ie.mask&unix.IN_MODIFY != 0 {
			w.pokeFreezer()
		}
	}
	return out
}

// pokeFreezer asks the freezer poller for a poll now.
func (w *cgWatcher) pokeFreezer() {
	select {
	case w.poke <- struct{}{}:
	default:
	}
}

// memDeltas emits an event for each memory counter that went up.
func (w *cgWatcher) memDeltas(n *cgNode, old, cur inspect.MemoryEvents, src Source, now time.Time, out []Event) []Event {
	for _, d := range []struct {
		kind     Kind
		old, cur int64
	}{
		{MemoryHigh, old.High, cur.High},
		{MemoryMax, old.Max, cur.Max},
		{OOM, old.OOM, cur.OOM},
		{OOMKill, old.OOMKill, cur.OOMKill},
	} {
		if d.cur > d.old {
			ev := w.cgEvent(n, d.kind, src, now)
			ev.Count = d.cur - d.old
			ev.Detail = fmt.Sprintf("%d in all", d.cur)
			out = append(out, ev)
		}
	}
	return out
}

// announce emits a CgroupNew or CgroupGone event when the node's
// hierarchy announces them.
func (w *cgWatcher) announce(n *cgNode, k Kind, now time.Time, out []Event) []Event {
	if !n.hier.announce {
		return out
	}
	return append(out, w.cgEvent(n, k, SourceInotify, now))
}

func (w *cgWatcher) cgEvent(n *cgNode, k Kind, src Source, now time.Time) Event {
	return Event{Time: now, Kind: k, Source: src, Cgroup: n.path, Hierarchy: n.hier.h.Label()}
}

// rewalk makes the watched set agree with the trees after lost inotify
// events: new cgroups are registered and announced, vanished ones
// dropped and announced, and every v2 events file is read again.
func (w *cgWatcher) rewalk(out []Event) []Event {
	now := time.Now()
	for _, ch := range w.hiers {
		for _, n := range w.walk(ch, w.root) {
			out = w.announce(n, CgroupNew, now, out)
		}
	}
	w.mu.Lock()
	var missing []string
	for d := range w.nodes {
		if _, err := os.Stat(d); err != nil {
			missing = append(missing, d)
		}
	}
	w.mu.Unlock()
	for _, d := range missing {
		for _, n := range w.unregister(d) {
			out = w.announce(n, CgroupGone, now, out)
		}
	}
	return out
}

func (w *cgWatcher) hasFreezer() bool {
	for _, ch := range w.hiers {
		if ch.freezer {
			return true
		}
	}
	return false
}

// close ends the OOM reader and closes every file descriptor (the
// stream closes the inotify instance).
func (w *cgWatcher) close() {
	w.ep.close()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, n := range w.nodes {
		w.closeOOM(n)
		if n.freezerFD >= 0 {
			unix.Close(n.freezerFD)
			n.freezerFD = -1
		}
	}
	w.nodes = map[string]*cgNode{}
	w.freezer = map[*cgNode]bool{}
}

func pick(b bool, yes, no Kind) Kind {
	if b {
		return yes
	}
	return no
}

func joinComma(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ", "
		}
		out += v
	}
	return out
}
