package control

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
)

// Write is one cgroup file write: the change as data, shown before it is
// made ("cpu.max: max 100000 → 50000 100000").
type Write struct {
	// Hierarchy is the hierarchy's label ("cpu", "memory", "v2").
	Hierarchy string `json:"hierarchy"`
	// Version is the cgroup version of that hierarchy, 1 or 2.
	Version int `json:"version"`
	// Cgroup is the cgroup's path inside the hierarchy.
	Cgroup string `json:"cgroup"`
	// Dir is the cgroup's directory; File the file name in it.
	Dir  string `json:"dir"`
	File string `json:"file"`
	// Old is the file's trimmed content when planned; New is written.
	Old string `json:"old"`
	New string `json:"new"`
	// Owner is the plan's owner note, journaled with the write.
	Owner *OwnerNote `json:"-"`
}

// Path returns the file's absolute path.
func (w Write) Path() string { return filepath.Join(w.Dir, w.File) }

// String returns "write 50000 100000 to /sys/fs/cgroup/a/cpu.max (now max 100000)".
func (w Write) String() string {
	return fmt.Sprintf("write %q to %s (now %q)", w.New, w.Path(), w.Old)
}

// Plan is a change as data: the exact file writes, in order, and what the
// operator should know or confirm before they are made. Make one with
// Editor.Plan (or PlanFreeze, PlanUndo), show it, then Editor.Apply it.
type Plan struct {
	// Action is "set", "freeze", "thaw" or "undo".
	Action string `json:"action"`
	// Target is the cgroup.
	Target Target `json:"target"`
	// Writes are made in this order.
	Writes []Write `json:"writes"`
	// Unchanged are files that already hold the wanted value; they are
	// not written.
	Unchanged []Write `json:"unchanged,omitempty"`
	// Notes explain conversions (weight → shares) and systemd hints.
	Notes []string `json:"notes,omitempty"`
	// Confirm lists why the operator must confirm before Apply (the root
	// or a top-level cgroup; a systemd unit that may revert the write).
	// Empty means no confirmation is needed.
	Confirm []string `json:"confirm,omitempty"`
	// Undoes is the journal change an undo plan reverts.
	Undoes string `json:"undoes,omitempty"`
	// Owner, when a container runtime or systemd owns the cgroup, names
	// it, what it believes, and the command that would make the change
	// its own (see OwnerNote).
	Owner *OwnerNote `json:"owner,omitempty"`
}

// Plan turns a change into the exact file writes for the target, reading
// each file's current value. In v1 and hybrid mode each limit goes to the
// hierarchy that carries its controller, at the same relative path. It
// validates everything (values, files allowed for the cgroup version,
// directories confined to cgroup mounts) and writes nothing.
func (e *Editor) Plan(t Target, l Limits) (*Plan, error) {
	if l.IsEmpty() {
		return nil, invalid("change", "", "nothing to set; give at least one limit")
	}
	p := &Plan{Action: "set", Target: t}
	if err := e.checkRawFiles(t, l); err != nil {
		return nil, err
	}
	var curPeriod int64
	if l.CPU != nil || l.CPUPeriodUS != nil {
		per, err := e.planCPU(p, t, l)
		if err != nil {
			return nil, err
		}
		curPeriod = per
	}
	if l.CPUWeight != nil || l.CPUShares != nil {
		if err := e.planWeight(p, t, l); err != nil {
			return nil, err
		}
	}
	if l.MemoryMax != nil || l.MemoryHigh != nil || l.MemoryLow != nil {
		if err := e.planMemory(p, t, l); err != nil {
			return nil, err
		}
	}
	if l.PidsMax != nil {
		h, dir, err := e.dirFor(t, "pids")
		if err != nil {
			return nil, err
		}
		if err := e.add(p, h, t, dir, "pids.max", pidsValue(*l.PidsMax)); err != nil {
			return nil, err
		}
	}
	if len(l.IO) > 0 {
		if err := e.planIO(p, t, l); err != nil {
			return nil, err
		}
	}
	e.addSafetyNotes(p, t, l, curPeriod)
	return p, nil
}

