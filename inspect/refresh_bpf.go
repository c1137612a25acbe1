package inspect

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"

	"github.com/nscope/nscope/inspect/internal/bpf"
)

// The counter programs (internal/bpf/counters.bpf.c) give, in one pass
// inside the kernel, what a refresh would otherwise read from every
// process's stat file: state, parent, thread count, resident pages and
// CPU times. A refresh runs a pass when more processes may have changed
// than are worth reading one by one (the root cgroup's CPU moved, and
// thousands of processes sit there), and the pass tells exactly which
// processes changed: their numbers are taken from it as the process
// iterator's are (bpfproc.go), or read from /proc for kernel threads,
// zombies and groups whose thread records did not add up.
//
// On 6.7 and later the pass is nscope_counter_walk, run once
// (BPF_PROG_RUN) to walk every task and fill an array this process maps;
// on the bench host (4,000 processes) it costs well under a millisecond.
// Before, it is the task iterator nscope_counters, read like the scan's
// iterators, several times dearer: the seq_file iterator looks up each
// task by PID and takes a reference on it.

// counterRecBytes is the size of a leader's record, and of every record
// of the walk.
const counterRecBytes = int(unsafe.Sizeof(bpf.CountersCounterRecord{}))

// walkOverflow is what the walk returns when its array is full.
const walkOverflow = uint32(bpf.CountersCounterLimitsWALK_OVERFLOW)

// counterIter is a scanner's loaded counter programs, shared by its
// refreshers; close unloads them.
type counterIter struct {
	mu     sync.Mutex
	walk   *counterWalk // nil when not loaded, or its array overflowed
	link   *link.Iter   // the task iterator; nil when not loaded
	closed bool
}

// counterWalk is the loaded walk and its array.
type counterWalk struct {
	prog     *ebpf.Program
	records  *ebpf.Map
	mem      *ebpf.Memory
	capacity int
}

// loadCounterIter loads the counter programs: the walk with an array
// for capacity tasks, and the task iterator. Either may fail to load;
// both failing is an error.
func loadCounterIter(capacity int) (*counterIter, error) {
	cache := btf.NewCache()
	kernel, err := cache.Kernel()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errNoBTF, err)
	}
	opts := &ebpf.CollectionOptions{Programs: ebpf.ProgramOptions{KernelTypes: kernel}, Cache: cache}
	it := &counterIter{}
	walk, walkErr := loadCounterWalk(opts, capacity)
	it.walk = walk
	var ip struct {
		Iter *ebpf.Program `ebpf:"nscope_counters"`
	}
	spec, err := bpf.LoadCounters()
	if err == nil {
		err = spec.LoadAndAssign(&ip, opts)
	}
	if err == nil {
		it.link, err = link.AttachIter(link.IterOptions{Program: ip.Iter})
		ip.Iter.Close()
	}
	if it.walk == nil && it.link == nil {
		return nil, fmt.Errorf("load counter programs: walk: %w; iterator: %w", walkErr, err)
	}
	return it, nil
}

