package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"
)

// Entry is one record of a recording as its index describes it: where it
// is, when it was taken, what it is and which marks it carries.
type Entry struct {
	Time time.Time
	Kind Kind
	// Marks are the kinds of event marks the record carries; Throttle the
	// highest share of CPU periods a cgroup was throttled in, percent.
	Marks    MarkKind
	Throttle uint8
	// segment is the index of the segment in the recording; offset and
	// size place the record in it.
	segment int
	offset  int64
	size    int64
}

// indexMagic starts every index file; indexEntrySize is one entry.
var indexMagic = [8]byte{'N', 'S', 'C', 'O', 'P', 'I', 'D', 'X'}

const indexEntrySize = 32

// appendIndexHeader appends an index file's header.
func appendIndexHeader(b []byte) []byte {
	b = append(b, indexMagic[:]...)
	b = binary.LittleEndian.AppendUint32(b, formatVersion)
	return binary.LittleEndian.AppendUint32(b, 0)
}

// appendIndexEntry appends the index entry of the record at offset.
func appendIndexEntry(b []byte, h header, offset int64) []byte {
	start := len(b)
	b = binary.LittleEndian.AppendUint64(b, uint64(h.Time))
	b = binary.LittleEndian.AppendUint64(b, uint64(offset))
	b = binary.LittleEndian.AppendUint32(b, uint32(h.size()))
	b = append(b, byte(h.Kind), h.ThrottlePct)
	b = binary.LittleEndian.AppendUint16(b, uint16(h.Marks))
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[start:start+24], castagnoli))
	return binary.LittleEndian.AppendUint32(b, 0)
}

// parseIndex decodes an index file's entries for a segment of segSize
// bytes. It stops at the first entry that is torn, damaged, out of order
// or points outside the segment, and says why; the entries before it are
// good.
func parseIndex(b []byte, segSize int64) ([]Entry, error) {
	if len(b) < fileHeaderSize {
		return nil, fmt.Errorf("index header: %w", ErrTorn)
	}
	if [8]byte(b[:8]) != indexMagic || binary.LittleEndian.Uint32(b[8:]) != formatVersion {
		return nil, errors.New("not an nscope recording index of this version")
	}
	b = b[fileHeaderSize:]
	var out []Entry
	next := int64(fileHeaderSize)
	for len(b) > 0 {
		if len(b) < indexEntrySize {
			return out, fmt.Errorf("index entry %d: %w", len(out), ErrTorn)
		}
		e := b[:indexEntrySize]
		b = b[indexEntrySize:]
		if crc32.Checksum(e[:24], castagnoli) != binary.LittleEndian.Uint32(e[24:]) {
			return out, fmt.Errorf("index entry %d: %w", len(out), ErrDamaged)
		}
		ent := Entry{
			Time:     time.Unix(0, int64(binary.LittleEndian.Uint64(e[0:]))),
			offset:   int64(binary.LittleEndian.Uint64(e[8:])),
			size:     int64(binary.LittleEndian.Uint32(e[16:])),
			Kind:     Kind(e[20]),
			Throttle: e[21],
			Marks:    MarkKind(binary.LittleEndian.Uint16(e[22:])),
		}
		// Records follow each other without gaps, so an entry must start
		// where the one before ended.
		if ent.offset != next || ent.size < headerSize {
			return out, fmt.Errorf("index entry %d does not match the segment: %w", len(out), ErrDamaged)
		}
		if ent.offset+ent.size > segSize {
			// The index reached the disk before the segment's last record
			// did (or that record was cut off): the segment decides.
			return out, fmt.Errorf("index entry %d is past the segment's end: %w", len(out), ErrTorn)
		}
		next = ent.offset + ent.size
		out = append(out, ent)
	}
	return out, nil
}