// checkRawFiles refuses raw file names of the other cgroup version.
func (e *Editor) checkRawFiles(t Target, l Limits) error {
	for _, f := range l.rawFiles {
		ctrl := strings.SplitN(f, ".", 2)[0]
		h, err := hierarchyFor(e.fs, e.layout, t, ctrl)
		if err != nil {
			if ctrl == "io" {
				return fmt.Errorf("io.max needs the io controller, which only cgroup v2 has (v1 blkio throttling is not supported by nscope): %w", err)
			}
			return fmt.Errorf("%s needs the %s controller: %w", f, ctrl, err)
		}
		if !allowed(f, h.Version) {
			alt := strings.Join(V1Files, ", ")
			if h.Version == 2 {
				alt = strings.Join(V2Files, ", ")
			}
			return fmt.Errorf("%s is a cgroup v%d file, but the %s controller here is on cgroup v%d (allowed there: %s; or use --cpu/--memory/--pids): %w",
				f, 3-h.Version, ctrl, h.Version, alt, ErrNotAllowed)
		}
	}
	return nil
}

// dirFor finds the hierarchy carrying controller and the target's
// confined directory in it.
func (e *Editor) dirFor(t Target, controller string) (*inspect.Hierarchy, string, error) {
	h, err := hierarchyFor(e.fs, e.layout, t, controller)
	if err != nil {
		return nil, "", err
	}
	dir, err := cgroupDir(e.fs, h, t)
	if err != nil {
		return nil, "", err
	}
	return h, dir, nil
}

// read returns a file's trimmed content, with the errno in plain words.
func (e *Editor) read(dir, file string) (string, error) {
	data, err := e.fs.ReadFile(filepath.Join(dir, file))
	if err != nil {
		kerr := &KernelError{Op: "read", Path: filepath.Join(dir, file), Err: err}
		if errors.Is(err, unix.ENOENT) {
			return "", fmt.Errorf("%w (is the controller enabled for this cgroup? on v2 the parent's cgroup.subtree_control must list it, and the root cgroup has no %s)", kerr, file)
		}
		return "", kerr
	}
	return string(bytes.TrimSpace(data)), nil
}

// add appends a write of value to file, reading the old value; a file
// that already holds it goes to Unchanged.
func (e *Editor) add(p *Plan, h *inspect.Hierarchy, t Target, dir, file, value string) error {
	if !allowed(file, h.Version) {
		return fmt.Errorf("%s on cgroup v%d: %w", file, h.Version, ErrNotAllowed)
	}
	old, err := e.read(dir, file)
	if err != nil {
		return err
	}
	w := Write{Hierarchy: h.Label(), Version: h.Version, Cgroup: t.Path, Dir: dir, File: file, Old: old, New: value}
	if sameValue(file, old, value) {
		p.Unchanged = append(p.Unchanged, w)
		return nil
	}
	p.Writes = append(p.Writes, w)
	return nil
}

// sameValue reports whether a file reading old already holds value.
func sameValue(file, old, value string) bool {
	if old == value {
		return true
	}
	switch file {
	case "memory.limit_in_bytes", memswFile, "memory.max", "memory.high", "memory.low", "pids.max", "cpu.cfs_quota_us":
		a, ok1 := normLimit(old)
		b, ok2 := normLimit(value)
		return ok1 && ok2 && a == b
	}
	return false
}

