package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// benchPrefix starts the name of every cgroup subtree benchhost makes;
// the rest is its PID, so concurrent runs never share one.
const benchPrefix = "nscope-bench-"

// procsPerContainer is how many processes a running container has: its
// unshare parent, the shell (PID 1 inside) and the sleep.
const procsPerContainer = 3

// hostConfig says how big a bench host to build.
type hostConfig struct {
	Containers int // containers, each 3 processes in 6 new namespaces
	Plain      int // plain sleep processes
}

// benchHost is a bench host being built, up, or torn down. Close removes
// everything it made; it is safe to call at any point and more than once.
type benchHost struct {
	cfg   hostConfig
	base  string // nscope-bench-PID
	hier  []hierarchy
	tools tools

	created  []string     // cgroup directories, in creation order
	children map[int]bool // started processes not yet reaped
	devnull  *os.File
	log      *os.File // the containers' standard error
	keepLog  bool

	nContainers int // containers started so far
	nPlain      int // plain processes started so far

	buildTime time.Duration
	census    census
	closed    bool
}

// newBenchHost checks the machine and prepares an empty host; nothing is
// created yet.
func newBenchHost(cfg hostConfig) (*benchHost, error) {
	hier, err := findHierarchies()
	if err != nil {
		return nil, err
	}
	t, err := findTools()
	if err != nil {
		return nil, err
	}
	if err := checkPIDRoom(cfg); err != nil {
		return nil, err
	}
	// Orphans of killed containers (the PID 1 whose unshare parent died
	// first) are reparented to benchhost, which reaps them.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("become child subreaper: %s", errnoWords(err))
	}
	h := &benchHost{
		cfg:      cfg,
		base:     benchPrefix + strconv.Itoa(os.Getpid()),
		hier:     hier,
		tools:    t,
		children: map[int]bool{},
	}
	if h.devnull, err = os.OpenFile(os.DevNull, os.O_RDWR, 0); err != nil {
		return nil, err
	}
	if h.log, err = os.OpenFile(h.logPath(), os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		h.devnull.Close()
		return nil, fmt.Errorf("create the containers' log: %w", err)
	}
	return h, nil
}

// logPath is where the containers' standard error goes.
func (h *benchHost) logPath() string {
	return filepath.Join(os.TempDir(), h.base+".log")
}

// baseDir is the bench subtree in hierarchy hi.
func (h *benchHost) baseDir(hi hierarchy) string { return filepath.Join(hi.ownDir(), h.base) }

// pidsHierarchy is the hierarchy that tracks every process (v1 pids).
func (h *benchHost) pidsHierarchy() hierarchy {
	for _, hi := range h.hier {
		if hi.has("pids") {
			return hi
		}
	}
	panic("findHierarchies returned no pids hierarchy")
}

// containerName is the cgroup and hostname suffix of container n.
func containerName(n int) string { return "c" + strconv.Itoa(n) }

// mkdir creates a cgroup directory and remembers it for Close.
func (h *benchHost) mkdir(dir string) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("create cgroup %s: %s", dir, errnoWords(err))
	}
	h.created = append(h.created, dir)
	return nil
}

// build creates the cgroups, the containers and the plain processes, and
// waits until every container runs. Progress goes to standard error.
func (h *benchHost) build(ctx context.Context) error {
	start := time.Now()
	for _, hi := range h.hier {
		if err := h.mkdir(h.baseDir(hi)); err != nil {
			return err
		}
	}
	logf("building %d containers in %s", h.cfg.Containers, h.base)
	for n := 1; n <= h.cfg.Containers; n++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted after %d containers: %w", n-1, err)
		}
		if err := h.addContainer(n); err != nil {
			return err
		}
	}
	logf("started %d containers in %.1fs; starting %d plain sleep processes", h.cfg.Containers, time.Since(start).Seconds(), h.cfg.Plain)
	track := filepath.Join(h.baseDir(h.pidsHierarchy()), "plain")
	if err := h.mkdir(track); err != nil {
		return err
	}
	for i := 0; i < h.cfg.Plain; i++ {
		if i%100 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("interrupted after %d plain processes: %w", i, err)
			}
		}
		pid, err := startPlain(h.tools, track, h.devnull)
		if pid > 0 {
			h.children[pid] = true
			h.nPlain++
		}
		if err != nil {
			return fmt.Errorf("plain process %d: %w", i+1, err)
		}
	}
	logf("started %d plain processes at %.1fs; waiting for the containers to come up", h.cfg.Plain, time.Since(start).Seconds())
	if err := h.waitReady(ctx); err != nil {
		return err
	}
	h.buildTime = time.Since(start)
	c, err := takeCensus("/proc")
	if err != nil {
		return err
	}
	h.census = c
	return nil
}

