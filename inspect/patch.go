package inspect

// ReadProcess reads one process from /proc as a scan would (stat,
// cmdline, cgroup, the namespace links, NSpid and the effective UID), for
// a caller that learned that it started, exec'd or changed (an event
// stream) and keeps snap, a scan of this scanner, up to date without
// scanning every process again. Its open file descriptors are not read
// (a process holding a namespace open waits for the next full scan).
// Container is set as a scan sets it: the container of the first of its
// cgroups in snap that belongs to one, else that of its pid namespace.
// It reports false when the process is gone or its basic files cannot
// be read. See proc(5).
func (s *Scanner) ReadProcess(snap *Snapshot, pid int) (Process, bool) {
	r := newProcReader(s, &unreadableCounter{})
	// One process's fd table can be thousands of links; holders are the
	// full scan's business.
	cfg := s.cfg
	cfg.fds = false
	r.cfg = &cfg
	res := r.readDir(pid, snap.Host.BootTime)
	if !res.valid {
		return Process{}, false
	}
	p := res.proc
	p.Container = containerOfNew(snap, &p)
	return p, true
}

// containerOfNew finds the container a process read after snap was
// taken belongs to, by snap's cgroups and namespaces (see
// matcher.markProcesses).
func containerOfNew(snap *Snapshot, p *Process) ContainerRef {
	if len(snap.Containers) == 0 {
		return ContainerRef{}
	}
	for _, pc := range p.Cgroups {
		if c := snap.Cgroup(pc.Hierarchy, pc.Path); c != nil && !c.Container.IsZero() {
			return c.Container
		}
	}
	if n := snap.Namespace(p.NS[PIDNS]); n != nil && !n.Initial {
		return n.Container
	}
	return ContainerRef{}
}

// PIDs lists the processes in /proc, ascending.
func (s *Scanner) PIDs() ([]int, error) { return listPIDs(s.cfg.procRoot) }

// ReindexInOrder rebuilds the lookup indexes of s (Process, Namespace,
// Cgroup, the trees, the containers' members) without sorting: for a
// snapshot a caller patched from an indexed one keeping every slice in
// its documented order, where Reindex would sort thousands of sorted
// elements again.
func (s *Snapshot) ReindexInOrder() { s.index() }
