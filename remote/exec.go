package remote

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nscope/nscope/remote/wire"
)

// ExecIO are the local ends of a remote command's standard streams.
type ExecIO struct {
	// Input is the local standard input, read once for the whole command
	// (also across a reconnect); nil gives the command none.
	Input *Input
	// Stdout and Stderr receive the command's output.
	Stdout, Stderr io.Writer
	// TTY says which streams are a local terminal and its size.
	TTY wire.TTYRequest
	// Env are NAME=VALUE pairs for the remote command (the agent takes
	// only TERM, the locale and colour settings).
	Env []string
	// Resize carries the terminal's new sizes; Signals the names of
	// signals to pass on ("INT", "TERM", ...).
	Resize  <-chan wire.ResizeMsg
	Signals <-chan string
}

// Input reads a local input once, in the background, so that a command
// run again after a reconnect goes on where the first stopped.
type Input struct {
	chunks chan []byte
}

// NewInput starts reading r.
func NewInput(r io.Reader) *Input {
	in := &Input{chunks: make(chan []byte, 16)}
	go func() {
		buf := make([]byte, chunkSize)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				in.chunks <- append([]byte(nil), buf[:n]...)
			}
			if err != nil {
				close(in.chunks)
				return
			}
		}
	}()
	return in
}

// Command is an nscope command line to run on a host.
type Command struct {
	// Args are the arguments after "nscope".
	Args []string
	// Once marks a command that may change the host: it carries an
	// idempotency ID, runs at most once, and after a lost connection its
	// outcome is fetched from the agent's ledger instead of running it
	// again.
	Once bool
	// Retry marks a command that only reads: after a connection lost
	// before it wrote anything, it runs again on a new connection.
	Retry bool
}

// outcome is what one exec stream ended with.
type outcome struct {
	code     int
	replayed bool
}

// written counts what reached the local outputs, so that a replay of
// a recorded outcome does not print again what was printed before the
// connection dropped.
type written struct {
	stdout, stderr int
}

// Run runs cmd on t and returns its exit status. A connection lost
// under a Once command is reopened to fetch the outcome (or, when the
// agent has no record of it, to send it once more under the same ID,
// which an agent never carries out twice); a Retry command that wrote
// nothing runs again. Otherwise a lost connection is an error that says
// what is known.
func (d *Dialer) Run(ctx context.Context, t Target, cmd Command, eio ExecIO) (int, error) {
	conn, err := d.Dial(ctx, t)
	if err != nil {
		return 0, err
	}
	id := NewID()
	req := wire.RequestMsg{Op: wire.OpExec, Exec: &wire.ExecRequest{Args: cmd.Args, Env: eio.Env, TTY: eio.TTY, Once: cmd.Once}}
	if cmd.Once {
		req.ID = id
	}
	var w written
	what := "'nscope " + strings.Join(cmd.Args, " ") + "'"
	for attempt := 0; ; attempt++ {
		out, err := conn.exec(ctx, req, eio, &w)
		conn.Close()
		if err == nil {
			return out.code, nil
		}
		if !errors.Is(err, ErrConnLost) {
			return 0, fmt.Errorf("%s: %w", t, err)
		}
		lost := err
		switch {
		case cmd.Once && attempt < 3:
			conn, err = d.redial(ctx, t)
			if err != nil {
				return 0, fmt.Errorf("%s: %w while %s ran, and reconnecting failed (%v): its outcome is unknown here; 'nscope -H %s history' shows whether it changed anything", t, lost, what, err, t)
			}
			out, err := conn.fetch(ctx, id, eio, &w)
			var em *wire.ErrorMsg
			switch {
			case err == nil:
				conn.Close()
				return out.code, nil
			case errors.As(err, &em) && em.Code == wire.CodeNoRecord:
				// It never reached the agent: send it again, same ID.
				continue
			case errors.As(err, &em) && em.Code == wire.CodeUnknown:
				conn.Close()
				return 0, fmt.Errorf("%s: %w while %s ran, and its outcome is unknown: %s; 'nscope -H %s history' shows what it changed", t, lost, what, em.Message, t)
			case errors.Is(err, ErrConnLost):
				continue
			default:
				conn.Close()
				return 0, fmt.Errorf("%s: %w", t, err)
			}
		case cmd.Retry && w.stdout == 0 && w.stderr == 0 && attempt < 2:
			if conn, err = d.redial(ctx, t); err != nil {
				return 0, fmt.Errorf("%s: %w while %s ran, and reconnecting failed: %v", t, lost, what, err)
			}
		default:
			return 0, fmt.Errorf("%s: %w while %s ran%s", t, lost, what, partial(w))
		}
	}
}

