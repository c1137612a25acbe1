package procview

import (
	"testing"

	"github.com/nscope/nscope/inspect"
)

func TestFormatBytesShort(t *testing.T) {
	tests := []struct {
		name string
		in   int64
		want string
	}{
		{"bytes", 512, "512B"},
		{"one KiB", 1024, "1.0K"},
		{"kilobytes", 14 << 10, "14K"},
		{"fraction", 3 << 19, "1.5M"},
		{"hundreds", 200 << 20, "200M"},
		{"carry to next unit", 1023<<20 + 1000<<10, "1.0G"},
		{"gigabytes", 3435973837, "3.2G"},
		{"unlimited", inspect.Unlimited, "max"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := FormatBytesShort(tc.in); got != tc.want {
				t.Errorf("FormatBytesShort(%d) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
