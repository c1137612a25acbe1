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
	// Owner names the container runtime or systemd unit that owns the
	// cgroup (see OwnerNote).
	Owner *OwnerNote `json:"owner,omitempty"`

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
	if n := e.ownerNote(t.Path, "kill", nil, nil, 0); n != nil {
		kp.Owner = n
		kp.Confirm = append(kp.Confirm, n.confirmReason(t.Path, "kill"))
	}
	if self := os.Getpid(); containsInt(pids, self) {
		kp.Confirm = append(kp.Confirm, fmt.Sprintf("nscope itself (PID %d) is in this cgroup and will be killed too", self))
	}
	return kp, nil
}

// ErrSurvivors means processes were still in the cgroup when a kill
// gave up waiting for it to empty; the kill is journaled as failed.
var ErrSurvivors = errors.New("processes survived the kill")

// Kill kills every process in the cgroup and its descendants: v2 writes 1
// to cgroup.kill; v1 (or a v2 kernel before 5.14) freezes the cgroup when
// a v1 freezer has it (journaled, so a kill that is stopped leaves a
// freeze that "undo" or "thaw" recovers), sends SIGKILL to the members
// through pidfds after one membership check per round, thaws (always:
// also on an error or a cancelled ctx; a cgroup that was frozen before is
// thawed too, or its killed members could never exit), and kills what
// is left until it is empty. It waits for the cgroup to empty; members
// still there then are ErrSurvivors (Remaining lists them). Journaled,
// not undoable.
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
		PID: os.Getpid(), UID: os.Geteuid(), Owner: kp.Owner,
	}
	if kp.h2 != nil {
		entry.Hierarchy, entry.Version, entry.Path, entry.File = kp.h2.Label(), 2, filepath.Join(kp.Dirs[0], "cgroup.kill"), "cgroup.kill"
	}
	if err := e.journal.Append(entry); err != nil {
		return nil, fmt.Errorf("nothing was killed: %w", err)
	}
	var killErr error
	seen := map[int]bool{}
	var sweep func([]int)
	if kp.Method == "cgroup.kill" {
		if werr := e.fs.WriteFile(filepath.Join(kp.Dirs[0], "cgroup.kill"), []byte("1")); werr != nil {
			killErr = &KernelError{Op: "write", Path: filepath.Join(kp.Dirs[0], "cgroup.kill"), Value: "1", Err: werr}
		}
	} else {
		res.Signalled, killErr = e.killEach(ctx, kp, res.Change, seen)
		// Thawed now: kill what a freeze that never settled let fork
		// while waiting for the signalled ones to go.
		sweep = func(pids []int) {
			res.Signalled = sortedUnion(res.Signalled, e.signalRound(kp.Dirs, pids, seen, &killErr))
		}
	}
	if killErr == nil {
		res.Remaining, killErr = e.waitEmpty(ctx, kp.Dirs, sweep)
	} else if left, err := e.members(kp.Dirs); err == nil {
		res.Remaining = left
	}
	if killErr == nil && len(res.Remaining) > 0 {
		killErr = e.survivorsError(kp, res.Remaining)
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

// survivorsError says who is left after a kill and why they may be.
func (e *Editor) survivorsError(kp *KillPlan, left []int) error {
	why := "in uninterruptible sleep (D state: they die when the kernel call they wait in returns), or created faster than they were killed"
	if kp.freeze != nil {
		dir := filepath.Join(kp.freeze.Mount, kp.Target.Path)
		if state, err := e.read(dir, "freezer.state"); err == nil && state != "THAWED" {
			why = fmt.Sprintf("the cgroup is %s (%s), and frozen processes cannot exit until it is thawed: nscope thaw %s", state, filepath.Join(dir, "freezer.state"), kp.Target)
		}
	}
	return fmt.Errorf("%d processes still in %s after the kill: %s; %s: %w", len(left), kp.Target, listInts(left, 20), why, ErrSurvivors)
}

// killEach is the v1 kill: freeze (journaled) when a freezer has the
// cgroup, SIGKILL the members in rounds while new ones appear (forks that
// raced the freeze) until the deadline, then thaw, whatever happened.
func (e *Editor) killEach(ctx context.Context, kp *KillPlan, killID string, seen map[int]bool) ([]int, error) {
	thaw, err := e.freezeForKill(ctx, kp, killID)
	if err != nil {
		return nil, err
	}
	var signalled []int
	var firstErr error
	deadline := time.Now().Add(e.freezeTimeout)
	for round := 0; round == 0 || (time.Now().Before(deadline) && ctx.Err() == nil); round++ {
		pids, err := e.members(kp.Dirs)
		if err != nil {
			firstErr = err
			break
		}
		got := e.signalRound(kp.Dirs, pids, seen, &firstErr)
		if len(got) == 0 && !hasUnseen(pids, seen) {
			break
		}
		signalled = append(signalled, got...)
	}
	if err := thaw(); err != nil && firstErr == nil {
		firstErr = err
	}
	sort.Ints(signalled)
	return signalled, firstErr
}

// signalRound sends SIGKILL to the members in pids not signalled before,
// reading the membership once for all of them after they are pinned.
func (e *Editor) signalRound(dirs []string, pids []int, seen map[int]bool, firstErr *error) []int {
	var fresh []int
	for _, pid := range pids {
		if !seen[pid] {
			seen[pid] = true
			fresh = append(fresh, pid)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	got, err := e.fs.KillProcesses(fresh, func() (map[int]bool, error) {
		now, err := e.members(dirs)
		in := make(map[int]bool, len(now))
		for _, pid := range now {
			in[pid] = true
		}
		return in, err
	})
	if err != nil && *firstErr == nil {
		*firstErr = fmt.Errorf("kill: %s", Explain(err, ""))
	}
	return got
}

func hasUnseen(pids []int, seen map[int]bool) bool {
	for _, pid := range pids {
		if !seen[pid] {
			return true
		}
	}
	return false
}

// waitEmpty polls until no dir has members, up to the timeout, and
// returns who is left. sweep, when set, is given the members of each
// poll (a v1 kill signals those it has not yet).
func (e *Editor) waitEmpty(ctx context.Context, dirs []string, sweep func([]int)) ([]int, error) {
	deadline := time.Now().Add(e.freezeTimeout)
	for {
		pids, err := e.members(dirs)
		if err != nil || len(pids) == 0 {
			return pids, err
		}
		if time.Now().After(deadline) {
			return pids, nil
		}
		if sweep != nil {
			sweep(pids)
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

// listInts joins the first n of list and counts the rest.
func listInts(list []int, n int) string {
	if len(list) <= n {
		return joinInts(list)
	}
	return fmt.Sprintf("%s … (%d more)", joinInts(list[:n]), len(list)-n)
}

// sortedUnion returns the sorted, unique union of a and b.
func sortedUnion(a, b []int) []int {
	set := make(map[int]bool, len(a)+len(b))
	for _, v := range append(append([]int(nil), a...), b...) {
		set[v] = true
	}
	out := make([]int, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	sort.Ints(out)
	return out
}

func joinInts(list []int) string {
	s := make([]string, len(list))
	for i, v := range list {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, " ")
}
