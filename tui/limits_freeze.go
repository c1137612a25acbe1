package tui

import (
	"context"
	"fmt"

	"github.com/nscope/nscope/control"
)

// freezeFlow freezes target t when the snapshot saw it thawed, and thaws
// it when frozen: cgroup.freeze on v2, freezer.state on v1. Both ask for
// confirmation; freezing asks for a typed y.
func freezeFlow(ed LimitEditor, t cgTarget) changeFlow {
	freeze := !frozenNow(t)
	title, verb, state := "Thaw", "thaw", "frozen: its processes are stopped"
	if freeze {
		title, verb, state = "Freeze", "freeze", "running (thawed)"
	}
	file := "freezer.state"
	if t.v2() {
		file = "cgroup.freeze"
	}
	now := state
	if v, ok := control.FileValue(t.cg, file); ok {
		now += " (" + file + " " + v + ")"
	}
	n := len(t.members())
	about := []dline{
		kvLine("now", seg{now, roleNormal}),
		kvLine("members", seg{fmt.Sprintf("%d process%s at the last refresh", n, plural(n)), roleNormal}),
	}
	selfPID := 0
	if t.snap != nil {
		selfPID = t.snap.Host.SelfPID
	}
	return changeFlow{
		title: title + " · " + t.name(),
		about: about,
		busy:  "waiting for the kernel to report the cgroup " + verb + "d…",
		plan: func() (*changePreview, error) {
			p, err := ed.PlanFreeze(t.control(ed), freeze)
			if err != nil {
				return nil, err
			}
			pv := &changePreview{verb: verb, lines: planLines(p), typeY: freeze}
			if freeze {
				pv.warnings = append(pv.warnings, fmt.Sprintf("freezing stops every process in %s (and below it) until it is thawed (f again, or u)", t.path))
				if selfPID != 0 && containsPID(t.members(), selfPID) {
					pv.warnings = append(pv.warnings, fmt.Sprintf("nscope itself (PID %d) is in this cgroup: the screen stops with it; thaw it from another terminal with: nscope thaw %s", selfPID, t.path))
				}
			}
			pv.warnings = append(pv.warnings, p.Confirm...)
			if len(p.Writes) == 0 {
				pv.nothing = "nothing to write: " + unchangedText(p) + " (the snapshot was older)"
			}
			pv.apply = func(ctx context.Context) changeOutcome {
				res, err := ed.ApplyFreeze(ctx, p)
				return resultOutcome(p, res, err)
			}
			return pv, nil
		},
	}
}

func containsPID(list []int, pid int) bool {
	for _, p := range list {
		if p == pid {
			return true
		}
	}
	return false
}
