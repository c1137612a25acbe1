package inspect

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The BPF task iterators read, in one pass inside the kernel, what costs
// /proc ten readlinks, a status read and an fd-table walk per process:
// the namespace inodes, the effective UID, the PID at every pid-namespace
// level, and the open nsfs files of every process. Without them a scan of
// ~4,000 processes spends most of its time entering and leaving the
// kernel. They need root (CAP_BPF and CAP_PERFMON) and a kernel with BTF
// (5.8+ for task iterators); anything less and the scanner reads /proc
// for everything, as it does for processes born after the iterator ran.
// A third, sleepable, iterator gives what stat and cmdline would (see
// bpfproc.go).
//
// The programs are built here, instruction by instruction, at offsets
// taken from the running kernel's BTF: no compiler, no object files.

// Kernel ABI numbers. See include/uapi/linux/bpf.h.
const (
	bpfCmdProgLoad   = 5
	bpfCmdLinkCreate = 28
	bpfCmdIterCreate = 33

	bpfProgTypeTracing = 26
	bpfTraceIter       = 28

	bpfFuncProbeReadKernel = 113
	bpfFuncSeqWrite        = 127

	nsfsMagic = 0x6e736673
)

// bpfMaxLevels is how many pid-namespace levels a task record carries;
// deeper processes (the kernel allows 32) are read from /proc.
const bpfMaxLevels = 8

