package control

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/nscope/nscope/inspect"
)

// Result is what Apply did: one WriteResult per planned write, in order.
type Result struct {
	// Change is the journal change ID (for history and undo).
	Change string        `json:"change"`
	Action string        `json:"action"`
	Target Target        `json:"target"`
	Writes []WriteResult `json:"writes"`
}

// WriteResult is one write's outcome: the value read just before, the
// value read back from the kernel after (old → new), or the error.
type WriteResult struct {
	Write
	// Before is the file's value just before the write; After is read
	// back after it (the kernel may round, e.g. memory to whole pages).
	Before string `json:"before"`
	After  string `json:"after,omitempty"`
	// Done is true when the kernel accepted the write.
	Done bool `json:"done"`
	// RolledBack is true when a later write failed and this one was
	// reverted to Before.
	RolledBack bool `json:"rolled_back,omitempty"`
	// Skipped is true when the write was not attempted because an earlier
	// one failed or the context was cancelled.
	Skipped bool `json:"skipped,omitempty"`
	// Error and Errno describe a failure in plain words ("EBUSY").
	Error string `json:"error,omitempty"`
	Errno string `json:"errno,omitempty"`
	// Err is the failure as an error value (a *KernelError for the
	// kernel's refusals).
	Err error `json:"-"`
}

// Err returns the first write's error, or nil when all succeeded.
func (r *Result) Err() error {
	for _, w := range r.Writes {
		if w.Err != nil {
			return w.Err
		}
	}
	return nil
}

// Apply makes the plan's writes in order. Before each write the current
// value is read and a "before" entry is synced to the journal; after it the
// value is read back and an "after" entry is synced. When a write fails,
// the writes already made are reverted (journaled as a "rollback"
// change), so a failed change leaves things as they were, or the error
// says exactly which files stay changed. It refuses when the editor is
// read-only, a file is not allowlisted, a directory left its cgroup mount,
// or the journal cannot be written, before writing anything. Apply blocks
// while the kernel works (a memory limit reclaims); run it off the UI
// goroutine (a tea.Cmd). The returned Result is non-nil whenever anything
// was attempted, also with an error.
func (e *Editor) Apply(ctx context.Context, p *Plan) (*Result, error) {
	if err := e.checkWritable(); err != nil {
		return nil, err
	}
	if err := e.checkPlan(p); err != nil {
		return nil, err
	}
	if err := e.journal.Check(); err != nil {
		return nil, fmt.Errorf("nothing was written: %w", err)
	}
	action := p.Action
	if action == "" {
		action = "set"
	}
	res := &Result{Change: e.newChangeID(), Action: action, Target: p.Target}
	if len(p.Writes) == 0 {
		if p.Undoes != "" {
			err := e.journal.Append(Entry{
				Time: e.now(), Change: res.Change, Action: action, Undoes: p.Undoes, Phase: PhaseNoop,
				Cgroup: p.Target.Path, PID: os.Getpid(), UID: os.Geteuid(),
			})
			if err != nil {
				return res, err
			}
		}
		return res, nil
	}
	for _, w := range p.Writes {
		res.Writes = append(res.Writes, WriteResult{Write: w, Skipped: true})
	}
	for i := range res.Writes {
		wr := &res.Writes[i]
		if err := ctx.Err(); err != nil {
			return res, e.failApply(res, i, fmt.Errorf("cancelled before %s: %w", wr.Path(), err))
		}
		wr.Skipped = false
		if err := e.writeOne(res.Change, action, p.Undoes, wr); err != nil {
			return res, e.failApply(res, i, err)
		}
	}
	return res, nil
}

// writeOne journals, writes and reads back one file.
func (e *Editor) writeOne(change, action, undoes string, wr *WriteResult) error {
	before, err := e.read(wr.Dir, wr.File)
	if err != nil {
		wr.setErr(err)
		return err
	}
	before = narrowValue(wr.File, before, wr.New)
	wr.Before = before
	entry := Entry{
		Time: e.now(), Change: change, Action: action, Undoes: undoes, Phase: PhaseBefore,
		Cgroup: wr.Cgroup, Hierarchy: wr.Hierarchy, Version: wr.Version, Path: wr.Path(), File: wr.File,
		Old: before, New: wr.New, PID: os.Getpid(), UID: os.Geteuid(), Owner: wr.Owner,
	}
	if err := e.journal.Append(entry); err != nil {
		wr.setErr(err)
		return err
	}
	werr := e.fs.WriteFile(wr.Path(), []byte(wr.New))
	entry.Time, entry.Phase = e.now(), PhaseAfter
	if werr != nil {
		kerr := &KernelError{Op: "write", Path: wr.Path(), Value: wr.New, Err: werr}
		wr.setErr(kerr)
		entry.Result, entry.Errno = kerr.Error(), kerr.Errno()
	} else {
		wr.Done = true
		entry.Result = "ok"
		if after, err := e.read(wr.Dir, wr.File); err == nil {
			after = narrowValue(wr.File, after, wr.New)
			wr.After = after
			entry.ReadBack = after
		}
	}
	if err := e.journal.Append(entry); err != nil {
		err = fmt.Errorf("%s was written, but its result could not be journaled; stopping: %w", wr.Path(), err)
		if werr == nil {
			wr.setErr(err)
		}
		return err
	}
	if werr != nil {
		return wr.Err
	}
	return nil
}

