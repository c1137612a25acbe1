package events

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/testutil"
)

// churnScript starts short processes for secs seconds once a line
// arrives on stdin: each loop is a date and three trues.
const churnScript = `read x; end=$(( $(date +%%s) + %d )); while [ $(date +%%s) -lt $end ]; do /bin/true; /bin/true; /bin/true; done`

// Hundreds of short processes a second inside a pids-limited cgroup,
// read by a subscriber too slow for them and through a ring buffer too
// small for them: the stream drops with counted Lost events (from the
// subscription and from the kernel, after which it rescans), its memory
// stays bounded, and it still delivers when the churn is over.
func TestLiveChurn(t *testing.T) {
	cg := newTestCgroup(t, "pids")
	cg.write(t, "pids", "pids.max", "32")
	rel := cg.rel["pids"]
	s := openStream(t, ringSize(16<<10), Batch(50*time.Millisecond), WithCgroups(false))
	sub := s.Subscribe(Filter{Cgroup: rel}, 64)

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	sh := exec.Command("/bin/sh", "-c", fmt.Sprintf(churnScript, 4))
	gate, err := sh.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	sh.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := sh.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-sh.Process.Pid, syscall.SIGKILL); sh.Wait() })
	cg.write(t, "pids", "cgroup.procs", strconv.Itoa(sh.Process.Pid))
	gate.Write([]byte("go\n"))

	// A stalled reader first: nothing is read until the subscription
	// has dropped something (its buffer and channel hold 128 events, a
	// second of churn even on a loaded machine) or the churn is over.
	// Then a slow reader: 200 events a second at most.
	var forks, exits, subLost, kernelLost int
	var maxHeap, maxRing uint64
	done := make(chan error, 1)
	go func() { done <- sh.Wait() }()
	finished := false
	for stalled := true; stalled; {
		select {
		case <-done:
			finished, stalled, done = true, false, nil
		case <-time.After(10 * time.Millisecond):
			stalled = sub.Dropped() == 0
		}
	}
	// Read until the churn is over and the subscription has been quiet
	// for 200 ms (the Lost event may still be queued behind the rest).
	for quiet := 0; !finished || quiet < 10; {
		select {
		case ev := <-sub.Events():
			quiet = 0
			switch {
			case ev.Kind == Fork:
				forks++
			case ev.Kind == Exit:
				exits++
			case ev.Kind == Lost && ev.Source == SourceStream:
				subLost += int(ev.Count)
			case ev.Kind == Lost && ev.Source == SourceBPF:
				kernelLost += int(ev.Count)
			}
			time.Sleep(5 * time.Millisecond)
		case <-done:
			finished, done = true, nil
		case <-time.After(20 * time.Millisecond):
			quiet++
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		maxHeap = max(maxHeap, ms.HeapInuse)
		sub.mu.Lock()
		maxRing = max(maxRing, uint64(sub.n))
		sub.mu.Unlock()
	}
	t.Logf("churn: %d forks and %d exits read, %d lost by the reader, %d by the kernel; heap in use %d MiB before, at most %d MiB during; subscription ring at most %d",
		forks, exits, subLost, kernelLost, before.HeapInuse>>20, maxHeap>>20, maxRing)
	if forks < 50 {
		t.Errorf("read %d fork events during the churn, want the stream to keep delivering", forks)
	}
	if subLost == 0 {
		t.Errorf("a reader slower than the churn lost nothing: the subscription is not bounded")
	}
	if maxRing > 65 {
		t.Errorf("the subscription held %d events, more than its 64 (+1 spare)", maxRing)
	}
	if maxHeap > before.HeapInuse+64<<20 {
		t.Errorf("heap in use grew from %d MiB to %d MiB during the churn", before.HeapInuse>>20, maxHeap>>20)
	}
	if rss := vmRSS(t); rss > 512<<20 {
		t.Errorf("resident set %d MiB after the churn", rss>>20)
	}

	// After the churn (and the rescans its losses asked for), the stream
	// still reports a process from start to end.
	// The 16 KiB ring is shared with the whole host: another package's
	// tests may still overflow it, and a process whose events were lost
	// is not a stream that stopped. So: one of a few processes, each
	// seen from fork to exit with nothing lost in between.
	fast := s.Subscribe(Filter{}, 0)
	var tries []string
	for try := 0; try < 5; try++ {
		h := startHelper(t, "lifecycle")
		got, lost := collectWithin(fast, 5*time.Second, func(ev *Event) bool { return ev.PID == h.pid() && ev.Kind.IsProcess() },
			func(evs []Event) bool { return evs[len(evs)-1].Kind == Exit })
		if len(got) > 0 && got[0].Kind == Fork && got[len(got)-1].Kind == Exit {
			return
		}
		tries = append(tries, fmt.Sprintf("try %d: %d events lost meanwhile, got%s", try+1, lost, describe(got)))
	}
	t.Errorf("no process seen from fork to exit after the churn:\n%s", strings.Join(tries, "\n"))
}

// collectWithin is collect with a deadline of its own that ends the wait
// without failing; it also counts the events the stream said it lost.
func collectWithin(sub *Subscription, d time.Duration, keep func(*Event) bool, done func([]Event) bool) (got []Event, lost int) {
	deadline := time.After(d)
	for {
		select {
		case ev, ok := <-sub.Events():
			if !ok {
				return got, lost
			}
			if ev.Kind == Lost {
				lost += int(ev.Count)
			}
			if !keep(&ev) {
				continue
			}
			got = append(got, ev)
			if done(got) {
				return got, lost
			}
		case <-deadline:
			return got, lost
		}
	}
}

// vmRSS returns this process's resident set size.
func vmRSS(t *testing.T) uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// Close stops every goroutine the stream started and closes every file
// descriptor and BPF object it opened.
func TestLiveCloseLeaksNothing(t *testing.T) {
	requireRoot(t)
	// The scanner's BPF iterators stay loaded for the life of the
	// program (inspect.Scanner has no Close): share one, loaded before.
	sc := inspect.New(inspect.WithCgroups(false))
	if _, err := sc.Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	testutil.CheckLeaks(t)
	dir := t.TempDir()
	for range 2 {
		s := openStream(t, WithScanner(sc), WithJournal(dir+"/journal.jsonl", func() ([]LimitChange, error) { return nil, nil }))
		sub := s.Subscribe(Filter{}, 0)
		exec.Command("/bin/true").Run()
		select {
		case <-sub.Events():
		case <-time.After(10 * time.Second):
			t.Fatal("no event from an open stream")
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if _, ok := <-sub.Events(); ok {
			// Buffered events may still come; the channel must close.
			for range sub.Events() {
			}
		}
	}
}
