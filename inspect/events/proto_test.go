package events

// Scratch harness comparing the proc connector and the BPF tracepoints
// (NSCOPE_PROTO=1 go test -run TestProto -v).

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"golang.org/x/sys/unix"
)

type protoCounts struct {
	fork, exec, exit, comm, uid, other, threads atomic.Int64
	enobufs                                     atomic.Int64
	enrichFail                                  atomic.Int64
}

type protoListener interface {
	run()
	close()
	counts() *protoCounts
	kernelNS() int64
}

// --- proc connector ---

type connListener struct {
	fd     int
	enrich bool
	c      protoCounts
	done   chan struct{}
}

func newConn(t *testing.T, enrich bool, rcvbuf int) *connListener {
	return newConnFilter(t, enrich, rcvbuf, 0)
}

func newConnFilter(t *testing.T, enrich bool, rcvbuf int, filter uint32) *connListener {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_CONNECTOR)
	if err != nil {
		t.Fatal(err)
	}
	if rcvbuf > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvbuf); err != nil {
			t.Fatal(err)
		}
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: 1}); err != nil {
		t.Fatal(err)
	}
	plen := 4
	if filter != 0 {
		plen = 8
	}
	msg := make([]byte, 16+20+plen)
	binary.NativeEndian.PutUint32(msg[0:], uint32(len(msg)))
	binary.NativeEndian.PutUint16(msg[4:], unix.NLMSG_DONE)
	binary.NativeEndian.PutUint32(msg[12:], uint32(os.Getpid()))
	binary.NativeEndian.PutUint32(msg[16:], 1) // CN_IDX_PROC
	binary.NativeEndian.PutUint32(msg[20:], 1) // CN_VAL_PROC
	binary.NativeEndian.PutUint16(msg[32:], uint16(plen))
	binary.NativeEndian.PutUint32(msg[36:], 1) // PROC_CN_MCAST_LISTEN
	if filter != 0 {
		binary.NativeEndian.PutUint32(msg[40:], filter)
	}
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		t.Fatal(err)
	}
	return &connListener{fd: fd, enrich: enrich, done: make(chan struct{})}
}

func (l *connListener) counts() *protoCounts { return &l.c }
func (l *connListener) kernelNS() int64      { return 0 }
func (l *connListener) close() {
	unix.Shutdown(l.fd, unix.SHUT_RDWR)
	unix.Close(l.fd)
	<-l.done
}

func (l *connListener) run() {
	defer close(l.done)
	buf := make([]byte, 8192)
	var rb []byte
	flags := 0
	for {
		n, _, err := unix.Recvfrom(l.fd, buf, flags)
		if err == unix.EAGAIN {
			flags = 0
			time.Sleep(protoBatch)
			continue
		}
		if protoBatch > 0 {
			flags = unix.MSG_DONTWAIT
		}
		if err == unix.ENOBUFS {
			l.c.enobufs.Add(1)
			continue
		}
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return
		}
		b := buf[:n]
		for len(b) >= 16 {
			ml := int(binary.NativeEndian.Uint32(b))
			if ml < 16 || ml > len(b) {
				break
			}
			m := b[16:ml]
			b = b[(ml+3)&^3:]
			if len(m) < 20+16 {
				continue
			}
			ev := m[20:]
			what := binary.NativeEndian.Uint32(ev)
			d := ev[16:]
			switch what {
			case 1:
				cpid, ctgid := binary.NativeEndian.Uint32(d[8:]), binary.NativeEndian.Uint32(d[12:])
				if cpid != ctgid {
					l.c.threads.Add(1)
					continue
				}
				l.c.fork.Add(1)
				if l.enrich {
					l.read(int(ctgid), &rb)
				}
			case 2:
				l.c.exec.Add(1)
				if l.enrich {
					l.read(int(binary.NativeEndian.Uint32(d[4:])), &rb)
				}
			case 0x80000000:
				if binary.NativeEndian.Uint32(d) != binary.NativeEndian.Uint32(d[4:]) {
					l.c.threads.Add(1)
					continue
				}
				l.c.exit.Add(1)
			case 0x200:
				l.c.comm.Add(1)
			case 4:
				l.c.uid.Add(1)
			default:
				l.c.other.Add(1)
			}
		}
	}
}

