package counters

import (
	"testing"
)

func TestLastPID(t *testing.T) {
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
			got, ok := lastPID([]byte(tc.in))
			if got != tc.want || ok != tc.ok {
				t.Errorf("lastPID(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}
