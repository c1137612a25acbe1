package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/remote/wire"
)

// HostOps answers the TUI's requests on the agent's host: full scans,
// counter refreshes, namespace contents, and cgroup changes planned and
// applied by the host's own editor (its journal, its refusals).
type HostOps struct {
	// Scanner reads the host.
	Scanner *inspect.Scanner
	// NewEditor builds the host's cgroup editor; NewEnterer its enterer.
	NewEditor  func() (*control.Editor, error)
	NewEnterer func() *control.Enterer

	mu     sync.Mutex
	snaps  map[string]*keptSnapshot
	order  []string
	plans  map[string]any
	porder []string
	ed     *control.Editor
	edErr  error
	edOnce sync.Once
}

// keptSnapshot is a full scan the agent keeps for the client: its
// refresher, opened at the first refresh, and what the client was last
// sent of it (the base of the next delta).
type keptSnapshot struct {
	mu   sync.Mutex
	base *inspect.Snapshot
	ref  *inspect.Refresher
	sent *inspect.Snapshot
}

// keepSnapshots and keepPlans bound what the agent holds for a client.
const (
	keepSnapshots = 3
	keepPlans     = 32
)

// Handlers returns the ops by name, for Agent.Ops.
func (h *HostOps) Handlers() map[string]OpHandler {
	return map[string]OpHandler{
		wire.OpScan:       h.scan,
		wire.OpRefresh:    h.refresh,
		wire.OpForget:     h.forget,
		wire.OpContent:    h.content,
		wire.OpEditor:     h.editorInfo,
		wire.OpPlan:       h.plan,
		wire.OpPlanFreeze: h.plan,
		wire.OpPlanKill:   h.plan,
		wire.OpPlanUndo:   h.plan,
		wire.OpApply:      h.apply,
		wire.OpChanges:    h.changes,
		wire.OpEnterPlan:  h.enterPlan,
	}
}

// Close closes the refreshers' files and the scanner.
func (h *HostOps) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range h.snaps {
		k.close()
	}
	h.snaps = nil
	if h.Scanner != nil {
		_ = h.Scanner.Close()
	}
}

func (k *keptSnapshot) close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ref != nil {
		k.ref.Close()
		k.ref = nil
	}
}

// scan takes a full snapshot and keeps it under a new ID.
func (h *HostOps) scan(ctx context.Context, req wire.RequestMsg) (any, error) {
	snap, err := h.Scanner.Scan(ctx)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := snap.WriteJSONCompact(&buf); err != nil {
		return nil, err
	}
	id := NewID()
	h.mu.Lock()
	if h.snaps == nil {
		h.snaps = map[string]*keptSnapshot{}
	}
	h.snaps[id] = &keptSnapshot{base: snap, sent: snap}
	h.order = append(h.order, id)
	for len(h.order) > keepSnapshots {
		if old := h.snaps[h.order[0]]; old != nil {
			go old.close()
		}
		delete(h.snaps, h.order[0])
		h.order = h.order[1:]
	}
	h.mu.Unlock()
	// The snapshot is JSON already; the envelope is written around it.
	out := make([]byte, 0, buf.Len()+64)
	out = append(out, `{"id":`...)
	out = append(out, wire.Marshal(id)...)
	out = append(out, `,"snapshot":`...)
	out = append(out, bytes.TrimSpace(buf.Bytes())...)
	out = append(out, '}')
	return json.RawMessage(out), nil
}

// errNoSnapshot says a snapshot ID is not (or no longer) kept.
var errNoSnapshot = errors.New("the agent no longer keeps this snapshot: take a full scan")

// kept returns snapshot id.
func (h *HostOps) kept(id string) (*keptSnapshot, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := h.snaps[id]
	if k == nil {
		return nil, errNoSnapshot
	}
	return k, nil
}

// refresh refreshes a kept snapshot's counters and sends what changed
// since the client was last sent it.
func (h *HostOps) refresh(_ context.Context, req wire.RequestMsg) (any, error) {
	var rq refreshRequest
	if err := unmarshal(req.Body, &rq); err != nil {
		return nil, err
	}
	k, err := h.kept(rq.ID)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ref == nil {
		if k.ref, err = h.Scanner.Refresher(k.base); err != nil {
			return nil, err
		}
	}
	res, err := k.ref.Refresh(rq.Now)
	changed := errors.Is(err, inspect.ErrStructureChanged)
	if err != nil && !changed {
		return nil, err
	}
	reply := delta(k.sent, res.Snapshot)
	reply.ProcessCPU, reply.Read, reply.StructureChanged = res.ProcessCPU, res.Read, changed
	k.sent = res.Snapshot
	return reply, nil
}

// delta is what changed from prev to next, two snapshots of the same
// structure.
func delta(prev, next *inspect.Snapshot) refreshReply {
	r := refreshReply{Time: next.Time, ScanDuration: next.ScanDuration}
	for i := range next.Processes {
		if i >= len(prev.Processes) || !reflect.DeepEqual(prev.Processes[i], next.Processes[i]) {
			if r.Processes == nil {
				r.Processes = map[int]inspect.Process{}
			}
			r.Processes[i] = next.Processes[i]
		}
	}
	for i := range next.Cgroups {
		if i >= len(prev.Cgroups) || !reflect.DeepEqual(prev.Cgroups[i], next.Cgroups[i]) {
			if r.Cgroups == nil {
				r.Cgroups = map[int]inspect.Cgroup{}
			}
			r.Cgroups[i] = next.Cgroups[i]
		}
	}
	return r
}

