// Package tourcheck records, from outside, what a running "nscope tour"
// made, and later lists whatever of it is left: its processes, their
// namespaces (and so the veth pair, which lives and dies with them), the
// bind mount of its process-less network namespace, its cgroups. The
// tour's tests use it to prove that the tour removes everything, however
// it ends. It reads /proc, /sys/fs/cgroup and /run/netns of this host.
package tourcheck

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
)

// Proc is one process of the tour, identified by PID and start time.
type Proc struct {
	PID   int
	Start string
	Comm  string
}

// Trace is what a tour named Name made.
type Trace struct {
	Name string
	// Procs are the processes in the tour's cgroups.
	Procs []Proc
	// NS are their namespaces (those that are not the host's) and the
	// bind-mounted network namespace.
	NS map[inspect.NSID]string
	// CgroupDirs are the tour's cgroup directories, in every hierarchy.
	CgroupDirs []string
	// BindMount is the process-less namespace's mount point.
	BindMount string
}

// Record finds what the tour named name made. It fails when the lab is
// not complete: fewer than want processes, or no bind mount.
func Record(name string, want int) (*Trace, error) {
	t := &Trace{Name: name, NS: map[inspect.NSID]string{}, BindMount: filepath.Join("/run/netns", name)}
	// Namespaces the lab shares with us (the caller) are not its own.
	host := map[inspect.NSID]bool{}
	for _, typ := range inspect.AllNSTypes {
		if id, err := nsID(fmt.Sprintf("/proc/self/ns/%s", typ)); err == nil {
			host[id] = true
		}
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
		if err != nil || !strings.Contains(string(cg), "/"+name+"/") {
			continue
		}
		p := Proc{PID: pid, Start: startTime(pid), Comm: comm(pid)}
		if p.Start == "" {
			continue
		}
		t.Procs = append(t.Procs, p)
		for _, typ := range inspect.AllNSTypes {
			if id, err := nsID(fmt.Sprintf("/proc/%d/ns/%s", pid, typ)); err == nil && !host[id] {
				t.NS[id] = fmt.Sprintf("%s namespace of %s (PID %d)", typ, p.Comm, pid)
			}
		}
	}
	if len(t.Procs) < want {
		return t, fmt.Errorf("found %d processes in cgroups named %s, want at least %d", len(t.Procs), name, want)
	}
	id, err := nsID(t.BindMount)
	if err != nil {
		return t, fmt.Errorf("the bind-mounted namespace: %w", err)
	}
	t.NS[id] = "the network namespace bind-mounted at " + t.BindMount
	roots, _ := filepath.Glob("/sys/fs/cgroup/*")
	roots = append(roots, "/sys/fs/cgroup")
	for _, r := range roots {
		dir := filepath.Join(r, name)
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			t.CgroupDirs = append(t.CgroupDirs, dir)
		}
	}
	if len(t.CgroupDirs) == 0 {
		return t, fmt.Errorf("no cgroup directory %s in any hierarchy", name)
	}
	return t, nil
}

// Leftovers lists what of the trace is still there, each in a sentence;
// nothing means everything is gone. Namespaces are looked for with
// nscope's own scan, which finds those held by an fd or a bind mount too.
func (t *Trace) Leftovers(ctx context.Context) ([]string, error) {
	var left []string
	for _, p := range t.Procs {
		if startTime(p.PID) == p.Start {
			left = append(left, fmt.Sprintf("process %d (%s)", p.PID, p.Comm))
		}
	}
	snap, err := inspect.New().Scan(ctx)
	if err != nil {
		return nil, err
	}
	for id, what := range t.NS {
		if n := snap.Namespace(id); n != nil && t.ours(snap, n) {
			left = append(left, fmt.Sprintf("%s, %s", what, id))
		}
	}
	if _, err := os.Lstat(t.BindMount); err == nil {
		left = append(left, "the file "+t.BindMount)
	}
	if mi, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		for _, line := range strings.Split(string(mi), "\n") {
			if f := strings.Fields(line); len(f) > 4 && f[4] == t.BindMount {
				left = append(left, "the mount "+line)
			}
		}
	}
	for _, d := range t.CgroupDirs {
		if _, err := os.Stat(d); err == nil {
			left = append(left, "the cgroup "+d)
		}
	}
	if ifs, err := os.ReadDir("/sys/class/net"); err == nil {
		for _, i := range ifs {
			if strings.HasPrefix(i.Name(), "veth-web") || strings.HasPrefix(i.Name(), "veth-blue") {
				left = append(left, "the interface "+i.Name()+" in the host's network namespace")
			}
		}
	}
	return left, nil
}

// ours reports whether namespace n of snap is still the tour's: one of
// its processes or a process in its cgroups is in it, or its bind mount
// holds it. The kernel reuses a freed namespace's inode number for the
// next namespace made, and on a busy host that can be anyone's within a
// second: an ID found again is the tour's only with one of these.
func (t *Trace) ours(snap *inspect.Snapshot, n *inspect.Namespace) bool {
	start := map[int]string{}
	for _, p := range t.Procs {
		start[p.PID] = p.Start
	}
	for _, pid := range n.Members {
		if s, ok := start[pid]; ok && startTime(pid) == s {
			return true
		}
		if p := snap.Process(pid); p != nil {
			for _, c := range p.Cgroups {
				if strings.Contains(c.Path+"/", "/"+t.Name+"/") {
					return true
				}
			}
		}
	}
	for _, h := range n.Holders {
		if h.Path == t.BindMount {
			return true
		}
		if s, ok := start[h.PID]; ok && h.PID > 0 && startTime(h.PID) == s {
			return true
		}
	}
	return false
}

// nsID is the namespace identity of an nsfs file: its device and inode.
func nsID(path string) (inspect.NSID, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return inspect.NSID{}, err
	}
	return inspect.NSID{Dev: st.Dev, Ino: st.Ino}, nil
}

// startTime is field 22 of /proc/PID/stat, "" when the process is gone.
func startTime(pid int) string {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 20 {
		return ""
	}
	return f[19]
}

func comm(pid int) string {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return strings.TrimSpace(string(data))
}