// partial says that output was cut short, when some was written.
func partial(w written) string {
	if w.stdout+w.stderr > 0 {
		return "; its output above is incomplete"
	}
	return ""
}

// redial connects again after a lost connection, a few times with a
// pause between tries.
func (d *Dialer) redial(ctx context.Context, t Target) (*Conn, error) {
	var err error
	for try := range 3 {
		if try > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(try) * time.Second):
			}
		}
		var c *Conn
		if c, err = d.Dial(ctx, t); err == nil {
			return c, nil
		}
	}
	return nil, err
}

// exec runs one exec request on the connection.
func (c *Conn) exec(ctx context.Context, req wire.RequestMsg, eio ExecIO, w *written) (outcome, error) {
	s, err := c.m.open(req)
	if err != nil {
		return outcome{}, err
	}
	defer s.close()
	stop := make(chan struct{})
	defer close(stop)
	go c.forward(s, eio, stop)
	return receive(ctx, s, eio, w, false)
}

// fetch asks for the recorded outcome of request id and writes what of
// its output was not written before.
func (c *Conn) fetch(ctx context.Context, id string, eio ExecIO, w *written) (outcome, error) {
	s, err := c.m.open(wire.RequestMsg{Op: wire.OpResult, Body: wire.Marshal(wire.ResultQuery{ID: id})})
	if err != nil {
		return outcome{}, err
	}
	defer s.close()
	return receive(ctx, s, eio, w, true)
}

// forward sends local input, resizes and signals on s until stop.
func (c *Conn) forward(s *stream, eio ExecIO, stop <-chan struct{}) {
	var input <-chan []byte
	if eio.Input != nil {
		input = eio.Input.chunks
	}
	for {
		select {
		case <-stop:
			return
		case <-s.end:
			return
		case chunk, ok := <-input:
			if !ok {
				input = nil
				_ = s.send(wire.Stdin, nil)
				continue
			}
			if s.send(wire.Stdin, chunk) != nil {
				return
			}
		case r := <-eio.Resize:
			_ = s.sendJSON(wire.Resize, r)
		case sig := <-eio.Signals:
			_ = s.sendJSON(wire.Signal, wire.SignalMsg{Signal: sig})
		}
	}
}

// receive writes a stream's output until it ends. For a replay (a
// recorded outcome) the bytes already written are skipped.
func receive(ctx context.Context, s *stream, eio ExecIO, w *written, replay bool) (outcome, error) {
	skip := written{}
	if replay {
		skip = *w
	}
	frames := make(chan wire.Frame)
	errs := make(chan error, 1)
	go func() {
		for {
			f, err := s.recv()
			if err != nil {
				errs <- err
				return
			}
			select {
			case frames <- f:
			case <-ctx.Done():
				return
			}
			if f.Type == wire.Exit || f.Type == wire.Error || f.Type == wire.Reply {
				return
			}
		}
	}()
	for {
		var f wire.Frame
		select {
		case <-ctx.Done():
			return outcome{}, ctx.Err()
		case err := <-errs:
			return outcome{}, err
		case f = <-frames:
		}
		switch f.Type {
		case wire.Stdout, wire.Stderr:
			out, count, skipped := eio.Stdout, &w.stdout, &skip.stdout
			if f.Type == wire.Stderr {
				out, count, skipped = eio.Stderr, &w.stderr, &skip.stderr
			}
			data := f.Payload
			if *skipped > 0 {
				n := min(*skipped, len(data))
				data, *skipped = data[n:], *skipped-n
			}
			if len(data) > 0 && out != nil {
				_, _ = out.Write(data)
			}
			*count += len(data)
		case wire.Exit:
			var e wire.ExitMsg
			if err := unmarshal(f.Payload, &e); err != nil {
				return outcome{}, err
			}
			return outcome{code: e.Code, replayed: e.Replayed}, nil
		case wire.Error:
			var e wire.ErrorMsg
			if err := unmarshal(f.Payload, &e); err != nil {
				return outcome{}, err
			}
			return outcome{}, &e
		}
	}
}

// NewID returns a new idempotency ID: 128 random bits in hex.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
