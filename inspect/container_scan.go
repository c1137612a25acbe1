package inspect

import (
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/nscope/nscope/inspect/runtimes"
)

// containerState is the scanner's container discovery: the runtimes'
// files, cached between scans, and what cgroup paths say.
type containerState struct {
	once       sync.Once
	discoverer *runtimes.Discoverer

	mu          sync.Mutex
	hints       map[string]hintEntry
	hintSystemd bool
}

type hintEntry struct {
	hint runtimes.CgroupHint
	ok   bool
}

// maxHints bounds the cache of cgroup path hints; it is cleared when full
// (cgroup paths come and go with containers).
const maxHints = 1 << 14

// discoverContainers starts reading the runtimes' files alongside the
// scan and returns where the result will arrive, or nil when discovery
// is off.
func (s *Scanner) discoverContainers() <-chan runtimes.Result {
	if !s.cfg.containers {
		return nil
	}
	s.containers.once.Do(func() {
		root := s.cfg.containerRoot
		if root == "" {
			root = "/"
			if !s.cfg.live() {
				root = filepath.Dir(s.cfg.procRoot)
			}
		}
		s.containers.discoverer = runtimes.NewDiscoverer(root)
	})
	done := make(chan runtimes.Result, 1)
	go func() { done <- s.containers.discoverer.Discover() }()
	return done
}

// cgroupHint returns what a cgroup path says about a container, cached.
// It is called with the snapshot's Systemd already set on the matcher.
func (s *Scanner) cgroupHint(path string) (runtimes.CgroupHint, bool) {
	cs := &s.containers
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if e, ok := cs.hints[path]; ok {
		return e.hint, e.ok
	}
	if cs.hints == nil || len(cs.hints) >= maxHints {
		cs.hints = make(map[string]hintEntry, 256)
	}
	h, ok := runtimes.FromCgroupPath(path, cs.hintSystemd)
	cs.hints[path] = hintEntry{h, ok}
	return h, ok
}

// systemdManager reports whether systemd is the host's service manager:
// PID 1 is systemd, or /run/systemd/system exists (sd_booted(3)). A
// change clears the cached cgroup hints, which depend on it.
func (s *Scanner) systemdManager(snap *Snapshot) bool {
	on := false
	if p := snap.Process(1); p != nil && p.Comm == "systemd" {
		on = true
	} else if st, err := os.Stat(filepath.Join(s.cfg.runRoot, "systemd", "system")); err == nil && st.IsDir() {
		on = true
	}
	cs := &s.containers
	cs.mu.Lock()
	if on != cs.hintSystemd {
		cs.hintSystemd, cs.hints = on, nil
	}
	cs.mu.Unlock()
	return on
}

// isHexString reports whether s is all lower-case hex digits.
func isHexString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return s != ""
}

// containsID reports whether a cgroup path names the container ID.
func containsID(path, id string) bool { return strings.Contains(path, id) }
