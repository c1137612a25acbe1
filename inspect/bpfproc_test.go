package inspect

import (
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/nscope/nscope/inspect/internal/bpf"
)

func TestTaskStateLetter(t *testing.T) {
	for _, tc := range []struct {
		state, exit uint32
		want        byte
	}{
		{0x0, 0, 'R'},
		{0x1, 0, 'S'},
		{0x2, 0, 'D'},
		{0x4, 0, 'T'},
		{0x100 | 0x4, 0, 'T'}, // TASK_STOPPED carries TASK_WAKEKILL
		{0x8, 0, 't'},
		{0x100 | 0x8, 0, 't'}, // TASK_TRACED
		{0x80, 0x20, 'Z'},     // TASK_DEAD with EXIT_ZOMBIE
		{0x80, 0x10, 'X'},
		{0x40, 0, 'P'},
		{0x402, 0, 'I'},         // TASK_IDLE
		{0x1000, 0, 'D'},        // TASK_RTLOCK_WAIT
		{0x8000, 0, 'D'},        // TASK_FROZEN
		{0x2000 | 0x1, 0, 'S'},  // TASK_FREEZABLE sleep
		{0x100 | 0x2, 0, 'D'},   // TASK_KILLABLE
		{0x200, 0, 'R'},         // TASK_WAKING reports as running
		{0x2 | 0x400, 0x0, 'I'}, // uninterruptible without load is idle
	} {
		if got := taskStateLetter(tc.state, tc.exit); got != tc.want {
			t.Errorf("taskStateLetter(%#x, %#x) = %c, want %c", tc.state, tc.exit, got, tc.want)
		}
	}
}

func TestCputimeAdjust(t *testing.T) {
	const ms = uint64(1e6)
	for _, tc := range []struct {
		name         string
		c            cpuSample
		prevU, prevS uint64
		wantU, wantS uint64
	}{
		{"split by samples", cpuSample{utime: 300 * ms, stime: 100 * ms, rtime: 800 * ms}, 0, 0, 600 * ms, 200 * ms},
		{"no system samples", cpuSample{utime: 40 * ms, rtime: 55 * ms}, 0, 0, 55 * ms, 0},
		{"no user samples", cpuSample{stime: 40 * ms, rtime: 55 * ms}, 0, 0, 0, 55 * ms},
		{"no samples at all", cpuSample{rtime: 3 * ms}, 0, 0, 3 * ms, 0},
		{"runtime not past the last report", cpuSample{utime: 10 * ms, stime: 10 * ms, rtime: 90 * ms}, 50 * ms, 50 * ms, 50 * ms, 50 * ms},
		{"system never goes back", cpuSample{utime: 900 * ms, stime: 100 * ms, rtime: 1000 * ms}, 0, 300 * ms, 700 * ms, 300 * ms},
		{"user never goes back", cpuSample{utime: 100 * ms, stime: 900 * ms, rtime: 1000 * ms}, 400 * ms, 0, 400 * ms, 600 * ms},
		{"large values do not overflow", cpuSample{utime: 1 << 62, stime: 1 << 62, rtime: 1 << 63}, 0, 0, 1 << 62, 1 << 62},
	} {
		u, s := cputimeAdjust(tc.c, tc.prevU, tc.prevS)
		if u != tc.wantU || s != tc.wantS {
			t.Errorf("%s: got %d/%d ms, want %d/%d ms", tc.name, u/ms, s/ms, tc.wantU/ms, tc.wantS/ms)
		}
		if tc.c.rtime > tc.prevU+tc.prevS && u+s != tc.c.rtime {
			t.Errorf("%s: %d+%d ns is not the runtime %d", tc.name, u, s, tc.c.rtime)
		}
	}
}

// procRecords builds process iterator output as the BPF program writes it.
type procRecords struct{ b []byte }

// recordBytes returns the bytes of a record as the program writes them.
func recordBytes[T any](rec *T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(rec)), unsafe.Sizeof(*rec))
}

// thread appends a non-leader thread's record; signal and seq must
// match its leader's for its time to count.
func (r *procRecords) thread(tgid uint32, signal uint64, seq uint32, utime, stime, rtime uint64) {
	rec := bpf.ProcsProcThreadRecord{Tgid: tgid, Kind: prKindThread, Utime: utime, Stime: stime, Runtime: rtime,
		Seq: seq, Signal: signal}
	r.b = append(r.b, recordBytes(&rec)...)
}

