package inspect

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
)

// The process iterator reads, per thread-group leader, what /proc/PID/stat
// and /proc/PID/cmdline give, without opening either: command name,
// state, parent, flags, thread count, start time, resident pages, CPU
// times, and the argument strings, copied from the process's memory with
// bpf_copy_from_user_task. That helper needs a sleepable program (5.18+);
// on older kernels, or if this program is refused, the scanner reads the
// two files as before. Kernel threads and zombies are read from /proc
// too: their names and times follow other rules there.
//
// The CPU times are summed here the way the kernel sums them for
// /proc/PID/stat (thread_group_cputime_adjusted in kernel/sched/cputime.c):
// the times of the exited threads kept in signal_struct plus those of
// every live thread, whose records the iterator also writes, then split
// between user and system in proportion to the tick samples and scaled to
// the scheduler's runtime, never below what was last reported. The kernel
// reads the sums under signal_struct's stats_lock, which a thread's exit
// takes to move its times into the signal_struct; every record carries
// that seqcount and the signal_struct's address, and a thread group whose
// records do not all share one even count, or are fewer than nr_threads,
// is read from /proc: a thread exited mid-pass and its time would be lost
// or counted twice.

const (
	bpfFuncCopyFromUserTask = 191
	bpfFSleepable           = 1 << 4

	// Process records. Every task writes one; a thread-group leader's is
	// longer and is followed by its argument bytes in whole chunks and an
	// 8-byte trailer (nonzero when a copy failed or the process exec'ed
	// meanwhile).
	prKindLeader   = 1
	prKindThread   = 2
	prThreadBytes  = 48
	prLeaderBytes  = 192
	prChunk        = 256
	prMaxChunks    = 16
	prMaxArgs      = prChunk * prMaxChunks
	prTrailerBytes = 8

	// Byte offsets in a record; both kinds start alike.
	prTGID    = 0
	prKind    = 4
	prUTime   = 8 // this thread's tick-sampled user time, ns
	prSTime   = 16
	prRuntime = 24 // this thread's scheduler runtime, ns
	prSeq     = 32 // signal_struct.stats_lock's count (leader: before its reads)
	prSeqEnd  = 36 // leader: the count after its reads
	prSignal  = 40 // the signal_struct's address: which group a thread is of
	// Leader only.
	prFlags     = 48
	prState     = 52
	prExitState = 56
	prPPID      = 60
	prThreads   = 64
	prHasMM     = 68
	prStart     = 72
	prSigUTime  = 80 // exited threads' times, from signal_struct
	prSigSTime  = 88
	prSigRun    = 96
	prPrevUTime = 104 // what /proc last reported, from signal_struct
	prPrevSTime = 112
	prRSS       = 120 // file, anon and shmem pages, 8 bytes each
	prComm      = 144 // 16 bytes
	prArgStart  = 160
	prArgLen    = 168
	prEnvEnd    = 176
)

type procOffsets struct {
	taskPID, taskTGID, taskFlags, taskState, taskExitState, taskRealParent     field
	taskMM, taskSignal, taskUTime, taskSTime, taskRuntime, taskStart, taskComm field
	sigThreads, sigUTime, sigSTime, sigRuntime, sigSeq                         field
	// sigPrev is signal_struct.prev_cputime; hasPrev is false on kernels
	// that account CPU time natively (no scaling, nothing to remember).
	sigPrevUTime, sigPrevSTime field
	hasPrev                    bool
	mmArgStart, mmArgEnd       field
	mmEnvEnd                   field
	rss                        [3]uint32 // file, anon, shmem counters in mm_struct
	iterTask                   uint32
}

