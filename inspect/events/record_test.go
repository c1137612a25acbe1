package events

import (
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// rawBytes returns the bytes of a generated record type, as the BPF
// program writes it (host layout).
func rawBytes[T any](v *T) []byte {
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(v)), unsafe.Sizeof(*v))...)
}

// cBytes copies s into a fixed C char array.
func cBytes[A ~[16]int8 | ~[256]int8 | ~[512]int8](dst *A, s string) {
	b := unsafe.Slice((*byte)(unsafe.Pointer(dst)), unsafe.Sizeof(*dst))
	copy(b, s)
}

func head(kind recKind) procEventsEvent {
	ev := procEventsEvent{TimeNs: 123456789, Kind: uint32(kind), Pid: 42, Ppid: 7, InnerPid: 1, Uid: 1000, Euid: 0, Aux: 0}
	for i := range ev.Ns {
		ev.Ns[i] = uint32(4026531835 + i)
	}
	cBytes(&ev.Comm, "bash")
	return ev
}

func TestDecodeRecord(t *testing.T) {
	fork := head(recFork)
	fork.Flags = flCgroupsDiffer
	exec := procEventsExecEvent{Ev: head(recExec), ArgsLen: 11}
	cBytes(&exec.Filename, "/bin/ls")
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&exec.Args[0])), len(exec.Args)), "ls\x00-l\x00/tmp\x00")
	exit := head(recExit)
	exit.Aux = 9 // killed by SIGKILL
	rename := procEventsRenameEvent{Ev: head(recComm)}
	cBytes(&rename.OldComm, "old")
	uid := procEventsUidEvent{Ev: head(recUID), OldUid: 0, OldEuid: 0}
	attach := procEventsAttachEvent{Ev: head(recAttach)}
	attach.Ev.Aux = 4
	cBytes(&attach.Path, "/docker/abc")
	ns := [numNSSlots]uint32{}
	for i := range ns {
		ns[i] = uint32(4026531835 + i)
	}
	base := procRecord{bootNS: 123456789, pid: 42, ppid: 7, innerPID: 1, uid: 1000, euid: 0, ns: ns, comm: "bash"}
	with := func(f func(r *procRecord)) procRecord { r := base; f(&r); return r }

	tests := []struct {
		name    string
		in      []byte
		want    procRecord
		wantErr bool
	}{
		{"fork", rawBytes(&fork), with(func(r *procRecord) { r.kind, r.flags = recFork, flCgroupsDiffer }), false},
		{"exec", rawBytes(&exec), with(func(r *procRecord) {
			r.kind, r.filename, r.args = recExec, "/bin/ls", []string{"ls", "-l", "/tmp"}
		}), false},
		{"exit", rawBytes(&exit), with(func(r *procRecord) { r.kind, r.aux = recExit, 9 }), false},
		{"comm", rawBytes(&rename), with(func(r *procRecord) { r.kind, r.oldComm = recComm, "old" }), false},
		{"uid", rawBytes(&uid), with(func(r *procRecord) { r.kind = recUID }), false},
		{"attach", rawBytes(&attach), with(func(r *procRecord) { r.kind, r.aux, r.path = recAttach, 4, "/docker/abc" }), false},
		{"short head", rawBytes(&fork)[:10], procRecord{}, true},
		{"exec cut short", rawBytes(&exec)[:recHeadSize+8], procRecord{}, true},
		{"unknown kind", rawBytes(ptr(head(99))), procRecord{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeRecord(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("decodeRecord: no error, want one")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(procRecord{})); diff != "" {
				t.Errorf("decodeRecord mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// An argument block cut at ARGS_MAX has no final NUL: the last argument
// is kept as far as it goes.
func TestSplitArgs(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"one", "ls\x00", []string{"ls"}},
		{"cut short", "ls\x00-la", []string{"ls", "-la"}},
		{"empty argument", "a\x00\x00b\x00", []string{"a", "", "b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, splitArgs([]byte(tc.in))); diff != "" {
				t.Errorf("splitArgs(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func FuzzDecodeRecord(f *testing.F) {
	exec := procEventsExecEvent{Ev: head(recExec), ArgsLen: 600}
	f.Add(rawBytes(&exec))
	f.Add(rawBytes(ptr(head(recFork))))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRecord(b)
		if err != nil {
			return
		}
		if len(r.comm) > recCommLen || len(r.path) > len(procEventsAttachEvent{}.Path) {
			t.Fatalf("string longer than its field: %+v", r)
		}
	})
}
