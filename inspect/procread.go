package inspect

import (
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// clockTicks is USER_HZ, the unit of the times in /proc/PID/stat. It is
// 100 on every Linux architecture Go supports. See time(7).
const clockTicks = 100

// nsLinkNames are the entries of /proc/PID/ns read for every process, in
// NSType order, followed by the two *_for_children links.
var nsLinkNames = [NumNSTypes + 2]string{
	"ns/mnt", "ns/pid", "ns/net", "ns/ipc", "ns/uts", "ns/user", "ns/cgroup", "ns/time",
	"ns/pid_for_children", "ns/time_for_children",
}

// Fixed names, NUL-terminated once for the raw syscalls.
var (
	nsLinkNamesZ [len(nsLinkNames)][]byte
	zStat        = cstr("stat")
	zStatus      = cstr("status")
	zCmdline     = cstr("cmdline")
	zCgroup      = cstr("cgroup")
	zFD          = cstr("fd")
)

func init() {
	for i, n := range nsLinkNames {
		nsLinkNamesZ[i] = cstr(n)
	}
}

// fdHold is an open file descriptor that refers to a namespace.
type fdHold struct {
	FD  int
	ID  NSID
	Typ NSType
}

// procResult is what a worker read about one process.
type procResult struct {
	proc  Process
	fds   []fdHold
	valid bool
	// cgKey is the css_set the iterator reported and cgFrom the process
	// whose /proc/PID/cgroup gave the cgroups for it (itself, or the one
	// that filled the css_set's entry); see Scanner.recheckCgroups.
	cgKey  uint64
	cgFrom int
}

// pfExiting is PF_EXITING in the flags field of /proc/PID/stat: an
// exiting process's /proc/PID/cgroup shows "/" in every v1 hierarchy
// (proc_cgroup_show), whatever its css_set.
const pfExiting = 0x4

// cgEntry is the cgroups read for a css_set, and from which process.
type cgEntry struct {
	cgs  []ProcCgroup
	from int
}

// procReader reads processes; one per worker goroutine, so its buffers
// and string table are reused without locking.
type procReader struct {
	s      *Scanner
	cfg    *config
	nsfs   uint64
	bad    *unreadableCounter
	buf    []byte
	link   []byte
	dirent []byte
	// tasks is what the BPF iterators read, or nil; procRoot is an
	// O_PATH fd of the proc root for the "PID/file" reads made when a
	// task record spares opening the PID directory.
	tasks    *bpfResult
	procRoot int
	pathz    []byte
	// byCSSet keeps the cgroups read for each css_set the iterator
	// reported: processes sharing one are in the same cgroups, so
	// /proc/PID/cgroup is read once per set, not once per process.
	byCSSet map[uint64]cgEntry
	// fromRecords counts the processes whose stat came from the process
	// iterator.
	fromRecords int
	// strs interns the strings that repeat across processes (command
	// names, cgroup paths and controller lists), so thousands of "sleep"
	// processes share one string.
	strs map[string]string
}

func newProcReader(s *Scanner, bad *unreadableCounter) *procReader {
	return &procReader{
		s: s, cfg: &s.cfg, nsfs: s.nsfsDev, bad: bad,
		buf:    make([]byte, 0, 16384),
		link:   make([]byte, 256),
		dirent: make([]byte, 8192),
		strs:   make(map[string]string, 256),
	}
}

// intern returns a string equal to b, shared with earlier equal ones.
func (r *procReader) intern(b []byte) string {
	if s, ok := r.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	r.strs[s] = s
	return s
}

// internString is intern for a string already made.
func (r *procReader) internString(s string) string {
	if t, ok := r.strs[s]; ok {
		return t
	}
	r.strs[s] = s
	return s
}

// procDir is where a process's files are opened: its own directory
// (pid 0), or the proc root with "PID/" in front of the name.
type procDir struct {
	fd, pid int
}

// readFile reads a file of the process.
func (r *procReader) readFile(d procDir, namez []byte) ([]byte, error) {
	if d.pid == 0 {
		return readAtZ(d.fd, namez, &r.buf)
	}
	r.pathz = append(append(strconv.AppendInt(r.pathz[:0], int64(d.pid), 10), '/'), namez...)
	return readAtZ(d.fd, r.pathz, &r.buf)
}

// read reads one process. It returns valid == false when the process
// vanished or its basic files were not readable (then counted).
func (r *procReader) read(pid int, bootTime time.Time) procResult {
	if r.tasks != nil {
		task := r.tasks.tasks[pid]
		if task != nil && task.NSpid != nil { // else deeper than the record holds
			var proc *bpfProc
			if pr := r.tasks.procs[pid]; pr != nil && pr.StartNS == task.StartNS && pr.usable() {
				proc = pr // the same process in both iterators
			}
			if res, same := r.readRecorded(pid, bootTime, task, proc); same {
				return res
			}
			// The PID was reused since the iterators ran: read it all here.
		}
	}
	return r.readDir(pid, bootTime)
}

// readRecorded reads a process the iterators saw. What they did not give
// is read by "PID/file" paths, which a PID reused since then would
// answer for the new process; so stat, read last, must still show the
// recorded start time (a PID is never reused back). same is false when
// it does not.
func (r *procReader) readRecorded(pid int, bootTime time.Time, task *bpfTask, proc *bpfProc) (res procResult, same bool) {
	d := procDir{fd: r.procRoot, pid: pid}
	dirPath := r.cfg.procRoot + "/" + strconv.Itoa(pid)
	p := &res.proc
	p.PID = pid
	read := false // a file of the PID was read: check the start time
	if proc != nil && proc.CmdlineOK {
		p.Cmdline = proc.Cmdline
	} else {
		// Without the process record the kernel-thread flag is only
		// known from stat, read last; a kernel thread's cmdline is empty.
		read = true
		if data, err := r.readFile(d, zCmdline); err == nil {
			p.Cmdline = parseCmdline(data)
		} else if !vanished(err) {
			r.bad.add(UnreadableProcess, dirPath+"/cmdline", err)
		}
	}
	entry, cached := r.byCSSet[task.CSSet]
	cached = cached && task.CSSet != 0
	if cached {
		p.Cgroups, res.cgKey, res.cgFrom = entry.cgs, task.CSSet, entry.from
	} else {
		read = true
		r.readCgroups(d, dirPath, p)
		res.cgKey, res.cgFrom = task.CSSet, pid
	}

	// Without a process record a file was read (cmdline), so stat is.
	var st ProcStat
	exiting := false
	if read {
		data, err := r.readFile(d, zStat)
		if err != nil {
			if !vanished(err) {
				r.bad.add(UnreadableProcess, dirPath+"/stat", err)
			}
			return res, true // gone: nothing to report
		}
		if st, err = ParseProcStat(data); err != nil {
			return res, true // torn by an exit
		}
		if st.StartTime != task.StartTicks {
			return res, false
		}
		exiting = st.Flags&pfExiting != 0
	}
	if proc != nil {
		st = proc.Stat
		r.fromRecords++
	}
	if !cached && task.CSSet != 0 && p.Cgroups != nil && !exiting {
		if r.byCSSet == nil {
			r.byCSSet = make(map[uint64]cgEntry, 512)
		}
		r.byCSSet[task.CSSet] = cgEntry{p.Cgroups, pid}
	}
	r.fillStat(p, &st, bootTime)
	if p.Kernel {
		p.Cmdline = nil
	}
	p.UID = task.EUID
	r.fromTask(task, pid, p, &res)
	p.NSpid = task.NSpid
	p.User = r.s.users.name(p.UID)
	res.valid = true
	return res, true
}

// fillStat copies what stat says into p.
func (r *procReader) fillStat(p *Process, st *ProcStat, bootTime time.Time) {
	p.Comm = r.internString(st.Comm)
	p.State = string(st.State)
	p.PPID = st.PPID
	p.Kernel = st.Flags&pfKthread != 0
	p.UTimeUS = int64(st.UTime) * (1e6 / clockTicks)
	p.STimeUS = int64(st.STime) * (1e6 / clockTicks)
	p.Threads = st.Threads
	p.StartTime = bootTime.Add(time.Duration(st.StartTime) * (time.Second / clockTicks))
	p.RSSBytes = st.RSSPages * int64(r.s.pageSize)
}

// readDir reads a process from /proc alone, through an fd of its
// directory (which a reused PID cannot answer for).
func (r *procReader) readDir(pid int, bootTime time.Time) procResult {
	var res procResult
	dirPath := r.cfg.procRoot + "/" + strconv.Itoa(pid)
	dirfd, err := unix.Open(dirPath, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_PATH, 0)
	if err != nil {
		if !vanished(err) {
			r.bad.add(UnreadableProcess, dirPath, err)
		}
		return res
	}
	defer unix.Close(dirfd)
	d := procDir{fd: dirfd}

	p := &res.proc
	p.PID = pid
	data, err := r.readFile(d, zStat)
	if err != nil {
		if !vanished(err) {
			r.bad.add(UnreadableProcess, dirPath+"/stat", err)
		}
		return res
	}
	st, err := ParseProcStat(data)
	if err != nil {
		// A torn read can only come from a process exiting under us.
		return res
	}
	r.fillStat(p, &st, bootTime)

	// The owner of /proc/PID is the process's effective UID (root while
	// it is not dumpable), as htop reads it: one fstat instead of parsing
	// status, which only processes in a nested pid namespace need.
	var dirStat unix.Stat_t
	if err := unix.Fstat(dirfd, &dirStat); err == nil {
		p.UID = int(dirStat.Uid)
	}
	if !p.Kernel {
		if data, err := r.readFile(d, zCmdline); err == nil {
			p.Cmdline = parseCmdline(data)
		} else if !vanished(err) {
			r.bad.add(UnreadableProcess, dirPath+"/cmdline", err)
		}
	}
	r.readCgroups(d, dirPath, p)

	// A zombie has released all but its pid and user namespaces (held by
	// its struct pid and its credentials until it is reaped): those links
	// resolve, the others fail, and lsns counts it in those two.
	r.readNamespaces(dirfd, dirPath, p)
	if r.cfg.fds && !p.Kernel && st.State != 'Z' {
		res.fds = r.readFDs(dirfd, dirPath)
	}
	p.NSpid = []int{pid}
	// In a nested pid namespace (or unknown), status has the PID at every
	// level, and the exact effective UID. A tree other than the live
	// /proc (a fixture) takes the UID from status too: its directories
	// belong to whoever copied it.
	pidNS := p.NS[PIDNS]
	nested := !p.Kernel && (pidNS.IsZero() || pidNS != r.s.selfPIDNS)
	if nested || !r.s.cfg.live() {
		data, err = r.readFile(d, zStatus)
		var status procStatus
		if err == nil {
			status, err = parseStatus(data)
		} else if !vanished(err) {
			r.bad.add(UnreadableProcess, dirPath+"/status", err)
		}
		switch {
		case err != nil && nested:
			return res
		case err == nil:
			p.UID = status.UID
			if len(status.NSpid) > 0 {
				p.NSpid = status.NSpid
			}
		}
	}
	p.User = r.s.users.name(p.UID)
	res.valid = true
	return res
}

// fromTask fills the namespaces and nsfs fds from the iterator's record.
// The types of the fds are found later, from all processes' namespaces
// (see Scanner.resolveFDTypes).
func (r *procReader) fromTask(t *bpfTask, pid int, p *Process, res *procResult) {
	id := func(ino uint64) NSID {
		if ino == 0 {
			return NSID{}
		}
		return NSID{Dev: r.nsfs, Ino: ino}
	}
	// The user namespace comes from the credentials and the pid
	// namespace from the struct pid, which an exiting process keeps
	// until it is reaped; the rest from the nsproxy, which it drops.
	p.NS[UserNS] = id(t.NS[UserNS])
	p.NS[PIDNS] = id(t.NS[PIDNS])
	if t.HasNS {
		for k, ino := range t.NS {
			p.NS[k] = id(ino)
		}
		p.PIDForChildren = id(t.PIDForChildren)
		p.TimeForChildren = id(t.TimeForChildren)
	}
	if r.cfg.fds && !p.Kernel {
		for _, f := range r.tasks.files[pid] {
			res.fds = append(res.fds, fdHold{FD: f.FD, ID: id(f.Ino)})
		}
	}
}

// readCgroups reads /proc/PID/cgroup, interning its repeated strings.
func (r *procReader) readCgroups(d procDir, dirPath string, p *Process) {
	data, err := r.readFile(d, zCgroup)
	if err != nil {
		if !vanished(err) {
			r.bad.add(UnreadableProcess, dirPath+"/cgroup", err)
		}
		return
	}
	p.Cgroups = parseProcCgroupFunc(data, r.intern)
}

// readNamespaces fills p.NS and the *_for_children links from the ns
// symlinks. readlink gives "net:[INODE]"; every namespace lives on the one
// nsfs superblock, whose device the scanner stat(2)ed once.
func (r *procReader) readNamespaces(dirfd int, dirPath string, p *Process) {
	deniedOnce := false
	for i, name := range nsLinkNames {
		text, err := readlinkatZ(dirfd, nsLinkNamesZ[i], r.link)
		if err != nil {
			if denied(err) && !deniedOnce {
				r.bad.add(UnreadableNamespaces, dirPath+"/"+name, err)
				deniedOnce = true
			}
			continue
		}
		_, ino, ok := parseNSLink(text)
		if !ok {
			continue
		}
		id := NSID{Dev: r.nsfs, Ino: ino}
		switch {
		case i < int(NumNSTypes):
			p.NS[i] = id
		case i == int(NumNSTypes):
			p.PIDForChildren = id
		default:
			p.TimeForChildren = id
		}
	}
}

// readFDs returns the process's open file descriptors that refer to
// namespaces.
func (r *procReader) readFDs(dirfd int, dirPath string) []fdHold {
	fdDir, err := openatZ(dirfd, zFD, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		if denied(err) {
			r.bad.add(UnreadableFDs, dirPath+"/fd", err)
		}
		return nil
	}
	defer unix.Close(fdDir)
	var holds []fdHold
	err = readDirents(fdDir, r.dirent, func(namez []byte, _ uint8) {
		if namez[0] == '.' {
			return
		}
		text, err := readlinkatZ(fdDir, namez, r.link)
		if err != nil {
			return // closed meanwhile
		}
		// Cheap filter: namespace links end in ']' and start with a type
		// name; most fds are files, sockets and pipes.
		if len(text) < 6 || text[len(text)-1] != ']' || text[0] == '/' {
			return
		}
		nsType, ino, ok := parseNSLink(text)
		if !ok {
			return
		}
		fd, err := atoi(direntName(namez))
		if err != nil {
			return
		}
		holds = append(holds, fdHold{FD: fd, ID: NSID{Dev: r.nsfs, Ino: ino}, Typ: nsType})
	})
	if err != nil && denied(err) {
		r.bad.add(UnreadableFDs, dirPath+"/fd", err)
	}
	return holds
}
