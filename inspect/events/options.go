package events

import (
	"path/filepath"
	"time"

	"github.com/nscope/nscope/inspect"
)

// config holds the stream's settings; set through Options.
type config struct {
	procRoot    string
	sysRoot     string
	runRoot     string
	processes   bool
	cgroups     bool
	cgroupRoot  string
	journalPath string
	journalRead func() ([]LimitChange, error)
	namer       func(cgroupPath string) string
	batch       time.Duration
	freezePoll  time.Duration
	checkDelay  time.Duration
	checkEvery  time.Duration
	fdRecheck   time.Duration
	maxCgroups  int
	// ringBytes overrides the ring buffer's size (tests: a small ring
	// overflows under churn).
	ringBytes uint32
	scanner   *inspect.Scanner
}

// Option configures a Stream.
type Option func(*config)

// ProcRoot sets the procfs root (default "/proc").
func ProcRoot(path string) Option { return func(c *config) { c.procRoot = filepath.Clean(path) } }

// SysRoot sets the sysfs root (default "/sys"); cgroup hierarchies are
// found from mountinfo and looked up below it.
func SysRoot(path string) Option { return func(c *config) { c.sysRoot = filepath.Clean(path) } }

// RunRoot sets the directory holding netns/ for named network namespaces
// (default "/run").
func RunRoot(path string) Option { return func(c *config) { c.runRoot = filepath.Clean(path) } }

// WithProcesses turns the process and namespace events on or off
// (default on). They need root and a kernel with BTF (5.8 or later).
func WithProcesses(on bool) Option { return func(c *config) { c.processes = on } }

// WithCgroups turns the cgroup events on or off (default on).
func WithCgroups(on bool) Option { return func(c *config) { c.cgroups = on } }

// CgroupRoot limits the cgroup watch to the cgroup at path and beneath
// it, in every hierarchy (default "/": all). Watching fewer cgroups holds
// fewer file descriptors and polls fewer v1 freezer files.
func CgroupRoot(path string) Option { return func(c *config) { c.cgroupRoot = path } }

// WithContainerNamer sets how a cgroup path becomes a container's name
// for Event.Container (default: none).
func WithContainerNamer(f func(cgroupPath string) string) Option {
	return func(c *config) { c.namer = f }
}

// Batch sets how long the process reader waits after emptying the
// kernel's ring buffer before it looks again (default 10 ms): a busy
// host then wakes it at most 1/Batch times a second, not once per event,
// and an event is at most that much late.
func Batch(d time.Duration) Option { return func(c *config) { c.batch = d } }

// FreezerPoll sets how often v1 freezer.state files are read besides
// when one is written (default 500 ms): a write through another mount of
// the hierarchy than the host's raises no notification.
func FreezerPoll(d time.Duration) Option { return func(c *config) { c.freezePoll = d } }

// HolderCheck sets how soon after a namespace lost its last member a
// scan confirms that nothing holds it (delay, default 100 ms), and the
// least time between two such scans (every, default 1 s). The scan reads
// every process's file descriptors and every mount namespace's mounts.
func HolderCheck(delay, every time.Duration) Option {
	return func(c *config) { c.checkDelay, c.checkEvery = delay, every }
}

// MaxCgroups caps how many cgroups are watched (default 8192): each v1
// memory cgroup holds two file descriptors for its OOM notification.
func MaxCgroups(n int) Option { return func(c *config) { c.maxCgroups = n } }

// WithScanner makes the stream's scans (the first, holder checks, resyncs
// after losses) use sc instead of a scanner of its own. A long-lived
// program with several streams should pass one: an inspect.Scanner keeps
// its BPF iterators loaded for as long as the program runs (it has no
// Close). The stream only needs processes, namespaces and holders; a
// scanner made with inspect.WithCgroups(false) scans faster.
func WithScanner(sc *inspect.Scanner) Option { return func(c *config) { c.scanner = sc } }

// ringSize sets the kernel ring buffer's size in bytes (a power of two,
// at least a page); for tests.
func ringSize(n uint32) Option { return func(c *config) { c.ringBytes = n } }

func defaultConfig() config {
	return config{
		procRoot:   "/proc",
		sysRoot:    "/sys",
		runRoot:    "/run",
		processes:  true,
		cgroups:    true,
		cgroupRoot: "/",
		batch:      10 * time.Millisecond,
		freezePoll: 500 * time.Millisecond,
		checkDelay: 100 * time.Millisecond,
		checkEvery: time.Second,
		fdRecheck:  30 * time.Second,
		maxCgroups: 8192,
	}
}