func readProcOffsets(b *kernelBTF) (*procOffsets, error) {
	o := &procOffsets{}
	var firstErr error
	get := func(dst *field, s, path string, sizes ...uint32) {
		f, err := b.path(s, path)
		if err == nil && len(sizes) > 0 {
			err = fmt.Errorf("btf: %s.%s has size %d", s, path, f.size)
			for _, size := range sizes {
				if f.size == size {
					err = nil
				}
			}
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		*dst = f
	}
	get(&o.taskPID, "task_struct", "pid", 4)
	get(&o.taskTGID, "task_struct", "tgid", 4)
	get(&o.taskFlags, "task_struct", "flags", 4)
	if _, err := b.path("task_struct", "__state"); err == nil {
		get(&o.taskState, "task_struct", "__state", 4)
	} else {
		get(&o.taskState, "task_struct", "state", 8) // before 5.14; the low word
	}
	get(&o.taskExitState, "task_struct", "exit_state", 4)
	get(&o.taskRealParent, "task_struct", "real_parent", 8)
	get(&o.taskMM, "task_struct", "mm", 8)
	get(&o.taskSignal, "task_struct", "signal", 8)
	get(&o.taskUTime, "task_struct", "utime", 8)
	get(&o.taskSTime, "task_struct", "stime", 8)
	get(&o.taskRuntime, "task_struct", "se.sum_exec_runtime", 8)
	get(&o.taskStart, "task_struct", "start_boottime", 8)
	get(&o.taskComm, "task_struct", "comm", 16)
	get(&o.sigThreads, "signal_struct", "nr_threads", 4)
	get(&o.sigUTime, "signal_struct", "utime", 8)
	get(&o.sigSTime, "signal_struct", "stime", 8)
	get(&o.sigRuntime, "signal_struct", "sum_sched_runtime", 8)
	get(&o.mmArgStart, "mm_struct", "arg_start", 8)
	get(&o.mmArgEnd, "mm_struct", "arg_end", 8)
	get(&o.mmEnvEnd, "mm_struct", "env_end", 8)
	// seqlock_t wraps a seqcount_spinlock_t since 5.10, a seqcount_t before.
	if _, err := b.path("signal_struct", "stats_lock.seqcount.seqcount.sequence"); err == nil {
		get(&o.sigSeq, "signal_struct", "stats_lock.seqcount.seqcount.sequence", 4)
	} else {
		get(&o.sigSeq, "signal_struct", "stats_lock.seqcount.sequence", 4)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	pu, err1 := b.path("signal_struct", "prev_cputime.utime")
	ps, err2 := b.path("signal_struct", "prev_cputime.stime")
	if err1 == nil && err2 == nil && pu.size == 8 && ps.size == 8 {
		o.sigPrevUTime, o.sigPrevSTime, o.hasPrev = pu, ps, true
	}
	if err := o.rssOffsets(b); err != nil {
		return nil, err
	}
	for _, f := range []field{o.taskPID, o.taskTGID, o.taskFlags, o.taskState, o.taskExitState,
		o.taskRealParent, o.taskMM, o.taskSignal, o.taskUTime, o.taskSTime, o.taskRuntime, o.taskStart,
		o.taskComm, o.sigThreads, o.sigUTime, o.sigSTime, o.sigRuntime, o.sigPrevUTime, o.sigPrevSTime,
		o.sigSeq, o.mmArgStart, o.mmArgEnd, o.mmEnvEnd} {
		if f.off >= 1<<15 {
			return nil, fmt.Errorf("btf: a field at offset %d is out of reach of a load", f.off)
		}
	}
	for _, off := range o.rss {
		if off >= 1<<15 {
			return nil, fmt.Errorf("btf: an rss counter at offset %d is out of reach of a load", off)
		}
	}
	var ok bool
	if o.iterTask, ok = b.find(btfKindFunc, "bpf_iter_task"); !ok {
		return nil, fmt.Errorf("btf: the kernel has no task iterator (5.8+)")
	}
	return o, nil
}

// rssOffsets finds the resident-page counters get_mm_rss adds: an array
// of struct percpu_counter since 6.2 (read as percpu_counter_read_positive
// does, without summing the per-CPU deltas), of atomic_long_t before.
func (o *procOffsets) rssOffsets(b *kernelBTF) error {
	rs, err := b.path("mm_struct", "rss_stat")
	if err != nil {
		return err
	}
	var base, stride, inner uint32
	var n uint32
	if elem, count, ok := b.array(rs.typ); ok { // struct percpu_counter rss_stat[NR_MM_COUNTERS]
		c, ok := b.member(elem, "count")
		if !ok || c.size != 8 {
			return fmt.Errorf("btf: unexpected struct percpu_counter")
		}
		base, stride, inner, n = rs.off, b.size(elem), c.off, count
	} else { // struct mm_rss_stat { atomic_long_t count[NR_MM_COUNTERS]; }
		c, ok := b.member(rs.typ, "count")
		if !ok {
			return fmt.Errorf("btf: unexpected mm_struct.rss_stat")
		}
		elem, count, ok := b.array(c.typ)
		if !ok || b.size(elem) != 8 {
			return fmt.Errorf("btf: unexpected mm_rss_stat.count")
		}
		base, stride, n = rs.off+c.off, 8, count
	}
	for i, name := range []string{"MM_FILEPAGES", "MM_ANONPAGES", "MM_SHMEMPAGES"} {
		k, ok := b.enumValue(name)
		if !ok || k < 0 || uint32(k) >= n {
			return fmt.Errorf("btf: no usable %s", name)
		}
		o.rss[i] = base + uint32(k)*stride + inner
	}
	return nil
}

// procProgram builds the sleepable process iterator.
func procProgram(o *procOffsets) *bpfProg {
	p := newBPFProg()
	const (
		rec    = -prLeaderBytes
		buf    = rec - prChunk
		errOff = buf - prTrailerBytes
	)
	at := func(off int) int16 { return int16(rec + off) }
	copyField := func(size uint32, src bpfReg, f field, off int) {
		p.load(size, r2, src, int16(f.off))
		p.store(size, r10, at(off), r2)
	}

	p.mov(r9, r1)
	p.load(8, r6, r1, 8) // ctx->task
	p.jumpImm(bpfJEQ, r6, 0, "out")
	for off := errOff; off < 0; off += 8 {
		p.storeImm(8, r10, int16(off), 0)
	}
	p.load(4, r3, r6, int16(o.taskTGID.off))
	p.store(4, r10, at(prTGID), r3)
	copyField(8, r6, o.taskUTime, prUTime)
	copyField(8, r6, o.taskSTime, prSTime)
	copyField(8, r6, o.taskRuntime, prRuntime)
	p.load(8, r7, r6, int16(o.taskSignal.off))
	p.jumpImm(bpfJEQ, r7, 0, "kind")
	p.store(8, r10, at(prSignal), r7)
	copyField(4, r7, o.sigSeq, prSeq)
	p.mark("kind")
	p.load(4, r2, r6, int16(o.taskPID.off))
	p.load(4, r3, r6, int16(o.taskTGID.off))
	p.jumpReg(bpfJEQ, r2, r3, "leader")
	p.storeImm(4, r10, at(prKind), prKindThread)
	p.seqWrite(at(0), prThreadBytes)
	p.ja("out")

	p.mark("leader")
	p.storeImm(4, r10, at(prKind), prKindLeader)
	copyField(4, r6, o.taskFlags, prFlags)
	copyField(4, r6, o.taskState, prState)
	copyField(4, r6, o.taskExitState, prExitState)
	copyField(8, r6, o.taskStart, prStart)
	p.load(8, r2, r6, int16(o.taskRealParent.off))
	p.jumpImm(bpfJEQ, r2, 0, "signal")
	p.load(4, r2, r2, int16(o.taskTGID.off))
	p.store(4, r10, at(prPPID), r2)
	p.mark("signal")
	p.jumpImm(bpfJEQ, r7, 0, "comm") // r7: the signal_struct, or 0
	copyField(4, r7, o.sigThreads, prThreads)
	copyField(8, r7, o.sigUTime, prSigUTime)
	copyField(8, r7, o.sigSTime, prSigSTime)
	copyField(8, r7, o.sigRuntime, prSigRun)
	if o.hasPrev {
		copyField(8, r7, o.sigPrevUTime, prPrevUTime)
		copyField(8, r7, o.sigPrevSTime, prPrevSTime)
	}
	copyField(4, r7, o.sigSeq, prSeqEnd)
	p.mark("comm") // a char array: copied, as loads may not span its elements
	p.mov(r1, r10)
	p.addImm(r1, int32(at(prComm)))
	p.movImm(r2, 16)
	p.mov(r3, r6)
	p.addImm(r3, int32(o.taskComm.off))
	p.call(bpfFuncProbeReadKernel)

	// The memory map: resident pages and where the arguments are. r7 is
	// then how many argument bytes to copy (none above prMaxArgs: Go
	// reads those from /proc) and r8 where they start.
	p.load(8, r7, r6, int16(o.taskMM.off))
	p.jumpImm(bpfJNE, r7, 0, "mm")
	p.movImm(r7, 0)
	p.movImm(r8, 0)
	p.ja("header")
	p.mark("mm")
	p.storeImm(4, r10, at(prHasMM), 1)
	// Copied: 6.1's verifier cannot walk an array of typedef'd structs
	// (atomic_long_t) with a load.
	for i, off := range o.rss {
		p.mov(r1, r10)
		p.addImm(r1, int32(at(prRSS+8*i)))
		p.movImm(r2, 8)
		p.mov(r3, r7)
		p.addImm(r3, int32(off))
		p.call(bpfFuncProbeReadKernel)
	}
	copyField(8, r7, o.mmEnvEnd, prEnvEnd)
	p.load(8, r8, r7, int16(o.mmArgStart.off))
	p.store(8, r10, at(prArgStart), r8)
	p.load(8, r2, r7, int16(o.mmArgEnd.off))
	p.movImm(r7, 0)
	p.jumpReg(bpfJLE, r2, r8, "header") // no arguments
	p.mov(r7, r2)
	p.subReg(r7, r8)
	p.store(8, r10, at(prArgLen), r7)
	p.jumpImm(bpfJLE, r7, prMaxArgs, "header")
	p.movImm(r7, 0)
	p.mark("header")
	p.seqWrite(at(0), prLeaderBytes)

	for i := range prMaxChunks {
		clamp, zero, next := fmt.Sprintf("clamp%d", i), fmt.Sprintf("zero%d", i), fmt.Sprintf("next%d", i)
		p.jumpImm(bpfJEQ, r7, 0, "copied")
		p.mov(r2, r7)
		p.jumpImm(bpfJLE, r2, prChunk, clamp)
		p.movImm(r2, prChunk)
		p.mark(clamp)
		p.mov(r1, r10)
		p.addImm(r1, buf)
		p.mov(r3, r8)
		p.mov(r4, r6)
		p.movImm(r5, 0)
		p.call(bpfFuncCopyFromUserTask)
		p.load(8, r1, r10, errOff)
		p.orReg(r1, r0)
		p.store(8, r10, errOff, r1)
		p.seqWrite(buf, prChunk)
		p.jumpImm(bpfJLE, r7, prChunk, zero)
		p.addImm(r7, -prChunk)
		p.addImm(r8, prChunk)
		p.ja(next)
		p.mark(zero)
		p.movImm(r7, 0)
		p.mark(next)
	}
	// The helper copies from the task's memory as it is now, the range
	// is the one read before: an exec in between replaced the map. (It
	// also reads file-backed mappings, which /proc's FOLL_ANON read
	// refuses; arguments live on the stack unless prctl(PR_SET_MM) moved
	// them.)
	p.mark("copied")
	p.load(4, r2, r10, at(prHasMM))
	p.jumpImm(bpfJEQ, r2, 0, "trailer")
	p.load(8, r2, r6, int16(o.taskMM.off))
	p.jumpImm(bpfJEQ, r2, 0, "changed")
	p.load(8, r2, r2, int16(o.mmArgStart.off))
	p.load(8, r3, r10, at(prArgStart))
	p.jumpReg(bpfJEQ, r2, r3, "trailer")
	p.mark("changed")
	p.storeImm(8, r10, errOff, 1)
	p.mark("trailer")
	p.seqWrite(errOff, prTrailerBytes)
	p.returnZero("out")
	return p
}

// bpfProc is what the process iterator read about one thread-group
// leader.
type bpfProc struct {
	// Stat is /proc/PID/stat's view, times in clock ticks; see usable
	// for when it may stand for it.
	Stat    ProcStat
	StartNS uint64
	// Cmdline is the argument vector; CmdlineOK is false when it must be
	// read from /proc: longer than the iterator copies, a copy failed,
	// the process exec'ed meanwhile, or rewritten by setproctitle (the
	// kernel then reads on into the environment area).
	Cmdline   []string
	CmdlineOK bool

	cpu          cpuSample
	prevU, prevS uint64
	signal       uint64
	seq, seqEnd  uint32
	threadRecs   int
	// cpuOK is false when the thread records do not add up to the
	// group (see the seqcount note above: mixed is a thread record that
	// does not match); zombie and dup (a PID reused during the pass)
	// mark the other cases /proc answers.
	cpuOK, zombie, dup, mixed bool
}

// usable says whether Stat may stand for /proc/PID/stat.
func (p *bpfProc) usable() bool {
	return p.Stat.Flags&pfKthread == 0 && !p.zombie && p.cpuOK && !p.dup
}

// cpuSample is one thread group's CPU time in ns: tick samples and the
// scheduler's runtime.
type cpuSample struct{ utime, stime, rtime uint64 }

type threadRec struct {
	tgid   int
	signal uint64
	seq    uint32
	cpuSample
}

// decodeProcs parses the process iterator's output. scaled is false on
// kernels that account CPU time natively, whose stat shows the sums as
// they are.
func decodeProcs(data []byte, scaled bool) (map[int]*bpfProc, error) {
	le := binary.LittleEndian
	procs := make(map[int]*bpfProc, len(data)/(prLeaderBytes+prChunk))
	var threads []threadRec
	for len(data) > 0 {
		if len(data) < prThreadBytes {
			return nil, fmt.Errorf("process iterator: %d bytes left over", len(data))
		}
		tgid := int(le.Uint32(data[prTGID:]))
		own := cpuSample{le.Uint64(data[prUTime:]), le.Uint64(data[prSTime:]), le.Uint64(data[prRuntime:])}
		signal, seq := le.Uint64(data[prSignal:]), le.Uint32(data[prSeq:])
		switch le.Uint32(data[prKind:]) {
		case prKindThread:
			threads = append(threads, threadRec{tgid, signal, seq, own})
			data = data[prThreadBytes:]
			continue
		case prKindLeader:
		default:
			return nil, fmt.Errorf("process iterator: unknown record kind %d", le.Uint32(data[prKind:]))
		}
		if len(data) < prLeaderBytes+prTrailerBytes {
			return nil, fmt.Errorf("process iterator: short record")
		}
		rec := data[:prLeaderBytes]
		p := &bpfProc{StartNS: le.Uint64(rec[prStart:]), signal: signal, seq: seq, seqEnd: le.Uint32(rec[prSeqEnd:])}
		st := &p.Stat
		comm := rec[prComm : prComm+16]
		if i := bytes.IndexByte(comm, 0); i >= 0 {
			comm = comm[:i]
		}
		st.Comm = string(comm)
		state, exitState := le.Uint32(rec[prState:]), le.Uint32(rec[prExitState:])
		st.State = taskStateLetter(state, exitState)
		p.zombie = exitState != 0
		st.PPID = int(le.Uint32(rec[prPPID:]))
		st.Flags = uint64(le.Uint32(rec[prFlags:]))
		st.Threads = int(int32(le.Uint32(rec[prThreads:])))
		st.StartTime = p.StartNS / (1e9 / clockTicks)
		var pages int64
		for i := range 3 {
			pages += max(int64(le.Uint64(rec[prRSS+8*i:])), 0) // each counter read as at least 0
		}
		st.RSSPages = pages
		p.cpu = cpuSample{
			own.utime + le.Uint64(rec[prSigUTime:]),
			own.stime + le.Uint64(rec[prSigSTime:]),
			own.rtime + le.Uint64(rec[prSigRun:]),
		}
		p.prevU, p.prevS = le.Uint64(rec[prPrevUTime:]), le.Uint64(rec[prPrevSTime:])

		hasMM := le.Uint32(rec[prHasMM:]) != 0
		argLen := le.Uint64(rec[prArgLen:])
		chunks := 0
		if hasMM && argLen <= prMaxArgs {
			chunks = int((argLen + prChunk - 1) / prChunk)
		}
		size := prLeaderBytes + chunks*prChunk + prTrailerBytes
		if len(data) < size {
			return nil, fmt.Errorf("process iterator: short record")
		}
		args := data[prLeaderBytes : prLeaderBytes+chunks*prChunk]
		failed := le.Uint64(data[size-prTrailerBytes:]) != 0
		switch {
		case !hasMM, le.Uint64(rec[prEnvEnd:]) == 0, argLen == 0:
			// No memory map, or one exec has not finished setting up:
			// /proc reads nothing either (get_mm_cmdline in
			// fs/proc/base.c).
			p.CmdlineOK = !failed
		case argLen <= prMaxArgs && !failed && args[argLen-1] == 0:
			// A NUL at the end of the argument area: /proc reads exactly
			// the area. Without one it reads on as a title (see
			// get_mm_proctitle), so /proc decides.
			p.Cmdline = parseCmdline(args[:argLen])
			p.CmdlineOK = true
		}
		if q := procs[tgid]; q != nil {
			q.dup = true // the PID was reused during the pass
		} else {
			procs[tgid] = p
		}
		data = data[size:]
	}
	for _, t := range threads {
		p := procs[t.tgid]
		if p == nil {
			continue
		}
		if t.signal != p.signal || t.seq != p.seq {
			p.mixed = true // another group's thread, or read across an exit
			continue
		}
		p.cpu.utime += t.utime
		p.cpu.stime += t.stime
		p.cpu.rtime += t.rtime
		p.threadRecs++
	}
	for _, p := range procs {
		p.cpuOK = !p.mixed && p.seq == p.seqEnd && p.seq%2 == 0 && p.threadRecs+1 == p.Stat.Threads
		u, s := p.cpu.utime, p.cpu.stime
		if scaled {
			u, s = cputimeAdjust(p.cpu, p.prevU, p.prevS)
		}
		p.Stat.UTime, p.Stat.STime = u/(1e9/clockTicks), s/(1e9/clockTicks)
	}
	return procs, nil
}

// cputimeAdjust splits the runtime between user and system time in the
// ratio of the tick samples, never reporting less than prevU and prevS,
// as cputime_adjust in kernel/sched/cputime.c does (without writing
// the floor back: only the kernel's own readers move it).
func cputimeAdjust(c cpuSample, prevU, prevS uint64) (utime, stime uint64) {
	rtime := c.rtime
	if prevU+prevS >= rtime {
		return prevU, prevS
	}
	stime, utime = c.stime, c.utime
	switch {
	case stime == 0:
		utime = rtime
	case utime == 0:
		stime = rtime
	default:
		hi, lo := bits.Mul64(stime, rtime)
		total := stime + utime
		if total < stime || hi >= total { // overflow: the sum cannot be scaled
			stime = rtime
		} else {
			stime, _ = bits.Div64(hi, lo, total)
		}
		stime = min(stime, rtime)
	}
	stime = max(stime, prevS)
	utime = rtime - stime
	if utime < prevU {
		utime = prevU
		stime = rtime - utime
	}
	return utime, stime
}

// taskStateLetter is the state letter /proc shows for a task's state and
// exit state bits (task_state_index in include/linux/sched.h): the
// highest reported bit, idle for an uninterruptible sleep that does not
// count as load, and disk sleep for rt-lock waits and frozen tasks.
func taskStateLetter(state, exitState uint32) byte {
	const (
		report       = 0x7f // RUNNING..PARKED, with EXIT_DEAD and EXIT_ZOMBIE
		taskIdle     = 0x402
		rtlockWait   = 0x1000
		frozen       = 0x8000
		reportIdle   = 0x80
		uninterrupt  = 0x2
		stateLetters = "RSDTtXZPI"
	)
	s := (state | exitState) & report
	if state&taskIdle == taskIdle {
		s = reportIdle
	}
	if state&(rtlockWait|frozen) != 0 {
		s = uninterrupt
	}
	return stateLetters[bits.Len32(s)]
}
