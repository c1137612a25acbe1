package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/nscope/nscope/control"
)

// killListed is how many members the kill confirmation lists by name.
const killListed = 8

// killFlow kills every process in target t and below it (cgroup.kill on
// v2; on v1 SIGKILL to each member while the cgroup is frozen). It lists
// who will be killed and asks for a typed y. A kill cannot be undone.
func killFlow(ed LimitEditor, t cgTarget) changeFlow {
	return changeFlow{
		title: "Kill every process · " + t.name(),
		busy:  "killing and waiting for the cgroup to empty…",
		plan: func() (*changePreview, error) {
			kp, err := ed.PlanKill(t.control(ed))
			if err != nil {
				return nil, err
			}
			pv := &changePreview{verb: "kill", typeY: true}
			if len(kp.PIDs) == 0 {
				pv.nothing = "no processes in it now; nothing to kill"
				return pv, nil
			}
			pv.lines = append(killLines(t, kp), ownerLines(kp.Owner)...)
			pv.warnings = append([]string{fmt.Sprintf("this kills %d process%s with SIGKILL: they stop at once, cannot clean up, and a kill cannot be undone", len(kp.PIDs), plural(len(kp.PIDs)))}, kp.Confirm...)
			pv.apply = func(ctx context.Context) changeOutcome {
				res, err := ed.Kill(ctx, kp)
				return killOutcome(res, err)
			}
			return pv, nil
		},
	}
}

// killLines lists how and whom a kill plan kills, with their commands
// from the snapshot.
func killLines(t cgTarget, kp *control.KillPlan) []dline {
	n := len(kp.PIDs)
	head := fmt.Sprintf("Kill %d process%s by writing 1 to cgroup.kill, in:", n, plural(n))
	if kp.Method != "cgroup.kill" {
		head = fmt.Sprintf("Send SIGKILL to each of %d process%s, in:", n, plural(n))
		if n == 1 {
			head = "Send SIGKILL to the 1 process in:"
		}
	}
	out := []dline{{segs: []seg{{head, roleHeading}}}}
	for _, d := range kp.Dirs {
		out = append(out, dline{segs: []seg{{"  " + d, roleNormal}, {" and below", roleDim}}})
	}
	for i, pid := range kp.PIDs {
		if i == killListed {
			out = append(out, dline{segs: []seg{{fmt.Sprintf("  … and %d more", len(kp.PIDs)-killListed), roleDim}}})
			break
		}
		cmd := "(started after the last refresh)"
		if p := t.snap.Process(pid); p != nil {
			cmd = commandLine(p)
		}
		out = append(out, dline{segs: []seg{{fmt.Sprintf("  %-7d ", pid), roleNormal}, {cmd, roleDim}}})
	}
	return out
}

// killOutcome shows what a kill did.
func killOutcome(res *control.KillResult, err error) changeOutcome {
	o := changeOutcome{err: err}
	if res == nil {
		return o
	}
	n := len(res.Signalled)
	// ✓ only for a kill that emptied the cgroup; the error says why not.
	mark, markRole, verb := "✓", roleOK, "killed"
	if err != nil || len(res.Remaining) > 0 {
		mark, markRole, verb = "✗", roleError, "signalled"
	}
	o.lines = append(o.lines, dline{segs: []seg{{mark, markRole}, {fmt.Sprintf(" %s %d process%s (%s): %s", verb, n, plural(n), res.Method, pidList(res.Signalled, 20)), roleNormal}}})
	if len(res.Remaining) > 0 {
		o.lines = append(o.lines, dline{segs: []seg{{"still there: " + pidList(res.Remaining, 20), roleWarn}}})
	} else if err == nil {
		o.lines = append(o.lines, dline{segs: []seg{{"  the cgroup is empty now", roleDim}}})
	}
	o.notes = append(o.notes, "journaled as "+res.Change+" (a kill cannot be undone)")
	return o
}

// pidList shows up to max PIDs, counting the rest.
func pidList(pids []int, max int) string {
	if len(pids) == 0 {
		return "none"
	}
	var parts []string
	for i, p := range pids {
		if i == max {
			parts = append(parts, fmt.Sprintf("… and %d more", len(pids)-max))
			break
		}
		parts = append(parts, strconv.Itoa(p))
	}
	return strings.Join(parts, " ")
}
