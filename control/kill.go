package control

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
)

// KillPlan is what Kill would do, for the confirmation prompt.
type KillPlan struct {
	Target Target `json:"target"`
	// Method is "cgroup.kill" (v2, 5.14+) or "SIGKILL each member" (v1;
	// the cgroup is frozen meanwhile when a v1 freezer is available, so
	// nothing can fork away).
	Method string `json:"method"`
	// Dirs are the cgroup directories whose members (and whose
	// descendants' members) are killed.
	Dirs []string `json:"dirs"`
	// PIDs are the member processes now.
	PIDs []int `json:"pids"`
	// Confirm lists warnings to show with the confirmation.
	Confirm []string `json:"confirm,omitempty"`

	h2     *inspect.Hierarchy
	freeze *inspect.Hierarchy
}

// KillResult is what Kill did.
type KillResult struct {
	Change string `json:"change"`
	Target Target `json:"target"`
	Method string `json:"method"`
	// Signalled are the PIDs SIGKILL was sent to (v1), or the members
	// before cgroup.kill (v2).
	Signalled []int `json:"signalled"`
	// Remaining are members still present when Kill gave up waiting.
	Remaining []int `json:"remaining,omitempty"`
}

// PlanKill finds the cgroup's member processes and how they will be
// killed. The root cgroup is refused: that would kill the host. On v1 a
// path given relative to the hierarchies names the same path in every v1
// hierarchy where it exists; an absolute directory names just that one.
func (e *Editor) PlanKill(t Target) (*KillPlan, error) {
	if t.IsRoot() {
		return nil, fmt.Errorf("kill every process in the root cgroup, i.e. the whole host: %w", ErrRefused)
	}
	kp := &KillPlan{Target: t}
	useV2 := (t.Hierarchy != nil && t.Hierarchy.Version == 2) ||
		(t.Hierarchy == nil && e.layout.Mode == inspect.CgroupUnified)
	if useV2 {
		h := e.layout.Unified()
		if t.Hierarchy != nil {
			h = t.Hierarchy
		}
		if h == nil {
			return nil, fmt.Errorf("no cgroup v2 hierarchy: %w", ErrNoController)
		}
		dir, err := cgroupDir(e.fs, h, t)
		if err != nil {
			return nil, err
		}
		kp.Method, kp.Dirs, kp.h2 = "cgroup.kill", []string{dir}, h
		if _, err := e.fs.ReadFile(filepath.Join(dir, "cgroup.kill")); errors.Is(err, unix.ENOENT) {
			kp.Method = "SIGKILL each member"
		}
	} else {
		kp.Method = "SIGKILL each member"
		for i := range e.layout.Hierarchies {
			h := &e.layout.Hierarchies[i]
			if h.Version != 1 || (t.Hierarchy != nil && t.Hierarchy.ID != h.ID) {
				continue
			}
			dir, err := cgroupDir(e.fs, h, t)
			if errors.Is(err, ErrNoSuchCgroup) {
				continue
			}
			if err != nil {
				return nil, err
			}
			kp.Dirs = append(kp.Dirs, dir)
			if h.Has("freezer") {
				kp.freeze = h
			}
		}
		if len(kp.Dirs) == 0 {
			return nil, fmt.Errorf("cgroup %s exists in no v1 hierarchy: %w", t.Path, ErrNoSuchCgroup)
		}
	}
	pids, err := e.members(kp.Dirs)
	if err != nil {
		return nil, err
	}
	kp.PIDs = pids
	if unit := SystemdUnit(t.Path); unit != "" {
		kp.Confirm = append(kp.Confirm, fmt.Sprintf("%s belongs to systemd unit %s; systemd may restart it (\"systemctl kill %s\" or \"systemctl stop %s\" is the systemd way)", t.Path, unit, unit, unit))
	}
	if self := os.Getpid(); containsInt(pids, self) {
		kp.Confirm = append(kp.Confirm, fmt.Sprintf("nscope itself (PID %d) is in this cgroup and will be killed too", self))
	}
	return kp, nil
}

