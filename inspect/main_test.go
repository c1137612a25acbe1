package inspect_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
)

// helperEnv makes the test binary a helper process instead of running
// tests; see startHelper.
const helperEnv = "NSCOPE_INSPECT_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "proctitle":
		proctitleHelper()
	case "cputhreads":
		cpuThreadsHelper()
	case "threadchurn":
		threadChurnHelper()
	case "timensscan":
		timeNSScanHelper()
		os.Exit(0)
	}
	time.Sleep(10 * time.Minute)
	os.Exit(0)
}

// proctitleTitle starts the argument area after proctitleHelper.
const proctitleTitle = "nscope-proctitle"

// proctitleHelper rewrites its argument area the way setproctitle does
// (nginx, postgres, sshd): the title runs over the NULs between the
// arguments, up to and including the last one, so the kernel reads
// /proc/PID/cmdline on into the environment. Go's os.Args point into
// that area (the runtime does not copy argv).
func proctitleHelper() {
	first, last := os.Args[0], os.Args[len(os.Args)-1]
	start := unsafe.Pointer(unsafe.StringData(first))
	end := unsafe.Add(unsafe.Pointer(unsafe.StringData(last)), len(last)) // the final NUL
	area := unsafe.Slice((*byte)(start), uintptr(end)-uintptr(start)+1)
	n := copy(area, proctitleTitle)
	for i := n; i < len(area); i++ {
		area[i] = 'z'
	}
}

var sink atomic.Uint64

// cpuThreadsHelper burns CPU on four OS threads; two then exit (their
// time moves to the thread group's signal_struct) and two stay, idle.
// The process's CPU time is only right if both halves are counted.
func cpuThreadsHelper() {
	done := make(chan struct{}, 4)
	for i := range 4 {
		go func() {
			runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
			// Half in the kernel, half not, so that both user and
			// system time have samples to be split by.
			// 150 ms of this thread's own CPU time, however busy the
			// machine is (a wall-clock budget gave it less).
			x := uint64(i)
			for threadCPU() < 150*time.Millisecond {
				for range 2000 {
					x = x*6364136223846793005 + 1442695040888963407
				}
				_ = syscall.Getppid()
			}
			sink.Add(x)
			done <- struct{}{}
			if i < 2 {
				return
			}
			select {}
		}()
	}
	for range 4 {
		<-done
	}
	_ = os.WriteFile(os.Getenv(helperEnv+"_READY"), nil, 0o600)
}

// threadCPU is the CPU time of the calling thread.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		panic(err)
	}
	return time.Duration(ts.Nano())
}

// threadChurnHelper keeps two short-lived busy threads going: each burns
// about 20 ms of CPU and exits, moving its time into the thread group's
// signal_struct, while a scan may be reading the group.
func threadChurnHelper() {
	for range 2 {
		go func() {
			for {
				done := make(chan struct{})
				go func() {
					runtime.LockOSThread() // the thread exits with the goroutine
					x := uint64(1)
					for t0 := time.Now(); time.Since(t0) < 20*time.Millisecond; {
						x = x*6364136223846793005 + 1442695040888963407
					}
					sink.Add(x)
					close(done)
				}()
				<-done
			}
		}()
	}
}

// timeNSScanHelper scans from inside a time namespace and prints the scan
// method, how far its own start time is from now in seconds, and how
// many processes' start times differ from a scan through /proc alone.
func timeNSScanHelper() {
	s := inspect.New()
	defer s.Close()
	snap, err := s.Scan(context.Background())
	if err != nil {
		fmt.Println("error", err)
		return
	}
	procfs, err := inspect.New(inspect.WithBPF(false)).Scan(context.Background())
	if err != nil {
		fmt.Println("error", err)
		return
	}
	self := snap.Process(os.Getpid())
	if self == nil {
		fmt.Println("error: not in its own scan")
		return
	}
	differ := 0
	for _, p := range snap.Processes {
		if q := procfs.Process(p.PID); q != nil && !q.StartTime.Equal(p.StartTime) {
			differ++
		}
	}
	fmt.Println(snap.ScanMethod, int64(time.Since(self.StartTime).Seconds()), differ)
}
