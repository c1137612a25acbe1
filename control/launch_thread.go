package control

import (
	"runtime"
	"sync"
)

// keptThread is an OS thread kept for one launch: the init is forked from
// it and it stays until the launch is waited for. The init's parent-death
// signal (PR_SET_PDEATHSIG, see prctl(2)) is sent when the thread that
// forked it ends, not the process, and the Go runtime ends threads: every
// goroutine that returns locked to its thread (as the namespace readers of
// package inspect do) ends one. Without a kept thread, a background launch
// was killed at random while the TUI read namespaces. See
// https://go.dev/issue/27505.
type keptThread struct {
	run     chan func()
	release func()
}

// newKeptThread starts a goroutine locked to a thread of its own, which
// runs the functions sent to it until release is called.
func newKeptThread() *keptThread {
	k := &keptThread{run: make(chan func())}
	done := make(chan struct{})
	var once sync.Once
	k.release = func() { once.Do(func() { close(done) }) }
	go func() {
		runtime.LockOSThread()
		// The thread is unlocked, not ended: it is in our namespaces.
		defer runtime.UnlockOSThread()
		for {
			select {
			case f := <-k.run:
				f()
			case <-done:
				return
			}
		}
	}()
	return k
}

// do runs f on the kept thread and returns its error.
func (k *keptThread) do(f func() error) error {
	errc := make(chan error, 1)
	k.run <- func() { errc <- f() }
	return <-errc
}