// read gets what a BPF record carries: stat (comm, ppid), status (uids),
// the eight namespace links and the cgroups.
func (l *connListener) read(pid int, rb *[]byte) {
	dir := "/proc/" + strconv.Itoa(pid)
	dfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		l.c.enrichFail.Add(1)
		return
	}
	defer unix.Close(dfd)
	ok := true
	for _, f := range []string{"stat", "status", "cgroup"} {
		if _, err := readAt(dfd, f, rb); err != nil {
			ok = false
		}
	}
	lb := make([]byte, 64)
	for _, ns := range []string{"ns/mnt", "ns/pid", "ns/net", "ns/ipc", "ns/uts", "ns/user", "ns/cgroup", "ns/time"} {
		if _, err := readlinkAt(dfd, ns, lb); err != nil {
			ok = false
		}
	}
	if !ok {
		l.c.enrichFail.Add(1)
	}
}

func readAt(dirfd int, name string, buf *[]byte) ([]byte, error) {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	if cap(*buf) < 8192 {
		*buf = make([]byte, 8192)
	}
	n, err := unix.Read(fd, (*buf)[:cap(*buf)])
	if err != nil {
		return nil, err
	}
	return (*buf)[:n], nil
}

func readlinkAt(dirfd int, name string, buf []byte) ([]byte, error) {
	n, err := unix.Readlinkat(dirfd, name, buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// --- BPF ---

type bpfListener struct {
	objs  procEventsObjects
	links []link.Link
	rd    *ringbuf.Reader
	c     protoCounts
	done  chan struct{}
}

func newBPF(t *testing.T) *bpfListener {
	l := &bpfListener{done: make(chan struct{})}
	if err := loadProcEventsObjects(&l.objs, nil); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*ebpf.Program{l.objs.OnFork, l.objs.OnExec, l.objs.OnExit, l.objs.OnRename, l.objs.OnAttach} {
		lk, err := link.AttachTracing(link.TracingOptions{Program: p})
		if err != nil {
			t.Fatal(err)
		}
		l.links = append(l.links, lk)
	}
	lk, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: "mark_victim", Program: l.objs.OnOomVictim})
	if err != nil {
		t.Fatal(err)
	}
	l.links = append(l.links, lk)
	l.rd, err = ringbuf.NewReader(l.objs.Events)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func (l *bpfListener) counts() *protoCounts { return &l.c }
func (l *bpfListener) kernelNS() int64 {
	var total int64
	for _, p := range []*ebpf.Program{l.objs.OnFork, l.objs.OnExec, l.objs.OnExit, l.objs.OnRename, l.objs.OnAttach} {
		st, err := p.Stats()
		if err == nil {
			total += int64(st.Runtime)
		}
	}
	return total
}
func (l *bpfListener) lost() uint64 {
	var v uint64
	l.objs.Lost.Get(&v)
	return v
}

func (l *bpfListener) close() {
	l.rd.Close()
	<-l.done
	for _, lk := range l.links {
		lk.Close()
	}
	l.objs.Close()
}

func (l *bpfListener) run() {
	defer close(l.done)
	var rec ringbuf.Record
	for {
		if err := l.rd.ReadInto(&rec); err != nil {
			if errors.Is(err, ringbuf.ErrClosed) {
				return
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				l.rd.SetDeadline(time.Time{})
				time.Sleep(protoBatch)
			}
			continue
		}
		if protoBatch > 0 {
			l.rd.SetDeadline(time.Unix(1, 0))
		}
		if len(rec.RawSample) < int(unsafe.Sizeof(procEventsEvent{})) {
			continue
		}
		ev := (*procEventsEvent)(unsafe.Pointer(&rec.RawSample[0]))
		_ = unix.ByteSliceToString((*[16]byte)(unsafe.Pointer(&ev.Comm))[:])
		switch ev.Kind {
		case 1:
			l.c.fork.Add(1)
		case 2:
			l.c.exec.Add(1)
		case 3:
			l.c.exit.Add(1)
		case 4:
			l.c.comm.Add(1)
		default:
			l.c.other.Add(1)
		}
	}
}

// --- harness ---

var protoBatch, _ = time.ParseDuration(os.Getenv("NSCOPE_PROTO_BATCH"))

func cpuNS(who int) int64 {
	var ru unix.Rusage
	unix.Getrusage(who, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

type protoResult struct {
	name                   string
	forks                  int64
	listenerNS, genNS      int64
	kernelNS               int64
	wall                   time.Duration
	got                    [3]int64
	threads, enobufs, fail int64
	lost                   uint64
}

func runGen(t *testing.T, args ...string) (int64, int64) {
	cmd := exec.Command("/tmp/evproto/gen", args...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return n, ru.Utime.Nano() + ru.Stime.Nano()
}

func measure(t *testing.T, name string, mk func() protoListener, gen ...string) protoResult {
	var l protoListener
	if mk != nil {
		l = mk()
		stall, _ := time.ParseDuration(os.Getenv("NSCOPE_PROTO_STALL"))
		go func() { time.Sleep(stall); l.run() }()
		time.Sleep(200 * time.Millisecond)
	}
	var k0 int64
	if l != nil {
		k0 = l.kernelNS()
	}
	c0 := cpuNS(unix.RUSAGE_SELF)
	start := time.Now()
	n, genNS := runGen(t, gen...)
	time.Sleep(300 * time.Millisecond)
	r := protoResult{name: name, forks: n, genNS: genNS, wall: time.Since(start), listenerNS: cpuNS(unix.RUSAGE_SELF) - c0}
	if l != nil {
		r.kernelNS = l.kernelNS() - k0
		c := l.counts()
		r.got = [3]int64{c.fork.Load(), c.exec.Load(), c.exit.Load()}
		r.threads, r.enobufs, r.fail = c.threads.Load(), c.enobufs.Load(), c.enrichFail.Load()
		if b, ok := l.(*bpfListener); ok {
			r.lost = b.lost()
			for _, p := range []*ebpf.Program{b.objs.OnFork, b.objs.OnExec, b.objs.OnExit} {
				st, _ := p.Stats()
				if st != nil && st.RunCount > 0 {
					t.Logf("  %v: %d runs, %v each", p, st.RunCount, st.Runtime/time.Duration(st.RunCount))
				}
			}
		}
		l.close()
	}
	return r
}

func (r protoResult) String() string {
	secs := r.wall.Seconds()
	return fmt.Sprintf("%-16s procs=%6d (%.0f/s) listener=%6.1f ms/s gen=%6.1f ms/s bpf-in-kernel=%5.1f ms/s got fork/exec/exit=%v threads=%d enobufs=%d enrich-failed=%d lost=%d",
		r.name, r.forks, float64(r.forks)/secs, float64(r.listenerNS)/1e6/secs, float64(r.genNS)/1e6/secs, float64(r.kernelNS)/1e6/secs, r.got, r.threads, r.enobufs, r.fail, r.lost)
}

func TestProtoMeasure(t *testing.T) {
	if os.Getenv("NSCOPE_PROTO") == "" {
		t.Skip("set NSCOPE_PROTO=1")
	}
	stats, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		t.Fatal(err)
	}
	defer stats.Close()
	gen := strings.Fields(os.Getenv("NSCOPE_PROTO_GEN"))
	if len(gen) == 0 {
		gen = []string{"1000", "10", "1", "exec"}
	}
	rcv, _ := strconv.Atoi(os.Getenv("NSCOPE_PROTO_RCVBUF"))
	modes := strings.Fields(os.Getenv("NSCOPE_PROTO_MODES"))
	if len(modes) == 0 {
		modes = []string{"none", "conn", "conn-enrich", "bpf"}
	}
	for _, m := range modes {
		var mk func() protoListener
		switch m {
		case "conn":
			mk = func() protoListener { return newConn(t, false, rcv) }
		case "conn-enrich":
			mk = func() protoListener { return newConn(t, true, rcv) }
		case "bpf":
			mk = func() protoListener { return newBPF(t) }
		case "conn-uid":
			mk = func() protoListener { return newConnFilter(t, false, rcv, 4) }
		}
		t.Log(measure(t, m, mk, gen...))

	}
}
