package remote

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nscope/nscope/remote/wire"
)

// ErrConnLost says the connection to the other side ended: ssh exited,
// the network dropped, or the agent stopped.
var ErrConnLost = errors.New("connection lost")

// mux carries the streams of one connection over a reader and a writer.
// One goroutine reads frames and hands each to its stream; writes are
// serialised. The client opens streams with odd numbers; the agent
// answers on the same numbers.
type mux struct {
	w   io.Writer
	wmu sync.Mutex

	mu      sync.Mutex
	streams map[uint32]*stream
	next    uint32
	err     error // why the connection ended, once it has
	done    chan struct{}

	// onRequest handles a request frame that opens a stream (the agent);
	// nil refuses them (the client).
	onRequest func(s *stream, req wire.RequestMsg)
	// lastRecv is when the last frame arrived (unix nanoseconds).
	lastRecv atomic.Int64
}

// stream is one request's frames in one direction: what the other side
// sent on it, in order.
type stream struct {
	id  uint32
	m   *mux
	in  chan wire.Frame
	end chan struct{} // closed when the connection ends
	// quit is closed when this side is done with the stream.
	quit     chan struct{}
	quitOnce sync.Once
}

// errStreamClosed ends a receive on a stream this side closed.
var errStreamClosed = errors.New("stream closed")

// streamBuffer is how many frames a stream holds before the reader waits
// for its consumer (and so holds up the connection).
const streamBuffer = 64

func newMux(r io.Reader, w io.Writer, onRequest func(*stream, wire.RequestMsg)) *mux {
	m := &mux{w: w, streams: map[uint32]*stream{}, next: 1, done: make(chan struct{}), onRequest: onRequest}
	m.lastRecv.Store(time.Now().UnixNano())
	go m.readLoop(r)
	return m
}

// readLoop reads frames until the connection ends.
func (m *mux) readLoop(r io.Reader) {
	for {
		f, err := wire.ReadFrame(r)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				err = ErrConnLost
			} else {
				err = fmt.Errorf("%w: %w", ErrConnLost, err)
			}
			m.fail(err)
			return
		}
		m.lastRecv.Store(time.Now().UnixNano())
		m.dispatch(f)
	}
}

// dispatch hands f to its stream, opening one for a request.
func (m *mux) dispatch(f wire.Frame) {
	switch f.Type {
	case wire.Ping:
		_ = m.write(wire.Frame{Type: wire.Pong, Stream: f.Stream, Payload: f.Payload})
		return
	case wire.Pong:
		return
	case wire.Request:
		if m.onRequest == nil {
			return
		}
		var req wire.RequestMsg
		s := m.stream(f.Stream, true)
		if s == nil {
			return
		}
		if err := unmarshal(f.Payload, &req); err != nil {
			_ = s.sendError(wire.CodeBadRequest, fmt.Errorf("request: %w", err))
			return
		}
		go m.onRequest(s, req)
		return
	}
	if s := m.stream(f.Stream, false); s != nil {
		select {
		case s.in <- f:
		case <-s.quit:
		case <-m.done:
		}
	}
}

// stream returns stream id, creating it when create is set (and the
// connection is still up).
func (m *mux) stream(id uint32, create bool) *stream {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.streams[id]; ok || !create || m.err != nil {
		return s
	}
	s := &stream{id: id, m: m, in: make(chan wire.Frame, streamBuffer), end: m.done, quit: make(chan struct{})}
	m.streams[id] = s
	return s
}

// open starts a new stream with a request.
func (m *mux) open(req wire.RequestMsg) (*stream, error) {
	m.mu.Lock()
	if m.err != nil {
		err := m.err
		m.mu.Unlock()
		return nil, err
	}
	id := m.next
	m.next += 2
	s := &stream{id: id, m: m, in: make(chan wire.Frame, streamBuffer), end: m.done, quit: make(chan struct{})}
	m.streams[id] = s
	m.mu.Unlock()
	if err := m.write(wire.Frame{Type: wire.Request, Stream: id, Payload: wire.Marshal(req)}); err != nil {
		m.forget(id)
		return nil, err
	}
	return s, nil
}

// forget drops a finished stream.
func (m *mux) forget(id uint32) {
	m.mu.Lock()
	delete(m.streams, id)
	m.mu.Unlock()
}

// write sends one frame.
func (m *mux) write(f wire.Frame) error {
	m.wmu.Lock()
	defer m.wmu.Unlock()
	if err := m.Err(); err != nil {
		return err
	}
	if err := wire.WriteFrame(m.w, f); err != nil {
		err = fmt.Errorf("%w: %w", ErrConnLost, err)
		m.fail(err)
		return err
	}
	return nil
}

// fail ends the connection with err (the first reason wins).
func (m *mux) fail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return
	}
	m.err = err
	close(m.done)
}

// Err returns why the connection ended, or nil while it is up.
func (m *mux) Err() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// Done is closed when the connection ends.
func (m *mux) Done() <-chan struct{} { return m.done }

// recv returns the next frame of the stream, or the connection's error.
func (s *stream) recv() (wire.Frame, error) {
	select {
	case f := <-s.in:
		return f, nil
	default:
	}
	select {
	case f := <-s.in:
		return f, nil
	case <-s.quit:
		return wire.Frame{}, errStreamClosed
	case <-s.end:
		// Frames that arrived before the end still count.
		select {
		case f := <-s.in:
			return f, nil
		default:
		}
		return wire.Frame{}, s.m.Err()
	}
}

// send writes a frame of type t on the stream.
func (s *stream) send(t wire.FrameType, payload []byte) error {
	return s.m.write(wire.Frame{Type: t, Stream: s.id, Payload: payload})
}

// sendJSON writes a frame whose payload is v as JSON.
func (s *stream) sendJSON(t wire.FrameType, v any) error { return s.send(t, wire.Marshal(v)) }

// sendError ends the stream with an error.
func (s *stream) sendError(code string, err error) error {
	defer s.close()
	return s.sendJSON(wire.Error, wire.ErrorMsg{Message: err.Error(), Code: code})
}

// close forgets the stream and ends receives on it.
func (s *stream) close() {
	s.m.forget(s.id)
	s.quitOnce.Do(func() { close(s.quit) })
}
