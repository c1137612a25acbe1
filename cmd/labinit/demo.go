package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// demo is the small workload the fixture shows: a "lab" cgroup with a
// CPU-capped web server in its own namespaces, a frozen batch job and an
// empty cgroup.
type demo struct {
	root  string
	procs []*exec.Cmd
}

// demoCgroups are the demo's cgroups, parents first, with the files
// written into each. The io.max line is added when the lab disk exists.
var demoCgroups = []struct {
	path  string
	files [][2]string
}{
	{"lab", [][2]string{{"cgroup.subtree_control", "+cpu +memory +pids +io"}}},
	{"lab/web", [][2]string{
		{"cpu.max", "20000 100000"},
		{"cpu.weight", "200"},
		{"memory.max", "67108864"},
		{"memory.high", "50331648"},
		{"pids.max", "32"},
	}},
	{"lab/batch", [][2]string{{"cpu.weight", "50"}, {"pids.max", "8"}}},
	{"lab/idle", nil},
}

// startDemo creates the demo cgroups and processes. disk, if set, gets an
// io.max limit in lab/web.
func startDemo(root, disk string) (*demo, error) {
	d := &demo{root: root}
	for _, cg := range demoCgroups {
		dir := filepath.Join(root, cg.path)
		if err := os.Mkdir(dir, 0o755); err != nil {
			return d, fmt.Errorf("create demo cgroup: %w", err)
		}
		files := cg.files
		if cg.path == "lab/web" && disk != "" {
			dev, err := os.ReadFile("/sys/block/" + disk + "/dev")
			if err != nil {
				return d, fmt.Errorf("demo io.max: %w", err)
			}
			files = append(files, [2]string{"io.max", strings.TrimSpace(string(dev)) + " rbps=1048576 wiops=100"})
		}
		for _, f := range files {
			if err := os.WriteFile(filepath.Join(dir, f[0]), []byte(f[1]), 0); err != nil {
				return d, fmt.Errorf("demo: write %q to %s/%s: %w", f[1], cg.path, f[0], err)
			}
		}
	}
	// The web server spins in its own pid, uts, ipc and net namespaces so
	// the fixture has nested namespaces too.
	if err := d.start("lab/web", "spin", unix.CLONE_NEWPID|unix.CLONE_NEWUTS|unix.CLONE_NEWIPC|unix.CLONE_NEWNET); err != nil {
		return d, err
	}
	if err := d.start("lab/web", "sleep", 0); err != nil {
		return d, err
	}
	if err := d.start("lab/batch", "sleep", 0); err != nil {
		return d, err
	}
	if err := os.WriteFile(filepath.Join(root, "lab/batch/cgroup.freeze"), []byte("1"), 0); err != nil {
		return d, fmt.Errorf("demo: freeze lab/batch: %w", err)
	}
	// Let the spinner run into its quota for a few periods, so cpu.stat
	// shows throttling, and let the freeze complete.
	time.Sleep(1500 * time.Millisecond)
	return d, nil
}

// start runs this binary as a helper placed into cgroup rel at birth
// (clone3 with CLONE_INTO_CGROUP).
func (d *demo) start(rel, mode string, cloneflags uintptr) error {
	dir, err := os.Open(filepath.Join(d.root, rel))
	if err != nil {
		return fmt.Errorf("demo: open cgroup: %w", err)
	}
	defer dir.Close()
	cmd := exec.Command("/proc/self/exe", mode)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  cloneflags,
		UseCgroupFD: true,
		CgroupFD:    int(dir.Fd()),
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("demo: start %s helper in %s: %w", mode, rel, err)
	}
	d.procs = append(d.procs, cmd)
	return nil
}

// pids returns the demo processes' PIDs.
func (d *demo) pids() []int {
	var out []int
	for _, c := range d.procs {
		out = append(out, c.Process.Pid)
	}
	return out
}

// stop kills the demo processes and removes its cgroups.
func (d *demo) stop() error {
	var first error
	for i := len(demoCgroups) - 1; i >= 0; i-- {
		path := filepath.Join(d.root, demoCgroups[i].path)
		if _, err := os.Stat(path); err != nil {
			continue
		}
		if err := removeCgroup(path); err != nil && first == nil {
			first = fmt.Errorf("demo: remove %s: %w", path, err)
		}
	}
	for _, c := range d.procs {
		_ = c.Wait()
	}
	return first
}