// forget drops a kept snapshot.
func (h *HostOps) forget(_ context.Context, req wire.RequestMsg) (any, error) {
	var ref snapshotRef
	if err := unmarshal(req.Body, &ref); err != nil {
		return nil, err
	}
	h.mu.Lock()
	k := h.snaps[ref.ID]
	delete(h.snaps, ref.ID)
	h.mu.Unlock()
	if k != nil {
		k.close()
	}
	return struct{}{}, nil
}

// content reads what a namespace of a kept snapshot holds.
func (h *HostOps) content(ctx context.Context, req wire.RequestMsg) (any, error) {
	var rq contentRequest
	if err := unmarshal(req.Body, &rq); err != nil {
		return nil, err
	}
	k, err := h.kept(rq.ID)
	if err != nil {
		return nil, err
	}
	return h.Scanner.NamespaceContent(ctx, k.base, rq.NS)
}

// editor returns the host's editor, built once.
func (h *HostOps) editor() (*control.Editor, error) {
	h.edOnce.Do(func() { h.ed, h.edErr = h.NewEditor() })
	return h.ed, h.edErr
}

func (h *HostOps) editorInfo(context.Context, wire.RequestMsg) (any, error) {
	ed, err := h.editor()
	if err != nil {
		return nil, err
	}
	return editorInfo{Layout: ed.Layout(), ReadOnly: ed.ReadOnlyReason(), JournalPath: ed.JournalPath(), User: ed.User()}, nil
}

// plan plans a change with the host's editor and keeps the plan.
func (h *HostOps) plan(_ context.Context, req wire.RequestMsg) (any, error) {
	var rq planRequest
	if err := unmarshal(req.Body, &rq); err != nil {
		return nil, err
	}
	ed, err := h.editor()
	if err != nil {
		return nil, err
	}
	var reply planReply
	var kept any
	switch req.Op {
	case wire.OpPlan:
		if rq.Limits == nil {
			return nil, errors.New("a plan request without limits")
		}
		l, err := rq.Limits.WithRawFiles(rq.RawFiles)
		if err != nil {
			return nil, err
		}
		reply.Plan, err = ed.Plan(rq.Target, l)
		if err != nil {
			return nil, err
		}
		kept = reply.Plan
	case wire.OpPlanFreeze:
		if reply.Plan, err = ed.PlanFreeze(rq.Target, rq.Freeze); err != nil {
			return nil, err
		}
		kept = reply.Plan
	case wire.OpPlanUndo:
		if rq.Filter != nil {
			reply.Plan, err = ed.PlanUndoMatching(*rq.Filter, rq.Force)
		} else {
			reply.Plan, err = ed.PlanUndo(rq.Cgroup, rq.Force)
		}
		if err != nil {
			return nil, err
		}
		kept = reply.Plan
	case wire.OpPlanKill:
		if reply.KillPlan, err = ed.PlanKill(rq.Target); err != nil {
			return nil, err
		}
		kept = reply.KillPlan
	}
	reply.ID = NewID()
	h.mu.Lock()
	if h.plans == nil {
		h.plans = map[string]any{}
	}
	h.plans[reply.ID] = kept
	h.porder = append(h.porder, reply.ID)
	for len(h.porder) > keepPlans {
		delete(h.plans, h.porder[0])
		h.porder = h.porder[1:]
	}
	h.mu.Unlock()
	return reply, nil
}

// apply applies a kept plan. Its result and error travel together: a
// change that failed half-way shows what was written.
func (h *HostOps) apply(ctx context.Context, req wire.RequestMsg) (any, error) {
	var rq applyRequest
	if err := unmarshal(req.Body, &rq); err != nil {
		return nil, err
	}
	h.mu.Lock()
	p, ok := h.plans[rq.ID]
	delete(h.plans, rq.ID)
	h.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("plan %s is not known here (planned on an earlier connection, or applied already): plan the change again", rq.ID)
	}
	ed, err := h.editor()
	if err != nil {
		return nil, err
	}
	var reply applyReply
	switch p := p.(type) {
	case *control.Plan:
		apply := ed.Apply
		switch {
		case rq.Freeze:
			apply = ed.ApplyFreeze
		case rq.Undo:
			apply = ed.ApplyUndo
		}
		reply.Result, err = apply(ctx, p)
	case *control.KillPlan:
		reply.KillResult, err = ed.Kill(ctx, p)
	}
	if err != nil {
		reply.Error = err.Error()
	}
	return reply, nil
}

func (h *HostOps) changes(context.Context, wire.RequestMsg) (any, error) {
	ed, err := h.editor()
	if err != nil {
		return nil, err
	}
	return ed.Changes()
}

func (h *HostOps) enterPlan(_ context.Context, req wire.RequestMsg) (any, error) {
	var rq enterPlanRequest
	if err := unmarshal(req.Body, &rq); err != nil {
		return nil, err
	}
	return h.NewEnterer().Plan(rq.Request)
}
