package inspect

import (
	"path/filepath"
	"runtime"
)

// config holds the scanner's settings; set through Options.
type config struct {
	procRoot   string
	sysRoot    string
	runRoot    string
	etcRoot    string
	fds        bool
	mounts     bool
	cgroups    bool
	cgroupData bool
	bpf        bool
	workers    int
	containers bool
	// containerRoot is where runtimes' files are looked for; "" means
	// "/" for the live /proc and the parent of a fixture's proc/.
	containerRoot string
}

// Option configures a Scanner.
type Option func(*config)

// ProcRoot sets the procfs root (default "/proc").
func ProcRoot(path string) Option { return func(c *config) { c.procRoot = filepath.Clean(path) } }

// SysRoot sets the sysfs root (default "/sys"); cgroup mounts found under
// /sys in mountinfo are looked up below it instead.
func SysRoot(path string) Option { return func(c *config) { c.sysRoot = filepath.Clean(path) } }

// RunRoot sets the directory that holds netns/ for named network
// namespaces (default "/run").
func RunRoot(path string) Option { return func(c *config) { c.runRoot = filepath.Clean(path) } }

// EtcRoot sets the directory holding passwd for user names (default "/etc").
func EtcRoot(path string) Option { return func(c *config) { c.etcRoot = filepath.Clean(path) } }

// WithFDs turns the search for namespaces held by open file descriptors on
// or off (default on). It reads every process's fd table.
func WithFDs(on bool) Option { return func(c *config) { c.fds = on } }

// WithMounts turns the search for nsfs bind mounts in every mount
// namespace on or off (default on).
func WithMounts(on bool) Option { return func(c *config) { c.mounts = on } }

// WithCgroups turns the cgroup walk on or off (default on).
func WithCgroups(on bool) Option { return func(c *config) { c.cgroups = on } }

// WithCgroupData turns reading cgroup limit and usage files on or off
// (default on); off still walks the trees and membership.
func WithCgroupData(on bool) Option { return func(c *config) { c.cgroupData = on } }

// WithBPF turns the BPF iterators on or off (default on). They read
// every process's namespaces, PIDs and nsfs file descriptors, and on
// 5.18+ what its stat and cmdline give, in one pass inside the kernel;
// they need root and a kernel with BTF, and the scanner reads /proc
// instead whenever they are off or cannot load.
func WithBPF(on bool) Option { return func(c *config) { c.bpf = on } }

// Workers sets how many goroutines read /proc in parallel (default
// GOMAXPROCS: the work is CPU time in the kernel, so more goroutines than
// cores only add scheduling).
func Workers(n int) Option { return func(c *config) { c.workers = n } }

// WithContainers turns container discovery from the runtimes' state
// files on or off (default on).
func WithContainers(on bool) Option { return func(c *config) { c.containers = on } }

// ContainerRoot sets the directory under which the container runtimes'
// files are read (/var/lib/docker, /run/containerd, ... beneath it).
// The default is "/" when reading the live /proc, and the directory
// holding a fixture's proc/ otherwise.
func ContainerRoot(path string) Option {
	return func(c *config) { c.containerRoot = filepath.Clean(path) }
}

func defaultConfig() config {
	return config{
		procRoot:   "/proc",
		sysRoot:    "/sys",
		runRoot:    "/run",
		etcRoot:    "/etc",
		fds:        true,
		mounts:     true,
		cgroups:    true,
		cgroupData: true,
		bpf:        true,
		workers:    runtime.GOMAXPROCS(0),
		containers: true,
	}
}

// live reports whether the scanner reads the real kernel files, so that
// nsfs ioctls and stat of namespace links mean something.
func (c *config) live() bool { return c.procRoot == "/proc" }
