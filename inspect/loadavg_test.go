package inspect

import (
	"bytes"
	"testing"
)

func TestParseLastPID(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
		ok   bool
	}{
		{"loadavg", "0.52 0.58 0.59 2/1180 31337\n", 31337, true},
		{"short", "0.52 0.58", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseLastPID([]byte(tc.in))
			if got != tc.want || ok != tc.ok {
				t.Errorf("parseLastPID(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func FuzzParseLastPID(f *testing.F) {
	f.Add([]byte("0.52 0.58 0.59 2/1180 31337\n"))
	f.Add([]byte("0.00 0.00 0.00 1/1 -1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pid, ok := parseLastPID(data)
		if !ok && pid != 0 {
			t.Errorf("parseLastPID(%q) = %d, false; want 0 when it fails", data, pid)
		}
		if ok && len(bytes.Fields(data)) < 5 {
			t.Errorf("parseLastPID(%q) accepted fewer than five fields", data)
		}
	})
}
