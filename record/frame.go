package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"
)

// Kind says what a record holds.
type Kind uint8

// The record kinds.
const (
	// KindMeta is the first record of a segment: how it was recorded.
	KindMeta Kind = 1
	// KindFull is a whole snapshot.
	KindFull Kind = 2
	// KindDelta is what changed since the record before it.
	KindDelta Kind = 3
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case KindMeta:
		return "meta"
	case KindFull:
		return "full"
	case KindDelta:
		return "delta"
	}
	return fmt.Sprintf("kind %d", uint8(k))
}

// Codecs of a payload.
const (
	codecNone = 0
	codecZstd = 1
)

// Limits on one record. A snapshot of a 4,000-process host is about 5 MB
// of JSON; these leave room for hosts a hundred times bigger while keeping
// what a damaged or hostile file can make a reader allocate bounded.
const (
	// MaxPayload is the largest payload on disk.
	MaxPayload = 64 << 20
	// MaxRaw is the largest payload after decompression.
	MaxRaw = 256 << 20
)

// headerSize is the size of a record header; fileHeaderSize that of the
// segment file header.
const (
	headerSize     = 28
	fileHeaderSize = 16
	formatVersion  = 1
)

// fileMagic starts every segment file.
var fileMagic = [8]byte{'N', 'S', 'C', 'O', 'P', 'R', 'E', 'C'}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// header is a record header.
type header struct {
	PayloadLen  uint32
	RawLen      uint32
	Time        int64
	Kind        Kind
	Codec       uint8
	Marks       MarkKind
	ThrottlePct uint8
	CRC         uint32
}

// Errors of a record that cannot be read.
var (
	// ErrTorn: the record runs past the end of its file (a crash mid-write).
	ErrTorn = errors.New("record cut short")
	// ErrDamaged: the record's checksum or fields are wrong.
	ErrDamaged = errors.New("record damaged")
)

// appendFileHeader appends the segment file header.
func appendFileHeader(b []byte) []byte {
	b = append(b, fileMagic[:]...)
	b = binary.LittleEndian.AppendUint32(b, formatVersion)
	return binary.LittleEndian.AppendUint32(b, 0)
}

// parseFileHeader checks a segment file header.
func parseFileHeader(b []byte) error {
	if len(b) < fileHeaderSize {
		return fmt.Errorf("file header: %w", ErrTorn)
	}
	if [8]byte(b[:8]) != fileMagic {
		return errors.New("not an nscope recording segment (bad magic)")
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != formatVersion {
		return fmt.Errorf("segment format version %d is not supported (this nscope reads %d)", v, formatVersion)
	}
	return nil
}

// appendRecord appends the header for payload and the payload itself.
func appendRecord(b []byte, h header, payload []byte) []byte {
	start := len(b)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	b = binary.LittleEndian.AppendUint32(b, h.RawLen)
	b = binary.LittleEndian.AppendUint64(b, uint64(h.Time))
	b = append(b, byte(h.Kind), h.Codec)
	b = binary.LittleEndian.AppendUint16(b, uint16(h.Marks))
	b = append(b, h.ThrottlePct, 0, 0, 0)
	crc := crc32.Update(crc32.Checksum(b[start:start+24], castagnoli), castagnoli, payload)
	b = binary.LittleEndian.AppendUint32(b, crc)
	return append(b, payload...)
}

// parseHeader decodes a record header and checks its fields (not yet the
// CRC, which covers the payload too). avail is how many bytes the file
// holds from the start of the header on.
func parseHeader(b []byte, avail int64) (header, error) {
	if len(b) < headerSize || avail < headerSize {
		return header{}, ErrTorn
	}
	h := header{
		PayloadLen:  binary.LittleEndian.Uint32(b[0:]),
		RawLen:      binary.LittleEndian.Uint32(b[4:]),
		Time:        int64(binary.LittleEndian.Uint64(b[8:])),
		Kind:        Kind(b[16]),
		Codec:       b[17],
		Marks:       MarkKind(binary.LittleEndian.Uint16(b[18:])),
		ThrottlePct: b[20],
		CRC:         binary.LittleEndian.Uint32(b[24:]),
	}
	switch {
	case h.Kind < KindMeta || h.Kind > KindDelta, h.Codec > codecZstd, b[21]|b[22]|b[23] != 0:
		return h, fmt.Errorf("%w: unknown kind %d or codec %d", ErrDamaged, h.Kind, h.Codec)
	case h.PayloadLen > MaxPayload || h.RawLen > MaxRaw:
		return h, fmt.Errorf("%w: payload of %d bytes (%d raw) is over the limit", ErrDamaged, h.PayloadLen, h.RawLen)
	case h.Codec == codecNone && h.RawLen != h.PayloadLen:
		return h, fmt.Errorf("%w: raw length %d differs from stored length %d", ErrDamaged, h.RawLen, h.PayloadLen)
	case avail < headerSize+int64(h.PayloadLen):
		return h, ErrTorn
	}
	return h, nil
}

// checkCRC verifies the header's checksum over the header and payload.
func checkCRC(hdr []byte, h header, payload []byte) error {
	crc := crc32.Update(crc32.Checksum(hdr[:24], castagnoli), castagnoli, payload)
	if crc != h.CRC {
		return fmt.Errorf("%w: checksum mismatch", ErrDamaged)
	}
	return nil
}

// when returns the header's time.
func (h header) when() time.Time { return time.Unix(0, h.Time) }

// size is the whole record's size on disk.
func (h header) size() int64 { return headerSize + int64(h.PayloadLen) }
