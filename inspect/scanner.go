package inspect

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Scanner reads snapshots of the host. It detects the cgroup layout and
// the nsfs device once and caches user names; a Scanner is safe for
// concurrent use, but scans are meant to run one at a time.
type Scanner struct {
	cfg      config
	users    *userNames
	nsfsDev  uint64
	pageSize int
	// selfPIDNS is the scanner's own pid namespace: processes in it have
	// no nested PIDs to read.
	selfPIDNS NSID

	layoutOnce sync.Once
	layout     CgroupLayout
	layoutErr  error

	bpfOnce  sync.Once
	bpfIters *bpfIters
	bpfErr   error
	// startsAgree: the iterators' start times are /proc's (the scanner
	// is not in a time namespace with a boot-time offset).
	startsOnce  sync.Once
	startsAgree bool
	// fromRecords is how many processes the last scan took from the
	// process iterator's records instead of stat and cmdline.
	fromRecords atomic.Int64
	containers  containerState
}

// New returns a Scanner with the given options. The defaults read the
// real /proc, /sys, /run and /etc with every discovery turned on.
func New(opts ...Option) *Scanner {
	s := &Scanner{cfg: defaultConfig(), pageSize: os.Getpagesize()}
	for _, o := range opts {
		o(&s.cfg)
	}
	s.users = &userNames{path: filepath.Join(s.cfg.etcRoot, "passwd")}
	var st unix.Stat_t
	if err := unix.Stat(filepath.Join(s.cfg.procRoot, "self/ns/net"), &st); err == nil {
		s.nsfsDev = st.Dev
	}
	if link, err := os.Readlink(filepath.Join(s.cfg.procRoot, "self/ns/pid")); err == nil {
		if _, ino, ok := parseNSLink([]byte(link)); ok {
			s.selfPIDNS = NSID{Dev: s.nsfsDev, Ino: ino}
		}
	}
	return s
}

// Layout returns the cgroup layout, detecting it on first use. When
// detection fails the mode is CgroupNone and the error is LayoutErr.
func (s *Scanner) Layout() CgroupLayout {
	s.layoutOnce.Do(func() {
		s.layout, s.layoutErr = DetectCgroupLayout(s.cfg.procRoot, s.cfg.sysRoot)
		if s.layoutErr != nil {
			s.layout.Mode = CgroupNone
		}
	})
	return s.layout
}

// LayoutErr returns why cgroup layout detection failed, or nil.
func (s *Scanner) LayoutErr() error {
	s.Layout()
	return s.layoutErr
}

