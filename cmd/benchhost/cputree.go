package main

import (
	"os"
	"path/filepath"
	"strconv"

	"github.com/nscope/nscope/inspect"
)

// procTable is one reading of every process's /proc/PID/stat.
type procTable struct {
	stats    map[int]inspect.ProcStat
	children map[int][]int
}

// readProcTable reads /proc/PID/stat of every process under procRoot.
// Processes that exit meanwhile are skipped.
func readProcTable(procRoot string) (procTable, error) {
	t := procTable{stats: map[int]inspect.ProcStat{}, children: map[int][]int{}}
	entries, err := os.ReadDir(procRoot)
	if err != nil {
		return t, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join(procRoot, e.Name(), "stat"))
		if err != nil {
			continue
		}
		st, err := inspect.ParseProcStat(data)
		if err != nil {
			continue
		}
		t.stats[pid] = st
		t.children[st.PPID] = append(t.children[st.PPID], pid)
	}
	return t, nil
}

// clockTicks is USER_HZ, the unit of the times in /proc/PID/stat; the
// kernel fixes it at 100 for every architecture's user ABI.
const clockTicks = 100

// treeTicks is the CPU time in clock ticks used so far by the process
// root and all its descendants: each live process's utime+stime plus the
// cutime+cstime it collected from children that exited and were reaped,
// so a short-lived helper's time is not lost. ok is false when root is
// gone.
func (t procTable) treeTicks(root int) (ticks uint64, ok bool) {
	if _, ok := t.stats[root]; !ok {
		return 0, false
	}
	stack := []int{root}
	for len(stack) > 0 {
		pid := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		st := t.stats[pid]
		ticks += st.UTime + st.STime + st.CUTime + st.CSTime
		stack = append(stack, t.children[pid]...)
	}
	return ticks, true
}

// ownTicks is the CPU time in clock ticks of the process alone.
func (t procTable) ownTicks(pid int) (ticks uint64, ok bool) {
	st, ok := t.stats[pid]
	return st.UTime + st.STime, ok
}

// cpuPercent is the CPU use in percent of one core of a tick delta over
// a wall-clock window.
func cpuPercent(ticks uint64, seconds float64) float64 {
	if seconds <= 0 {
		return 0
	}
	return float64(ticks) / clockTicks / seconds * 100
}
