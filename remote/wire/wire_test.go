package wire

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFrameRoundTrip(t *testing.T) {
	frames := []Frame{
		{Type: Hello, Payload: []byte(`{"program":"nscope"}`)},
		{Type: Request, Stream: 1, Payload: []byte(`{"op":"exec"}`)},
		{Type: Stdout, Stream: 1, Payload: []byte("line\n")},
		{Type: Stdin, Stream: 1, Payload: []byte{}},
		{Type: Exit, Stream: 4294967295, Payload: []byte(`{"code":3}`)},
	}
	var buf bytes.Buffer
	for _, f := range frames {
		if err := WriteFrame(&buf, f); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range frames {
		got, err := ReadFrame(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if want.Payload == nil {
			want.Payload = []byte{}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("frame (-want +got):\n%s", diff)
		}
	}
	if _, err := ReadFrame(&buf); !errors.Is(err, io.EOF) {
		t.Errorf("after the last frame: %v, want io.EOF", err)
	}
}

func TestReadFrameRefuses(t *testing.T) {
	tests := []struct {
		name  string
		input []byte
		want  error
	}{
		{"shell banner", []byte("Welcome to host\n"), ErrFrameTooLarge},
		{"too short a length", []byte{0, 0, 0, 2, 1, 0}, ErrNotNscope},
		{"unknown type", []byte{0, 0, 0, 5, 99, 0, 0, 0, 0}, ErrNotNscope},
		{"cut inside", []byte{0, 0, 0, 9, 1, 0, 0, 0, 0, 'x'}, io.ErrUnexpectedEOF},
		{"cut in the prefix", []byte{0, 0}, io.ErrUnexpectedEOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadFrame(bytes.NewReader(tc.input))
			if !errors.Is(err, tc.want) {
				t.Errorf("ReadFrame(%q) = %v, want %v", tc.input, err, tc.want)
			}
		})
	}
}

func TestNegotiate(t *testing.T) {
	hello := func(role string, newest, oldest int) HelloMsg {
		return HelloMsg{Program: "nscope", Role: role, Protocol: newest, MinProtocol: oldest, Version: role + "-build"}
	}
	tests := []struct {
		name          string
		client, agent HelloMsg
		want          int
		wantErr       string
	}{
		{"same", hello(RoleClient, 1, 1), hello(RoleAgent, 1, 1), 1, ""},
		{"newer client speaks the older agent's", hello(RoleClient, 3, 1), hello(RoleAgent, 2, 1), 2, ""},
		{"newer agent speaks the older client's", hello(RoleClient, 2, 1), hello(RoleAgent, 3, 2), 2, ""},
		{"agent too old", hello(RoleClient, 3, 2), hello(RoleAgent, 1, 1), 0, "upgrade nscope on db1, or run with --install"},
		{"client too old", hello(RoleClient, 1, 1), hello(RoleAgent, 3, 2), 0, "upgrade nscope here"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Negotiate(tc.client, tc.agent, "db1")
			if tc.wantErr != "" {
				if !errors.Is(err, ErrVersion) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Negotiate = %v, want an ErrVersion saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Negotiate = %d, %v, want %d", got, err, tc.want)
			}
		})
	}
}

func TestParseHello(t *testing.T) {
	h := NewHello(RoleAgent)
	got, err := ParseHello(h.Marshal())
	if err != nil || got != h {
		t.Fatalf("ParseHello(NewHello) = %+v, %v", got, err)
	}
	for _, bad := range []string{`{"program":"sshd"}`, `not json`, ``} {
		if _, err := ParseHello([]byte(bad)); !errors.Is(err, ErrNotNscope) {
			t.Errorf("ParseHello(%q) = %v, want ErrNotNscope", bad, err)
		}
	}
}

// FuzzReadFrame: whatever bytes arrive, ReadFrame returns a frame or an
// error, never panics, and a frame it returns encodes back to its bytes.
func FuzzReadFrame(f *testing.F) {
	f.Add(AppendFrame(nil, Frame{Type: Hello, Payload: []byte(`{}`)}))
	f.Add(AppendFrame(nil, Frame{Type: Stdout, Stream: 3, Payload: []byte("x")}))
	f.Add([]byte("SSH-2.0-OpenSSH_9.2\r\n"))
	f.Add([]byte{0, 0, 0, 5, 3, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := ReadFrame(bytes.NewReader(data))
		if err != nil {
			return
		}
		enc := AppendFrame(nil, fr)
		if !bytes.Equal(enc, data[:len(enc)]) {
			t.Fatalf("frame %+v encodes to %x, read from %x", fr, enc, data)
		}
	})
}
