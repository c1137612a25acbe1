package control

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A background launch survives the end of the thread that started it:
// the init's parent-death signal (PR_SET_PDEATHSIG, SIGKILL) follows the
// thread that forked it, not the process, and the TUI ends threads every
// time it reads what a namespace holds. The launch starts the init from a
// thread it keeps until Wait.
func TestLaunchLiveBackgroundOutlivesItsThread(t *testing.T) {
	needRootForLaunch(t)
	l := testLauncher(t)
	parent := testCgroupParent(t, l)
	lc, err := l.Launch(LaunchRequest{Command: []string{"sleep", "30"}, CgroupParent: parent, Name: "thread"})
	if err != nil {
		t.Fatal(err)
	}
	lc.Background = true
	lc.SetStdin(nil)
	// Start from a goroutine that ends locked to its thread, as inspect's
	// namespace readers do: the Go runtime ends that thread.
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		started <- lc.Start()
	}()
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = syscall.Kill(lc.InitPID(), syscall.SIGKILL)
		_ = lc.Wait()
	}()
	// The thread ends after the goroutine returned; give the signal, if
	// any, time to arrive.
	deadline := time.Now().Add(500 * time.Millisecond)
	for time.Now().Before(deadline) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", lc.InitPID()))
		if err != nil {
			t.Fatal(err)
		}
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if fields[0] == "Z" {
			t.Fatal("the init was killed when the thread that called Start ended (its parent-death signal)")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