type leaderRec struct {
	tgid, ppid, flags, state, exit, threads uint32
	comm                                    string
	startNS                                 uint64
	signal                                  uint64
	seq, seqEnd                             uint32
	own, sig                                cpuSample
	prevU, prevS                            uint64
	unscaled                                bool // natively accounted CPU time
	rss                                     [3]int64
	noMM                                    bool
	envEnd                                  uint64 // 0 means "set" (1)
	args                                    string // the argument area
	argLen                                  uint64 // when not len(args)
	copyFailed                              bool
}

func (r *procRecords) leader(l leaderRec) {
	if l.threads == 0 {
		l.threads = 1
	}
	if l.signal == 0 {
		l.signal = 0xffff0000 + uint64(l.tgid)
	}
	if l.seqEnd == 0 {
		l.seqEnd = l.seq
	}
	rec := bpf.ProcsProcLeaderRecord{
		Head: bpf.ProcsProcThreadRecord{Tgid: l.tgid, Kind: prKindLeader, Utime: l.own.utime, Stime: l.own.stime,
			Runtime: l.own.rtime, Seq: l.seq, SeqEnd: l.seqEnd, Signal: l.signal},
		Flags: l.flags, State: l.state, ExitState: l.exit, Ppid: l.ppid, Threads: l.threads, StartNs: l.startNS,
		SigUtime: l.sig.utime, SigStime: l.sig.stime, SigRuntime: l.sig.rtime,
		PrevUtime: l.prevU, PrevStime: l.prevS,
	}
	if !l.unscaled {
		rec.CputimeScaled = 1
	}
	for i, v := range l.rss {
		rec.Rss[i] = uint64(v)
	}
	copy(rec.Comm[:], l.comm)
	argLen := l.argLen
	if argLen == 0 {
		argLen = uint64(len(l.args))
	}
	if !l.noMM {
		envEnd := l.envEnd
		if envEnd == 0 {
			envEnd = 1
		} else if envEnd == ^uint64(0) {
			envEnd = 0
		}
		rec.HasMm, rec.ArgStart, rec.ArgLen, rec.EnvEnd = 1, 0x7ffc0000, argLen, envEnd
	}
	r.b = append(r.b, recordBytes(&rec)...)
	if !l.noMM && argLen <= uint64(prMaxArgs) {
		chunks := make([]byte, (argLen+uint64(prChunk)-1)/uint64(prChunk)*uint64(prChunk))
		copy(chunks, l.args)
		r.b = append(r.b, chunks...)
	}
	trailer := make([]byte, prTrailerBytes)
	if l.copyFailed {
		binary.NativeEndian.PutUint64(trailer, ^uint64(13)) // -EFAULT
	}
	r.b = append(r.b, trailer...)
}

