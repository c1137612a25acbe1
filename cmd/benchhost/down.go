package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// benchNameRE matches the name of a bench subtree and captures the PID of
// the benchhost that made it.
var benchNameRE = regexp.MustCompile(`^` + benchPrefix + `([0-9]+)$`)

// maxSearchDepth bounds how deep below a hierarchy's root down looks for
// bench subtrees (they sit beneath the creator's own cgroup).
const maxSearchDepth = 6

// benchRun is the cgroup subtree one benchhost run made, in every
// hierarchy it used.
type benchRun struct {
	Name  string   // nscope-bench-PID
	Owner int      // the PID of the benchhost that made it
	Alive bool     // that benchhost (or its test binary) still runs
	Dirs  []string // the subtree's root in each hierarchy
}

// findRuns looks for bench subtrees in the v1 hierarchies benchhost uses.
func findRuns() ([]benchRun, error) {
	hier, err := findHierarchies()
	if err != nil {
		return nil, err
	}
	byName := map[string]*benchRun{}
	for _, hi := range hier {
		err := filepath.WalkDir(hi.Mount, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if path == hi.Mount {
					return err
				}
				return nil // a cgroup removed while walking
			}
			if !d.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(hi.Mount, path)
			if rel != "." && strings.Count(rel, "/")+1 > maxSearchDepth {
				return fs.SkipDir
			}
			m := benchNameRE.FindStringSubmatch(d.Name())
			if m == nil {
				return nil
			}
			r := byName[d.Name()]
			if r == nil {
				owner, _ := strconv.Atoi(m[1])
				r = &benchRun{Name: d.Name(), Owner: owner, Alive: isBenchhost(owner)}
				byName[d.Name()] = r
			}
			r.Dirs = append(r.Dirs, path)
			return fs.SkipDir
		})
		if err != nil {
			return nil, fmt.Errorf("search %s: %w", hi.Mount, err)
		}
	}
	var runs []benchRun
	for _, r := range byName {
		runs = append(runs, *r)
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].Owner < runs[j].Owner })
	return runs, nil
}

// isBenchhost reports whether pid runs benchhost (or its test binary),
// by the name of its executable ("go run" builds one named benchhost too).
func isBenchhost(pid int) bool {
	exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	return err == nil && strings.HasPrefix(filepath.Base(exe), "benchhost")
}

// downOptions select what down removes.
type downOptions struct {
	force bool   // also the subtree of a benchhost that still runs
	only  string // only the run with this name (tests); "" for all
}

// runDown removes the bench subtrees earlier runs left behind: it kills
// the processes in them, removes the cgroups deepest first and the run's
// log file, and says what it did.
func runDown(w io.Writer, o downOptions) error {
	runs, err := findRuns()
	if err != nil {
		return err
	}
	var errs []error
	removed := 0
	for _, r := range runs {
		if o.only != "" && r.Name != o.only {
			continue
		}
		if r.Alive && !o.force {
			fmt.Fprintf(w, "left %s alone: benchhost %d still runs it (stop it with kill -TERM %d, or use -force)\n", r.Name, r.Owner, r.Owner)
			continue
		}
		n, err := removeRun(r)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.Name, err))
			continue
		}
		removed++
		fmt.Fprintf(w, "removed %s: %d cgroups in %s\n", r.Name, n, strings.Join(r.Dirs, ", "))
	}
	if removed == 0 && len(errs) == 0 {
		fmt.Fprintln(w, "nothing to remove: no bench subtree without a running benchhost")
	}
	return errors.Join(errs...)
}

// removeRun kills every process in the run's cgroups and removes them,
// deepest first. It returns how many cgroups it removed.
func removeRun(r benchRun) (int, error) {
	var dirs []string
	for _, root := range r.Dirs {
		_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, path)
			}
			return nil
		})
	}
	deadline := time.Now().Add(30 * time.Second)
	if err := killAndWait(dirs, r.Name, deadline, nil); err != nil {
		return 0, err
	}
	sort.SliceStable(dirs, func(i, j int) bool {
		return strings.Count(dirs[i], "/") > strings.Count(dirs[j], "/")
	})
	for _, d := range dirs {
		if err := rmdirCgroup(d, deadline); err != nil {
			return 0, err
		}
	}
	os.Remove(filepath.Join(os.TempDir(), r.Name+".log"))
	return len(dirs), nil
}