// Task record layout, in 32-bit words.
const (
	trTGID   = 0
	trEUID   = 1
	trFlags  = 2 // bit 0: the task has an nsproxy (not exiting)
	trLevel  = 3
	trNS     = 4                      // NumNSTypes inodes, NSType order
	trPIDFC  = trNS + int(NumNSTypes) // pid_for_children
	trTimeFC = trPIDFC + 1            // time_for_children
	trNSpid  = trTimeFC + 1           // bpfMaxLevels PIDs, outermost first
	trStart  = trNSpid + bpfMaxLevels // start_boottime in ns, two words
	// The owning user namespace of each of the ten, in the same order;
	// the parents of the two pid namespaces; the owner UID of the user
	// namespace.
	trOwner       = trStart + 2
	trPIDParent   = trOwner + int(NumNSTypes) + 2
	trPIDFCParent = trPIDParent + 1
	trOwnerUID    = trPIDFCParent + 1
	// The task's css_set: tasks with the same one are in the same cgroup
	// of every hierarchy. An address, used only as a key in memory.
	trCSSet  = trOwnerUID + 2 // 8-byte aligned
	trWords  = trCSSet + 2    // 40
	trBytes  = trWords * 4    // 160
	frBytes  = 16             // file record: tgid, fd, inode
	trNSFlag = 1
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

// bpfIters holds the loaded iterator links; iterate reads them.
type bpfIters struct {
	taskLink, fileLink int
	// cssLink re-reads every process's css_set after the scan's /proc
	// reads (see Scanner.recheckCgroups).
	cssLink int
	// procLink is the process iterator, or -1 when procErr says why it
	// did not load (older kernels lack sleepable iterators).
	procLink int
	procErr  error
	// procScaled: this kernel scales CPU times as /proc shows them.
	procScaled bool
	// procReadErr is why the last scan could not use its output (a bug
	// if ever set; the scan then reads /proc).
	procReadErr error
	// buf is reused by every scan, under mu; records are decoded before
	// it is unlocked.
	mu  sync.Mutex
	buf []byte
}

type btfOffsets struct {
	taskPID, taskTGID, taskRealCred, taskNSProxy, taskThreadPID field
	taskStart, taskCgroups                                      field
	nsUserNS                                                    [NumNSTypes + 2]*field // user_ns in the pointee
	userNSParent, userNSOwner, pidNSUserNS, pidNSParent         field
	credEUID, credUserNS, userNSInum                            field
	nsproxy                                                     [NumNSTypes + 2]*field // member of nsproxy per slot
	nsInum                                                      [NumNSTypes + 2]*field // ns.inum in the pointee
	pidLevel, pidNumbers, upidNR, upidNS, pidNSInum             field
	upidSize                                                    uint32
	fileInode, inodeSB, inodeIno, sbMagic                       field
	iterTask, iterTaskFile                                      uint32
}

// bpfNSMembers maps record slots to nsproxy members and the struct that
// holds the ns_common; user and pid come from cred and struct pid.
var bpfNSMembers = [NumNSTypes + 2][2]string{
	MntNS: {"mnt_ns", "mnt_namespace"}, PIDNS: {},
	NetNS: {"net_ns", "net"}, IPCNS: {"ipc_ns", "ipc_namespace"},
	UTSNS: {"uts_ns", "uts_namespace"}, UserNS: {},
	CgroupNS: {"cgroup_ns", "cgroup_namespace"}, TimeNS: {"time_ns", "time_namespace"},
	NumNSTypes:     {"pid_ns_for_children", "pid_namespace"},
	NumNSTypes + 1: {"time_ns_for_children", "time_namespace"},
}

func readOffsets(b *kernelBTF) (*btfOffsets, error) {
	o := &btfOffsets{}
	var firstErr error
	get := func(dst *field, s, path string) {
		f, err := b.path(s, path)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		*dst = f
	}
	get(&o.taskPID, "task_struct", "pid")
	get(&o.taskTGID, "task_struct", "tgid")
	get(&o.taskRealCred, "task_struct", "real_cred")
	get(&o.taskNSProxy, "task_struct", "nsproxy")
	get(&o.taskThreadPID, "task_struct", "thread_pid")
	get(&o.taskStart, "task_struct", "start_boottime")
	get(&o.taskCgroups, "task_struct", "cgroups")
	get(&o.credEUID, "cred", "euid")
	get(&o.credUserNS, "cred", "user_ns")
	get(&o.userNSInum, "user_namespace", "ns.inum")
	get(&o.pidLevel, "pid", "level")
	get(&o.pidNumbers, "pid", "numbers")
	get(&o.upidNR, "upid", "nr")
	get(&o.upidNS, "upid", "ns")
	get(&o.pidNSInum, "pid_namespace", "ns.inum")
	get(&o.fileInode, "file", "f_inode")
	get(&o.inodeSB, "inode", "i_sb")
	get(&o.inodeIno, "inode", "i_ino")
	get(&o.sbMagic, "super_block", "s_magic")
	get(&o.userNSParent, "user_namespace", "parent")
	get(&o.userNSOwner, "user_namespace", "owner")
	get(&o.pidNSUserNS, "pid_namespace", "user_ns")
	get(&o.pidNSParent, "pid_namespace", "parent")
	if firstErr != nil {
		return nil, firstErr
	}
	for slot, m := range bpfNSMembers {
		if m[0] == "" {
			continue
		}
		// Time namespaces are optional (CONFIG_TIME_NS); a kernel
		// without them has no such links in /proc either.
		mf, err1 := b.path("nsproxy", m[0])
		inum, err2 := b.path(m[1], "ns.inum")
		owner, err3 := b.path(m[1], "user_ns")
		if err1 != nil || err2 != nil || err3 != nil {
			if slot == int(TimeNS) || slot == int(NumNSTypes)+1 {
				continue
			}
			return nil, errors.Join(err1, err2, err3)
		}
		o.nsproxy[slot], o.nsInum[slot], o.nsUserNS[slot] = &mf, &inum, &owner
	}
	upid, _ := b.find(btfKindStruct, "upid")
	o.upidSize = b.size(upid)
	for _, f := range []field{o.taskPID, o.taskTGID, o.credEUID, o.userNSInum, o.pidLevel, o.upidNR, o.pidNSInum} {
		if f.size != 4 {
			return nil, fmt.Errorf("btf: unexpected field size %d", f.size)
		}
	}
	if o.upidSize == 0 || o.upidSize > 32 || o.sbMagic.size != 8 || o.inodeIno.size != 8 || o.taskStart.size != 8 {
		return nil, fmt.Errorf("btf: unexpected struct upid, super_block or inode layout")
	}
	// Loads carry the offset in 16 bits.
	fields := []field{o.taskPID, o.taskTGID, o.taskRealCred, o.taskNSProxy, o.taskThreadPID, o.taskStart,
		o.taskCgroups, o.credEUID, o.credUserNS, o.userNSInum, o.userNSParent, o.userNSOwner, o.upidNR,
		o.upidNS, o.fileInode, o.inodeSB, o.inodeIno, o.sbMagic}
	for slot := range o.nsproxy {
		if o.nsproxy[slot] != nil {
			fields = append(fields, *o.nsproxy[slot], *o.nsInum[slot], *o.nsUserNS[slot])
		}
	}
	for _, f := range fields {
		if f.off >= 1<<15 {
			return nil, fmt.Errorf("btf: a field at offset %d is out of reach of a load", f.off)
		}
	}
	var ok1, ok2 bool
	o.iterTask, ok1 = b.find(btfKindFunc, "bpf_iter_task")
	o.iterTaskFile, ok2 = b.find(btfKindFunc, "bpf_iter_task_file")
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("btf: the kernel has no task iterators (5.8+)")
	}
	return o, nil
}