func TestDecodeProcs(t *testing.T) {
	const ms = uint64(1e6)
	const sig100 = 0xffff8000_00000100
	// worker is a group of three threads: one exited, two live.
	worker := func(r *procRecords, unscaled bool) {
		r.thread(100, sig100, 4, 50*ms, 10*ms, 80*ms) // a thread before its leader
		r.leader(leaderRec{
			tgid: 100, ppid: 1, state: 0x1, threads: 3, comm: "worker", startNS: 1234 * 1e7,
			signal: sig100, seq: 4, unscaled: unscaled,
			own: cpuSample{10 * ms, 10 * ms, 20 * ms}, sig: cpuSample{40 * ms, 0, 60 * ms},
			rss: [3]int64{10, 20, 5}, args: "worker\x00--flag\x00\x00",
		})
		r.thread(100, sig100, 4, 0, 20*ms, 40*ms)
	}
	var r procRecords
	worker(&r, false)
	r.leader(leaderRec{tgid: 200, comm: "kthreadd", flags: pfKthread, noMM: true, state: 0x1})
	r.leader(leaderRec{tgid: 300, comm: "long", args: strings.Repeat("x", 5000) + "\x00"})
	r.leader(leaderRec{tgid: 301, comm: "titled", args: "nginx: worker process xxxx"}) // no final NUL
	r.leader(leaderRec{tgid: 302, comm: "failed", args: "a\x00b\x00", copyFailed: true})
	r.leader(leaderRec{tgid: 303, comm: "zombie", state: 0x80, exit: 0x20, noMM: true})
	r.leader(leaderRec{tgid: 304, comm: "negative", rss: [3]int64{-3, 7, 0}, args: "x\x00"})
	r.leader(leaderRec{tgid: 305, comm: "fifteen-chars-x", args: strings.Repeat("y", prMaxArgs-1) + "\x00"})
	r.leader(leaderRec{tgid: 306, comm: "execing", args: "x\x00", envEnd: ^uint64(0)}) // env_end 0
	// Thread groups whose records do not add up: /proc decides.
	r.leader(leaderRec{tgid: 400, comm: "exit-between", seq: 6, seqEnd: 8})
	r.leader(leaderRec{tgid: 401, comm: "exiting", seq: 7})
	r.leader(leaderRec{tgid: 402, comm: "lost-thread", threads: 2})
	r.leader(leaderRec{tgid: 403, comm: "stale-thread", threads: 2, seq: 10})
	r.thread(403, 0xffff0000+403, 8, ms, ms, 2*ms)
	r.leader(leaderRec{tgid: 404, comm: "foreign-thread", threads: 2})
	r.thread(404, 0xdead, 0, ms, ms, 2*ms)
	r.leader(leaderRec{tgid: 405, comm: "reused"})
	r.leader(leaderRec{tgid: 405, comm: "reused-again"})

	procs := mustDecode(t, r.b)
	if len(procs) != 15 {
		t.Fatalf("%d processes decoded, want 15", len(procs))
	}
	p := procs[100]
	st := p.Stat
	// Samples: user 10+40+50+0 = 100 ms, system 10+0+10+20 = 40 ms;
	// runtime 20+60+80+40 = 200 ms, split 100:40.
	wantS := 200 * ms * 40 / 140
	if st.Comm != "worker" || st.State != 'S' || st.PPID != 1 || st.Threads != 3 || st.StartTime != 1234 ||
		st.RSSPages != 35 || st.STime != wantS/1e7 || st.UTime != (200*ms-wantS)/1e7 {
		t.Errorf("process 100: %+v", st)
	}
	if !p.CmdlineOK || !slices.Equal(p.Cmdline, []string{"worker", "--flag"}) || !p.usable() {
		t.Errorf("process 100: cmdline %q ok %v usable %v", p.Cmdline, p.CmdlineOK, p.usable())
	}
	if k := procs[200]; k.usable() || !k.CmdlineOK || k.Cmdline != nil {
		t.Errorf("kernel thread: usable %v, cmdline %q ok %v", k.usable(), k.Cmdline, k.CmdlineOK)
	}
	for _, pid := range []int{300, 301, 302} {
		if procs[pid].CmdlineOK {
			t.Errorf("process %d (%s): cmdline taken from the iterator, want /proc", pid, procs[pid].Stat.Comm)
		}
	}
	if z := procs[303]; z.usable() || z.Stat.State != 'Z' {
		t.Errorf("zombie: usable %v state %c", z.usable(), z.Stat.State)
	}
	if n := procs[304].Stat.RSSPages; n != 7 {
		t.Errorf("negative counters: %d pages, want 7 (each counter read as at least 0)", n)
	}
	if p := procs[305]; !p.CmdlineOK || len(p.Cmdline) != 1 || len(p.Cmdline[0]) != prMaxArgs-1 || p.Stat.Comm != "fifteen-chars-x" {
		t.Errorf("largest copied cmdline: ok %v, %d args, comm %q", p.CmdlineOK, len(p.Cmdline), p.Stat.Comm)
	}
	if p := procs[306]; !p.CmdlineOK || p.Cmdline != nil {
		t.Errorf("env_end 0 (mid-exec): cmdline %q ok %v, want empty as /proc gives", p.Cmdline, p.CmdlineOK)
	}
	for pid := 400; pid <= 405; pid++ {
		if p := procs[pid]; p.usable() {
			t.Errorf("process %d (%s): stat taken from records that do not add up", pid, p.Stat.Comm)
		}
	}
	if !procs[100].usable() || !procs[304].usable() {
		t.Error("consistent groups were refused")
	}

	// A kernel that accounts CPU time natively shows the sums unscaled.
	var native procRecords
	worker(&native, true)
	if st := mustDecode(t, native.b)[100].Stat; st.UTime != 100*ms/1e7 || st.STime != 40*ms/1e7 {
		t.Errorf("unscaled: %d/%d ticks, want 10/4", st.UTime, st.STime)
	}

	for _, bad := range [][]byte{r.b[:len(r.b)-1], r.b[:prThreadBytes+prLeaderBytes-8], {1, 0, 0, 0, 9, 0, 0, 0}} {
		if _, err := decodeProcs(bad); err == nil {
			t.Errorf("decodeProcs accepted %d bytes of damaged output", len(bad))
		}
	}
}

