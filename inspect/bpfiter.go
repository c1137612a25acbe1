package inspect

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect/internal/bpf"
)

// The BPF task iterators read, in one pass inside the kernel, what costs
// /proc ten readlinks, a status read and an fd-table walk per process:
// the namespace inodes, the effective UID, the PID at every pid-namespace
// level, and the open nsfs files of every process. Without them a scan of
// ~4,000 processes spends most of its time entering and leaving the
// kernel. They need root (CAP_BPF and CAP_PERFMON) and a kernel with BTF
// (5.8+ for task iterators); anything less and the scanner reads /proc
// for everything, as it does for processes born after the iterators ran.
//
// There are four programs (package internal/bpf has their C): the task
// iterator (nscope_tasks), the task_file iterator (nscope_nsfds), a
// css_set iterator the scan runs again after its /proc reads
// (nscope_cssets, see Scanner.recheckCgroups), and the sleepable process
// iterator (nscope_procs, 5.18+), which gives what stat and cmdline
// would (see bpfproc.go). They are loaded through cilium/ebpf, which
// relocates their field offsets to the running kernel's BTF.

// kernelBTFPath is where a kernel built with CONFIG_DEBUG_INFO_BTF
// describes its types; the programs cannot load without it.
const kernelBTFPath = "/sys/kernel/btf/vmlinux"

// errNoBTF says the kernel has no BTF: the iterators cannot load.
var errNoBTF = errors.New("no kernel BTF")

// bpfMaxLevels is how many pid-namespace levels a task record carries;
// deeper processes (the kernel allows 32) are read from /proc.
const bpfMaxLevels = int(bpf.TasksTaskLimitsMAX_LEVELS)

// Record sizes: the Go types are generated from the C declarations.
const (
	taskRecBytes = int(unsafe.Sizeof(bpf.TasksTaskRecord{}))
	fileRecBytes = int(unsafe.Sizeof(bpf.TasksFileRecord{}))
	cssRecBytes  = int(unsafe.Sizeof(bpf.TasksCssRecord{}))
)

// bpfTask is what the task iterator reports about one process.
type bpfTask struct {
	EUID            int
	HasNS           bool
	NS              [NumNSTypes]uint64
	PIDForChildren  uint64
	TimeForChildren uint64
	NSpid           []int // nil when deeper than bpfMaxLevels
	// StartTicks is the start time in clock ticks after boot, as field
	// 22 of /proc/PID/stat: a PID reused since the iterator ran has
	// another.
	StartTicks uint64
	StartNS    uint64
	// Owner is the owning user namespace of NS, then of the two
	// for-children namespaces; PIDParent and PIDFCParent the parents of
	// the pid namespaces; OwnerUID the creator of the user namespace.
	Owner                  [NumNSTypes + 2]uint64
	PIDParent, PIDFCParent uint64
	OwnerUID               int
	// CSSet identifies the task's set of cgroups; 0 when unknown.
	CSSet uint64
}

// bpfFile is an open nsfs file of a process.
type bpfFile struct {
	PID, FD int
	Ino     uint64
}

// bpfIters holds the attached iterators; iterate reads them. The
// programs are closed once attached: a link keeps its program.
type bpfIters struct {
	// mu guards everything below: the links (nil once closed) and the
	// buffers, which every pass reuses; records are decoded before it is
	// unlocked.
	mu                sync.Mutex
	tasks, files, css *link.Iter
	procs             *link.Iter // nil when procErr says why
	procErr           error
	buf, procBuf      []byte
	procReadErr       error // why the last pass could not use procs' output
	// counters is the counter iterator, loaded on a refresher's first
	// use (see Scanner.counterIter); nil when countersErr says why.
	countersOnce sync.Once
	counters     *counterIter
	countersErr  error
}

// errIteratorsClosed is the error of a pass after Scanner.Close.
var errIteratorsClosed = errors.New("BPF iterators closed")

