package main

import (
	"github.com/prometheus/procfs"
)

// procTable is one reading of every process's /proc/PID/stat.
//
// The bench host reads /proc with prometheus/procfs, not with the parser
// of the nscope it measures: a bug there cannot hide in its own figures,
// and the reads here are a few per measurement, far from any hot path
// (procfs's fmt.Fscan parser is slower than nscope's; see
// inspect.BenchmarkProcStatParsers).
type procTable struct {
	stats    map[int]procfs.ProcStat
	children map[int][]int
}

// readProcTable reads /proc/PID/stat of every process under procRoot.
// Processes that exit meanwhile are skipped.
func readProcTable(procRoot string) (procTable, error) {
	t := procTable{stats: map[int]procfs.ProcStat{}, children: map[int][]int{}}
	fs, err := procfs.NewFS(procRoot)
	if err != nil {
		return t, err
	}
	procs, err := fs.AllProcs()
	if err != nil {
		return t, err
	}
	for _, p := range procs {
		st, err := p.Stat()
		if err != nil {
			continue
		}
		t.stats[p.PID] = st
		t.children[st.PPID] = append(t.children[st.PPID], p.PID)
	}
	return t, nil
}

// procStat reads one process's /proc/PID/stat.
func procStat(pid int) (procfs.ProcStat, error) {
	p, err := procfs.NewProc(pid)
	if err != nil {
		return procfs.ProcStat{}, err
	}
	return p.Stat()
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
		ticks += uint64(st.UTime) + uint64(st.STime) + uint64(st.CUTime) + uint64(st.CSTime)
		stack = append(stack, t.children[pid]...)
	}
	return ticks, true
}

// ownTicks is the CPU time in clock ticks of the process alone.
func (t procTable) ownTicks(pid int) (ticks uint64, ok bool) {
	st, ok := t.stats[pid]
	return uint64(st.UTime) + uint64(st.STime), ok
}

// cpuPercent is the CPU use in percent of one core of a tick delta over
// a wall-clock window.
func cpuPercent(ticks uint64, seconds float64) float64 {
	if seconds <= 0 {
		return 0
	}
	return float64(ticks) / clockTicks / seconds * 100
}
