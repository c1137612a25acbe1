package inspect

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
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
	snap.Host = s.readHost()
	s.users.refresh()

	pids, err := listPIDs(s.cfg.procRoot)
	if err != nil {
		return nil, fmt.Errorf("scan: list processes: %w", err)
	}

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

	results := make([]procResult, len(pids))
	var next atomic.Int64
	s.parallel(func() {
		r := newProcReader(s, bad)
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

	nb := newNSBuilder(s, snap, bad)
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
	snap.Unreadable = bad.list()
	snap.sortAll()
	snap.index()
	snap.ScanDuration = time.Since(start)
	return snap, nil
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