// addContainer makes container n's cgroups with their limits and starts it.
func (h *benchHost) addContainer(n int) error {
	var dirs []string
	for _, hi := range h.hier {
		dir := filepath.Join(h.baseDir(hi), containerName(n))
		if err := h.mkdir(dir); err != nil {
			return err
		}
		for _, w := range containerLimits(n, hi) {
			if err := writeCgroupFile(filepath.Join(dir, w.File), w.Value); err != nil {
				return fmt.Errorf("container %s: %w", containerName(n), err)
			}
		}
		dirs = append(dirs, dir)
	}
	pid, err := startContainer(h.tools, n, dirs, h.devnull, h.log)
	if pid > 0 {
		h.children[pid] = true
		h.nContainers++
	}
	return err
}

// waitReady waits until every container's pids cgroup holds its 3
// processes, or says which container did not come up and what unshare
// printed.
func (h *benchHost) waitReady(ctx context.Context) error {
	base := h.baseDir(h.pidsHierarchy())
	deadline := time.Now().Add(30*time.Second + time.Duration(h.cfg.Containers)*100*time.Millisecond)
	pending := map[int]bool{}
	for n := 1; n <= h.cfg.Containers; n++ {
		pending[n] = true
	}
	for {
		for n := range pending {
			pids, err := cgroupPIDs(filepath.Join(base, containerName(n)))
			if err != nil {
				return err
			}
			if len(pids) >= procsPerContainer {
				delete(pending, n)
			}
		}
		if len(pending) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			n := 0
			for k := range pending {
				n = k
				break
			}
			pids, _ := cgroupPIDs(filepath.Join(base, containerName(n)))
			h.keepLog = true
			return fmt.Errorf("%d containers did not come up, e.g. %s has %d of %d processes; unshare's errors are in %s:\n%s",
				len(pending), containerName(n), len(pids), procsPerContainer, h.logPath(), tailFile(h.logPath(), 5))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("interrupted while %d containers were starting: %w", len(pending), ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// close kills every process the host started, reaps them, and removes
// its cgroups deepest first. It reports what it could not remove.
func (h *benchHost) close() error {
	if h.closed {
		return nil
	}
	h.closed = true
	start := time.Now()
	deadline := start.Add(30 * time.Second)
	// Our own unreaped children first: their PIDs cannot have been reused.
	for pid := range h.children {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	var errs []error
	if err := killAndWait(h.created, h.base, deadline, func(pid int) { delete(h.children, pid) }); err != nil {
		errs = append(errs, err)
	}
	for len(h.children) > 0 && time.Now().Before(deadline) {
		for _, pid := range reapChildren() {
			delete(h.children, pid)
		}
		if len(h.children) > 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if len(h.children) > 0 {
		errs = append(errs, fmt.Errorf("%d started processes were not reaped within 30s", len(h.children)))
	}
	for i := len(h.created) - 1; i >= 0; i-- {
		if err := rmdirCgroup(h.created[i], deadline); err != nil {
			errs = append(errs, err)
		}
	}
	h.devnull.Close()
	h.log.Close()
	if !h.keepLog {
		os.Remove(h.logPath())
	}
	err := errors.Join(errs...)
	if err == nil {
		logf("removed %s: %d cgroups, %d containers, %d plain processes (%.1fs)",
			h.base, len(h.created), h.nContainers, h.nPlain, time.Since(start).Seconds())
	}
	return err
}

// describe prints what the host is made of and what the machine looks
// like with it.
func (h *benchHost) describe(w io.Writer) {
	fmt.Fprintf(w, "bench host %s (benchhost pid %d): %d containers, %d plain sleep processes, built in %.1fs\n",
		h.base, os.Getpid(), h.cfg.Containers, h.cfg.Plain, h.buildTime.Seconds())
	fmt.Fprintf(w, "  machine now: %s\n", h.census)
	for _, hi := range h.hier {
		fmt.Fprintf(w, "  cgroups (%s): %s/{c1..c%d", hi.label(), h.baseDir(hi), h.cfg.Containers)
		if hi.has("pids") {
			fmt.Fprint(w, ",plain")
		}
		fmt.Fprintln(w, "}")
	}
}

// checkPIDRoom refuses a host that would not fit under pid_max with the
// tasks already running, leaving a tenth of it free for everyone else.
func checkPIDRoom(cfg hostConfig) error {
	data, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		return fmt.Errorf("read pid_max: %w", err)
	}
	pidMax, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		return fmt.Errorf("pid_max %q: %w", data, err)
	}
	tasks := 0
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		// "0.00 0.01 0.05 1/123 4567": running/total tasks.
		if f := strings.Fields(string(la)); len(f) >= 4 {
			if _, total, ok := strings.Cut(f[3], "/"); ok {
				tasks, _ = strconv.Atoi(total)
			}
		}
	}
	need := cfg.Containers*procsPerContainer + cfg.Plain
	if tasks+need > pidMax*9/10 {
		return fmt.Errorf("-containers %d and -plain %d need %d PIDs; with %d tasks running that is more than 90%% of pid_max %d: lower them or raise /proc/sys/kernel/pid_max",
			cfg.Containers, cfg.Plain, need, tasks, pidMax)
	}
	return nil
}

// tailFile returns the last n lines of a file, indented, for error messages.
func tailFile(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "  (" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}
