package record

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Segment and index file name extensions.
const (
	segmentExt = ".nsrec"
	indexExt   = ".nsidx"
)

// decoder decompresses payloads. DecodeAll may be called concurrently; the
// output never grows past the capacity it is given (the header's raw
// length), so a damaged record cannot make it allocate more.
var decoder = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(MaxRaw),
		zstd.WithDecodeAllCapLimit(true))
})

// scanRecords reads the records of a segment from offset from on,
// checking each one's length and checksum, and returns their entries
// (for segment seg). It stops at the end of the data, or at the first
// record that is torn or damaged and returns why (the entries before are
// good). It reads one record at a time, so its memory is bounded by
// MaxPayload.
func scanRecords(r io.ReaderAt, size, from int64, seg int) ([]Entry, error) {
	var out []Entry
	var hdr [headerSize]byte
	var payload []byte
	for off := from; off < size; {
		h, err := readHeader(r, hdr[:], off, size)
		if err != nil {
			return out, fmt.Errorf("record at offset %d: %w", off, err)
		}
		payload, err = readPayload(r, payload, h, off)
		if err == nil {
			err = checkCRC(hdr[:], h, payload)
		}
		if err != nil {
			return out, fmt.Errorf("record at offset %d: %w", off, err)
		}
		out = append(out, Entry{Time: h.when(), Kind: h.Kind, Marks: h.Marks, Throttle: h.ThrottlePct,
			segment: seg, offset: off, size: h.size()})
		off += h.size()
	}
	return out, nil
}

// readHeader reads and checks the record header at off of a file of size
// bytes into hdr.
func readHeader(r io.ReaderAt, hdr []byte, off, size int64) (header, error) {
	if size-off < headerSize {
		return header{}, ErrTorn
	}
	if _, err := r.ReadAt(hdr[:headerSize], off); err != nil {
		return header{}, readErr(err)
	}
	return parseHeader(hdr, size-off)
}

// readPayload reads the stored payload of the record at off into buf
// (grown as needed; parseHeader bounded the length).
func readPayload(r io.ReaderAt, buf []byte, h header, off int64) ([]byte, error) {
	if cap(buf) < int(h.PayloadLen) {
		buf = make([]byte, h.PayloadLen)
	}
	buf = buf[:h.PayloadLen]
	if _, err := r.ReadAt(buf, off+headerSize); err != nil {
		return buf, readErr(err)
	}
	return buf, nil
}

// readErr maps a short read to ErrTorn.
func readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrTorn
	}
	return err
}

// readRecord reads, checks and decompresses the record of entry e.
func readRecord(r io.ReaderAt, e Entry, size int64) (header, []byte, error) {
	var hdr [headerSize]byte
	h, err := readHeader(r, hdr[:], e.offset, size)
	if err != nil {
		return h, nil, err
	}
	if h.size() != e.size || h.Kind != e.Kind || h.Time != e.Time.UnixNano() {
		return h, nil, fmt.Errorf("%w: the record does not match its index entry", ErrDamaged)
	}
	payload, err := readPayload(r, nil, h, e.offset)
	if err != nil {
		return h, nil, err
	}
	if err := checkCRC(hdr[:], h, payload); err != nil {
		return h, nil, err
	}
	raw, err := decompress(h, payload)
	return h, raw, err
}

// decompress returns the raw payload of a checked record.
func decompress(h header, payload []byte) ([]byte, error) {
	if h.Codec == codecNone {
		return payload, nil
	}
	dec, err := decoder()
	if err != nil {
		return nil, err
	}
	raw, err := dec.DecodeAll(payload, make([]byte, 0, h.RawLen))
	if err != nil {
		return nil, fmt.Errorf("%w: decompress: %w", ErrDamaged, err)
	}
	if len(raw) != int(h.RawLen) {
		return nil, fmt.Errorf("%w: %d bytes after decompression, the header says %d", ErrDamaged, len(raw), h.RawLen)
	}
	return raw, nil
}