// taskProgram builds the task iterator: one record per thread-group
// leader.
func taskProgram(o *btfOffsets) *bpfProg {
	p := newBPFProg()
	const rec = -trBytes                  // record on the stack
	upids := int16(rec - bpfMaxLevels*32) // struct upid numbers[] copy
	scratch := upids - 8                  // helper output
	word := func(i int) int16 { return int16(rec + 4*i) }

	p.mov(r9, r1)        // ctx
	p.load(8, r6, r1, 8) // ctx->task
	p.jumpImm(bpfJEQ, r6, 0, "out")
	p.load(4, r2, r6, int16(o.taskPID.off))
	p.load(4, r3, r6, int16(o.taskTGID.off))
	p.jumpReg(bpfJNE, r2, r3, "out") // threads other than the leader
	for i := 0; i < trWords; i += 2 {
		p.storeImm(8, r10, word(i), 0)
	}
	p.store(4, r10, word(trTGID), r3)
	p.load(8, r2, r6, int16(o.taskStart.off))
	p.store(8, r10, word(trStart), r2)
	p.load(8, r2, r6, int16(o.taskCgroups.off))
	p.store(8, r10, word(trCSSet), r2)

	// Credentials: effective UID and the user namespace.
	p.load(8, r7, r6, int16(o.taskRealCred.off))
	p.load(4, r2, r7, int16(o.credEUID.off))
	p.store(4, r10, word(trEUID), r2)
	p.load(8, r2, r7, int16(o.credUserNS.off))
	p.load(4, r3, r2, int16(o.userNSInum.off))
	p.store(4, r10, word(trNS+int(UserNS)), r3)
	p.load(4, r3, r2, int16(o.userNSOwner.off))
	p.store(4, r10, word(trOwnerUID), r3)
	p.load(8, r3, r2, int16(o.userNSParent.off)) // a user namespace's owner is its parent
	p.load(4, r3, r3, int16(o.userNSInum.off))
	p.store(4, r10, word(trOwner+int(UserNS)), r3)

	// nsproxy: NULL once the task is exiting, as /proc's links fail then.
	p.load(8, r7, r6, int16(o.taskNSProxy.off))
	p.jumpImm(bpfJEQ, r7, 0, "pid")
	p.storeImm(4, r10, word(trFlags), trNSFlag)
	for slot := range bpfNSMembers {
		if o.nsproxy[slot] == nil {
			continue
		}
		p.load(8, r2, r7, int16(o.nsproxy[slot].off))
		p.load(4, r3, r2, int16(o.nsInum[slot].off))
		p.store(4, r10, word(trNS+slot), r3)
		p.load(8, r3, r2, int16(o.nsUserNS[slot].off))
		p.load(4, r3, r3, int16(o.userNSInum.off))
		p.store(4, r10, word(trOwner+slot), r3)
		if slot == int(NumNSTypes) { // pid_for_children
			p.load(8, r3, r2, int16(o.pidNSParent.off))
			p.load(4, r3, r3, int16(o.pidNSInum.off))
			p.store(4, r10, word(trPIDFCParent), r3)
		}
	}

	// struct pid: its level and the (nr, ns) pair per level, copied with
	// probe_read because the array's length is only known at run time.
	p.mark("pid")
	p.mov(r1, r10)
	p.addImm(r1, int32(scratch))
	p.movImm(r2, 8)
	p.mov(r3, r6)
	p.addImm(r3, int32(o.taskThreadPID.off))
	p.call(bpfFuncProbeReadKernel)
	p.load(8, r8, r10, scratch) // struct pid *, as a number
	p.jumpImm(bpfJEQ, r8, 0, "emit")
	p.mov(r1, r10)
	p.addImm(r1, int32(scratch))
	p.movImm(r2, 4)
	p.mov(r3, r8)
	p.addImm(r3, int32(o.pidLevel.off))
	p.call(bpfFuncProbeReadKernel)
	p.load(4, r7, r10, scratch)
	p.store(4, r10, word(trLevel), r7)
	p.jumpImm(bpfJGT, r7, bpfMaxLevels-1, "emit") // Go reads /proc for these
	p.mov(r2, r7)
	p.addImm(r2, 1)
	p.mulImm(r2, int32(o.upidSize))
	p.mov(r1, r10)
	p.addImm(r1, int32(upids))
	p.mov(r3, r8)
	p.addImm(r3, int32(o.pidNumbers.off))
	p.call(bpfFuncProbeReadKernel)
	for i := range bpfMaxLevels {
		at := upids + int16(i*int(o.upidSize))
		p.load(4, r2, r10, at+int16(o.upidNR.off))
		p.store(4, r10, word(trNSpid+i), r2)
		if i < bpfMaxLevels-1 {
			p.jumpImm(bpfJEQ, r7, int32(i), "pidns")
		}
	}
	p.mark("pidns") // the namespace of the innermost level is the task's
	for i := range bpfMaxLevels {
		next := fmt.Sprintf("lvl%d", i+1)
		p.jumpImm(bpfJNE, r7, int32(i), next)
		at := upids + int16(i*int(o.upidSize))
		p.load(8, r3, r10, at+int16(o.upidNS.off))
		p.ja("nsinum")
		p.mark(next)
	}
	p.ja("emit")
	p.mark("nsinum")
	p.jumpImm(bpfJEQ, r3, 0, "emit")
	p.mov(r8, r3) // struct pid_namespace *, as a number
	// readU32 reads the u32 at src+off into word w; readVia first
	// follows the pointer at src+via. The pid namespace is only known to
	// the verifier as a number, so each step is a probe_read, which
	// leaves zero behind a NULL pointer.
	readU32 := func(src bpfReg, off uint32, w int) {
		p.mov(r3, src)
		p.addImm(r3, int32(off))
		p.mov(r1, r10)
		p.addImm(r1, int32(scratch))
		p.movImm(r2, 4)
		p.call(bpfFuncProbeReadKernel)
		p.load(4, r2, r10, scratch)
		p.store(4, r10, word(w), r2)
	}
	readVia := func(src bpfReg, via, off uint32, w int) {
		p.mov(r3, src)
		p.addImm(r3, int32(via))
		p.mov(r1, r10)
		p.addImm(r1, int32(scratch))
		p.movImm(r2, 8)
		p.call(bpfFuncProbeReadKernel)
		p.load(8, r6, r10, scratch) // the task is not needed any more
		readU32(r6, off, w)
	}
	readU32(r8, o.pidNSInum.off, trNS+int(PIDNS))
	readVia(r8, o.pidNSUserNS.off, o.userNSInum.off, trOwner+int(PIDNS))
	readVia(r8, o.pidNSParent.off, o.pidNSInum.off, trPIDParent)

	p.mark("emit")
	p.seqWrite(int16(rec), int32(trBytes))
	p.returnZero("out")
	return p
}

