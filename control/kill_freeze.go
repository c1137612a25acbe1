package control

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// freezeForKill freezes the kill's cgroup in the v1 freezer hierarchy,
// when it is there, so that nothing forks away while its members are
// signalled, and returns the function that thaws it again. Both writes
// are journaled as changes of their own marked with the kill (ForKill):
// a kill that is stopped between them (SIGKILL, a crash) leaves a freeze
// that "undo" and "thaw" recognise and revert. A cgroup someone else
// froze is not frozen again, but thawed after the signals too: frozen
// processes cannot die.
func (e *Editor) freezeForKill(ctx context.Context, kp *KillPlan, killID string) (thaw func() error, err error) {
	noop := func() error { return nil }
	if kp.freeze == nil {
		return noop, nil
	}
	dir := filepath.Join(kp.freeze.Mount, kp.Target.Path)
	state, err := e.read(dir, "freezer.state")
	if err != nil {
		// Not in the freezer hierarchy: kill without freezing.
		return noop, nil
	}
	if state != "THAWED" {
		return func() error {
			_, err := e.killFreezerWrite(kp, dir, killID, "thaw", "", state, "THAWED")
			return err
		}, nil
	}
	id, err := e.killFreezerWrite(kp, dir, killID, "freeze", "", "THAWED", "FROZEN")
	switch {
	case errors.Is(err, ErrJournal) && id == "":
		return nil, fmt.Errorf("nothing was killed: %w", err)
	case err != nil && id == "":
		return nil, err
	case err != nil:
		// The kernel refused the freeze: it only guards against forks,
		// so kill without it (the rounds catch forks).
		var kerr *KernelError
		if !errors.As(err, &kerr) {
			// Frozen, but its result is not journaled: thaw at once.
			_, _ = e.killFreezerWrite(kp, dir, killID, "thaw", id, "FROZEN", "THAWED")
			return nil, fmt.Errorf("nothing was killed: %w", err)
		}
		return noop, nil
	}
	// Killing works whether or not the freeze settles; it only keeps
	// members from forking meanwhile.
	_, _ = e.waitFrozen(ctx, dir, 1, true)
	return func() error {
		_, err := e.killFreezerWrite(kp, dir, killID, "thaw", id, "FROZEN", "THAWED")
		return err
	}, nil
}

// killFreezerWrite writes value to dir's freezer.state as a journaled
// change of its own (a "before" entry synced first, an "after" entry
// with the result), marked as part of kill killID; a thaw that ends the
// kill's own freeze says it undoes it. It returns the change's ID once
// the "before" entry is journaled, and the write's (or the journal's)
// error.
func (e *Editor) killFreezerWrite(kp *KillPlan, dir, killID, action, undoes, old, value string) (string, error) {
	id := e.newChangeID()
	path := filepath.Join(dir, "freezer.state")
	entry := Entry{
		Time: e.now(), Change: id, Action: action, Undoes: undoes, ForKill: killID, Phase: PhaseBefore,
		Cgroup: kp.Target.Path, Hierarchy: kp.freeze.Label(), Version: 1, Path: path, File: "freezer.state",
		Old: old, New: value, PID: os.Getpid(), UID: os.Geteuid(),
	}
	if err := e.journal.Append(entry); err != nil {
		return "", err
	}
	var werr error
	if err := e.fs.WriteFile(path, []byte(value)); err != nil {
		werr = &KernelError{Op: "write", Path: path, Value: value, Err: err}
	}
	entry.Time, entry.Phase, entry.Result = e.now(), PhaseAfter, "ok"
	if werr != nil {
		entry.Result, entry.Errno = werr.Error(), ErrnoName(werr)
	} else if after, err := e.read(dir, "freezer.state"); err == nil {
		entry.ReadBack = after
	}
	jerr := e.journal.Append(entry)
	if werr != nil {
		return id, werr
	}
	if jerr != nil {
		return id, fmt.Errorf("%s was written, but its result could not be journaled: %w", path, jerr)
	}
	return id, nil
}

// interruptedKillFreeze returns the newest freeze a kill made of the
// cgroup at path that is still undoable: the kill was stopped before it
// thawed. Nil when there is none (or the journal cannot be read).
func (e *Editor) interruptedKillFreeze(path string) *Change {
	changes, err := e.journal.Changes()
	if err != nil {
		return nil
	}
	for i := len(changes) - 1; i >= 0; i-- {
		c := &changes[i]
		if c.Cgroup != path {
			continue
		}
		if c.Action == "freeze" && c.ForKill != "" && c.Undoable() {
			return c
		}
		if c.Action == "freeze" || c.Action == "thaw" {
			return nil
		}
	}
	return nil
}