// Scan reads every process, namespace and cgroup into a new Snapshot.
// Processes and cgroups that vanish mid-scan are skipped; files that cannot
// be read for other reasons are counted in Snapshot.Unreadable. Scan fails
// only when /proc itself cannot be listed or ctx is cancelled.
func (s *Scanner) Scan(ctx context.Context) (*Snapshot, error) {
	start := time.Now()
	snap := &Snapshot{SchemaVersion: SchemaVersion, Time: start}
	bad := &unreadableCounter{}
	// The first scan loads the BPF iterators (iterate waits for them);
	// the steps up to there run meanwhile.
	go s.loadBPF()
	snap.Host = s.readHost()
	s.users.refresh()

	// The cgroup walk needs nothing from /proc but membership, which is
	// attached at the end; it runs alongside, filling the gaps the
	// process phases leave on the CPUs.
	layout := s.Layout()
	snap.CgroupMode = layout.Mode
	snap.Hierarchies = append([]Hierarchy(nil), layout.Hierarchies...)
	cgroupsDone := make(chan []Cgroup, 1)
	if s.cfg.cgroups {
		go func() { cgroupsDone <- s.walkCgroups(ctx, snap.Hierarchies, bad) }()
	} else {
		cgroupsDone <- nil
	}

	discovered := s.discoverContainers()
	tasks := s.iterate()
	snap.ScanMethod = "procfs"
	if tasks != nil {
		snap.ScanMethod = "bpf"
	}
	pids, err := listPIDs(s.cfg.procRoot)
	if err != nil {
		<-cgroupsDone
		return nil, fmt.Errorf("scan: list processes: %w", err)
	}
	procRoot, err := unix.Open(s.cfg.procRoot, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_PATH, 0)
	if err != nil {
		<-cgroupsDone
		return nil, fmt.Errorf("scan: open %s: %w", s.cfg.procRoot, err)
	}
	defer unix.Close(procRoot)

	results := make([]procResult, len(pids))
	var next, fromRecords atomic.Int64
	s.parallel(func() {
		r := newProcReader(s, bad)
		r.tasks, r.procRoot = tasks, procRoot
		defer func() { fromRecords.Add(int64(r.fromRecords)) }()
		for {
			i := int(next.Add(1)) - 1
			if i >= len(pids) || ctx.Err() != nil {
				return
			}
			results[i] = r.read(pids[i], snap.Host.BootTime)
		}
	})
	if err := ctx.Err(); err != nil {
		<-cgroupsDone
		return nil, err
	}
	s.fromRecords.Store(fromRecords.Load())
	// A task in state X has exited and is being released: it is not
	// listed. Its exit came before the scan, so a view that follows
	// process events would show it until the next full scan.
	for i := range results {
		if results[i].valid && results[i].proc.State == "X" {
			results[i].valid = false
		}
	}

	if tasks != nil {
		s.recheckCgroups(results, tasks, procRoot, bad)
	}

	snap.Processes = make([]Process, 0, len(results))
	for i := range results {
		if results[i].valid {
			snap.Processes = append(snap.Processes, results[i].proc)
		}
	}
	snap.indexProcesses()
	if p := snap.Process(snap.Host.SelfPID); p != nil {
		snap.Host.SelfNS = p.NS
	}
	snap.Host.InitNS = initialNamespaces(snap)

	if tasks != nil {
		s.resolveFDTypes(results)
	}
	nb := newNSBuilder(s, snap, bad)
	if tasks != nil {
		nb.links = taskLinks(tasks.tasks)
	}
	nb.addProcesses(results)
	if s.cfg.mounts {
		nb.addBindMounts(ctx)
	}
	if s.cfg.live() {
		nb.resolveHierarchy(ctx)
	}
	snap.Namespaces = nb.finish()

	snap.Cgroups = <-cgroupsDone
	attachMembers(snap, snap.Cgroups)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	snap.sortAll()
	snap.index()
	snap.Host.Systemd = s.systemdManager(snap)
	if discovered != nil {
		s.attachContainers(snap, <-discovered, bad)
	}
	snap.Unreadable = bad.list()
	snap.ScanDuration = time.Since(start)
	return snap, nil
}

// BPFErr says why the BPF task iterators are not used (not root, no
// BTF, a kernel that refuses them), or nil when they are. It loads them
// if no scan has yet.
func (s *Scanner) BPFErr() error {
	s.loadBPF()
	return s.bpfErr
}

func (s *Scanner) loadBPF() {
	s.bpfOnce.Do(func() {
		switch {
		case !s.cfg.bpf:
			s.bpfErr = fmt.Errorf("turned off")
		case !s.cfg.live():
			s.bpfErr = fmt.Errorf("not the live /proc")
		case os.Geteuid() != 0:
			s.bpfErr = fmt.Errorf("not root")
		default:
			s.bpfIters, s.bpfErr = loadBPFIters()
		}
	})
}

// Close releases what the scanner holds in the kernel: the BPF
// iterators, if it loaded them, and the inotify instance that watches the
// container runtimes' directories. Scans after Close read /proc alone.
// It is safe to call more than once.
func (s *Scanner) Close() error {
	if d := s.containers.discoverer; d != nil {
		d.Close()
	}
	s.bpfOnce.Do(func() { s.bpfErr = errIteratorsClosed })
	if s.bpfIters == nil {
		return nil
	}
	return s.bpfIters.close()
}

// iterate runs the BPF iterators, or returns nil when they are not
// loaded, fail, or see PIDs or start times other than /proc's (the
// scanner is in a nested pid namespace or a time namespace).
func (s *Scanner) iterate() *bpfResult {
	s.loadBPF()
	if s.bpfIters == nil {
		return nil
	}
	res, err := s.bpfIters.iterate()
	if err != nil {
		return nil
	}
	self := res.tasks[os.Getpid()]
	if self == nil || len(self.NSpid) != 1 || self.NS[PIDNS] != s.selfPIDNS.Ino {
		return nil
	}
	// In a time namespace /proc shifts start times by its boot-time
	// offset and the iterators do not; every identity check would fail.
	// A multi-threaded process cannot change its time namespace: checked
	// once.
	s.startsOnce.Do(func() {
		data, err := os.ReadFile(filepath.Join(s.cfg.procRoot, "self/stat"))
		if err != nil {
			return
		}
		st, err := ParseProcStat(data)
		s.startsAgree = err == nil && st.StartTime == self.StartTicks
	})
	if !s.startsAgree {
		return nil
	}
	return res
}

