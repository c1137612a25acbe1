package inspect

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// TestReadDirentsUnderSignals lists a directory of 1,000 files again and
// again while another thread sends signals to the reading one: getdents
// returns a short batch when a signal is pending (filldir64 in
// fs/readdir.c), which is not the end of the directory. Every listing
// must be whole. (Go's own preemption sends such signals: a scan that
// took a short batch for the end missed every process after it.)
func TestReadDirentsUnderSignals(t *testing.T) {
	dir := t.TempDir()
	const files = 1000
	for i := range files {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%05d", i)), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tid := make(chan int)
	done := make(chan struct{})
	var stop atomic.Bool
	go func() {
		defer close(done)
		target := <-tid
		for !stop.Load() {
			_ = unix.Tgkill(os.Getpid(), target, unix.SIGURG)
		}
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid <- unix.Gettid()
	defer func() { stop.Store(true); <-done }()

	buf := make([]byte, 32768)
	for round := range 5 {
		fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		err = readDirents(fd, buf, func(namez []byte, _ uint8) {
			if namez[0] != '.' {
				n++
			}
		})
		unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		if n != files {
			t.Fatalf("round %d: listed %d of %d files", round, n, files)
		}
	}
}