// seqWrite writes the n bytes at r10+from to the iterator's output; the
// programs keep their context in r9.
func (p *bpfProg) seqWrite(from int16, n int32) {
	p.load(8, r1, r9, 0) // ctx->meta
	p.load(8, r1, r1, 0) // meta->seq
	p.mov(r2, r10)
	p.addImm(r2, int32(from))
	p.movImm(r3, n)
	p.call(bpfFuncSeqWrite)
}

// returnZero places label and returns 0 there: the iterator goes on.
func (p *bpfProg) returnZero(label string) {
	p.mark(label)
	p.movImm(r0, 0)
	p.exit()
}

// fileProgram builds the task_file iterator: one record per open file on
// nsfs (a namespace held by an fd).
func fileProgram(o *btfOffsets) *bpfProg {
	p := newBPFProg()
	p.mov(r9, r1)
	p.load(8, r6, r1, 24) // ctx->file
	p.jumpImm(bpfJEQ, r6, 0, "out")
	p.load(8, r7, r1, 8) // ctx->task
	p.jumpImm(bpfJEQ, r7, 0, "out")
	p.load(8, r2, r6, int16(o.fileInode.off))
	p.load(8, r3, r2, int16(o.inodeSB.off))
	p.load(8, r3, r3, int16(o.sbMagic.off))
	p.jumpImm(bpfJNE, r3, nsfsMagic, "out")
	p.load(8, r4, r2, int16(o.inodeIno.off))
	p.store(8, r10, -8, r4)
	p.load(4, r5, r7, int16(o.taskTGID.off))
	p.store(4, r10, -16, r5)
	p.load(4, r5, r9, 16) // ctx->fd
	p.store(4, r10, -12, r5)
	p.seqWrite(-frBytes, frBytes)
	p.returnZero("out")
	return p
}

