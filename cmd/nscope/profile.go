package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"sync"
	"time"
)

// profileEnv names a file to write a CPU profile of the whole run to, for
// the developers chasing the TUI's CPU budget ("go tool pprof bin/nscope
// FILE"). The profile is written when the command returns normally (the
// TUI on q), not on an error exit. profileAfterEnv delays the start by
// a duration ("20s"), to leave the start-up out of a steady-state profile.
const (
	profileEnv      = "NSCOPE_CPUPROFILE"
	profileAfterEnv = "NSCOPE_CPUPROFILE_AFTER"
)

// startProfile starts the CPU profile profileEnv asks for and returns
// what stops it; a failure to start is said once and the run goes on.
func startProfile() func() {
	path := os.Getenv(profileEnv)
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "nscope: %s: %v\n", profileEnv, err)
		return func() {}
	}
	var after time.Duration
	if v := os.Getenv(profileAfterEnv); v != "" {
		if after, err = time.ParseDuration(v); err != nil {
			fmt.Fprintf(os.Stderr, "nscope: %s: %v\n", profileAfterEnv, err)
		}
	}
	var mu sync.Mutex
	started, stopped := false, false
	start := func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "nscope: %s: %v\n", profileEnv, err)
			return
		}
		started = true
	}
	if after > 0 {
		time.AfterFunc(after, start)
	} else {
		start()
	}
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		if started {
			pprof.StopCPUProfile()
		}
		f.Close()
	}
}