func mustDecode(t *testing.T, data []byte) map[int]*bpfProc {
	t.Helper()
	procs, err := decodeProcs(data)
	if err != nil {
		t.Fatal(err)
	}
	return procs
}

// FuzzDecodeProcs: damaged iterator output is an error or a decode,
// never a panic, and never a cmdline longer than the record holds.
func FuzzDecodeProcs(f *testing.F) {
	var r procRecords
	r.thread(7, 1, 2, 3, 4, 5)
	r.leader(leaderRec{tgid: 7, signal: 1, seq: 2, threads: 2, comm: "seed", args: "a\x00bc\x00"})
	r.leader(leaderRec{tgid: 8, comm: "big", args: strings.Repeat("z", 700) + "\x00"})
	f.Add(r.b)
	f.Add(r.b[:prThreadBytes+prLeaderBytes])
	f.Fuzz(func(t *testing.T, data []byte) {
		procs, err := decodeProcs(data)
		if err != nil {
			return
		}
		for pid, p := range procs {
			n := 0
			for _, a := range p.Cmdline {
				n += len(a) + 1
			}
			if n > prMaxArgs+1 {
				t.Errorf("process %d: %d bytes of cmdline", pid, n)
			}
		}
	})
}

// TestRecordsOfAReusedPID gives the reader iterator records for a live
// PID as if another process had had it when the iterators ran: the
// cgroup read it still makes through /proc must not be mixed into the
// old records, nor cached for the old css_set.
func TestRecordsOfAReusedPID(t *testing.T) {
	pid := startProc(t, "sleep", "600").Process.Pid
	// Its arguments are in place only once exec has finished.
	waitFor(t, "sleep to start", func() bool {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		return string(b) == "sleep\x00600\x00"
	})
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	st, err := ParseProcStat(data)
	if err != nil {
		t.Fatal(err)
	}
	s := newScanner(t)
	procRoot := openProcRoot(t)
	read := func(startTicks uint64) (Process, *procReader) {
		r := newProcReader(s, &unreadableCounter{})
		r.procRoot = procRoot
		startNS := startTicks * (1e9 / clockTicks)
		r.tasks = &bpfResult{
			tasks: map[int]*bpfTask{pid: {StartNS: startNS, StartTicks: startTicks, NSpid: []int{pid}, CSSet: 42, EUID: 4242}},
			procs: map[int]*bpfProc{pid: {StartNS: startNS, cpuOK: true, CmdlineOK: true, Cmdline: []string{"recorded"},
				Stat: ProcStat{Comm: "recorded", State: 'S', StartTime: startTicks, Threads: 1}}},
		}
		res := r.read(pid, s.readHost().BootTime)
		if !res.valid {
			t.Fatalf("pid %d not read", pid)
		}
		return res.proc, r
	}

	// The records are of this very process: they are used, and the
	// cgroups read for them are kept for the css_set.
	p, r := read(st.StartTime)
	if p.Comm != "recorded" || p.UID != 4242 || len(p.Cgroups) == 0 || r.byCSSet[42].cgs == nil || r.fromRecords != 1 {
		t.Errorf("same process: comm %q uid %d, %d cgroups, cached %v, from records %d",
			p.Comm, p.UID, len(p.Cgroups), r.byCSSet[42].cgs != nil, r.fromRecords)
	}
	// They are of an earlier holder of the PID: /proc gives it all.
	p, r = read(st.StartTime - 100)
	if p.Comm != "sleep" || !slices.Equal(p.Cmdline, []string{"sleep", "600"}) || p.UID != os.Geteuid() ||
		len(p.Cgroups) == 0 || r.byCSSet[42].cgs != nil || r.fromRecords != 0 {
		t.Errorf("reused PID: comm %q cmdline %q uid %d, %d cgroups, cached %v, from records %d",
			p.Comm, p.Cmdline, p.UID, len(p.Cgroups), r.byCSSet[42].cgs != nil, r.fromRecords)
	}
}
