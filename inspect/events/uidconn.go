package events

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// The credential program needs a BPF trampoline (fentry), which some
// kernels refuse (this project's test VM answers EPERM to every fentry,
// fexit and LSM program). There, UID changes come from the proc
// connector instead, subscribed to PROC_EVENT_UID alone: Linux 6.6 added
// a per-listener event filter, so the socket receives nothing but
// credential changes. Without the filter (older kernels ignore the
// request) it would receive every fork, exec and exit of the host, which
// is exactly what the BPF source avoids, so on those kernels UID changes
// are reported only across exec. See Documentation/driver-api/connector.rst
// and include/uapi/linux/cn_proc.h.

// Proc connector constants (include/uapi/linux/connector.h, cn_proc.h).
const (
	cnIdxProc         = 1
	cnValProc         = 1
	procCnMcastListen = 1
	procEventUID      = 0x00000004
	nlmsgHeadLen      = 16
	cnMsgLen          = 20
	procEventHeadLen  = 16 // what, cpu, timestamp_ns
)

// uidConn is a proc connector socket that receives UID changes.
type uidConn struct {
	f  *os.File
	rc syscall.RawConn
	// fd is read directly by drain: RawConn.Read holds the descriptor's
	// read lock while it waits, which waitReadable does.
	fd int
}

// openUIDConn subscribes to UID change events. It fails on kernels
// without the event filter (before 6.6), where subscribing would bring
// every process event.
func openUIDConn() (*uidConn, error) {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return nil, err
	}
	if !kernelAtLeast(unix.ByteSliceToString(u.Release[:]), 6, 6) {
		return nil, errors.New("the proc connector filters events by type only from Linux 6.6")
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_CONNECTOR)
	if err != nil {
		return nil, fmt.Errorf("proc connector socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: cnIdxProc}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind the proc connector: %w", err)
	}
	if err := unix.Sendto(fd, listenMessage(), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("subscribe to the proc connector: %w", err)
	}
	f := os.NewFile(uintptr(fd), "proc-connector")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &uidConn{f: f, rc: rc, fd: fd}, nil
}

// listenMessage is PROC_CN_MCAST_LISTEN with the event filter
// (struct proc_input) set to UID changes.
func listenMessage() []byte {
	msg := make([]byte, nlmsgHeadLen+cnMsgLen+8)
	ne := binary.NativeEndian
	ne.PutUint32(msg[0:], uint32(len(msg)))
	ne.PutUint16(msg[4:], unix.NLMSG_DONE)
	ne.PutUint32(msg[12:], uint32(os.Getpid()))
	ne.PutUint32(msg[16:], cnIdxProc)
	ne.PutUint32(msg[20:], cnValProc)
	ne.PutUint16(msg[32:], 8)
	ne.PutUint32(msg[36:], procCnMcastListen)
	ne.PutUint32(msg[40:], procEventUID)
	return msg
}

// drain reads every datagram waiting in the socket without blocking and
// returns the UID records, and whether the socket overflowed (ENOBUFS:
// events were lost) since the last drain. Only the stream's core calls
// it, so that a change is in hand before the ring's later records are
// applied (the kernel queues the datagram as the credentials change),
// and the core closes the socket when it ends, so the descriptor is
// never read after it was closed.
func (c *uidConn) drain(buf []byte) (records []procRecord, overflowed bool, err error) {
	for {
		n, _, e := unix.Recvfrom(c.fd, buf, unix.MSG_DONTWAIT)
		switch e {
		case nil:
			records = append(records, parseUIDMessages(buf[:n])...)
		case unix.ENOBUFS:
			overflowed = true
		case unix.EINTR:
		case unix.EAGAIN:
			return records, overflowed, nil
		default:
			return records, overflowed, e
		}
	}
}

// waitReadable parks until the socket has data, then sends on ready and
// waits for the core to drain it (on done) before it looks again, until
// the socket is closed.
func (c *uidConn) waitReadable(ready chan<- struct{}, done <-chan struct{}, stop <-chan struct{}) {
	fds := make([]unix.PollFd, 1)
	for {
		err := c.rc.Read(func(fd uintptr) bool {
			fds[0] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
			n, _ := unix.Poll(fds, 0)
			return n > 0
		})
		if err != nil {
			return
		}
		select {
		case ready <- struct{}{}:
		case <-stop:
			return
		}
		select {
		case <-done:
		case <-stop:
			return
		}
	}
}

func (c *uidConn) close() { c.f.Close() }

// parseUIDMessages decodes the UID events in one netlink datagram; a
// thread's change (pid != tgid) is not the process's.
func parseUIDMessages(b []byte) []procRecord {
	var out []procRecord
	ne := binary.NativeEndian
	for len(b) >= nlmsgHeadLen {
		ml := int(ne.Uint32(b))
		if ml < nlmsgHeadLen || ml > len(b) {
			break
		}
		m := b[nlmsgHeadLen:ml]
		b = b[min(len(b), (ml+3)&^3):]
		if len(m) < cnMsgLen+procEventHeadLen+16 {
			continue
		}
		ev := m[cnMsgLen:]
		if ne.Uint32(ev) != procEventUID {
			continue
		}
		d := ev[procEventHeadLen:]
		pid, tgid := ne.Uint32(d), ne.Uint32(d[4:])
		if pid != tgid {
			continue
		}
		out = append(out, procRecord{kind: recUID, pid: int(tgid),
			uid: int(ne.Uint32(d[8:])), euid: int(ne.Uint32(d[12:])), oldUID: unknownID, oldEUID: unknownID,
			monoNS: ne.Uint64(ev[8:])})
	}
	return out
}

// kernelAtLeast reports whether a uname release ("6.18.4-foo") is at
// least major.minor.
func kernelAtLeast(release string, major, minor int) bool {
	var ma, mi int
	if _, err := fmt.Sscanf(release, "%d.%d", &ma, &mi); err != nil {
		return false
	}
	return ma > major || (ma == major && mi >= minor)
}
