package remote

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/remote/wire"
)

// Source reads a remote host for the TUI through its agent: full
// snapshots (compressed), counter refreshes as deltas, what namespaces
// hold, and its cgroup editor. A lost connection is reported by Lost and
// made again, with a growing pause, at the next request; a connection
// that stops answering is dropped after KeepaliveTimeout.
type Source struct {
	d *Dialer
	t Target
	// dial makes a connection (tests connect to an agent on pipes);
	// nil means d.Dial.
	dial func(context.Context) (*Conn, error)

	mu      sync.Mutex
	conn    *Conn
	peer    wire.HelloMsg
	gen     int // connections made
	lost    string
	retryAt time.Time
	backoff time.Duration
	// ids are the agent's IDs of the snapshots it sent, for refreshes
	// and contents, and the connection they belong to.
	ids     map[*inspect.Snapshot]snapshotID
	closed  bool
	stopped chan struct{}
}

// snapshotID is a snapshot's ID at the agent of connection gen.
type snapshotID struct {
	id  string
	gen int
}

// Keepalive timing: a ping every KeepaliveInterval; a connection that
// sent nothing for KeepaliveTimeout is dropped as lost.
const (
	KeepaliveInterval = 5 * time.Second
	KeepaliveTimeout  = 20 * time.Second
)

// maxBackoff bounds the pause between reconnection attempts.
const maxBackoff = 15 * time.Second

// NewSource returns a source for t, not yet connected.
func NewSource(d *Dialer, t Target) *Source {
	return &Source{d: d, t: t, ids: map[*inspect.Snapshot]snapshotID{}, stopped: make(chan struct{})}
}

// Connect makes the first connection, so that a host that cannot be
// reached is reported before the TUI starts.
func (s *Source) Connect(ctx context.Context) error {
	_, _, err := s.connection(ctx, true)
	return err
}

// Host names the host for the status line.
func (s *Source) Host() string { return s.t.String() }

// Target is the host as given.
func (s *Source) Target() Target { return s.t }

// Peer is the agent's hello (its version, host name, user).
func (s *Source) Peer() wire.HelloMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peer
}

// Lost says why the connection is down, "" while it is up.
func (s *Source) Lost() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lost
}

// Close ends the connection; the agent exits.
func (s *Source) Close() {
	s.mu.Lock()
	c := s.conn
	s.conn, s.closed = nil, true
	s.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// connection returns the live connection, making one when there is none
// and the pause after the last failure is over (or now is set).
func (s *Source) connection(ctx context.Context, now bool) (*Conn, int, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, 0, errors.New("the source is closed")
	}
	if c := s.conn; c != nil && c.Err() == nil {
		gen := s.gen
		s.mu.Unlock()
		return c, gen, nil
	}
	if !now && time.Now().Before(s.retryAt) {
		why := s.lost
		s.mu.Unlock()
		return nil, 0, fmt.Errorf("%w: %s (next try in %s)", ErrConnLost, why, time.Until(s.retryAt).Round(time.Second))
	}
	s.mu.Unlock()
	dial := s.dial
	if dial == nil {
		dial = func(ctx context.Context) (*Conn, error) { return s.d.Dial(ctx, s.t) }
	}
	c, err := dial(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.backoff = min(max(2*s.backoff, time.Second), maxBackoff)
		s.retryAt = time.Now().Add(s.backoff)
		if s.lost == "" || s.gen == 0 {
			s.lost = err.Error()
		}
		return nil, 0, err
	}
	s.conn, s.peer, s.lost, s.backoff = c, c.Peer, "", 0
	s.gen++
	go s.keepalive(c)
	return c, s.gen, nil
}

// keepalive pings c and drops it when it stops answering.
func (s *Source) keepalive(c *Conn) {
	tick := time.NewTicker(KeepaliveInterval)
	defer tick.Stop()
	for {
		select {
		case <-c.Done():
			s.markLost(c, errors.New(c.Why()))
			return
		case <-tick.C:
			if c.Idle() > KeepaliveTimeout {
				s.markLost(c, fmt.Errorf("no answer for %s", c.Idle().Round(time.Second)))
				c.Kill()
				return
			}
			_ = c.Ping()
		}
	}
}

// markLost records that connection c is gone, unless a newer one
// replaced it.
func (s *Source) markLost(c *Conn, why error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != c || s.closed {
		return
	}
	s.conn = nil
	s.lost = "connection lost"
	if why != nil && why.Error() != "" {
		s.lost = why.Error()
	}
}

// call sends a request on the live connection (making one if needed)
// and decodes the reply; a lost connection is recorded.
func (s *Source) call(ctx context.Context, req wire.RequestMsg, reply any) (int, error) {
	c, gen, err := s.connection(ctx, false)
	if err != nil {
		return 0, err
	}
	err = c.call(ctx, req, reply)
	if errors.Is(err, ErrConnLost) {
		s.markLost(c, errors.New(c.Why()))
	}
	return gen, err
}

// Scan takes a full snapshot of the remote host.
func (s *Source) Scan(ctx context.Context) (*inspect.Snapshot, error) {
	var reply scanReply
	gen, err := s.call(ctx, wire.RequestMsg{Op: wire.OpScan}, &reply)
	if err != nil {
		return nil, s.explain(err)
	}
	snap, err := inspect.Load(bytesReader(reply.Snapshot))
	if err != nil {
		return nil, fmt.Errorf("%s: snapshot: %w", s.t, err)
	}
	s.mu.Lock()
	s.ids[snap] = snapshotID{reply.ID, gen}
	s.mu.Unlock()
	return snap, nil
}

