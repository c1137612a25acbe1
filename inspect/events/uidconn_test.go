package events

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// uidMessage builds a proc connector datagram with one event.
func uidMessage(what, pid, tgid, ruid, euid uint32) []byte {
	msg := make([]byte, nlmsgHeadLen+cnMsgLen+procEventHeadLen+16)
	ne := binary.NativeEndian
	ne.PutUint32(msg[0:], uint32(len(msg)))
	ne.PutUint16(msg[4:], unix.NLMSG_DONE)
	ev := msg[nlmsgHeadLen+cnMsgLen:]
	ne.PutUint32(ev[0:], what)
	ne.PutUint64(ev[8:], 5000)
	d := ev[procEventHeadLen:]
	ne.PutUint32(d[0:], pid)
	ne.PutUint32(d[4:], tgid)
	ne.PutUint32(d[8:], ruid)
	ne.PutUint32(d[12:], euid)
	return msg
}

func TestParseUIDMessages(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want []procRecord
	}{
		{"process", uidMessage(procEventUID, 10, 10, 1000, 0), []procRecord{{kind: recUID, pid: 10, uid: 1000, euid: 0, oldUID: unknownID, oldEUID: unknownID, monoNS: 5000}}},
		{"thread", uidMessage(procEventUID, 11, 10, 1000, 0), nil},
		{"other event", uidMessage(1, 10, 10, 0, 0), nil},
		{"two", append(uidMessage(procEventUID, 1, 1, 1, 1), uidMessage(procEventUID, 2, 2, 2, 2)...), []procRecord{
			{kind: recUID, pid: 1, uid: 1, euid: 1, oldUID: unknownID, oldEUID: unknownID, monoNS: 5000},
			{kind: recUID, pid: 2, uid: 2, euid: 2, oldUID: unknownID, oldEUID: unknownID, monoNS: 5000}}},
		{"short", uidMessage(procEventUID, 10, 10, 0, 0)[:30], nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := parseUIDMessages(tc.in)
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got {
				g, w := got[i], tc.want[i]
				if g.kind != w.kind || g.pid != w.pid || g.uid != w.uid || g.euid != w.euid || g.oldUID != w.oldUID || g.monoNS != w.monoNS {
					t.Errorf("record %d: got %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func FuzzParseUIDMessages(f *testing.F) {
	f.Add(uidMessage(procEventUID, 10, 10, 1000, 0))
	f.Fuzz(func(t *testing.T, b []byte) { parseUIDMessages(b) })
}

func TestKernelAtLeast(t *testing.T) {
	tests := []struct {
		rel  string
		want bool
	}{{"6.18.44-fc", true}, {"6.6.0", true}, {"6.5.9", false}, {"6.1.0-28-amd64", false}, {"7.0", true}, {"junk", false}}
	for _, tc := range tests {
		if got := kernelAtLeast(tc.rel, 6, 6); got != tc.want {
			t.Errorf("kernelAtLeast(%q, 6, 6) = %v, want %v", tc.rel, got, tc.want)
		}
	}
}
