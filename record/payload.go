package record

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nscope/nscope/inspect"
)

// Meta is the first record of every segment: how the recording was made.
type Meta struct {
	// Format is the segment format version.
	Format int `json:"format"`
	// Started is when the recorder that wrote the segment started.
	Started time.Time `json:"started"`
	// Interval is the recorder's counter interval, FullEvery its full
	// snapshot interval.
	Interval  time.Duration `json:"interval_ns"`
	FullEvery time.Duration `json:"full_every_ns"`
	Hostname  string        `json:"hostname,omitempty"`
	// RecorderPID is the PID of the recorder.
	RecorderPID int `json:"recorder_pid"`
}

// encodeFull returns the raw payload of a full record.
func encodeFull(buf *bytes.Buffer, snap *inspect.Snapshot, x *Extras) ([]byte, error) {
	buf.Reset()
	buf.Write([]byte{0, 0, 0, 0})
	if err := snap.WriteJSONCompact(buf); err != nil {
		return nil, fmt.Errorf("encode snapshot: %w", err)
	}
	b := buf.Bytes()
	binary.LittleEndian.PutUint32(b, uint32(len(b)-4))
	extra, err := json.Marshal(x)
	if err != nil {
		return nil, fmt.Errorf("encode extras: %w", err)
	}
	buf.Write(extra)
	return buf.Bytes(), nil
}

// decodeFull reads a full record's raw payload.
func decodeFull(raw []byte) (*inspect.Snapshot, *Extras, error) {
	if len(raw) < 4 {
		return nil, nil, fmt.Errorf("%w: full record of %d bytes", ErrDamaged, len(raw))
	}
	n := binary.LittleEndian.Uint32(raw)
	if uint64(n) > uint64(len(raw)-4) {
		return nil, nil, fmt.Errorf("%w: snapshot length %d past the record's end", ErrDamaged, n)
	}
	snap, err := inspect.Load(bytes.NewReader(raw[4 : 4+n]))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	x := &Extras{}
	if rest := bytes.TrimSpace(raw[4+n:]); len(rest) > 0 {
		if err := json.Unmarshal(rest, x); err != nil {
			return nil, nil, fmt.Errorf("%w: extras: %w", ErrDamaged, err)
		}
	}
	return snap, x, nil
}

// decodeDelta reads a delta record's raw payload.
func decodeDelta(raw []byte) (*Delta, error) {
	d := &Delta{}
	if err := json.Unmarshal(raw, d); err != nil {
		return nil, fmt.Errorf("%w: delta: %w", ErrDamaged, err)
	}
	return d, nil
}

// decodeMeta reads a meta record's raw payload.
func decodeMeta(raw []byte) (*Meta, error) {
	m := &Meta{}
	if err := json.Unmarshal(raw, m); err != nil {
		return nil, fmt.Errorf("%w: meta: %w", ErrDamaged, err)
	}
	return m, nil
}