// csBytes is a css_set record: tgid, padding, css_set address.
const csBytes = 16

// cssetProgram builds the css_set iterator: per thread-group leader, the
// css_set, as the task record has it.
func cssetProgram(o *btfOffsets) *bpfProg {
	p := newBPFProg()
	p.mov(r9, r1)
	p.load(8, r6, r1, 8) // ctx->task
	p.jumpImm(bpfJEQ, r6, 0, "out")
	p.load(4, r2, r6, int16(o.taskPID.off))
	p.load(4, r3, r6, int16(o.taskTGID.off))
	p.jumpReg(bpfJNE, r2, r3, "out")
	p.storeImm(8, r10, -csBytes, 0)
	p.store(4, r10, -csBytes, r3)
	p.load(8, r2, r6, int16(o.taskCgroups.off))
	p.store(8, r10, -csBytes+8, r2)
	p.seqWrite(-csBytes, csBytes)
	p.returnZero("out")
	return p
}

// progLoadAttr is the BPF_PROG_LOAD part of union bpf_attr, up to
// attach_btf_obj_fd.
type progLoadAttr struct {
	progType           uint32
	insnCnt            uint32
	insns              uint64
	license            uint64
	logLevel           uint32
	logSize            uint32
	logBuf             uint64
	kernVersion        uint32
	progFlags          uint32
	progName           [16]byte
	progIfindex        uint32
	expectedAttachType uint32
	progBTFFD          uint32
	funcInfoRecSize    uint32
	funcInfo           uint64
	funcInfoCnt        uint32
	lineInfoRecSize    uint32
	lineInfo           uint64
	lineInfoCnt        uint32
	attachBTFID        uint32
	attachBTFObjFD     uint32
	_                  uint32
}

func bpfSyscall(cmd int, attr unsafe.Pointer, size uintptr) (int, error) {
	for {
		r, _, e := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(attr), size)
		if e == unix.EINTR || e == unix.EAGAIN {
			continue
		}
		if e != 0 {
			return -1, e
		}
		return int(r), nil
	}
}

