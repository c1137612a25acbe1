package tui

import (
	"fmt"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// cgTarget is the cgroup a limit action acts on, resolved from the
// selection for one controller: the selected cgroup itself, the cgroup
// with the same path in the hierarchy that carries the controller, or a
// selected process's cgroup in that hierarchy.
type cgTarget struct {
	snap *inspect.Snapshot
	// hier is the hierarchy (from the snapshot) and path the cgroup's
	// path in it.
	hier *inspect.Hierarchy
	path string
	// cg is the cgroup as the snapshot saw it; nil when the snapshot has
	// no such cgroup.
	cg *inspect.Cgroup
	// proc is the process the cgroup was chosen through, or nil.
	proc *inspect.Process
	// merged is the merged cgroup (a row of the merged tree) the target
	// was chosen through, or nil: control then picks the hierarchy of
	// each file itself, and a kill or undo covers the path in every
	// hierarchy.
	merged *procview.MergedCgroup
}

// Controllers a target can be resolved for besides the resource ones
// ("cpu", "memory", "pids", "io").
const (
	// ctrlFreezer picks the cgroup that freezes: a selected v2 cgroup
	// itself (cgroup.freeze), else the v1 freezer hierarchy, else v2.
	ctrlFreezer = "freezer"
	// ctrlSelf picks the selected cgroup itself (kill, undo); for a
	// process, as ctrlFreezer.
	ctrlSelf = ""
)

// resolveTarget finds the cgroup an action on controller means for sel.
// The error says in plain words why there is none.
func resolveTarget(sel Selection, controller string) (cgTarget, error) {
	snap := sel.Snapshot
	if snap == nil {
		return cgTarget{}, fmt.Errorf("no snapshot yet; wait for the first scan")
	}
	if sel.Cgroup == nil && sel.Process == nil {
		return cgTarget{}, fmt.Errorf("select a cgroup or a process")
	}
	selCg := sel.Cgroup
	if sel.Merged != nil {
		selCg = nil
	}
	h := targetHierarchy(snap, controller, selCg)
	if h == nil {
		return cgTarget{}, fmt.Errorf("no mounted cgroup hierarchy carries the %s controller on this host (%s)", controller, modeLabel(snap.CgroupMode))
	}
	t := cgTarget{snap: snap, hier: h, proc: sel.Process}
	switch {
	case sel.Merged != nil:
		m := sel.Merged
		t.path, t.merged = m.Path, m
		if controller == ctrlSelf {
			// Kill and undo act on the path in every hierarchy.
			return t, nil
		}
		t.cg = snap.Cgroup(h.ID, m.Path)
		if t.cg == nil {
			return cgTarget{}, fmt.Errorf("cgroup %s is not in the %s hierarchy, which carries the %s controller (it is in: %s)",
				m.Path, h.Label(), controllerName(controller), hierarchyList(snap, m))
		}
	case sel.Cgroup != nil:
		t.path = sel.Cgroup.Path
		if sel.Cgroup.Hierarchy == h.ID {
			t.cg = sel.Cgroup
			return t, nil
		}
		t.cg = snap.Cgroup(h.ID, t.path)
		if t.cg == nil {
			own := "another"
			if oh := snap.Hierarchy(sel.Cgroup.Hierarchy); oh != nil {
				own = "the " + oh.Label()
			}
			return cgTarget{}, fmt.Errorf("%s is a cgroup of %s hierarchy; the %s hierarchy, which carries the %s controller, has no cgroup %s",
				t.path, own, h.Label(), controllerName(controller), t.path)
		}
	default:
		p := sel.Process
		path, ok := p.CgroupPath(h.ID)
		if !ok {
			return cgTarget{}, fmt.Errorf("PID %d (%s) has no cgroup in the %s hierarchy", p.PID, p.Comm, h.Label())
		}
		t.path = path
		t.cg = snap.Cgroup(h.ID, path)
	}
	return t, nil
}

// controllerName names the controller for messages.
func controllerName(controller string) string {
	if controller == ctrlSelf {
		return "selected"
	}
	return controller
}

// targetHierarchy picks the hierarchy for controller; nil when none
// carries it.
func targetHierarchy(snap *inspect.Snapshot, controller string, selCg *inspect.Cgroup) *inspect.Hierarchy {
	own := (*inspect.Hierarchy)(nil)
	if selCg != nil {
		own = snap.Hierarchy(selCg.Hierarchy)
	}
	switch controller {
	case ctrlSelf:
		if own != nil {
			return own
		}
		return targetHierarchy(snap, ctrlFreezer, nil)
	case ctrlFreezer:
		// cgroup.freeze is a core file of every non-root v2 cgroup.
		if own != nil && own.Version == 2 {
			return own
		}
		if h := snap.HierarchyFor(ctrlFreezer); h != nil && h.Version == 1 {
			return h
		}
		for i := range snap.Hierarchies {
			if snap.Hierarchies[i].Version == 2 {
				return &snap.Hierarchies[i]
			}
		}
		return nil
	}
	return snap.HierarchyFor(controller)
}

// name says which cgroup this is: "cgroup /a" on v2, "cpu cgroup /a" on
// v1, with the process it was chosen through. A merged target of the
// kill or undo (every hierarchy) is "cgroup /a".
func (t cgTarget) name() string {
	s := "cgroup " + t.path
	if t.hier.Version == 1 && (t.merged == nil || t.cg != nil) {
		s = t.hier.Label() + " " + s
	}
	if t.proc != nil {
		s += fmt.Sprintf(" of PID %d (%s)", t.proc.PID, t.proc.Comm)
	}
	return s
}

// v2 reports whether the target is a cgroup v2 cgroup.
func (t cgTarget) v2() bool { return t.hier.Version == 2 }

// control turns the target into the editor's: the same path in the
// editor's hierarchy of the same kind (matched by version and label, so
// an editor on a fake cgroupfs works too).
func (t cgTarget) control(ed LimitEditor) control.Target {
	ct := control.Target{Path: t.path}
	if t.merged != nil {
		// The path in the hierarchy that carries each file, as the CLI
		// does with a path.
		return ct
	}
	layout := ed.Layout()
	for i := range layout.Hierarchies {
		h := layout.Hierarchies[i]
		if h.Version == t.hier.Version && h.Label() == t.hier.Label() {
			ct.Hierarchy = &h
			break
		}
	}
	return ct
}

// members returns the PIDs the snapshot saw in the cgroup (in any
// hierarchy, for a merged target).
func (t cgTarget) members() []int {
	if t.merged != nil {
		return t.merged.Procs
	}
	if t.cg == nil {
		return nil
	}
	return t.cg.Procs
}