// explain names the host in an error.
func (s *Source) explain(err error) error {
	var de *DialError
	if errors.As(err, &de) {
		return err
	}
	return fmt.Errorf("%s: %w", s.t, err)
}

// Refresher returns nil: a remote host's counters are refreshed by its
// agent (CounterRefresher).
func (s *Source) Refresher(*inspect.Snapshot) (*inspect.Refresher, error) { return nil, nil }

// CounterRefresher returns a refresher of snap's counters, done by the
// agent, which sends only what changed.
func (s *Source) CounterRefresher(snap *inspect.Snapshot) (*CounterRefresher, error) {
	s.mu.Lock()
	id, ok := s.ids[snap]
	s.mu.Unlock()
	if !ok {
		return nil, errors.New("not a snapshot of this source")
	}
	return &CounterRefresher{s: s, base: snap, id: id, last: snap}, nil
}

// NamespaceContent reads what a namespace of snap holds, on the remote.
func (s *Source) NamespaceContent(ctx context.Context, snap *inspect.Snapshot, ns inspect.NSID) (*inspect.NSContent, error) {
	s.mu.Lock()
	id, ok := s.ids[snap]
	s.mu.Unlock()
	if !ok {
		return nil, errors.New("not a snapshot of this source")
	}
	var content inspect.NSContent
	gen, err := s.call(ctx, wire.RequestMsg{Op: wire.OpContent, Body: wire.Marshal(contentRequest{ID: id.id, NS: ns})}, &content)
	if err == nil && gen != id.gen {
		err = errNoSnapshot
	}
	if err != nil {
		return nil, s.explain(err)
	}
	return &content, nil
}

// CounterRefresher refreshes the counters of one remote snapshot: the
// agent reads them and sends the processes and cgroups that changed.
type CounterRefresher struct {
	s    *Source
	base *inspect.Snapshot
	id   snapshotID
	mu   sync.Mutex
	last *inspect.Snapshot
	done bool
}

// Base is the full scan refreshed.
func (r *CounterRefresher) Base() *inspect.Snapshot { return r.base }

// Refresh asks the agent for fresh counters, taken at now, and applies
// them to the last refreshed snapshot. inspect.ErrStructureChanged says a
// full scan is due (the result is still complete).
func (r *CounterRefresher) Refresh(now time.Time) (inspect.RefreshResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return inspect.RefreshResult{}, errors.New("refresh: the refresher is closed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var d refreshReply
	gen, err := r.s.call(ctx, wire.RequestMsg{Op: wire.OpRefresh, Body: wire.Marshal(refreshRequest{ID: r.id.id, Now: now})}, &d)
	if err == nil && gen != r.id.gen {
		err = errNoSnapshot
	}
	if err != nil {
		return inspect.RefreshResult{}, r.s.explain(err)
	}
	snap := applyDelta(r.last, d)
	// The refreshed snapshot names the same agent snapshot (for what its
	// namespaces hold); the one before it no longer needs to.
	r.s.mu.Lock()
	if r.last != r.base {
		delete(r.s.ids, r.last)
	}
	r.s.ids[snap] = r.id
	r.s.mu.Unlock()
	r.last = snap
	res := inspect.RefreshResult{Snapshot: snap, ProcessCPU: d.ProcessCPU, Read: d.Read}
	if res.ProcessCPU == nil {
		res.ProcessCPU = map[int]float64{}
	}
	if d.StructureChanged {
		return res, inspect.ErrStructureChanged
	}
	return res, nil
}

// applyDelta returns prev with the delta's processes, cgroups and times:
// a copy of the snapshot value keeps its indexes, which depend only on
// positions and identities (as inspect.Refresher's results do).
func applyDelta(prev *inspect.Snapshot, d refreshReply) *inspect.Snapshot {
	snap := *prev
	snap.Time, snap.ScanDuration = d.Time, d.ScanDuration
	if len(d.Processes) > 0 {
		snap.Processes = append([]inspect.Process(nil), prev.Processes...)
		for i, p := range d.Processes {
			if i >= 0 && i < len(snap.Processes) && snap.Processes[i].PID == p.PID {
				snap.Processes[i] = p
			}
		}
	}
	if len(d.Cgroups) > 0 {
		snap.Cgroups = append([]inspect.Cgroup(nil), prev.Cgroups...)
		for i, c := range d.Cgroups {
			if i >= 0 && i < len(snap.Cgroups) && snap.Cgroups[i].Key() == c.Key() {
				snap.Cgroups[i] = c
			}
		}
	}
	return &snap
}

// Close tells the agent to drop the snapshot and its open files.
func (r *CounterRefresher) Close() {
	r.mu.Lock()
	if r.done {
		r.mu.Unlock()
		return
	}
	r.done = true
	r.mu.Unlock()
	r.s.mu.Lock()
	delete(r.s.ids, r.base)
	delete(r.s.ids, r.last)
	c, gen := r.s.conn, r.s.gen
	r.s.mu.Unlock()
	if c == nil || gen != r.id.gen {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.call(ctx, wire.RequestMsg{Op: wire.OpForget, Body: wire.Marshal(snapshotRef{ID: r.id.id})}, nil)
}
