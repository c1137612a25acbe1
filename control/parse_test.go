package control

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/inspect"
)

func TestParseCPU(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    CPU
		wantErr string
	}{
		{name: "half a CPU", in: "0.5", want: CPU{Cores: 0.5}},
		{name: "two CPUs", in: "2", want: CPU{Cores: 2}},
		{name: "with unit", in: "1.5cpu", want: CPU{Cores: 1.5}},
		{name: "percent", in: "50%", want: CPU{Cores: 0.5}},
		{name: "percent over one CPU", in: "250%", want: CPU{Cores: 2.5}},
		{name: "spaces and case", in: "  MAX ", want: CPU{Unlimited: true}},
		{name: "none", in: "none", want: CPU{Unlimited: true}},
		{name: "raw pair", in: "50000 100000", want: CPU{QuotaUS: 50000, PeriodUS: 100000}},
		{name: "raw max with period", in: "max 20000", want: CPU{Unlimited: true, PeriodUS: 20000}},
		{name: "durations", in: "20ms 50ms", want: CPU{QuotaUS: 20000, PeriodUS: 50000}},
		{name: "empty", in: "", wantErr: `cpu "": empty`},
		{name: "negative", in: "-1", wantErr: `cpu "-1": negative`},
		{name: "zero", in: "0", wantErr: "must be above 0"},
		{name: "zero percent", in: "0%", wantErr: "must be above 0"},
		{name: "unknown unit", in: "2x", wantErr: `unknown unit "x"`},
		{name: "word", in: "half", wantErr: `want a number of CPUs`},
		{name: "exponent", in: "1e3", wantErr: `unknown unit "e3"`},
		{name: "nan", in: "NaN", wantErr: "want a number of CPUs"},
		{name: "period too short", in: "500 999", wantErr: "period 999µs is outside the allowed 1ms–1s"},
		{name: "period too long", in: "50000 2s", wantErr: "period 2s is outside the allowed 1ms–1s"},
		{name: "quota under 1ms", in: "999 100000", wantErr: "quota 999µs is under the 1ms"},
		{name: "three fields", in: "1 2 3", wantErr: "want a number of CPUs"},
		{name: "huge", in: "99999999999", wantErr: "too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCPU(tc.in)
			checkErr(t, err, tc.wantErr)
			if tc.wantErr == "" {
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("ParseCPU(%q) (-want +got):\n%s", tc.in, diff)
				}
			}
		})
	}
}

func TestCPUQuotaFor(t *testing.T) {
	tests := []struct {
		name    string
		cpu     CPU
		period  int64
		want    int64
		wantErr string
	}{
		{name: "half at default period", cpu: CPU{Cores: 0.5}, period: 100000, want: 50000},
		{name: "two CPUs at 10ms", cpu: CPU{Cores: 2}, period: 10000, want: 20000},
		{name: "rounds to nearest µs", cpu: CPU{Cores: 0.3333333}, period: 100000, want: 33333},
		{name: "unlimited", cpu: CPU{Unlimited: true}, period: 100000, want: inspect.Unlimited},
		{name: "raw quota", cpu: CPU{QuotaUS: 7000}, period: 100000, want: 7000},
		{name: "too small for the period", cpu: CPU{Cores: 0.005}, period: 100000, wantErr: "under the kernel's 1ms minimum; the smallest is 0.01 CPUs"},
		{name: "fits a long period", cpu: CPU{Cores: 0.005}, period: 1000000, want: 5000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.cpu.QuotaFor(tc.period)
			checkErr(t, err, tc.wantErr)
			if tc.wantErr == "" && got != tc.want {
				t.Errorf("QuotaFor(%d) = %d, want %d", tc.period, got, tc.want)
			}
		})
	}
}

