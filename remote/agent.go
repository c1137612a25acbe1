package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/nscope/nscope/remote/wire"
)

// Agent serves nscope's remote protocol for one connection: the client's
// requests arrive on its standard input, its replies leave on its
// standard output, both carried by ssh. It runs nscope command lines as
// child processes of the same binary and answers the TUI's scans and
// edits. It ends when its input ends, once the changes in flight have
// finished and been recorded; everything else it started is stopped.
type Agent struct {
	// Exe is the nscope binary an exec runs (default /proc/self/exe: the
	// agent's own binary, even if the file was replaced meanwhile).
	Exe string
	// Ledger records the requests that must never run twice.
	Ledger *Ledger
	// Ops answers the requests other than exec and result (scans, counter
	// refreshes, cgroup edits), by op; nil refuses them.
	Ops map[string]OpHandler
	// StallFile is a fault hook for tests (NSCOPE_AGENT_TEST_STALL): while
	// the file exists and names a stall point, the agent waits there.
	StallFile string

	wg sync.WaitGroup
}

// OpHandler answers one request: its reply is encoded as JSON, its
// error sent as an ErrorMsg. ctx ends when the connection does.
type OpHandler func(ctx context.Context, req wire.RequestMsg) (any, error)

// Serve exchanges hellos on r and w, then answers requests until r ends.
// A client whose protocol this agent does not speak gets the agent's
// hello (the client explains the mismatch) and the connection ends.
func (a *Agent) Serve(r io.Reader, w io.Writer) error {
	f, err := wire.ReadFrame(r)
	if err != nil {
		return fmt.Errorf("read the client's hello: %w", err)
	}
	if f.Type != wire.Hello {
		return fmt.Errorf("the client's first frame is a %s, not a hello: %w", f.Type, wire.ErrNotNscope)
	}
	peer, err := wire.ParseHello(f.Payload)
	if err != nil {
		return err
	}
	mine := wire.NewHello(wire.RoleAgent)
	mine.Hostname, _ = os.Hostname()
	mine.EUID = os.Geteuid()
	mine.Executable, _ = os.Executable()
	if err := wire.WriteFrame(w, wire.Frame{Type: wire.Hello, Payload: mine.Marshal()}); err != nil {
		return err
	}
	if _, err := wire.Negotiate(peer, mine, mine.Hostname); err != nil {
		// The client reads the hello and explains the mismatch in its
		// own words (naming the host as the user typed it). Exiting at
		// once could end the ssh session before the hello is through, and
		// the client would only see the connection end: wait for it to
		// hang up, a while at most.
		hungUp := make(chan struct{})
		go func() { _, _ = io.Copy(io.Discard, r); close(hungUp) }()
		select {
		case <-hungUp:
		case <-time.After(10 * time.Second):
		}
		return err
	}
	if a.Ledger != nil {
		a.Ledger.Prune()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := newMux(r, w, func(s *stream, req wire.RequestMsg) { a.handle(ctx, s, req) })
	<-m.Done()
	cancel()
	a.wg.Wait()
	return nil
}

// handle answers one request.
func (a *Agent) handle(ctx context.Context, s *stream, req wire.RequestMsg) {
	a.wg.Add(1)
	defer a.wg.Done()
	switch req.Op {
	case wire.OpExec:
		a.exec(s, req)
	case wire.OpResult:
		a.result(s, req)
	default:
		h := a.Ops[req.Op]
		if h == nil {
			_ = s.sendError(wire.CodeBadRequest, fmt.Errorf("this agent (%s) does not know the request %q", wire.BuildVersion(), req.Op))
			return
		}
		a.op(ctx, s, req, h)
	}
}

// op answers a request with its handler; one with an ID is recorded in
// the ledger first and answered from it when repeated.
func (a *Agent) op(connCtx context.Context, s *stream, req wire.RequestMsg, h OpHandler) {
	ctx := connCtx
	if req.ID != "" {
		if !a.begin(s, req, nil) {
			return
		}
		// A change runs to its end when the connection drops (its outcome
		// is recorded); only the client's cancel (a Signal frame, the TUI's
		// esc) stops it between writes.
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(context.WithoutCancel(connCtx))
		defer cancel()
		go func() {
			for {
				f, err := s.recv()
				if err != nil {
					return
				}
				if f.Type == wire.Signal {
					cancel()
				}
			}
		}()
	}
	reply, err := h(ctx, req)
	rec := Record{ID: req.ID, Op: req.Op}
	if err != nil {
		rec.Error = &errorRecord{Message: err.Error(), Code: wire.CodeFailed}
	} else if raw, ok := reply.(json.RawMessage); ok {
		rec.Reply = raw
	} else {
		rec.Reply = wireJSON(reply)
	}
	if req.ID != "" {
		a.stall("record")
		if ferr := a.Ledger.Finish(rec); ferr != nil {
			fmt.Fprintf(os.Stderr, "nscope agent: record the outcome of %s: %v\n", req.ID, ferr)
		}
	}
	a.stall("reply")
	a.sendRecord(s, &rec, false)
}

// begin records request req before it is carried out. When its ID is
// already recorded it answers from the record and returns false; when it
// cannot be recorded it refuses the request (an outcome that could be
// lost is not risked) and returns false.
func (a *Agent) begin(s *stream, req wire.RequestMsg, args []string) bool {
	if a.Ledger == nil {
		_ = s.sendError(wire.CodeFailed, errors.New("this agent keeps no ledger, so it does not carry out changes"))
		return false
	}
	err := a.Ledger.Begin(req.ID, req.Op, args)
	switch {
	case errors.Is(err, ErrDuplicate):
		a.answerFromLedger(s, req.ID)
		return false
	case err != nil:
		_ = s.sendError(wire.CodeFailed, fmt.Errorf("not carried out: the agent could not record it first (%w)", err))
		return false
	}
	return true
}

// result answers OpResult: the outcome of an earlier request.
func (a *Agent) result(s *stream, req wire.RequestMsg) {
	var q wire.ResultQuery
	if err := unmarshal(req.Body, &q); err != nil {
		_ = s.sendError(wire.CodeBadRequest, err)
		return
	}
	if a.Ledger == nil {
		_ = s.sendError(wire.CodeNoRecord, errors.New("this agent keeps no ledger"))
		return
	}
	a.answerFromLedger(s, q.ID)
}

// answerFromLedger sends the recorded outcome of id, waiting while the
// agent carrying it out is still at work.
func (a *Agent) answerFromLedger(s *stream, id string) {
	for {
		rec, err := a.Ledger.Lookup(id)
		switch {
		case errors.Is(err, os.ErrNotExist):
			_ = s.sendError(wire.CodeNoRecord, fmt.Errorf("no record of request %s: it was never carried out", id))
			return
		case err != nil:
			_ = s.sendError(wire.CodeFailed, err)
			return
		case rec.State == RecordDone:
			a.sendRecord(s, rec, true)
			return
		case !rec.Alive():
			_ = s.sendError(wire.CodeUnknown, fmt.Errorf("request %s (%s) started at %s, and the agent carrying it out (PID %d) stopped before recording its outcome",
				id, strings.Join(append([]string{rec.Op}, rec.Args...), " "), rec.Time.Format(time.RFC3339), rec.PID))
			return
		}
		select {
		case <-s.end:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// sendRecord sends an outcome: an exec's output and exit status, or an
// op's reply or error.
func (a *Agent) sendRecord(s *stream, rec *Record, replayed bool) {
	defer s.close()
	switch {
	case rec.Error != nil:
		_ = s.sendJSON(wire.Error, wire.ErrorMsg{Message: rec.Error.Message, Code: rec.Error.Code})
	case rec.Op == wire.OpExec:
		for _, chunk := range chunks(rec.Stdout) {
			_ = s.send(wire.Stdout, chunk)
		}
		for _, chunk := range chunks(rec.Stderr) {
			_ = s.send(wire.Stderr, chunk)
		}
		_ = s.sendJSON(wire.Exit, wire.ExitMsg{Code: rec.Code, Replayed: replayed})
	default:
		_ = s.send(wire.Reply, pack(rec.Reply))
	}
}

// chunkSize is the most output one frame carries.
const chunkSize = 32 << 10

// chunks splits b into frame-sized pieces.
func chunks(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		n := min(len(b), chunkSize)
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

// stall is the tests' fault hook: while StallFile exists and holds
// point, the agent waits here (at most a minute), after creating
// StallFile.reached so the test knows it arrived.
func (a *Agent) stall(point string) {
	if a.StallFile == "" {
		return
	}
	data, err := os.ReadFile(a.StallFile)
	if err != nil || strings.TrimSpace(string(data)) != point {
		return
	}
	_ = os.WriteFile(a.StallFile+".reached", []byte(point), 0o600)
	for range 3000 {
		if _, err := os.Stat(a.StallFile); err != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