// loadIter loads an iterator program and attaches it, returning the
// link. On a verifier rejection the error carries the verifier's log.
func loadIter(name string, prog *bpfProg, attachBTFID, flags uint32) (int, error) {
	insns, err := prog.assemble()
	if err != nil {
		return -1, err
	}
	// bpf_seq_write is GPL-only; the program itself is built here.
	license := []byte("Dual MIT/GPL\x00")
	attr := progLoadAttr{
		progType: bpfProgTypeTracing, insnCnt: uint32(len(insns)),
		insns:              uint64(uintptr(unsafe.Pointer(&insns[0]))),
		license:            uint64(uintptr(unsafe.Pointer(&license[0]))),
		expectedAttachType: bpfTraceIter, attachBTFID: attachBTFID, progFlags: flags,
	}
	copy(attr.progName[:15], name)
	fd, err := bpfSyscall(bpfCmdProgLoad, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	runtime.KeepAlive(insns)
	runtime.KeepAlive(license)
	if err != nil {
		if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EINVAL) {
			// Load again with the log for the reason.
			log := make([]byte, 1<<16)
			attr.logLevel, attr.logSize = 1, uint32(len(log))
			attr.logBuf = uint64(uintptr(unsafe.Pointer(&log[0])))
			_, err2 := bpfSyscall(bpfCmdProgLoad, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
			runtime.KeepAlive(log)
			if err2 != nil {
				if i := bytes.IndexByte(log, 0); i > 0 {
					return -1, fmt.Errorf("load %s: %w: %s", name, err, lastLines(string(log[:i]), 4))
				}
			}
		}
		return -1, fmt.Errorf("load %s: %w", name, err)
	}
	defer unix.Close(fd)
	link := struct {
		progFD, targetFD, attachType, flags uint32
		iterInfo                            uint64
		iterInfoLen                         uint32
		_                                   uint32
	}{progFD: uint32(fd), attachType: bpfTraceIter}
	lfd, err := bpfSyscall(bpfCmdLinkCreate, unsafe.Pointer(&link), unsafe.Sizeof(link))
	if err != nil {
		return -1, fmt.Errorf("attach %s: %w", name, err)
	}
	unix.CloseOnExec(lfd)
	return lfd, nil
}

func lastLines(s string, n int) string {
	end := len(s)
	for end > 0 && s[end-1] == '\n' {
		end--
	}
	start := end
	for k := 0; k < n && start > 0; k++ {
		start--
		for start > 0 && s[start-1] != '\n' {
			start--
		}
	}
	return s[start:end]
}

// loadBPFIters builds and attaches both iterators for this kernel.
func loadBPFIters(btfPath string) (*bpfIters, error) {
	b, err := loadKernelBTF(btfPath)
	if err != nil {
		return nil, err
	}
	o, err := readOffsets(b)
	if err != nil {
		return nil, err
	}
	task, err := loadIter("nscope_tasks", taskProgram(o), o.iterTask, 0)
	if err != nil {
		return nil, err
	}
	file, err := loadIter("nscope_nsfds", fileProgram(o), o.iterTaskFile, 0)
	if err != nil {
		unix.Close(task)
		return nil, err
	}
	css, err := loadIter("nscope_cssets", cssetProgram(o), o.iterTask, 0)
	if err != nil {
		unix.Close(task)
		unix.Close(file)
		return nil, err
	}
	it := &bpfIters{taskLink: task, fileLink: file, cssLink: css, procLink: -1}
	po, err := readProcOffsets(b)
	if err == nil {
		it.procLink, err = loadIter("nscope_procs", procProgram(po), po.iterTask, bpfFSleepable)
		it.procScaled = po.hasPrev
	}
	it.procErr = err
	return it, nil
}

// readIter creates an iterator instance from link and reads it to the end.
func readIter(link int, buf []byte) ([]byte, error) {
	attr := struct{ linkFD, flags uint32 }{linkFD: uint32(link)}
	fd, err := bpfSyscall(bpfCmdIterCreate, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	if err != nil {
		return buf, fmt.Errorf("iterator: %w", err)
	}
	defer unix.Close(fd)
	buf = buf[:0]
	for {
		if cap(buf)-len(buf) < 1<<16 {
			grown := make([]byte, len(buf), 2*cap(buf)+1<<17)
			copy(grown, buf)
			buf = grown
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err != nil {
			return buf, fmt.Errorf("iterator: %w", err)
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}

// bpfResult is one pass of both iterators.
type bpfResult struct {
	tasks map[int]*bpfTask
	files map[int][]bpfFile // by PID
	// procs is what the process iterator read, nil without it.
	procs map[int]*bpfProc
}

// iterate runs both iterators. nsfs is the nsfs device for the IDs.
func (it *bpfIters) iterate() (*bpfResult, error) {
	it.mu.Lock()
	defer it.mu.Unlock()
	data, err := readIter(it.taskLink, it.buf)
	if err != nil {
		return nil, err
	}
	it.buf = data
	if len(data)%trBytes != 0 {
		return nil, fmt.Errorf("iterator: %d bytes is not a whole number of records", len(data))
	}
	le := binary.LittleEndian
	res := &bpfResult{tasks: make(map[int]*bpfTask, len(data)/trBytes), files: map[int][]bpfFile{}}
	all := make([]bpfTask, len(data)/trBytes)
	for i := range all {
		rec := data[i*trBytes : (i+1)*trBytes]
		w := func(k int) uint32 { return le.Uint32(rec[4*k:]) }
		t := &all[i]
		t.EUID = int(w(trEUID))
		t.HasNS = w(trFlags)&trNSFlag != 0
		for k := range NumNSTypes {
			t.NS[k] = uint64(w(trNS + int(k)))
		}
		t.PIDForChildren = uint64(w(trPIDFC))
		t.TimeForChildren = uint64(w(trTimeFC))
		t.StartNS = le.Uint64(rec[4*trStart:])
		t.StartTicks = t.StartNS / (1e9 / clockTicks)
		for k := range t.Owner {
			t.Owner[k] = uint64(w(trOwner + k))
		}
		t.PIDParent, t.PIDFCParent = uint64(w(trPIDParent)), uint64(w(trPIDFCParent))
		t.OwnerUID = int(int32(w(trOwnerUID)))
		t.CSSet = le.Uint64(rec[4*trCSSet:])
		if level := int(w(trLevel)); level < bpfMaxLevels {
			t.NSpid = make([]int, level+1)
			for k := range t.NSpid {
				t.NSpid[k] = int(w(trNSpid + k))
			}
		}
		res.tasks[int(w(trTGID))] = t
	}
	data, err = readIter(it.fileLink, data)
	if err != nil {
		return nil, err
	}
	it.buf = data
	for i := 0; i+frBytes <= len(data); i += frBytes {
		rec := data[i:]
		f := bpfFile{PID: int(le.Uint32(rec)), FD: int(le.Uint32(rec[4:])), Ino: le.Uint64(rec[8:])}
		res.files[f.PID] = append(res.files[f.PID], f)
	}
	if it.procLink >= 0 {
		// Without it the scan reads stat and cmdline from /proc.
		if data, err = readIter(it.procLink, data); err == nil {
			res.procs, err = decodeProcs(data, it.procScaled)
		}
		it.buf, it.procReadErr = data, err
	}
	return res, nil
}

// cssets runs the css_set iterator: each thread-group leader's css_set.
func (it *bpfIters) cssets() (map[int]uint64, error) {
	it.mu.Lock()
	defer it.mu.Unlock()
	data, err := readIter(it.cssLink, it.buf)
	if err != nil {
		return nil, err
	}
	it.buf = data
	le := binary.LittleEndian
	sets := make(map[int]uint64, len(data)/csBytes)
	for i := 0; i+csBytes <= len(data); i += csBytes {
		sets[int(le.Uint32(data[i:]))] = le.Uint64(data[i+8:])
	}
	return sets, nil
}

func (it *bpfIters) close() {
	unix.Close(it.taskLink)
	unix.Close(it.fileLink)
	unix.Close(it.cssLink)
	if it.procLink >= 0 {
		unix.Close(it.procLink)
	}
}
