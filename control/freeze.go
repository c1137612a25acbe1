package control

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nscope/nscope/inspect"
)

// PlanFreeze plans freezing (freeze true) or thawing a cgroup: v2 writes
// cgroup.freeze (1/0), v1 writes freezer.state (FROZEN/THAWED) in the
// freezer hierarchy at the same path. On hybrid hosts the v1 freezer is
// used when the cgroup exists there, else the v2 one. The root cgroup is
// refused. See cgroup-v2.rst "cgroup.freeze" and cgroup-v1/freezer-subsystem.rst.
func (e *Editor) PlanFreeze(t Target, freeze bool) (*Plan, error) {
	action := "thaw"
	if freeze {
		action = "freeze"
	}
	if t.IsRoot() {
		return nil, fmt.Errorf("%s the root cgroup: the kernel does not allow it, and it would stop the whole host: %w", action, ErrRefused)
	}
	h, dir, err := e.freezeDir(t)
	if err != nil {
		return nil, err
	}
	p := &Plan{Action: action, Target: t}
	file, value := "freezer.state", "THAWED"
	if h.Version == 2 {
		file, value = "cgroup.freeze", "0"
		if freeze {
			value = "1"
		}
	} else if freeze {
		value = "FROZEN"
	}
	if err := e.add(p, h, t, dir, file, value); err != nil {
		return nil, err
	}
	e.attachOwner(p, t, action, nil, 0)
	if c := e.interruptedKillFreeze(t.Path); c != nil && !freeze && h.Version == 1 {
		// The thaw ends that freeze: history shows it undone.
		p.Undoes = c.ID
		p.Notes = append(p.Notes, fmt.Sprintf("%s was frozen by nscope's kill %s at %s, which was stopped before it thawed it; thawing lets the processes it signalled exit",
			t.Path, c.ForKill, c.Time.Local().Format("2006-01-02 15:04:05")))
	}
	return p, nil
}

// freezeDir picks the hierarchy and directory that freeze the target.
func (e *Editor) freezeDir(t Target) (*inspect.Hierarchy, string, error) {
	if t.Hierarchy != nil && t.Hierarchy.Version == 2 {
		dir, err := cgroupDir(e.fs, t.Hierarchy, t)
		return t.Hierarchy, dir, err
	}
	if t.Hierarchy != nil && !t.Hierarchy.Has("freezer") {
		// A directory under another v1 mount: the cgroup at that path in
		// the freezer hierarchy may be someone else's.
		return nil, "", misplaced(e.fs, e.layout, t, "freezer")
	}
	var firstErr error
	if h := e.layout.ForController("freezer"); h != nil && h.Version == 1 {
		dir, err := cgroupDir(e.fs, h, t)
		if err == nil || t.Hierarchy != nil {
			return h, dir, err
		}
		firstErr = err
	}
	if h := e.layout.Unified(); h != nil && t.Hierarchy == nil {
		dir, err := cgroupDir(e.fs, h, t)
		if err == nil || firstErr == nil {
			return h, dir, err
		}
	}
	if firstErr != nil {
		return nil, "", firstErr
	}
	return nil, "", fmt.Errorf("no freezer: neither a v1 freezer hierarchy nor cgroup v2 is mounted: %w", ErrNoController)
}

// Freeze freezes the cgroup (journaled, undoable) and waits until the
// kernel reports it frozen; the result's After is the settled state.
func (e *Editor) Freeze(ctx context.Context, t Target) (*Result, error) {
	return e.freezeThaw(ctx, t, true)
}

// Thaw thaws the cgroup and waits until the kernel reports it thawed.
func (e *Editor) Thaw(ctx context.Context, t Target) (*Result, error) {
	return e.freezeThaw(ctx, t, false)
}

func (e *Editor) freezeThaw(ctx context.Context, t Target, freeze bool) (*Result, error) {
	p, err := e.PlanFreeze(t, freeze)
	if err != nil {
		return nil, err
	}
	return e.ApplyFreeze(ctx, p)
}

// ApplyFreeze applies a PlanFreeze plan (or an undo of one) and waits for
// the freeze state to settle.
func (e *Editor) ApplyFreeze(ctx context.Context, p *Plan) (*Result, error) {
	res, err := e.Apply(ctx, p)
	if err != nil || res == nil {
		return res, err
	}
	want := p.Action == "freeze"
	if len(p.Writes) == 0 && len(p.Unchanged) > 0 {
		w := p.Unchanged[0]
		res.Writes = append(res.Writes, WriteResult{Write: w, Before: w.Old, After: w.Old, Done: true})
	}
	for i := range res.Writes {
		wr := &res.Writes[i]
		state, err := e.waitFrozen(ctx, wr.Dir, wr.Version, want)
		wr.After = state
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// waitFrozen polls until the cgroup's freeze state is want, and returns
// the last state read ("FROZEN", "THAWED"; "frozen 1" for v2).
func (e *Editor) waitFrozen(ctx context.Context, dir string, version int, want bool) (string, error) {
	deadline := time.Now().Add(e.freezeTimeout)
	for {
		state, frozen, err := e.freezeState(dir, version)
		if err != nil {
			return state, err
		}
		if frozen == want {
			return state, nil
		}
		if time.Now().After(deadline) {
			return state, fmt.Errorf("%s still reads %q after %s: a task may be stuck in uninterruptible sleep (D state); it stays requested and the kernel finishes when it can", dir, state, e.freezeTimeout)
		}
		select {
		case <-ctx.Done():
			return state, ctx.Err()
		case <-time.After(e.pollInterval):
		}
	}
}

// freezeState reads whether the cgroup is fully frozen: v1 freezer.state
// FROZEN (FREEZING is in progress), v2 cgroup.events "frozen 1".
func (e *Editor) freezeState(dir string, version int) (string, bool, error) {
	if version == 1 {
		s, err := e.read(dir, "freezer.state")
		return s, s == "FROZEN", err
	}
	ev, err := e.read(dir, "cgroup.events")
	if err != nil {
		return "", false, err
	}
	frozen := false
	inspect.ParseKeyed([]byte(ev), func(k string, v int64) {
		if k == "frozen" {
			frozen = v == 1
		}
	})
	if frozen {
		return "frozen", true, nil
	}
	return "thawed", false, nil
}

// IsFrozenState reports whether a value read from freezer.state or
// cgroup.freeze means frozen.
func IsFrozenState(s string) bool {
	s = strings.TrimSpace(s)
	return s == "FROZEN" || s == "1" || s == "frozen"
}
