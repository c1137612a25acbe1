package remote

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Payload encodings: the first byte of a reply says whether the rest is
// plain or zstd-compressed.
const (
	encPlain = 'p'
	encZstd  = 'z'
)

// compressAbove is the size from which a reply is compressed: small
// replies cost more to compress than to send.
const compressAbove = 4 << 10

// maxDecoded bounds what a compressed reply may expand to, so a peer
// cannot exhaust memory with a small frame.
const maxDecoded = 1 << 30

var (
	encOnce sync.Once
	encoder *zstd.Encoder
	decOnce sync.Once
	decoder *zstd.Decoder
)

func zstdEncoder() *zstd.Encoder {
	encOnce.Do(func() {
		encoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	})
	return encoder
}

func zstdDecoder() *zstd.Decoder {
	decOnce.Do(func() {
		decoder, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxDecoded), zstd.WithDecoderMaxWindow(64<<20))
	})
	return decoder
}

// pack returns raw as a payload, compressed when that pays.
func pack(raw []byte) []byte {
	if len(raw) < compressAbove {
		return append([]byte{encPlain}, raw...)
	}
	return zstdEncoder().EncodeAll(raw, []byte{encZstd})
}

// unpack returns the bytes of a payload made by pack.
func unpack(p []byte) ([]byte, error) {
	if len(p) == 0 {
		return nil, fmt.Errorf("empty payload: %w", io.ErrUnexpectedEOF)
	}
	switch p[0] {
	case encPlain:
		return p[1:], nil
	case encZstd:
		out, err := zstdDecoder().DecodeAll(p[1:], nil)
		if err != nil {
			return nil, fmt.Errorf("decompress: %w", err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("payload encoding %q: not one nscope writes", p[0])
}

// unpackJSON decodes a payload made by packJSON into v.
func unpackJSON(p []byte, v any) error {
	raw, err := unpack(p)
	if err != nil {
		return err
	}
	return unmarshal(raw, v)
}

// unmarshal decodes JSON, naming the type in the error.
func unmarshal(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %T: %w", v, err)
	}
	return nil
}

// bytesReader reads b.
func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