func (wr *WriteResult) setErr(err error) {
	wr.Err = err
	wr.Error = err.Error()
	wr.Errno = ErrnoName(err)
}

// failApply rolls back the writes before index failed (unless the
// journal is what failed) and returns an error saying what state the
// cgroup is in.
func (e *Editor) failApply(res *Result, failed int, cause error) error {
	var done []*WriteResult
	for i := 0; i < failed; i++ {
		if res.Writes[i].Done {
			done = append(done, &res.Writes[i])
		}
	}
	if failed < len(res.Writes) && res.Writes[failed].Done {
		// Written but not journaled: the journal is broken, so no
		// rollback (it could not be journaled either).
		done = append(done, &res.Writes[failed])
	}
	if len(done) == 0 {
		return fmt.Errorf("nothing was changed: %w", cause)
	}
	if errors.Is(cause, ErrJournal) {
		return fmt.Errorf("%s stay changed (journal failed, no rollback attempted): %w", pathsOf(done), cause)
	}
	stuck := e.rollback(res, done)
	if len(stuck) == 0 {
		return fmt.Errorf("nothing was changed (%s rolled back): %w", pathsOf(done), cause)
	}
	return fmt.Errorf("%s stay changed (rollback failed; see the journal): %w", pathsOf(stuck), cause)
}

// rollback reverts done writes in reverse order as a journaled
// "rollback" change and returns the ones that could not be reverted.
func (e *Editor) rollback(res *Result, done []*WriteResult) []*WriteResult {
	id := e.newChangeID()
	var stuck []*WriteResult
	for i := len(done) - 1; i >= 0; i-- {
		wr := done[i]
		back := WriteResult{Write: wr.Write}
		back.Old, back.New = wr.After, restoreValue(wr.File, wr.Before)
		if err := e.writeOne(id, "rollback", res.Change, &back); err != nil {
			stuck = append(stuck, wr)
			continue
		}
		wr.RolledBack = true
	}
	return stuck
}

func pathsOf(ws []*WriteResult) string {
	var s []string
	for _, w := range ws {
		s = append(s, w.Path())
	}
	return strings.Join(s, ", ")
}

// narrowValue returns the part of a file's content a write of value
// concerns: for io.max the written device's full line (all four keys),
// so that writing it back restores that device; else the whole content.
func narrowValue(file, content, value string) string {
	if file == "io.max" {
		if io, err := parseIOMax(file, value); err == nil {
			return ioMaxLine([]byte(content), io.Major, io.Minor)
		}
	}
	return content
}

// restoreValue turns a value read from a file into one the kernel takes
// back: v1 memory's "no limit" read-back becomes -1, a transient
// FREEZING becomes FROZEN.
func restoreValue(file, old string) string {
	switch file {
	case "memory.limit_in_bytes", memswFile:
		if v, ok := normLimit(old); ok && v == inspect.Unlimited {
			return "-1"
		}
	case "freezer.state":
		if old == "FREEZING" {
			return "FROZEN"
		}
	}
	return old
}

// checkPlan re-checks every write just before applying: allowlisted for
// its version, and its directory still confined to its cgroup mount.
func (e *Editor) checkPlan(p *Plan) error {
	if p == nil {
		return errors.New("no plan")
	}
	for _, w := range p.Writes {
		if !allowed(w.File, w.Version) {
			return fmt.Errorf("%s on cgroup v%d: %w", w.File, w.Version, ErrNotAllowed)
		}
		h := e.hierarchyByLabel(w.Hierarchy, w.Version)
		if h == nil {
			return fmt.Errorf("%s: no %s hierarchy in the layout: %w", w.Path(), w.Hierarchy, ErrOutsideCgroupFS)
		}
		if strings.Contains(w.File, "/") || strings.Contains(w.Cgroup, "..") {
			return fmt.Errorf("%s: %w", w.Path(), ErrOutsideCgroupFS)
		}
		dir, err := cgroupDir(e.fs, h, Target{Path: w.Cgroup})
		if err != nil {
			return err
		}
		if dir != w.Dir {
			return fmt.Errorf("%s is not the %s cgroup %s (%s): %w", w.Dir, h.Label(), w.Cgroup, dir, ErrOutsideCgroupFS)
		}
	}
	return nil
}

func (e *Editor) hierarchyByLabel(label string, version int) *inspect.Hierarchy {
	for i := range e.layout.Hierarchies {
		h := &e.layout.Hierarchies[i]
		if h.Label() == label && h.Version == version {
			return h
		}
	}
	return nil
}
