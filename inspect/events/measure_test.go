package events

// The measurement that chose the process event source: the proc
// connector (netlink) against the BPF tracepoints, on this host. It is
// not a test (timing on a shared machine proves nothing); run it by hand:
//
//	NSCOPE_MEASURE=1 go test -run TestMeasureSources -v ./inspect/events
//
// NSCOPE_MEASURE_GEN is forkgen's "RATE SECONDS WORKERS MODE" (default
// "1000 10 1 exec": a thousand fork+exec+exit a second for 10 s),
// NSCOPE_MEASURE_MODES the listeners to compare, NSCOPE_MEASURE_STALL how
// long each listener waits before it starts reading (for loss).
// Listener CPU is this process's (getrusage); the BPF programs' own time
// is the kernel's run-time statistics. The results are in doc.go.

import (
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

// counts are what a listener saw.
type counts struct {
	fork, exec, exit, threads atomic.Int64
	overflows, lost           atomic.Int64
	procFail                  atomic.Int64
}

type listener interface {
	run(c *counts)
	close()
	// kernelTime is the BPF programs' run time so far (0 for others).
	kernelTime() time.Duration
}

// --- the proc connector, all events (the prototype that was not kept) ---

type connListener struct {
	fd       int
	readProc bool
	done     chan struct{}
}

func newConnListener(t *testing.T, readProc bool) *connListener {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_CONNECTOR)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: cnIdxProc}); err != nil {
		t.Fatal(err)
	}
	msg := listenMessage()[:nlmsgHeadLen+cnMsgLen+4] // no filter: every event
	binary.NativeEndian.PutUint32(msg[0:], uint32(len(msg)))
	binary.NativeEndian.PutUint16(msg[32:], 4)
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		t.Fatal(err)
	}
	return &connListener{fd: fd, readProc: readProc, done: make(chan struct{})}
}

func (l *connListener) kernelTime() time.Duration { return 0 }

func (l *connListener) close() {
	unix.Shutdown(l.fd, unix.SHUT_RDWR)
	unix.Close(l.fd)
	<-l.done
}

// run reads like the BPF reader does: drain, then sleep 10 ms.
func (l *connListener) run(c *counts) {
	defer close(l.done)
	buf := make([]byte, 8192)
	var rb []byte
	flags := 0
	ne := binary.NativeEndian
	for {
		n, _, err := unix.Recvfrom(l.fd, buf, flags)
		switch err {
		case unix.EAGAIN:
			flags = 0
			time.Sleep(10 * time.Millisecond)
			continue
		case unix.ENOBUFS:
			c.overflows.Add(1)
			continue
		case unix.EINTR:
			continue
		case nil:
		default:
			return
		}
		if n == 0 {
			return
		}
		flags = unix.MSG_DONTWAIT
		b := buf[:n]
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
			d := ev[procEventHeadLen:]
			switch ne.Uint32(ev) {
			case 1: // PROC_EVENT_FORK: parent pid, tgid, child pid, tgid
				if ne.Uint32(d[8:]) != ne.Uint32(d[12:]) {
					c.threads.Add(1)
					continue
				}
				c.fork.Add(1)
				l.read(int(ne.Uint32(d[12:])), &rb, c)
			case 2: // PROC_EVENT_EXEC
				c.exec.Add(1)
				l.read(int(ne.Uint32(d[4:])), &rb, c)
			case 0x80000000: // PROC_EVENT_EXIT
				if ne.Uint32(d) != ne.Uint32(d[4:]) {
					c.threads.Add(1)
					continue
				}
				c.exit.Add(1)
			}
		}
	}
}

