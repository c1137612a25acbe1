package remote

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/remote/wire"
)

// Editor changes a remote host's cgroups through its agent, with the
// method set of *control.Editor the TUI uses: every plan is made by the
// remote's own editor and kept there, Apply names it, so what is applied
// is what was shown; the journal is the remote's. A change carries an
// idempotency ID: after a lost connection its outcome is asked for on a
// new one, never sent again, and an outcome the agent could not record
// is reported as unknown.
type Editor struct {
	s    *Source
	info editorInfo

	mu    sync.Mutex
	plans map[any]planRef
}

// planRef is a plan's ID at the agent of connection gen.
type planRef struct {
	id  string
	gen int
}

// Editor returns the remote host's editor.
func (s *Source) Editor(ctx context.Context) (*Editor, error) {
	e := &Editor{s: s, plans: map[any]planRef{}}
	if _, err := s.call(ctx, wire.RequestMsg{Op: wire.OpEditor}, &e.info); err != nil {
		return nil, s.explain(err)
	}
	return e, nil
}

// Layout is the remote's cgroup layout.
func (e *Editor) Layout() inspect.CgroupLayout { return e.info.Layout }

// ReadOnlyReason says why the remote refuses edits, or "".
func (e *Editor) ReadOnlyReason() string { return e.info.ReadOnly }

// JournalPath is the journal on the remote host.
func (e *Editor) JournalPath() string { return e.s.t.String() + ":" + e.info.JournalPath }

// Changes reads the remote journal's changes.
func (e *Editor) Changes() ([]control.Change, error) {
	var changes []control.Change
	if _, err := e.s.call(context.Background(), wire.RequestMsg{Op: wire.OpChanges}, &changes); err != nil {
		return nil, e.s.explain(err)
	}
	return changes, nil
}

