package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// nsTypes are the namespace link names in /proc/PID/ns that name a
// namespace a process is in (pid_for_children and time_for_children are
// left out, as lsns does). See namespaces(7).
var nsTypes = []string{"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"}

// census is an independent count of what runs on the machine, read
// straight from /proc, to check what the measured tools report.
type census struct {
	Processes  int            // thread-group leaders in /proc
	Namespaces int            // distinct namespaces with a process in them
	ByType     map[string]int // namespaces per type
}

// String reads like "4012 processes, 1815 namespaces (cgroup 301, ...)".
func (c census) String() string {
	var types []string
	for t := range c.ByType {
		types = append(types, t)
	}
	sort.Strings(types)
	var parts []string
	for _, t := range types {
		parts = append(parts, fmt.Sprintf("%s %d", t, c.ByType[t]))
	}
	return fmt.Sprintf("%d processes, %d namespaces with processes (%s)", c.Processes, c.Namespaces, strings.Join(parts, ", "))
}

// takeCensus counts the processes under procRoot and the namespaces they
// are in. The links read like "net:[4026531840]"; every namespace lives
// on the one nsfs, so the text identifies it. Processes that exit
// meanwhile are skipped.
func takeCensus(procRoot string) (census, error) {
	c := census{ByType: map[string]int{}}
	entries, err := os.ReadDir(procRoot)
	if err != nil {
		return c, fmt.Errorf("census: %w", err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		counted := false
		for _, t := range nsTypes {
			link, err := os.Readlink(filepath.Join(procRoot, e.Name(), "ns", t))
			if err != nil {
				continue
			}
			counted = true
			if !seen[link] {
				seen[link] = true
				c.ByType[t]++
				c.Namespaces++
			}
		}
		if counted {
			c.Processes++
		}
	}
	return c, nil
}