// Kill kills every process in the cgroup and its descendants: v2 writes 1
// to cgroup.kill; v1 (or a v2 kernel before 5.14) freezes the cgroup when
// a v1 freezer has it, sends SIGKILL to each member through a pidfd after
// re-checking membership, thaws, and repeats until it is empty. It waits
// for the cgroup to empty (Remaining lists stragglers). Journaled, not
// undoable.
func (e *Editor) Kill(ctx context.Context, kp *KillPlan) (*KillResult, error) {
	if err := e.checkWritable(); err != nil {
		return nil, err
	}
	if kp == nil || kp.Target.IsRoot() || len(kp.Dirs) == 0 {
		return nil, fmt.Errorf("kill: no plan, or the root cgroup: %w", ErrRefused)
	}
	if err := e.journal.Check(); err != nil {
		return nil, fmt.Errorf("nothing was killed: %w", err)
	}
	res := &KillResult{Change: e.newChangeID(), Target: kp.Target, Method: kp.Method}
	pids, err := e.members(kp.Dirs)
	if err != nil {
		return nil, err
	}
	res.Signalled = pids
	entry := Entry{
		Time: e.now(), Change: res.Change, Action: "kill", Phase: PhaseBefore, Cgroup: kp.Target.Path,
		Path: kp.Dirs[0], File: "cgroup.procs", Old: joinInts(pids), New: kp.Method,
		PID: os.Getpid(), UID: os.Geteuid(),
	}
	if kp.h2 != nil {
		entry.Hierarchy, entry.Version, entry.Path, entry.File = kp.h2.Label(), 2, filepath.Join(kp.Dirs[0], "cgroup.kill"), "cgroup.kill"
	}
	if err := e.journal.Append(entry); err != nil {
		return nil, fmt.Errorf("nothing was killed: %w", err)
	}
	var killErr error
	if kp.Method == "cgroup.kill" {
		if werr := e.fs.WriteFile(filepath.Join(kp.Dirs[0], "cgroup.kill"), []byte("1")); werr != nil {
			killErr = &KernelError{Op: "write", Path: filepath.Join(kp.Dirs[0], "cgroup.kill"), Value: "1", Err: werr}
		}
	} else {
		res.Signalled, killErr = e.killEach(ctx, kp)
	}
	if killErr == nil {
		res.Remaining, killErr = e.waitEmpty(ctx, kp.Dirs)
	}
	entry.Time, entry.Phase, entry.Old = e.now(), PhaseAfter, joinInts(res.Signalled)
	entry.ReadBack = joinInts(res.Remaining)
	entry.Result = "ok"
	if killErr != nil {
		entry.Result, entry.Errno = killErr.Error(), ErrnoName(killErr)
	}
	if err := e.journal.Append(entry); err != nil && killErr == nil {
		killErr = err
	}
	return res, killErr
}

// killEach is the v1 kill: freeze, SIGKILL members until none are left
// or the timeout passes, thaw.
func (e *Editor) killEach(ctx context.Context, kp *KillPlan) ([]int, error) {
	var frozeDir string
	if kp.freeze != nil {
		dir := filepath.Join(kp.freeze.Mount, kp.Target.Path)
		if state, err := e.read(dir, "freezer.state"); err == nil && state == "THAWED" {
			if err := e.fs.WriteFile(filepath.Join(dir, "freezer.state"), []byte("FROZEN")); err == nil {
				frozeDir = dir
				// Killing works whether or not the freeze settles; it only
				// keeps members from forking meanwhile.
				_, _ = e.waitFrozen(ctx, dir, 1, true)
			}
		}
	}
	var signalled []int
	seen := map[int]bool{}
	var firstErr error
	deadline := time.Now().Add(e.freezeTimeout)
	// At least one round, then more while members keep appearing (forks
	// that raced the freeze), until the deadline.
	for round := 0; round == 0 || (time.Now().Before(deadline) && ctx.Err() == nil); round++ {
		pids, err := e.members(kp.Dirs)
		if err != nil {
			firstErr = err
			break
		}
		fresh := 0
		for _, pid := range pids {
			if seen[pid] {
				continue
			}
			fresh++
			seen[pid] = true
			signalled = append(signalled, pid)
			err := e.fs.KillProcess(pid, func() bool {
				now, err := e.members(kp.Dirs)
				return err == nil && containsInt(now, pid)
			})
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("SIGKILL %d: %s", pid, Explain(err, ""))
			}
		}
		if fresh == 0 {
			break
		}
	}
	if frozeDir != "" {
		if err := e.fs.WriteFile(filepath.Join(frozeDir, "freezer.state"), []byte("THAWED")); err != nil && firstErr == nil {
			firstErr = &KernelError{Op: "write", Path: filepath.Join(frozeDir, "freezer.state"), Value: "THAWED", Err: err}
		}
	}
	sort.Ints(signalled)
	return signalled, firstErr
}

// waitEmpty polls until no dir has members, up to the timeout, and
// returns who is left.
func (e *Editor) waitEmpty(ctx context.Context, dirs []string) ([]int, error) {
	deadline := time.Now().Add(e.freezeTimeout)
	for {
		pids, err := e.members(dirs)
		if err != nil || len(pids) == 0 {
			return pids, err
		}
		if time.Now().After(deadline) {
			return pids, nil
		}
		select {
		case <-ctx.Done():
			return pids, ctx.Err()
		case <-time.After(e.pollInterval):
		}
	}
}

// members returns the PIDs in the dirs' cgroup.procs and their
// descendants', sorted and unique. A cgroup removed meanwhile has none.
func (e *Editor) members(dirs []string) ([]int, error) {
	set := map[int]bool{}
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		data, err := e.fs.ReadFile(filepath.Join(dir, "cgroup.procs"))
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENODEV) {
			return nil
		}
		if err != nil {
			return &KernelError{Op: "read", Path: filepath.Join(dir, "cgroup.procs"), Err: err}
		}
		for _, f := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(f); err == nil {
				set[pid] = true
			}
		}
		if depth > 64 {
			return nil
		}
		subs, err := e.fs.SubDirs(dir)
		if err != nil {
			return nil
		}
		for _, s := range subs {
			if err := walk(filepath.Join(dir, s), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	for _, d := range dirs {
		if err := walk(d, 0); err != nil {
			return nil, err
		}
	}
	out := make([]int, 0, len(set))
	for pid := range set {
		out = append(out, pid)
	}
	sort.Ints(out)
	return out, nil
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func joinInts(list []int) string {
	s := make([]string, len(list))
	for i, v := range list {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, " ")
}
