package events

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"unsafe"
)

// recKind is a record's kind as the BPF program writes it (enum ev_kind
// in bpf/procevents.h).
type recKind uint32

const (
	recFork   recKind = 1
	recExec   recKind = 2
	recExit   recKind = 3
	recComm   recKind = 4
	recUID    recKind = 5
	recAttach recKind = 6
	recOOM    recKind = 7
)

// Record flags (enum ev_flag).
const (
	flCgroupsDiffer  = 1 << 0
	flArgsTruncated  = 1 << 1
	flInExec         = 1 << 2
	flPathTruncated  = 1 << 4
	numNSSlots       = 8
	recCommLen       = 16
	recHeadSize      = int(unsafe.Sizeof(procEventsEvent{}))
	recExecSize      = int(unsafe.Sizeof(procEventsExecEvent{}))
	recRenameSize    = int(unsafe.Sizeof(procEventsRenameEvent{}))
	recUIDSize       = int(unsafe.Sizeof(procEventsUidEvent{}))
	recAttachSize    = int(unsafe.Sizeof(procEventsAttachEvent{}))
	maxRecordArgsLen = len(procEventsExecEvent{}.Args)
)

// procRecord is one decoded ring buffer record.
type procRecord struct {
	kind  recKind
	flags uint32
	// bootNS is CLOCK_BOOTTIME in nanoseconds; monoNS, set instead for a
	// record from the proc connector, CLOCK_MONOTONIC.
	bootNS   uint64
	monoNS   uint64
	pid      int
	ppid     int
	innerPID int
	uid      int
	euid     int
	// aux: wait status (exit), former thread ID (exec), hierarchy ID
	// (attach).
	aux  int32
	ns   [numNSSlots]uint32
	comm string
	// oldComm (comm); oldUID, oldEUID (uid); filename, args (exec);
	// path (attach).
	oldComm  string
	oldUID   int
	oldEUID  int
	filename string
	args     []string
	path     string
}

// The offsets of the head's fields, from the generated Go type that
// mirrors struct event.
var (
	offTime     = int(unsafe.Offsetof(procEventsEvent{}.TimeNs))
	offKind     = int(unsafe.Offsetof(procEventsEvent{}.Kind))
	offFlags    = int(unsafe.Offsetof(procEventsEvent{}.Flags))
	offPID      = int(unsafe.Offsetof(procEventsEvent{}.Pid))
	offPPID     = int(unsafe.Offsetof(procEventsEvent{}.Ppid))
	offInner    = int(unsafe.Offsetof(procEventsEvent{}.InnerPid))
	offUID      = int(unsafe.Offsetof(procEventsEvent{}.Uid))
	offEUID     = int(unsafe.Offsetof(procEventsEvent{}.Euid))
	offAux      = int(unsafe.Offsetof(procEventsEvent{}.Aux))
	offNS       = int(unsafe.Offsetof(procEventsEvent{}.Ns))
	offComm     = int(unsafe.Offsetof(procEventsEvent{}.Comm))
	offArgsLen  = int(unsafe.Offsetof(procEventsExecEvent{}.ArgsLen))
	offFilename = int(unsafe.Offsetof(procEventsExecEvent{}.Filename))
	offArgs     = int(unsafe.Offsetof(procEventsExecEvent{}.Args))
	offOldComm  = int(unsafe.Offsetof(procEventsRenameEvent{}.OldComm))
	offOldUID   = int(unsafe.Offsetof(procEventsUidEvent{}.OldUid))
	offOldEUID  = int(unsafe.Offsetof(procEventsUidEvent{}.OldEuid))
	offPath     = int(unsafe.Offsetof(procEventsAttachEvent{}.Path))
)

// decodeRecord decodes one ring buffer sample. The BPF program writes
// every record, but the decoder still checks every length: a record of
// an unknown kind or too short for its kind is an error, never a panic.
func decodeRecord(b []byte) (procRecord, error) {
	var r procRecord
	if len(b) < recHeadSize {
		return r, fmt.Errorf("record of %d bytes, shorter than its %d-byte head", len(b), recHeadSize)
	}
	le := binary.NativeEndian
	r.bootNS = le.Uint64(b[offTime:])
	r.kind = recKind(le.Uint32(b[offKind:]))
	r.flags = le.Uint32(b[offFlags:])
	r.pid = int(le.Uint32(b[offPID:]))
	r.ppid = int(le.Uint32(b[offPPID:]))
	r.innerPID = int(le.Uint32(b[offInner:]))
	r.uid = int(le.Uint32(b[offUID:]))
	r.euid = int(le.Uint32(b[offEUID:]))
	r.aux = int32(le.Uint32(b[offAux:]))
	for i := range r.ns {
		r.ns[i] = le.Uint32(b[offNS+4*i:])
	}
	r.comm = cString(b[offComm : offComm+recCommLen])
	need := recordSize(r.kind)
	if need == 0 {
		return r, fmt.Errorf("record of unknown kind %d", r.kind)
	}
	if len(b) < need {
		return r, fmt.Errorf("record of kind %d has %d bytes, want %d", r.kind, len(b), need)
	}
	switch r.kind {
	case recExec:
		r.filename = cString(b[offFilename:offArgs])
		n := int(le.Uint32(b[offArgsLen:]))
		n = min(n, maxRecordArgsLen)
		r.args = splitArgs(b[offArgs : offArgs+n])
	case recComm:
		r.oldComm = cString(b[offOldComm : offOldComm+recCommLen])
	case recUID:
		r.oldUID = int(le.Uint32(b[offOldUID:]))
		r.oldEUID = int(le.Uint32(b[offOldEUID:]))
	case recAttach:
		r.path = cString(b[offPath:recAttachSize])
	}
	return r, nil
}

// recordSize returns the size of a record of kind k, 0 for an unknown kind.
func recordSize(k recKind) int {
	switch k {
	case recFork, recExit, recOOM:
		return recHeadSize
	case recExec:
		return recExecSize
	case recComm:
		return recRenameSize
	case recUID:
		return recUIDSize
	case recAttach:
		return recAttachSize
	}
	return 0
}

// cString returns b up to its first NUL.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// splitArgs splits a NUL-separated argument block as /proc/PID/cmdline
// holds it; a last argument cut short has no NUL.
func splitArgs(b []byte) []string {
	b = bytes.TrimSuffix(b, []byte{0})
	if len(b) == 0 {
		return nil
	}
	parts := bytes.Split(b, []byte{0})
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = string(p)
	}
	return out
}