// loadCounterWalk loads the walk with an array for capacity tasks and
// maps the array.
func loadCounterWalk(opts *ebpf.CollectionOptions, capacity int) (*counterWalk, error) {
	spec, err := bpf.LoadCounters()
	if err != nil {
		return nil, err
	}
	spec.Maps[bpf.CountersMapCounterRecords].MaxEntries = uint32(capacity)
	var objs struct {
		Walk    *ebpf.Program `ebpf:"nscope_counter_walk"`
		Records *ebpf.Map     `ebpf:"counter_records"`
	}
	if err := spec.LoadAndAssign(&objs, opts); err != nil {
		return nil, err
	}
	w := &counterWalk{prog: objs.Walk, records: objs.Records, capacity: capacity}
	if w.mem, err = w.records.Memory(); err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

func (w *counterWalk) close() {
	w.prog.Close()
	w.records.Close() // unmaps the array once unreachable
}

// walkCapacity is the array size for a host of tasks tasks: room to
// grow; a host that outgrows it is read with the task iterator.
func walkCapacity(tasks int) int {
	return min(max(1<<14, 2*tasks), 1<<20)
}

// pass runs a pass into buf (grown as needed) and returns the records
// with their stride: counterRecBytes for the walk's, 0 for the task
// iterator's, whose records are as long as their kind.
func (it *counterIter) pass(buf []byte) ([]byte, int, error) {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.closed {
		return buf, 0, errIteratorsClosed
	}
	if w := it.walk; w != nil {
		n, err := w.prog.Run(nil)
		if err == nil && n != walkOverflow && int(n) <= w.capacity {
			size := int(n) * counterRecBytes
			if cap(buf) < size {
				buf = make([]byte, size, size+size/4)
			}
			buf = buf[:size]
			if _, err := w.mem.ReadAt(buf, 0); err == nil {
				return buf, counterRecBytes, nil
			}
		}
		// Outgrown (or failing): the task iterator from now on.
		w.close()
		it.walk = nil
	}
	if it.link == nil {
		return buf, 0, errors.New("counter walk failed and no task iterator")
	}
	buf, err := readIter(it.link, buf)
	return buf, 0, err
}

// close unloads the programs; later passes fail.
func (it *counterIter) close() error {
	it.mu.Lock()
	defer it.mu.Unlock()
	it.closed = true
	if it.walk != nil {
		it.walk.close()
		it.walk = nil
	}
	if it.link == nil {
		return nil
	}
	err := it.link.Close()
	it.link = nil
	return err
}

// counterIter returns the scanner's counter iterator, loading it on
// first use, or nil when snap's processes did not come from the BPF
// iterators (then the PIDs and start times the iterator sees may not be
// /proc's, see Scanner.iterate) or it does not load.
func (s *Scanner) counterIter(snap *Snapshot) *counterIter {
	if snap.ScanMethod != "bpf" || snap.Host.BootTime.IsZero() {
		return nil
	}
	s.loadBPF()
	it := s.bpfIters
	if it == nil {
		return nil
	}
	it.countersOnce.Do(func() {
		it.mu.Lock()
		defer it.mu.Unlock()
		if it.tasks == nil {
			it.countersErr = errIteratorsClosed
			return
		}
		it.counters, it.countersErr = loadCounterIter(walkCapacity(taskCount(s.cfg.procRoot)))
	})
	return it.counters
}

// counterPass is a Refresher's use of the counter iterator: what the
// last pass said of each process of the base, and the buffers a pass
// reuses.
type counterPass struct {
	it  *counterIter
	buf []byte
	// Per process of the base: what the last pass said of it (sig),
	// and whether that is known.
	sig   []procSig
	known []bool
	acc   []procAcc
	// follows[i] is the process whose records came after process i's in
	// the last pass; -1 when unknown. pid[i] is process i's PID.
	follows, pid []int32
	fresh        []int
	reread       []int
}

// procSig is what a pass compares to tell that a process changed:
// every input of the /proc/PID/stat fields a refresh takes but the
// floor of the scaled CPU times (prev_cputime), which /proc's readers
// move only to what the same inputs give.
type procSig struct {
	cpu                     cpuSample
	state, exitState, flags uint32
	ppid, threads           uint32
	rssPages                uint64
	consistent              bool
}

// procAcc gathers one process's records in a pass.
type procAcc struct {
	seen, dup bool
	rec       bpf.CountersCounterRecord
	// The thread records: their sum, count, and the signal_struct and
	// stats_lock count of the first (mixed: another differs).
	threads          cpuSample
	threadRecs       int
	signal           uint64
	seq              uint32
	mixed, hasThread bool
}

func newCounterPass(it *counterIter, r *Refresher) *counterPass {
	n := len(r.base.Processes)
	c := &counterPass{
		it:    it,
		sig:   make([]procSig, n),
		known: make([]bool, n),
		acc:   make([]procAcc, n),
	}
	return c
}

// errCounterRecords says a pass's output could not be decoded.
var errCounterRecords = errors.New("counter iterator: malformed records")

// refresh runs a pass and refreshes every process of snap from it (see
// counterPass); it reports whether the structure changed. An error means
// nothing was refreshed: the caller reads /proc.
func (c *counterPass) refresh(r *Refresher, snap *Snapshot, now time.Time, res *RefreshResult) (changed bool, err error) {
	var stride int
	c.buf, stride, err = c.it.pass(c.buf)
	if err != nil {
		return false, err
	}
	r.stats.passes++
	if err := c.decode(r, stride); err != nil {
		return false, err
	}
	if !r.following && r.sawNew(c.fresh) {
		changed = true
	}
	c.reread = c.reread[:0]
	for i := range c.acc {
		if r.procFDs[i] == fdGone || r.last[i].State == "X" {
			continue
		}
		a := &c.acc[i]
		if !a.seen || a.rec.StartNs/(1e9/clockTicks) != r.startTicks[i] {
			// Gone, or its PID reused: its stat file says which.
			c.reread = append(c.reread, i)
			continue
		}
		sig := a.signature()
		if c.known[i] && sig == c.sig[i] {
			r.lastRead[i] = now // as last read: it did not run
			r.busy[i] = false
			continue
		}
		c.sig[i], c.known[i] = sig, sig.consistent
		if !sig.consistent || a.dup || sig.flags&pfKthread != 0 || sig.exitState != 0 {
			// /proc answers for these (see bpfproc.go).
			c.reread = append(c.reread, i)
			continue
		}
		st := a.stat(&sig)
		res.Read++
		if r.applyStat(snap, i, &st, now, res) {
			changed = true
		}
	}
	for _, i := range c.reread {
		if r.readStat(snap, i, now, res) {
			changed = true
		}
	}
	return changed, nil
}

// decode reads the pass in c.buf into c.acc, by process of the base, and
// lists in c.fresh the PIDs the base lacks. A stride of 0 says that each
// record is as long as its kind.
func (c *counterPass) decode(r *Refresher, stride int) error {
	clear(c.acc)
	c.fresh = c.fresh[:0]
	if c.follows == nil {
		c.follows, c.pid = make([]int32, len(c.acc)), make([]int32, len(c.acc))
		for i := range c.follows {
			c.follows[i], c.pid[i] = -1, int32(r.base.Processes[i].PID)
		}
	}
	data := c.buf
	var th bpf.ProcsProcThreadRecord
	// The walk and the iterator go through the host in the same order
	// every time (the walk process by process, each leader before its
	// threads; the iterator by PID): each record's process is looked for
	// first where the last pass found it, after the one before.
	prev := int32(-1) // the last record's process
	lookup := func(tgid int) (int32, bool) {
		if prev >= 0 {
			if int(c.pid[prev]) == tgid {
				return prev, true
			}
			if g := c.follows[prev]; g >= 0 && int(c.pid[g]) == tgid {
				return g, true
			}
		}
		pos, found := slices.BinarySearch(r.pids, tgid)
		if !found {
			return -1, false
		}
		return r.pidIndex[pos], true
	}
	for len(data) > 0 {
		if len(data) < max(prThreadBytes, stride) {
			return errCounterRecords
		}
		next := data[stride:]
		tgid := int(binary.NativeEndian.Uint32(data))
		kind := binary.NativeEndian.Uint32(data[4:])
		i, found := lookup(tgid)
		if found && prev >= 0 && i != prev {
			c.follows[prev] = i
		}
		if found {
			prev = i
		}
		switch kind {
		case prKindThread:
			if found {
				record(&th, data)
				c.acc[i].addThread(&th)
			}
			if stride == 0 {
				next = data[prThreadBytes:]
			}
		case prKindLeader:
			if len(data) < counterRecBytes {
				return errCounterRecords
			}
			if !found {
				c.fresh = append(c.fresh, tgid)
			} else if a := &c.acc[i]; a.seen {
				a.dup = true // the PID was reused during the pass
			} else {
				record(&a.rec, data)
				a.seen = true
			}
			if stride == 0 {
				next = data[counterRecBytes:]
			}
		default:
			return errCounterRecords
		}
		data = next
	}
	return nil
}

// addThread adds a thread's record.
func (a *procAcc) addThread(t *bpf.ProcsProcThreadRecord) {
	if !a.hasThread {
		a.hasThread, a.signal, a.seq = true, t.Signal, t.Seq
	} else if t.Signal != a.signal || t.Seq != a.seq {
		a.mixed = true
	}
	a.threads.utime += t.Utime
	a.threads.stime += t.Stime
	a.threads.rtime += t.Runtime
	a.threadRecs++
}

// signature sums the group's CPU times and says whether the sums are
// consistent: every thread record counted once, none read across an
// exit (see bpfproc.go).
func (a *procAcc) signature() procSig {
	rec := &a.rec
	h := &rec.Head
	s := procSig{
		cpu: cpuSample{
			utime: h.Utime + rec.SigUtime + a.threads.utime,
			stime: h.Stime + rec.SigStime + a.threads.stime,
			rtime: h.Runtime + rec.SigRuntime + a.threads.rtime,
		},
		state: rec.State, exitState: rec.ExitState, flags: rec.Flags,
		ppid: rec.Ppid, threads: rec.Threads,
	}
	for _, n := range rec.Rss {
		s.rssPages += uint64(max(int64(n), 0))
	}
	mixed := a.mixed || (a.hasThread && (a.signal != h.Signal || a.seq != h.Seq))
	s.consistent = !mixed && h.Seq == h.SeqEnd && h.Seq%2 == 0 && a.threadRecs+1 == int(int32(rec.Threads))
	return s
}

// stat is the /proc/PID/stat view of the pass, as decodeProcs makes
// it; s is a's signature.
func (a *procAcc) stat(s *procSig) ProcStat {
	u, st := s.cpu.utime, s.cpu.stime
	if a.rec.CputimeScaled != 0 {
		u, st = cputimeAdjust(s.cpu, a.rec.PrevUtime, a.rec.PrevStime)
	}
	return ProcStat{
		State:    taskStateLetter(s.state, s.exitState),
		PPID:     int(s.ppid),
		Flags:    uint64(s.flags),
		UTime:    u / (1e9 / clockTicks),
		STime:    st / (1e9 / clockTicks),
		Threads:  int(int32(s.threads)),
		RSSPages: int64(s.rssPages),
	}
}

// taskCount is the number of tasks on the host, from /proc/loadavg's
// fourth field ("running/total"); 0 when unknown.
func taskCount(procRoot string) int {
	data, err := os.ReadFile(filepath.Join(procRoot, "loadavg"))
	if err != nil {
		return 0
	}
	f := bytes.Fields(data)
	if len(f) < 4 {
		return 0
	}
	_, total, _ := bytes.Cut(f[3], []byte{'/'})
	n, _ := strconv.Atoi(string(total))
	return n
}
