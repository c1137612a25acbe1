package procview

import (
	"testing"

	"github.com/nscope/nscope/inspect"
)

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		name string
		in   int64
		want string
	}{
		{"zero", 0, "0 B"},
		{"bytes", 512, "512 B"},
		{"one KiB", 1024, "1 KiB"},
		{"fraction", 1536, "1.5 KiB"},
		{"256 MiB", 256 << 20, "256 MiB"},
		{"large rounds", 300 << 20, "300 MiB"},
		{"GiB fraction", 3435973837, "3.2 GiB"},
		{"unlimited", inspect.Unlimited, "max"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := FormatBytes(tc.in); got != tc.want {
				t.Errorf("FormatBytes(%d) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestFormatCPUQuota(t *testing.T) {
	tests := []struct {
		name          string
		quota, period int64
		want          string
	}{
		{"twenty percent", 20000, 100000, "20% of 1 CPU"},
		{"half", 50000, 100000, "50% of 1 CPU"},
		{"small", 1000, 100000, "1% of 1 CPU"},
		{"fractional small", 500, 100000, "0.5% of 1 CPU"},
		{"one", 100000, 100000, "1 CPU"},
		{"one and a half", 150000, 100000, "1.5 CPUs"},
		{"two", 200000, 100000, "2 CPUs"},
		{"unlimited", inspect.Unlimited, 100000, "unlimited"},
		{"bad period", 1000, 0, "?"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := FormatCPUQuota(tc.quota, tc.period); got != tc.want {
				t.Errorf("FormatCPUQuota(%d, %d) = %q, want %q", tc.quota, tc.period, got, tc.want)
			}
		})
	}
}

func TestFormatUS(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{850, "850µs"},
		{12_000, "12ms"},
		{3_400_000, "3.4s"},
		{302_000_000, "5m02s"},
		{7_980_000_000, "2h13m"},
	}
	for _, tc := range tests {
		if got := FormatUS(tc.in); got != tc.want {
			t.Errorf("FormatUS(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