// planCPU adds the quota/period writes and returns the period used.
func (e *Editor) planCPU(p *Plan, t Target, l Limits) (int64, error) {
	h, dir, err := e.dirFor(t, "cpu")
	if err != nil {
		return 0, err
	}
	var curQ, curP int64
	if h.Version == 2 {
		old, err := e.read(dir, "cpu.max")
		if err != nil {
			return 0, err
		}
		if curQ, curP, err = inspect.ParseCPUMax([]byte(old)); err != nil {
			return 0, fmt.Errorf("%s: %w", filepath.Join(dir, "cpu.max"), err)
		}
	} else {
		q, err := e.readInt(dir, "cpu.cfs_quota_us")
		if err != nil {
			return 0, err
		}
		per, err := e.readInt(dir, "cpu.cfs_period_us")
		if err != nil {
			return 0, err
		}
		curQ, curP = q, per
		if curQ < 0 {
			curQ = inspect.Unlimited
		}
	}
	newP := curP
	if l.CPUPeriodUS != nil {
		newP = *l.CPUPeriodUS
	}
	if l.CPU != nil && l.CPU.PeriodUS > 0 {
		newP = l.CPU.PeriodUS
	}
	newQ := curQ
	if l.CPU != nil {
		if newQ, err = l.CPU.QuotaFor(newP); err != nil {
			return 0, err
		}
	}
	if l.CPU != nil && l.CPU.Cores > 0 {
		p.Notes = append(p.Notes, fmt.Sprintf("%s = quota %dµs per %s period", l.CPU, newQ, formatMicros(newP)))
	}
	if l.CPU != nil {
		if w := CPUAboveHost(newQ, newP, e.hostCPUs); w != "" {
			p.Notes = append(p.Notes, w)
		}
	}
	if h.Version == 2 {
		return newP, e.add(p, h, t, dir, "cpu.max", limitString(newQ)+" "+strconv.FormatInt(newP, 10))
	}
	quota := strconv.FormatInt(newQ, 10)
	if newQ == inspect.Unlimited {
		quota = "-1"
	}
	period := strconv.FormatInt(newP, 10)
	// v1 checks quota/period after each single write (and against the
	// parent's ratio), so the intermediate state must be valid: write
	// first whichever file gives the smaller intermediate ratio. Undo
	// writes in reverse and passes the same intermediate state.
	quotaFirst := ratioLE(newQ, curP, curQ, newP)
	first, second := [2]string{"cpu.cfs_quota_us", quota}, [2]string{"cpu.cfs_period_us", period}
	if !quotaFirst {
		first, second = second, first
	}
	if err := e.add(p, h, t, dir, first[0], first[1]); err != nil {
		return 0, err
	}
	return newP, e.add(p, h, t, dir, second[0], second[1])
}

// ratioLE reports whether q1/p1 <= q2/p2, an unlimited quota being
// infinite.
func ratioLE(q1, p1, q2, p2 int64) bool {
	switch {
	case q1 == inspect.Unlimited:
		return q2 == inspect.Unlimited
	case q2 == inspect.Unlimited:
		return true
	}
	// Quotas fit in 44 bits and periods in 20, so the products fit.
	return q1*p2 <= q2*p1
}

// readInt reads a single signed integer file (v1 cpu files).
func (e *Editor) readInt(dir, file string) (int64, error) {
	s, err := e.read(dir, file)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s reads %q, not an integer", filepath.Join(dir, file), s)
	}
	return v, nil
}

// planWeight adds cpu.weight (v2) or cpu.shares (v1), converting between
// them when the other one was given.
func (e *Editor) planWeight(p *Plan, t Target, l Limits) error {
	h, dir, err := e.dirFor(t, "cpu")
	if err != nil {
		return err
	}
	if h.Version == 2 {
		w := int64(0)
		if l.CPUWeight != nil {
			w = *l.CPUWeight
		} else {
			w = SharesToWeight(*l.CPUShares)
			p.Notes = append(p.Notes, fmt.Sprintf("cpu.shares %d is cpu.weight %d on cgroup v2", *l.CPUShares, w))
		}
		return e.add(p, h, t, dir, "cpu.weight", strconv.FormatInt(w, 10))
	}
	s := int64(0)
	if l.CPUShares != nil {
		s = *l.CPUShares
	} else {
		s = WeightToShares(*l.CPUWeight)
		p.Notes = append(p.Notes, fmt.Sprintf("cpu.weight %d is cpu.shares %d on cgroup v1", *l.CPUWeight, s))
	}
	return e.add(p, h, t, dir, "cpu.shares", strconv.FormatInt(s, 10))
}