// read gets from /proc what a BPF record carries: stat (name, parent),
// status (user IDs), cgroup and the eight namespace links.
func (l *connListener) read(pid int, rb *[]byte, c *counts) {
	if !l.readProc {
		return
	}
	dfd, err := unix.Open("/proc/"+strconv.Itoa(pid), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		c.procFail.Add(1)
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
	for _, ns := range []string{"mnt", "pid", "net", "ipc", "uts", "user", "cgroup", "time"} {
		if _, err := unix.Readlinkat(dfd, "ns/"+ns, lb); err != nil {
			ok = false
		}
	}
	if !ok {
		c.procFail.Add(1)
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

// --- the BPF source that was kept ---

type bpfListener struct {
	src  *bpfSource
	done chan struct{}
}

func newBPFListener(t *testing.T) *bpfListener {
	src, err := openBPF(10*time.Millisecond, 0)
	if err != nil {
		t.Fatal(err)
	}
	return &bpfListener{src: src, done: make(chan struct{})}
}

func (l *bpfListener) run(c *counts) {
	defer close(l.done)
	l.src.run(func(records []procRecord, lost uint64, bad int) {
		c.lost.Store(int64(lost))
		for _, r := range records {
			switch r.kind {
			case recFork:
				c.fork.Add(1)
			case recExec:
				c.exec.Add(1)
			case recExit:
				c.exit.Add(1)
			}
		}
	})
}

func (l *bpfListener) close() { l.src.close(); <-l.done }

func (l *bpfListener) kernelTime() time.Duration {
	var total time.Duration
	for _, p := range []*ebpf.Program{l.src.objs.OnFork, l.src.objs.OnExec, l.src.objs.OnExit, l.src.objs.OnRename, l.src.objs.OnAttach} {
		if st, err := p.Stats(); err == nil {
			total += st.Runtime
		}
	}
	return total
}

// --- the whole stream: BPF, the tracker, a subscriber ---

type streamListener struct {
	s *Stream
}

func (l *streamListener) run(c *counts) {
	sub := l.s.Subscribe(Filter{}, 0)
	for ev := range sub.Events() {
		switch ev.Kind {
		case Fork:
			c.fork.Add(1)
		case Exec:
			c.exec.Add(1)
		case Exit:
			c.exit.Add(1)
		case Lost:
			c.lost.Add(ev.Count)
		}
	}
}

func (l *streamListener) close()                    { l.s.Close() }
func (l *streamListener) kernelTime() time.Duration { return 0 }

// --- harness ---

func cpuTime() time.Duration {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// buildForkgen compiles the load generator and the program it execs.
func buildForkgen(t *testing.T) (gen, nop string) {
	if runtime.GOARCH != "amd64" {
		t.Skip("nop.c is x86-64 assembly")
	}
	dir := t.TempDir()
	gen, nop = filepath.Join(dir, "forkgen"), filepath.Join(dir, "nop")
	for _, c := range [][]string{
		{"gcc", "-O2", "-pthread", "-o", gen, "testdata/measure/forkgen.c"},
		{"gcc", "-O2", "-static", "-nostdlib", "-o", nop, "testdata/measure/nop.c"},
	} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Skipf("%s: %v\n%s", strings.Join(c, " "), err, out)
		}
	}
	return gen, nop
}

func TestMeasureSources(t *testing.T) {
	if os.Getenv("NSCOPE_MEASURE") == "" {
		t.Skip("a measurement, not a test: set NSCOPE_MEASURE=1 (see the file's comment)")
	}
	requireRoot(t)
	gen, nop := buildForkgen(t)
	stats, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		t.Fatal(err)
	}
	defer stats.Close()
	genArgs := strings.Fields(os.Getenv("NSCOPE_MEASURE_GEN"))
	if len(genArgs) == 0 {
		genArgs = []string{"1000", "10", "1", "exec"}
	}
	modes := strings.Fields(os.Getenv("NSCOPE_MEASURE_MODES"))
	if len(modes) == 0 {
		modes = []string{"none", "connector", "connector+proc", "bpf", "stream"}
	}
	stall, _ := time.ParseDuration(os.Getenv("NSCOPE_MEASURE_STALL"))
	for _, mode := range modes {
		var l listener
		switch mode {
		case "none":
		case "connector":
			l = newConnListener(t, false)
		case "connector+proc":
			l = newConnListener(t, true)
		case "bpf":
			l = newBPFListener(t)
		case "stream":
			s, err := Open(context.Background(), WithCgroups(false))
			if err != nil {
				t.Fatal(err)
			}
			l = &streamListener{s: s}
		default:
			t.Fatalf("unknown mode %q", mode)
		}
		var c counts
		if l != nil {
			go func() { time.Sleep(stall); l.run(&c) }()
			time.Sleep(200 * time.Millisecond)
		}
		var k0 time.Duration
		if l != nil {
			k0 = l.kernelTime()
		}
		c0, start := cpuTime(), time.Now()
		cmd := exec.Command(gen, append(genArgs, nop)...)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(300*time.Millisecond + stall)
		wall := time.Since(start).Seconds()
		listenerCPU := cpuTime() - c0
		var kernel time.Duration
		if l != nil {
			kernel = l.kernelTime() - k0
			l.close()
		}
		n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		genCPU := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		t.Logf("%-15s %6d processes (%4.0f/s)  listener %5.1f ms/s  BPF programs %4.1f ms/s  generator %5.1f ms/s  read fork/exec/exit %d/%d/%d  threads %d  overflows %d  lost %d  /proc reads failed %d",
			mode, n, float64(n)/wall, float64(listenerCPU.Microseconds())/1000/wall, float64(kernel.Microseconds())/1000/wall,
			float64(genCPU.Microseconds())/1000/wall, c.fork.Load(), c.exec.Load(), c.exit.Load(), c.threads.Load(),
			c.overflows.Load(), c.lost.Load(), c.procFail.Load())
	}
}