// planCall asks the agent for a plan and remembers its ID.
func (e *Editor) planCall(op string, rq planRequest) (planReply, error) {
	var reply planReply
	gen, err := e.s.call(context.Background(), wire.RequestMsg{Op: op, Body: wire.Marshal(rq)}, &reply)
	if err != nil {
		return reply, e.s.explain(err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.plans) > keepPlans {
		clear(e.plans)
	}
	if reply.Plan != nil {
		e.plans[reply.Plan] = planRef{reply.ID, gen}
	}
	if reply.KillPlan != nil {
		e.plans[reply.KillPlan] = planRef{reply.ID, gen}
	}
	return reply, nil
}

// Plan plans a limit change on the remote.
func (e *Editor) Plan(t control.Target, l control.Limits) (*control.Plan, error) {
	r, err := e.planCall(wire.OpPlan, planRequest{Target: t, Limits: &l, RawFiles: l.RawFiles()})
	return r.Plan, err
}

// PlanFreeze plans a freeze or thaw on the remote.
func (e *Editor) PlanFreeze(t control.Target, freeze bool) (*control.Plan, error) {
	r, err := e.planCall(wire.OpPlanFreeze, planRequest{Target: t, Freeze: freeze})
	return r.Plan, err
}

// PlanUndo plans undoing the last change of a cgroup on the remote.
func (e *Editor) PlanUndo(cgroupPath string, force bool) (*control.Plan, error) {
	r, err := e.planCall(wire.OpPlanUndo, planRequest{Cgroup: cgroupPath, Force: force})
	return r.Plan, err
}

// PlanUndoMatching plans the undo of the newest change f picks, in the
// remote's journal.
func (e *Editor) PlanUndoMatching(f control.UndoFilter, force bool) (*control.Plan, error) {
	r, err := e.planCall(wire.OpPlanUndo, planRequest{Filter: &f, Force: force})
	return r.Plan, err
}

// User is who the remote's journal records as making the changes.
func (e *Editor) User() string { return e.info.User }

// PlanKill plans a kill on the remote.
func (e *Editor) PlanKill(t control.Target) (*control.KillPlan, error) {
	r, err := e.planCall(wire.OpPlanKill, planRequest{Target: t})
	return r.KillPlan, err
}

// Apply applies a plan made by Plan or PlanUndo.
func (e *Editor) Apply(ctx context.Context, p *control.Plan) (*control.Result, error) {
	r, err := e.apply(ctx, p, applyRequest{})
	return r.Result, err
}

// ApplyFreeze applies a plan made by PlanFreeze.
func (e *Editor) ApplyFreeze(ctx context.Context, p *control.Plan) (*control.Result, error) {
	r, err := e.apply(ctx, p, applyRequest{Freeze: true})
	return r.Result, err
}

// ApplyUndo applies a plan made by PlanUndoMatching or PlanUndo.
func (e *Editor) ApplyUndo(ctx context.Context, p *control.Plan) (*control.Result, error) {
	r, err := e.apply(ctx, p, applyRequest{Undo: true})
	return r.Result, err
}

// Kill carries out a plan made by PlanKill.
func (e *Editor) Kill(ctx context.Context, kp *control.KillPlan) (*control.KillResult, error) {
	r, err := e.apply(ctx, kp, applyRequest{})
	return r.KillResult, err
}

// ErrOutcomeUnknown says a change was sent and its outcome could not be
// learned: the journal on the remote says what happened.
var ErrOutcomeUnknown = errors.New("outcome unknown")

// apply sends the apply request of plan p under a new idempotency ID.
// Cancelling ctx asks the agent to stop between writes; the reply is
// still awaited, so what was written is shown.
func (e *Editor) apply(ctx context.Context, plan any, how applyRequest) (applyReply, error) {
	e.mu.Lock()
	ref, ok := e.plans[plan]
	delete(e.plans, plan)
	e.mu.Unlock()
	if !ok {
		return applyReply{}, errors.New("this plan was not made by this host's agent")
	}
	c, gen, err := e.s.connection(context.Background(), false)
	if err != nil {
		return applyReply{}, fmt.Errorf("%s: %w: nothing was sent, nothing changed", e.s.t, err)
	}
	if gen != ref.gen {
		return applyReply{}, fmt.Errorf("%s: the connection was made again since this change was planned, and the new agent does not have the plan: nothing changed; plan it again", e.s.t)
	}
	how.ID = ref.id
	req := wire.RequestMsg{Op: wire.OpApply, ID: NewID(), Body: wire.Marshal(how)}
	reply, err := c.applyCall(ctx, req)
	if errors.Is(err, ErrConnLost) {
		e.s.markLost(c, errors.New(c.Why()))
		reply, err = e.outcome(req.ID, err)
	}
	if err != nil {
		return reply, err
	}
	if reply.Result != nil {
		for i := range reply.Result.Writes {
			if w := &reply.Result.Writes[i]; w.Error != "" {
				w.Err = errors.New(w.Error)
			}
		}
	}
	if reply.Error != "" {
		return reply, errors.New(reply.Error)
	}
	return reply, nil
}

// outcome asks a new connection for the recorded outcome of request id,
// sent on a connection that was lost (lost says how).
func (e *Editor) outcome(id string, lost error) (applyReply, error) {
	unknown := func(why string) (applyReply, error) {
		return applyReply{}, fmt.Errorf("%s: %w while the change was applied, and %s: %w; the journal there says what was written (u, or nscope -H %s history)", e.s.t, lost, why, ErrOutcomeUnknown, e.s.t)
	}
	var reply applyReply
	var err error
	for try := 0; try < 3; try++ {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		var c *Conn
		c, _, err = e.s.connection(ctx, true)
		if err == nil {
			err = c.call(ctx, wire.RequestMsg{Op: wire.OpResult, Body: wire.Marshal(wire.ResultQuery{ID: id})}, &reply)
		}
		cancel()
		var em *wire.ErrorMsg
		switch {
		case err == nil:
			return reply, nil
		case errors.As(err, &em) && em.Code == wire.CodeNoRecord:
			return applyReply{}, fmt.Errorf("%s: %w before the change reached the agent: nothing changed; plan it again", e.s.t, lost)
		case errors.As(err, &em):
			return unknown(em.Message)
		}
		time.Sleep(time.Duration(try+1) * time.Second)
	}
	return unknown(fmt.Sprintf("reconnecting failed (%v)", err))
}

// applyCall sends an apply request and waits for its reply; a cancelled
// ctx is passed on as a Signal frame and the reply still awaited.
func (c *Conn) applyCall(ctx context.Context, req wire.RequestMsg) (applyReply, error) {
	s, err := c.m.open(req)
	if err != nil {
		return applyReply{}, err
	}
	defer s.close()
	go func() {
		select {
		case <-ctx.Done():
			_ = s.sendJSON(wire.Signal, wire.SignalMsg{Signal: "CANCEL"})
		case <-s.quit:
		case <-s.end:
		}
	}()
	f, err := s.recv()
	if err != nil {
		return applyReply{}, err
	}
	var reply applyReply
	switch f.Type {
	case wire.Reply:
		err = unpackJSON(f.Payload, &reply)
	case wire.Error:
		var em wire.ErrorMsg
		if err = unmarshal(f.Payload, &em); err == nil {
			err = &em
		}
	default:
		err = fmt.Errorf("reply to apply is a %s frame: %w", f.Type, wire.ErrNotNscope)
	}
	return reply, err
}