func TestParseMemory(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int64
		wantErr string
	}{
		{name: "bytes", in: "536870912", want: 536870912},
		{name: "M", in: "512M", want: 512 << 20},
		{name: "MiB", in: "512MiB", want: 512 << 20},
		{name: "MB is binary too", in: "512MB", want: 512 << 20},
		{name: "lowercase k", in: "64k", want: 64 << 10},
		{name: "fractional G", in: "1.5G", want: 3 << 29},
		{name: "space before unit", in: "2 G", want: 2 << 30},
		{name: "T", in: "1T", want: 1 << 40},
		{name: "fraction rounds down to a byte", in: "0.0000001K", want: 0},
		{name: "max", in: "max", want: inspect.Unlimited},
		{name: "unlimited", in: "Unlimited", want: inspect.Unlimited},
		{name: "negative", in: "-5M", wantErr: `memory "-5M": negative`},
		{name: "unknown unit", in: "5Q", wantErr: `unknown unit "Q"`},
		{name: "percent", in: "50%", wantErr: "percentages are not supported"},
		{name: "fractional bytes", in: "1.5", wantErr: "fractional bytes"},
		{name: "empty", in: " ", wantErr: "empty"},
		{name: "overflow", in: "9999999P", wantErr: "too large"},
		{name: "int64 overflow bytes", in: "9223372036854775808", wantErr: "too large"},
		{name: "hex", in: "0x10", wantErr: `unknown unit "x10"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseMemory(tc.in)
			checkErr(t, err, tc.wantErr)
			if tc.wantErr == "" && got != tc.want {
				t.Errorf("ParseMemory(%q) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseIntegers(t *testing.T) {
	tests := []struct {
		name    string
		parse   func(string) (int64, error)
		in      string
		want    int64
		wantErr string
	}{
		{name: "pids", parse: ParsePids, in: "100", want: 100},
		{name: "pids zero stops forks", parse: ParsePids, in: "0", want: 0},
		{name: "pids max", parse: ParsePids, in: "max", want: inspect.Unlimited},
		{name: "pids largest", parse: ParsePids, in: "4194304", want: 4194304},
		{name: "pids too many", parse: ParsePids, in: "4194305", wantErr: "out of range; want a whole number of processes 0–4194304"},
		{name: "pids negative", parse: ParsePids, in: "-3", wantErr: "negative"},
		{name: "pids fraction", parse: ParsePids, in: "1.5", wantErr: "want a whole number"},
		{name: "weight", parse: ParseCPUWeight, in: "100", want: 100},
		{name: "weight zero", parse: ParseCPUWeight, in: "0", wantErr: `cpu weight "0": out of range; want a whole number 1–10000`},
		{name: "weight too big", parse: ParseCPUWeight, in: "10001", wantErr: "out of range"},
		{name: "shares", parse: ParseCPUShares, in: "512", want: 512},
		{name: "shares too small", parse: ParseCPUShares, in: "1", wantErr: "2–262144"},
		{name: "period µs", parse: ParsePeriod, in: "100000", want: 100000},
		{name: "period ms", parse: ParsePeriod, in: "10ms", want: 10000},
		{name: "period s", parse: ParsePeriod, in: "1s", want: 1000000},
		{name: "period under 1ms", parse: ParsePeriod, in: "999us", wantErr: "the period must be 1ms–1s"},
		{name: "period over 1s", parse: ParsePeriod, in: "1.5s", wantErr: "the period must be 1ms–1s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.parse(tc.in)
			checkErr(t, err, tc.wantErr)
			if tc.wantErr == "" && got != tc.want {
				t.Errorf("parse(%q) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseIOMax(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string
	}{
		{name: "one key", in: "8:0 rbps=1048576", want: "8:0 rbps=1048576"},
		{name: "units and max", in: "8:16 wbps=10M riops=max", want: "8:16 wbps=10485760 riops=max"},
		{name: "kernel order", in: "259:0 wiops=100 rbps=1K", want: "259:0 rbps=1024 wiops=100"},
		{name: "no keys", in: "8:0", wantErr: "want \"MAJ:MIN"},
		{name: "bad device", in: "sda rbps=1", wantErr: `device "sda" is not MAJ:MIN`},
		{name: "unknown key", in: "8:0 bps=1", wantErr: `unknown key "bps"`},
		{name: "twice", in: "8:0 rbps=1 rbps=2", wantErr: `key "rbps" given twice`},
		{name: "not key=value", in: "8:0 rbps", wantErr: `"rbps" is not key=value`},
		{name: "negative", in: "8:0 riops=-1", wantErr: "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseIOMax(tc.in)
			checkErr(t, err, tc.wantErr)
			if tc.wantErr == "" && got.String() != tc.want {
				t.Errorf("ParseIOMax(%q) = %q, want %q", tc.in, got.String(), tc.want)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	half, mem, pids := CPU{Cores: 0.5}, int64(512<<20), int64(100)
	got, err := ParseLimits("0.5", "512M", "100")
	if err != nil {
		t.Fatal(err)
	}
	want := Limits{CPU: &half, MemoryMax: &mem, PidsMax: &pids}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(Limits{})); diff != "" {
		t.Errorf("ParseLimits (-want +got):\n%s", diff)
	}
	if _, err := ParseLimits("", "200K", ""); err == nil || strings.Contains(err.Error(), "did you mean") || !strings.Contains(err.Error(), "1M minimum") {
		t.Errorf("ParseLimits memory 200K: %v, want the 1M minimum without a suggestion", err)
	}
	if _, err := ParseLimits("", "512", ""); err == nil || !strings.Contains(err.Error(), "did you mean 512M?") {
		t.Errorf("a bare 512 bytes hard limit: got %v, want the did-you-mean refusal", err)
	}
	if l, err := ParseLimits("", "", ""); err != nil || !l.IsEmpty() {
		t.Errorf("empty flags: got %+v, %v; want empty limits", l, err)
	}
}

func TestSetFile(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		value   string
		want    Limits
		wantErr string
	}{
		{name: "cpu.max raw", file: "cpu.max", value: "50000 100000", want: Limits{CPU: &CPU{QuotaUS: 50000, PeriodUS: 100000}}},
		{name: "cpu.max quota keeps period", file: "cpu.max", value: "50000", want: Limits{CPU: &CPU{QuotaUS: 50000}}},
		{name: "cpu.max friendly", file: "cpu.max", value: "0.5", want: Limits{CPU: &CPU{Cores: 0.5}}},
		{name: "cpu.max bare small number is µs", file: "cpu.max", value: "2", wantErr: `cpu.max "2": out of range; a bare number is the quota in microseconds`},
		{name: "cfs quota -1", file: "cpu.cfs_quota_us", value: "-1", want: Limits{CPU: &CPU{Unlimited: true}}},
		{name: "cfs quota percent", file: "cpu.cfs_quota_us", value: "20%", want: Limits{CPU: &CPU{Cores: 0.2}}},
		{name: "cfs period", file: "cpu.cfs_period_us", value: "50ms", want: Limits{CPUPeriodUS: ptr(int64(50000))}},
		{name: "cfs period too short", file: "cpu.cfs_period_us", value: "100", wantErr: "1ms–1s"},
		{name: "weight", file: "cpu.weight", value: "200", want: Limits{CPUWeight: ptr(int64(200))}},
		{name: "weight out of range", file: "cpu.weight", value: "20000", wantErr: `cpu.weight "20000": out of range; want a whole number 1–10000`},
		{name: "shares", file: "cpu.shares", value: "2048", want: Limits{CPUShares: ptr(int64(2048))}},
		{name: "memory.max", file: "memory.max", value: "1G", want: Limits{MemoryMax: ptr(int64(1 << 30))}},
		{name: "limit_in_bytes -1", file: "memory.limit_in_bytes", value: "-1", want: Limits{MemoryMax: ptr(inspect.Unlimited)}},
		{name: "memory.high", file: "memory.high", value: "256M", want: Limits{MemoryHigh: ptr(int64(256 << 20))}},
		{name: "memory.low zero", file: "memory.low", value: "0", want: Limits{MemoryLow: ptr(int64(0))}},
		{name: "pids.max", file: "pids.max", value: "64", want: Limits{PidsMax: ptr(int64(64))}},
		{name: "io.max", file: "io.max", value: "8:0 wbps=1M", want: Limits{IO: []IOLimit{mustIO("8:0 wbps=1M")}}},
		{name: "not allowed", file: "cgroup.procs", value: "1", wantErr: "cgroup.procs: nscope writes only"},
		{name: "freeze only via freeze", file: "cgroup.freeze", value: "1", wantErr: "file not allowed"},
		{name: "path in name", file: "../cpu.max", value: "1", wantErr: "file not allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got Limits
			err := got.SetFile(tc.file, tc.value)
			checkErr(t, err, tc.wantErr)
			if tc.wantErr == "" {
				if diff := cmp.Diff(tc.want, got, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".rawFiles" }, cmp.Ignore()), cmp.AllowUnexported(Limits{})); diff != "" {
					t.Errorf("SetFile(%s, %q) (-want +got):\n%s", tc.file, tc.value, diff)
				}
			}
		})
	}
	var l Limits
	if err := l.SetFile("memory.max", "1G"); err != nil {
		t.Fatal(err)
	}
	if err := l.SetFile("memory.limit_in_bytes", "2G"); err == nil || !strings.Contains(err.Error(), "already set") {
		t.Errorf("setting the memory limit twice: got %v, want an 'already set' error", err)
	}
}

func TestValueErrorIsInvalidValue(t *testing.T) {
	_, err := ParseMemory("lots")
	if !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("errors.Is(%v, ErrInvalidValue) = false", err)
	}
	var ve *ValueError
	if !errors.As(err, &ve) || ve.Input != "lots" || ve.What != "memory" {
		t.Errorf("ValueError = %+v, want What memory, Input lots", ve)
	}
}

// TestSharesToWeight checks the points opencontainers/cgroups' own test
// of ConvertCPUSharesToCgroupV2Value pins: the ends and the default of
// both ranges, their neighbours, and values outside the v1 range.
func TestSharesToWeight(t *testing.T) {
	tests := []struct {
		name   string
		shares int64
		weight int64
	}{
		{name: "below the minimum", shares: 1, weight: 1},
		{name: "minimum", shares: 2, weight: 1},
		{name: "just above the minimum", shares: 3, weight: 2},
		{name: "half the default", shares: 512, weight: 59},
		{name: "default", shares: 1024, weight: 100},
		{name: "just above the default", shares: 1025, weight: 101},
		{name: "just below the maximum", shares: 262143, weight: 10000},
		{name: "maximum", shares: 262144, weight: 10000},
		{name: "above the maximum", shares: 262145, weight: 10000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := SharesToWeight(tc.shares); got != tc.weight {
				t.Errorf("SharesToWeight(%d) = %d, want %d", tc.shares, got, tc.weight)
			}
		})
	}
}

// TestWeightToShares checks the inverse at the ends and the default, and
// that every weight converts to shares that convert back to it.
func TestWeightToShares(t *testing.T) {
	tests := []struct {
		name   string
		weight int64
		shares int64
	}{
		{name: "minimum", weight: 1, shares: 2},
		{name: "default", weight: 100, shares: 1024},
		{name: "maximum", weight: 10000, shares: 262144},
		{name: "below the minimum", weight: 0, shares: 2},
		{name: "above the maximum", weight: 10001, shares: 262144},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := WeightToShares(tc.weight); got != tc.shares {
				t.Errorf("WeightToShares(%d) = %d, want %d", tc.weight, got, tc.shares)
			}
		})
	}
	prev := int64(0)
	for w := int64(MinCPUWeight); w <= MaxCPUWeight; w++ {
		s := WeightToShares(w)
		if back := SharesToWeight(s); back != w || s <= prev {
			t.Fatalf("WeightToShares(%d) = %d, which converts back to %d (previous weight gave %d); want %d and rising", w, s, back, prev, w)
		}
		if s < MaxCPUShares && SharesToWeight(s+1) == w {
			t.Fatalf("WeightToShares(%d) = %d, but %d converts to %d too; want the largest", w, s, s+1, w)
		}
		prev = s
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Fatalf("no error, want one containing %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("error %q does not contain %q", err, want)
	}
}

func ptr[T any](v T) *T { return &v }

func mustIO(s string) IOLimit {
	l, err := ParseIOMax(s)
	if err != nil {
		panic(err)
	}
	return l
}
