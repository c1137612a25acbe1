package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// FrameType says what a frame carries.
type FrameType byte

// The frame types. Hello opens the connection in both directions;
// Request opens a stream; Reply, Error and Exit close it; Stdin, Stdout,
// Stderr, Resize and Signal belong to an exec stream; Ping and Pong keep
// the connection alive and prove it is.
const (
	Hello   FrameType = 1
	Request FrameType = 2
	Reply   FrameType = 3
	Error   FrameType = 4
	Stdin   FrameType = 5
	Stdout  FrameType = 6
	Stderr  FrameType = 7
	Resize  FrameType = 8
	Signal  FrameType = 9
	Exit    FrameType = 10
	Ping    FrameType = 11
	Pong    FrameType = 12
)

var frameNames = map[FrameType]string{
	Hello: "hello", Request: "request", Reply: "reply", Error: "error",
	Stdin: "stdin", Stdout: "stdout", Stderr: "stderr", Resize: "resize",
	Signal: "signal", Exit: "exit", Ping: "ping", Pong: "pong",
}

// String names the type, e.g. "reply".
func (t FrameType) String() string {
	if n, ok := frameNames[t]; ok {
		return n
	}
	return fmt.Sprintf("frame type %d", byte(t))
}

// MaxFrame is the largest frame body either side accepts: a compressed
// snapshot of a busy host is a few MiB; anything near this is a peer
// that is not nscope, or a damaged stream.
const MaxFrame = 64 << 20

// headerLen is the length prefix; bodyHeaderLen the type and stream.
const (
	headerLen     = 4
	bodyHeaderLen = 5
)

// Frame is one frame: its type, its stream and its payload.
type Frame struct {
	Type    FrameType
	Stream  uint32
	Payload []byte
}

// ErrFrameTooLarge says a peer announced a frame larger than MaxFrame.
var ErrFrameTooLarge = errors.New("frame larger than the protocol allows")

// ErrNotNscope says the bytes on the stream are not nscope frames: most
// often a shell's login banner or an error message from a remote whose
// "nscope" is something else.
var ErrNotNscope = errors.New("the remote did not answer in nscope's protocol")

// AppendFrame appends the encoding of f to b.
func AppendFrame(b []byte, f Frame) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(bodyHeaderLen+len(f.Payload)))
	b = append(b, byte(f.Type))
	b = binary.BigEndian.AppendUint32(b, f.Stream)
	return append(b, f.Payload...)
}

// WriteFrame writes f to w in one Write.
func WriteFrame(w io.Writer, f Frame) error {
	if len(f.Payload) > MaxFrame-bodyHeaderLen {
		return fmt.Errorf("write %s frame of %d bytes: %w", f.Type, len(f.Payload), ErrFrameTooLarge)
	}
	_, err := w.Write(AppendFrame(make([]byte, 0, headerLen+bodyHeaderLen+len(f.Payload)), f))
	return err
}

// ParseLength reads a frame's length prefix: the number of bytes that
// follow it. It fails on a length too small to hold the type and stream
// or larger than MaxFrame.
func ParseLength(prefix []byte) (int, error) {
	if len(prefix) < headerLen {
		return 0, io.ErrUnexpectedEOF
	}
	n := binary.BigEndian.Uint32(prefix)
	switch {
	case n < bodyHeaderLen:
		return 0, fmt.Errorf("frame length %d: %w", n, ErrNotNscope)
	case n > MaxFrame:
		return 0, fmt.Errorf("frame length %d (at most %d): %w", n, MaxFrame, ErrFrameTooLarge)
	}
	return int(n), nil
}

// ParseBody splits a frame body (what follows the length prefix) into
// type, stream and payload. The payload aliases body.
func ParseBody(body []byte) (Frame, error) {
	if len(body) < bodyHeaderLen {
		return Frame{}, fmt.Errorf("frame of %d bytes: %w", len(body), ErrNotNscope)
	}
	t := FrameType(body[0])
	if _, known := frameNames[t]; !known {
		return Frame{}, fmt.Errorf("%s: %w", t, ErrNotNscope)
	}
	return Frame{Type: t, Stream: binary.BigEndian.Uint32(body[1:5]), Payload: body[5:]}, nil
}

// ReadFrame reads one frame from r. io.EOF means the stream ended
// cleanly between frames; io.ErrUnexpectedEOF that it ended inside one.
func ReadFrame(r io.Reader) (Frame, error) {
	var prefix [headerLen]byte
	if _, err := io.ReadFull(r, prefix[:]); err != nil {
		return Frame{}, err
	}
	n, err := ParseLength(prefix[:])
	if err != nil {
		return Frame{}, err
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return Frame{}, err
	}
	return ParseBody(body)
}
