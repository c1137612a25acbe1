package tui

import (
	"context"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
)

// LimitEditor is what the cgroup actions (c m p e f K u) need of a
// LimitEditor: plan a change, apply it, read the journal. A remote
// host's editor (package remote) carries each call to that host's agent,
// so the writes and the journal are that host's.
type LimitEditor interface {
	// Layout is the cgroup layout the editor writes to.
	Layout() inspect.CgroupLayout
	// ReadOnlyReason says why edits are refused, or "".
	ReadOnlyReason() string
	Plan(t control.Target, l control.Limits) (*control.Plan, error)
	Apply(ctx context.Context, p *control.Plan) (*control.Result, error)
	PlanFreeze(t control.Target, freeze bool) (*control.Plan, error)
	ApplyFreeze(ctx context.Context, p *control.Plan) (*control.Result, error)
	PlanKill(t control.Target) (*control.KillPlan, error)
	Kill(ctx context.Context, kp *control.KillPlan) (*control.KillResult, error)
	// PlanUndoMatching plans the undo of the newest change f picks;
	// ApplyUndo applies it (waiting for a freeze or thaw to settle).
	PlanUndoMatching(f control.UndoFilter, force bool) (*control.Plan, error)
	ApplyUndo(ctx context.Context, p *control.Plan) (*control.Result, error)
	// Changes are the journal's changes, oldest first; JournalPath names
	// the journal for messages.
	Changes() ([]control.Change, error)
	JournalPath() string
	// User is who the journal records as making the editor's changes.
	User() string
}

var _ LimitEditor = (*control.Editor)(nil)
