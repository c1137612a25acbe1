package events

import (
	"encoding/binary"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// inotifyBytes encodes events as the kernel does: the name NUL-padded to
// a multiple of 16 bytes... or not padded at all (len 0).
func inotifyBytes(evs ...inotifyEvent) []byte {
	var b []byte
	for _, ev := range evs {
		name := []byte(ev.name)
		if len(name) > 0 {
			name = append(name, make([]byte, 16-len(name)%16)...)
		}
		h := make([]byte, unix.SizeofInotifyEvent)
		binary.NativeEndian.PutUint32(h[0:], uint32(ev.wd))
		binary.NativeEndian.PutUint32(h[4:], ev.mask)
		binary.NativeEndian.PutUint32(h[8:], ev.cookie)
		binary.NativeEndian.PutUint32(h[12:], uint32(len(name)))
		b = append(append(b, h...), name...)
	}
	return b
}

func TestParseInotify(t *testing.T) {
	evs := []inotifyEvent{
		{wd: 1, mask: unix.IN_CREATE | unix.IN_ISDIR, name: "child"},
		{wd: 2, mask: unix.IN_MODIFY},
		{wd: 1, mask: unix.IN_DELETE | unix.IN_ISDIR, name: "a-name-of-exactly-32-bytes-long!"},
	}
	var got []inotifyEvent
	if err := parseInotify(inotifyBytes(evs...), func(ev inotifyEvent) { got = append(got, ev) }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(evs, got, cmp.AllowUnexported(inotifyEvent{})); diff != "" {
		t.Errorf("parseInotify (-want +got):\n%s", diff)
	}
	b := inotifyBytes(evs[0])
	if err := parseInotify(b[:len(b)-1], func(inotifyEvent) {}); err != errInotifyShort {
		t.Errorf("truncated: err %v, want errInotifyShort", err)
	}
}

func FuzzParseInotify(f *testing.F) {
	f.Add(inotifyBytes(inotifyEvent{wd: 1, mask: unix.IN_CREATE, name: "x"}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		parseInotify(b, func(ev inotifyEvent) {
			if len(ev.name) > len(b) {
				t.Fatalf("name longer than the input")
			}
		})
	})
}