// loadBPFIters loads and attaches the iterators for this kernel. The
// process iterator is optional: when it does not load (before 5.18),
// procErr says why and the others are used alone.
func loadBPFIters() (*bpfIters, error) {
	if _, err := os.Stat(kernelBTFPath); err != nil {
		return nil, fmt.Errorf("%w: %s is missing (kernel built without CONFIG_DEBUG_INFO_BTF)", errNoBTF, kernelBTFPath)
	}
	// One copy of the kernel's types for both objects, and only
	// vmlinux's: the library would otherwise read every module's BTF as
	// well, which the programs never need.
	cache := btf.NewCache()
	kernel, err := cache.Kernel()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errNoBTF, err)
	}
	opts := &ebpf.CollectionOptions{Programs: ebpf.ProgramOptions{KernelTypes: kernel}, Cache: cache}

	// The two objects load side by side: most of the time is the
	// verifier's, in the kernel, on the loading thread.
	it := &bpfIters{}
	procsDone := make(chan struct{})
	go func() {
		defer close(procsDone)
		var pp bpf.ProcsPrograms
		if err := bpf.LoadProcsObjects(&pp, opts); err != nil {
			it.procErr = fmt.Errorf("load process iterator: %w", err)
			return
		}
		defer pp.Close()
		procs, err := link.AttachIter(link.IterOptions{Program: pp.NscopeProcs})
		if err != nil {
			it.procErr = fmt.Errorf("attach process iterator: %w", err)
			return
		}
		it.procs = procs
	}()
	err = it.attachTasks(opts)
	<-procsDone
	if err != nil {
		it.close()
		return nil, err
	}
	return it, nil
}

// attachTasks loads and attaches the three task iterators.
func (it *bpfIters) attachTasks(opts *ebpf.CollectionOptions) error {
	var tp bpf.TasksPrograms
	if err := bpf.LoadTasksObjects(&tp, opts); err != nil {
		return fmt.Errorf("load task iterators: %w", err)
	}
	defer tp.Close()
	for _, a := range []struct {
		prog *ebpf.Program
		dst  **link.Iter
	}{{tp.NscopeTasks, &it.tasks}, {tp.NscopeNsfds, &it.files}, {tp.NscopeCssets, &it.css}} {
		var err error
		if *a.dst, err = link.AttachIter(link.IterOptions{Program: a.prog}); err != nil {
			return fmt.Errorf("attach %s: %w", a.prog, err)
		}
	}
	return nil
}

// close detaches the iterators; a later pass fails with
// errIteratorsClosed.
func (it *bpfIters) close() error {
	it.mu.Lock()
	defer it.mu.Unlock()
	var errs []error
	if it.counters != nil {
		errs = append(errs, it.counters.close())
	}
	for _, l := range []**link.Iter{&it.tasks, &it.files, &it.css, &it.procs} {
		if *l != nil {
			errs = append(errs, (*l).Close())
			*l = nil
		}
	}
	return errors.Join(errs...)
}

// readIter runs a pass of iterator l and returns its whole output in
// buf, grown as needed.
func readIter(l *link.Iter, buf []byte) ([]byte, error) {
	if l == nil {
		return buf, errIteratorsClosed
	}
	r, err := l.Open()
	if err != nil {
		return buf, fmt.Errorf("iterator: %w", err)
	}
	defer r.Close()
	buf = buf[:0]
	for {
		if cap(buf)-len(buf) < 1<<16 {
			grown := make([]byte, len(buf), 2*cap(buf)+1<<17)
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case err == io.EOF:
			return buf, nil
		case errors.Is(err, unix.EAGAIN):
			// A million tasks without output: the kernel asks to go on.
			continue
		case err != nil:
			return buf, fmt.Errorf("iterator: %w", err)
		}
	}
}

// record copies the first bytes of b into rec, a record type generated
// from records.h; the records are written in the host's byte order.
// The caller checks that b is long enough.
func record[T any](rec *T, b []byte) {
	copy(unsafe.Slice((*byte)(unsafe.Pointer(rec)), unsafe.Sizeof(*rec)), b)
}

// bpfResult is one pass of the iterators.
type bpfResult struct {
	tasks map[int]*bpfTask
	files map[int][]bpfFile // by PID
	// procs is what the process iterator read, nil without it.
	procs map[int]*bpfProc
}

