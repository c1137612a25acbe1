package control

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// A launch records the cgroups it creates in the journal ("run" changes):
// a "before" entry per hierarchy, synced before the directory is made,
// and an "after" entry once it is removed again (or kept with Keep). A
// launch whose nscope is killed (SIGKILL, a crash) leaves "before"
// entries alone; the next launch removes those cgroups once they hold no
// process and that nscope is gone (SweepStaleLaunches). Only cgroups a
// launch recorded are ever removed, so a cgroup named nscope-run-* that
// someone else made, or one kept with --keep, stays.

// launchKeep marks a recorded cgroup the launch keeps after the command.
const launchKeep = "create, keep"

// launchRecord is a launch's "run" change in the journal.
type launchRecord struct {
	ed      *Editor
	entries []Entry
}

// recordLaunch journals the cgroups plan is about to create.
func recordLaunch(ed *Editor, plan *LaunchPlan, procRoot string) (*launchRecord, error) {
	ticks, err := readStartTicks(procRoot, os.Getpid())
	if err != nil {
		return nil, fmt.Errorf("read our own start time: %w", err)
	}
	r := &launchRecord{ed: ed}
	id := ed.newChangeID()
	what := "create"
	if plan.Keep {
		what = launchKeep
	}
	for _, cg := range plan.Cgroups {
		r.entries = append(r.entries, Entry{
			Time: ed.now(), Change: id, Action: "run", Phase: PhaseBefore, Cgroup: cg.Path,
			Hierarchy: cg.Hierarchy.Label(), Version: cg.Hierarchy.Version, Path: cg.Dir, File: "cgroup",
			Old: strconv.FormatUint(ticks, 10), New: what, PID: os.Getpid(), UID: os.Geteuid(),
		})
	}
	if err := ed.journal.Append(r.entries...); err != nil {
		return nil, err
	}
	return r, nil
}

// finish journals what became of the cgroups: "removed", "kept", or
// "not created" with the error.
func (r *launchRecord) finish(readBack string, failure error) {
	if r == nil {
		return
	}
	after := make([]Entry, len(r.entries))
	for i, e := range r.entries {
		e.Time, e.Phase, e.Result, e.ReadBack = r.ed.now(), PhaseAfter, "ok", readBack
		if failure != nil {
			e.Result, e.Errno = failure.Error(), ErrnoName(failure)
		}
		after[i] = e
	}
	_ = r.ed.journal.Append(after...)
	r.entries = nil
}

// SweepStaleLaunches removes the cgroups earlier launches recorded and
// did not get to remove: recorded as created and not kept, with no
// result, whose nscope process is gone (its PID is free, or another
// process started at another time has it), and that hold no process now
// (the launch's init is gone, and with it its pid namespace). Every path
// is confined like a typed one before it is touched, and the removal is
// journaled. It returns the directories removed.
func (e *Editor) SweepStaleLaunches() ([]string, error) {
	changes, err := e.journal.Changes()
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for i := range changes {
		c := &changes[i]
		if c.Action != "run" || launcherAlive(c) {
			continue
		}
		var done []Entry
		for _, w := range c.Writes {
			if w.State != StateUnknown || w.New == launchKeep {
				continue
			}
			dir, err := e.launchDir(c, w)
			if errors.Is(err, ErrNoSuchCgroup) {
				done = append(done, sweptEntry(e, c, w, "gone"))
				continue
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if pids, err := e.members([]string{dir}); err != nil || len(pids) > 0 {
				continue
			}
			if err := removeCgroupTree(dir); err != nil {
				errs = append(errs, err)
				continue
			}
			removed = append(removed, dir)
			done = append(done, sweptEntry(e, c, w, fmt.Sprintf("swept: its nscope (PID %d) was gone", c.PID)))
		}
		if len(done) > 0 {
			if err := e.journal.Append(done...); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return removed, errors.Join(errs...)
}

// launcherAlive reports whether the nscope that made the launch c may
// still run: its PID exists with the start time it recorded.
func launcherAlive(c *Change) bool {
	if len(c.Writes) == 0 {
		return false
	}
	ticks, err := readStartTicks("/proc", c.PID)
	if err != nil {
		return !errors.Is(err, os.ErrNotExist) && errnoOf(err) != unix.ESRCH
	}
	return strconv.FormatUint(ticks, 10) == c.Writes[0].Old
}

// launchDir confines a recorded launch cgroup like a typed path: in a
// mounted hierarchy, a clean path below its mount (no ".."), named as
// the launch's cgroup is (the path differs between hierarchies when the
// parent was relative), a directory inside the mount on a cgroup
// filesystem.
func (e *Editor) launchDir(c *Change, w ChangeWrite) (string, error) {
	h := e.hierarchyByLabel(w.Hierarchy, w.Version)
	rel := ""
	if h != nil && strings.HasPrefix(w.Path, h.Mount+"/") {
		rel = strings.TrimPrefix(w.Path, h.Mount)
	}
	if rel == "" || w.File != "cgroup" || filepath.Clean(rel) != rel || strings.Contains(rel+"/", "/../") ||
		filepath.Base(rel) != filepath.Base(c.Cgroup) || checkCgroupName(filepath.Base(rel)) != nil {
		return "", fmt.Errorf("launch %s in the journal %s names %q, not a launch's cgroup; left alone: %w", c.ID, e.journal.Path(), w.Path, ErrOutsideCgroupFS)
	}
	return cgroupDir(e.fs, h, Target{Path: rel})
}

func sweptEntry(e *Editor, c *Change, w ChangeWrite, what string) Entry {
	return Entry{
		Time: e.now(), Change: c.ID, Action: "run", Phase: PhaseAfter, Cgroup: c.Cgroup,
		// The after entry finds its write by Path.
		Hierarchy: w.Hierarchy, Version: w.Version, Path: w.Path, File: w.File, Old: w.Old, New: w.New,
		Result: "ok", ReadBack: what, PID: os.Getpid(), UID: os.Geteuid(),
	}
}

// removeCgroupTree removes an empty cgroup and the empty cgroups below it
// (a command may have made some), deepest first.
func removeCgroupTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return &KernelError{Op: "read", Path: dir, Err: unwrapErrno(err)}
	}
	for _, ent := range entries {
		if ent.IsDir() {
			if err := removeCgroupTree(filepath.Join(dir, ent.Name())); err != nil {
				return err
			}
		}
	}
	if err := unix.Rmdir(dir); err != nil && err != unix.ENOENT {
		return &KernelError{Op: "remove cgroup", Path: dir, Err: err}
	}
	return nil
}
