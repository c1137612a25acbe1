package inspect

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"unsafe"

	"github.com/nscope/nscope/inspect/internal/bpf"
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

// Process record sizes and kinds (see records.h).
const (
	prThreadBytes  = int(unsafe.Sizeof(bpf.ProcsProcThreadRecord{}))
	prLeaderBytes  = int(unsafe.Sizeof(bpf.ProcsProcLeaderRecord{}))
	prChunk        = int(bpf.ProcsProcLimitsPROC_CHUNK)
	prMaxArgs      = prChunk * int(bpf.ProcsProcLimitsPROC_MAX_CHUNKS)
	prTrailerBytes = 8
	prKindLeader   = uint32(bpf.ProcsProcKindPROC_LEADER)
	prKindThread   = uint32(bpf.ProcsProcKindPROC_THREAD)
)

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
	// scaled: the kernel splits and scales CPU times for /proc (it keeps
	// prev_cputime); false when it accounts them natively and shows the
	// sums as they are.
	scaled      bool
	signal      uint64
	seq, seqEnd uint32
	threadRecs  int
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

// decodeProcs parses the process iterator's output.
func decodeProcs(data []byte) (map[int]*bpfProc, error) {
	procs := make(map[int]*bpfProc, len(data)/(prLeaderBytes+prChunk))
	var threads []threadRec
	var rec bpf.ProcsProcLeaderRecord
	head := &rec.Head
	for len(data) > 0 {
		if len(data) < prThreadBytes {
			return nil, fmt.Errorf("process iterator: %d bytes left over", len(data))
		}
		record(head, data)
		tgid := int(head.Tgid)
		own := cpuSample{head.Utime, head.Stime, head.Runtime}
		switch head.Kind {
		case prKindThread:
			threads = append(threads, threadRec{tgid, head.Signal, head.Seq, own})
			data = data[prThreadBytes:]
			continue
		case prKindLeader:
		default:
			return nil, fmt.Errorf("process iterator: unknown record kind %d", head.Kind)
		}
		if len(data) < prLeaderBytes+prTrailerBytes {
			return nil, fmt.Errorf("process iterator: short record")
		}
		record(&rec, data)
		p := &bpfProc{StartNS: rec.StartNs, signal: head.Signal, seq: head.Seq, seqEnd: head.SeqEnd}
		st := &p.Stat
		comm := rec.Comm[:]
		if i := bytes.IndexByte(comm, 0); i >= 0 {
			comm = comm[:i]
		}
		st.Comm = string(comm)
		st.State = taskStateLetter(rec.State, rec.ExitState)
		p.zombie = rec.ExitState != 0
		st.PPID = int(rec.Ppid)
		st.Flags = uint64(rec.Flags)
		st.Threads = int(int32(rec.Threads))
		st.StartTime = p.StartNS / (1e9 / clockTicks)
		var pages int64
		for _, n := range rec.Rss {
			pages += max(int64(n), 0) // each counter read as at least 0
		}
		st.RSSPages = pages
		p.cpu = cpuSample{own.utime + rec.SigUtime, own.stime + rec.SigStime, own.rtime + rec.SigRuntime}
		p.prevU, p.prevS = rec.PrevUtime, rec.PrevStime
		p.scaled = rec.CputimeScaled != 0

		hasMM, argLen := rec.HasMm != 0, rec.ArgLen
		chunks := 0
		if hasMM && argLen <= uint64(prMaxArgs) {
			chunks = (int(argLen) + prChunk - 1) / prChunk
		}
		size := prLeaderBytes + chunks*prChunk + prTrailerBytes
		if len(data) < size {
			return nil, fmt.Errorf("process iterator: short record")
		}
		args := data[prLeaderBytes : prLeaderBytes+chunks*prChunk]
		failed := binary.NativeEndian.Uint64(data[size-prTrailerBytes:]) != 0
		switch {
		case !hasMM, rec.EnvEnd == 0, argLen == 0:
			// No memory map, or one exec has not finished setting up:
			// /proc reads nothing either (get_mm_cmdline in
			// fs/proc/base.c).
			p.CmdlineOK = !failed
		case argLen <= uint64(prMaxArgs) && !failed && args[argLen-1] == 0:
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
		if p.scaled {
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