// iterate runs the task, task_file and process iterators. The process
// pass, which copies every process's arguments and takes longest, runs
// beside the other two.
func (it *bpfIters) iterate() (*bpfResult, error) {
	it.mu.Lock()
	defer it.mu.Unlock()
	res := &bpfResult{}
	var procsDone chan struct{}
	if it.procs != nil {
		// Without it the scan reads stat and cmdline from /proc.
		procsDone = make(chan struct{})
		go func() {
			defer close(procsDone)
			var err error
			if it.procBuf, err = readIter(it.procs, it.procBuf); err == nil {
				res.procs, err = decodeProcs(it.procBuf)
			}
			it.procReadErr = err
		}()
	}
	err := it.readTasks(res)
	if procsDone != nil {
		<-procsDone
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// readTasks runs the task and task_file iterators into res.
func (it *bpfIters) readTasks(res *bpfResult) error {
	data, err := readIter(it.tasks, it.buf)
	if err != nil {
		return err
	}
	it.buf = data
	if len(data)%taskRecBytes != 0 {
		return fmt.Errorf("iterator: %d bytes is not a whole number of records", len(data))
	}
	res.tasks = make(map[int]*bpfTask, len(data)/taskRecBytes)
	all := make([]bpfTask, len(data)/taskRecBytes)
	var rec bpf.TasksTaskRecord
	for i := range all {
		record(&rec, data[i*taskRecBytes:])
		decodeTask(&rec, &all[i])
		res.tasks[int(rec.Tgid)] = &all[i]
	}

	data, err = readIter(it.files, data)
	if err != nil {
		return err
	}
	it.buf = data
	res.files = map[int][]bpfFile{}
	var frec bpf.TasksFileRecord
	for i := 0; i+fileRecBytes <= len(data); i += fileRecBytes {
		record(&frec, data[i:])
		f := bpfFile{PID: int(frec.Tgid), FD: int(frec.Fd), Ino: frec.Ino}
		res.files[f.PID] = append(res.files[f.PID], f)
	}
	return nil
}

// decodeTask fills t from a task record.
func decodeTask(rec *bpf.TasksTaskRecord, t *bpfTask) {
	t.EUID = int(rec.Euid)
	t.HasNS = rec.Flags&uint32(bpf.TasksTaskFlagsTASK_HAS_NSPROXY) != 0
	for k := range NumNSTypes {
		t.NS[k] = uint64(rec.Ns[k])
	}
	t.PIDForChildren = uint64(rec.Ns[bpf.TasksNsSlotNS_PID_FOR_CHILDREN])
	t.TimeForChildren = uint64(rec.Ns[bpf.TasksNsSlotNS_TIME_FOR_CHILDREN])
	t.StartNS = rec.StartNs
	t.StartTicks = t.StartNS / (1e9 / clockTicks)
	for k := range t.Owner {
		t.Owner[k] = uint64(rec.Owner[k])
	}
	t.PIDParent, t.PIDFCParent = uint64(rec.PidParent), uint64(rec.PidForChildrenParent)
	t.OwnerUID = int(int32(rec.OwnerUid))
	t.CSSet = rec.CssSet
	if level := int(rec.Level); level < bpfMaxLevels {
		t.NSpid = make([]int, level+1)
		for k := range t.NSpid {
			t.NSpid[k] = int(rec.Nspid[k])
		}
	}
}

// cssets runs the css_set iterator: each thread-group leader's css_set.
func (it *bpfIters) cssets() (map[int]uint64, error) {
	it.mu.Lock()
	defer it.mu.Unlock()
	data, err := readIter(it.css, it.buf)
	if err != nil {
		return nil, err
	}
	it.buf = data
	sets := make(map[int]uint64, len(data)/cssRecBytes)
	var rec bpf.TasksCssRecord
	for i := 0; i+cssRecBytes <= len(data); i += cssRecBytes {
		record(&rec, data[i:])
		sets[int(rec.Tgid)] = rec.CssSet
	}
	return sets, nil
}