// planMemory adds memory.max/high/low (v2) or memory.limit_in_bytes (v1).
func (e *Editor) planMemory(p *Plan, t Target, l Limits) error {
	h, dir, err := e.dirFor(t, "memory")
	if err != nil {
		return err
	}
	if h.Version == 1 {
		if l.MemoryHigh != nil || l.MemoryLow != nil {
			return fmt.Errorf("memory.high and memory.low have no cgroup v1 equivalent (the memory controller here is v1; only the hard limit, memory.limit_in_bytes, can be set): %w", ErrNotAllowed)
		}
		return e.planV1Memory(p, h, t, dir, *l.MemoryMax)
	}
	for _, m := range []struct {
		file string
		v    *int64
	}{{"memory.max", l.MemoryMax}, {"memory.high", l.MemoryHigh}, {"memory.low", l.MemoryLow}} {
		if m.v == nil {
			continue
		}
		if err := e.add(p, h, t, dir, m.file, limitString(*m.v)); err != nil {
			return err
		}
	}
	return nil
}

// planIO adds one io.max write per device; Old is the device's full
// current line so that undo restores every key.
func (e *Editor) planIO(p *Plan, t Target, l Limits) error {
	h, err := hierarchyFor(e.fs, e.layout, t, "io")
	if err != nil {
		if errors.Is(err, ErrNoController) {
			return fmt.Errorf("io.max needs cgroup v2 with the io controller; v1 blkio throttling is not supported by nscope: %w", err)
		}
		return err
	}
	if h.Version != 2 {
		return fmt.Errorf("io.max is a cgroup v2 file and the io controller here is not on v2: %w", ErrNotAllowed)
	}
	dir, err := cgroupDir(e.fs, h, t)
	if err != nil {
		return err
	}
	data, err := e.read(dir, "io.max")
	if err != nil {
		return err
	}
	for _, io := range l.IO {
		old := ioMaxLine([]byte(data), io.Major, io.Minor)
		w := Write{Hierarchy: h.Label(), Version: 2, Cgroup: t.Path, Dir: dir, File: "io.max", Old: old, New: io.String()}
		p.Writes = append(p.Writes, w)
	}
	return nil
}

// addSafetyNotes asks for confirmation on the root, top-level and
// systemd-managed cgroups, and says how systemd would persist the change.
func (e *Editor) addSafetyNotes(p *Plan, t Target, l Limits, periodUS int64) {
	switch depth := strings.Count(strings.Trim(t.Path, "/"), "/") + 1; {
	case t.IsRoot():
		p.Confirm = append(p.Confirm, "this is the root cgroup: a change here affects every process on the host")
	case depth == 1:
		p.Confirm = append(p.Confirm, fmt.Sprintf("%s is a top-level cgroup: a change here applies to everything below it", t.Path))
	}
	e.attachOwner(p, t, "set", &l, periodUS)
}

// attachOwner puts the owner note of the cgroup on the plan and its writes
// and asks for confirmation: the owner will not know of the change.
func (e *Editor) attachOwner(p *Plan, t Target, action string, l *Limits, periodUS int64) {
	n := e.ownerNote(t.Path, action, l, p, periodUS)
	if n == nil {
		return
	}
	p.Owner = n
	for i := range p.Writes {
		p.Writes[i].Owner = n
	}
	if action == "thaw" {
		return
	}
	p.Confirm = append(p.Confirm, n.confirmReason(t.Path, action))
}

// pidsValue renders a pids limit: "max" or digits.
func pidsValue(v int64) string { return limitString(v) }

// normLimit reads a single-value limit as written or read back: "max",
// "-1" and the v1 "no limit" value are inspect.Unlimited.
func normLimit(s string) (int64, bool) {
	v, err := inspect.ParseLimitValue([]byte(s))
	return v, err == nil
}