// recheckCgroups makes the cgroups taken from the css_set entries hold
// after the /proc reads. A css_set's cgroups never change, but a process
// can move to another css_set between the iterator pass and the read of
// its /proc/PID/cgroup, and its read then fills the old css_set's entry
// with the new cgroups. A second pass reads every css_set again; a
// process that moved, or whose entry came from one that moved, has its
// own file read again.
func (s *Scanner) recheckCgroups(results []procResult, tasks *bpfResult, procRoot int, bad *unreadableCounter) {
	sets, err := s.bpfIters.cssets()
	if err != nil {
		return // as read: the window is the scan's, as with /proc alone
	}
	moved := func(pid int, key uint64) bool {
		set, ok := sets[pid]
		return ok && set != key // gone since: its read stood, or it was exiting
	}
	var r *procReader
	for i := range results {
		res := &results[i]
		if !res.valid || res.cgKey == 0 {
			continue
		}
		pid := res.proc.PID
		if !moved(pid, res.cgKey) && (res.cgFrom == pid || !moved(res.cgFrom, res.cgKey)) {
			continue
		}
		if r == nil {
			r = newProcReader(s, bad)
			r.procRoot = procRoot
		}
		d := procDir{fd: procRoot, pid: pid}
		data, err := r.readFile(d, zCgroup)
		if err != nil {
			continue
		}
		cgs := parseProcCgroupFunc(data, r.intern)
		// Still the same process (a start time read after the file)?
		if data, err = r.readFile(d, zStat); err != nil {
			continue
		}
		if st, err := ParseProcStat(data); err == nil && st.StartTime == tasks.tasks[pid].StartTicks {
			res.proc.Cgroups = cgs
		}
	}
}

// resolveFDTypes gives the nsfs fds the iterator found their namespace
// type: from the processes' own namespaces when one matches, else from
// the fd's link, as /proc would have read it.
func (s *Scanner) resolveFDTypes(results []procResult) {
	types := make(map[uint64]NSType, 4096)
	for i := range results {
		p := &results[i].proc
		for t, id := range p.NS {
			types[id.Ino] = NSType(t)
		}
		types[p.PIDForChildren.Ino] = PIDNS
		types[p.TimeForChildren.Ino] = TimeNS
	}
	delete(types, 0)
	link := make([]byte, 256)
	for i := range results {
		fds := results[i].fds[:0]
		for _, h := range results[i].fds {
			if t, ok := types[h.ID.Ino]; ok {
				h.Typ = t
			} else {
				path := s.cfg.procRoot + "/" + strconv.Itoa(results[i].proc.PID) + "/fd/" + strconv.Itoa(h.FD)
				n, err := unix.Readlink(path, link)
				if err != nil {
					continue // closed meanwhile
				}
				typ, ino, ok := parseNSLink(link[:n])
				if !ok || ino != h.ID.Ino {
					continue
				}
				h.Typ = typ
			}
			fds = append(fds, h)
		}
		results[i].fds = fds
	}
}

// initialNamespaces returns the host's namespaces: those of PID 1, or of
// kthreadd (PID 2) when PID 1 is not readable (it may hold capabilities
// the scanner lacks, which makes its ns links EACCES even for root);
// kernel threads always live in the initial namespaces. Failing both, the
// scanner's own.
func initialNamespaces(snap *Snapshot) NSSet {
	for _, pid := range []int{1, 2} {
		p := snap.Process(pid)
		if p == nil || p.NS[UserNS].IsZero() || (pid == 2 && !p.Kernel) {
			continue
		}
		return p.NS
	}
	return snap.Host.SelfNS
}

// parallel runs work on cfg.workers goroutines and waits for them.
func (s *Scanner) parallel(work func()) {
	var wg sync.WaitGroup
	for range s.cfg.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	wg.Wait()
}

// listPIDs returns the numeric entries of the proc root, ascending.
func listPIDs(procRoot string) ([]int, error) {
	fd, err := unix.Open(procRoot, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	buf := make([]byte, 32768)
	var pids []int
	err = readDirents(fd, buf, func(namez []byte, typ uint8) {
		if pid, err := atoi(direntName(namez)); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	})
	if err != nil {
		return nil, err
	}
	sort.Ints(pids)
	return pids, nil
}
