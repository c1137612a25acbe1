package control

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/nscope/nscope/inspect"
)

// The fuzz targets check that parsers never panic, that every failure is
// a *ValueError naming the input, and that accepted values are in the
// kernel's range and survive a round trip through the written form.

func FuzzParseCPU(f *testing.F) {
	for _, s := range []string{"0.5", "2", "50%", "max", "50000 100000", "max 20000", "20ms 50ms", "1.5cpu", "-1", "0", "1e3", "NaN", "", "1 2 3", ".", "9999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCPU(s)
		if err != nil {
			requireValueError(t, err, s)
			return
		}
		for _, period := range []int64{MinPeriodUS, DefaultPeriodUS, MaxPeriodUS} {
			q, err := c.QuotaFor(period)
			if err != nil {
				requireValueError(t, err, c.String())
				continue
			}
			if q != inspect.Unlimited && (q < MinQuotaUS || q > MaxQuotaUS) {
				t.Fatalf("ParseCPU(%q).QuotaFor(%d) = %d, outside the kernel's range", s, period, q)
			}
		}
		if c.PeriodUS != 0 && (c.PeriodUS < MinPeriodUS || c.PeriodUS > MaxPeriodUS) {
			t.Fatalf("ParseCPU(%q) period %d outside 1ms–1s", s, c.PeriodUS)
		}
	})
}

func FuzzParseMemory(f *testing.F) {
	for _, s := range []string{"512M", "1.5G", "536870912", "max", "64k", "-5M", "50%", "1.5", "9999999P", "0x10", "2 G", "KiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseMemory(s)
		if err != nil {
			requireValueError(t, err, s)
			return
		}
		if v < 0 && v != inspect.Unlimited {
			t.Fatalf("ParseMemory(%q) = %d, negative", s, v)
		}
		if v == inspect.Unlimited {
			return
		}
		back, err := ParseMemory(strconv.FormatInt(v, 10))
		if err != nil || back != v {
			t.Fatalf("ParseMemory(%q) = %d, but its written form parses as %d, %v", s, v, back, err)
		}
	})
}

func FuzzParsePids(f *testing.F) {
	for _, s := range []string{"100", "0", "max", "4194304", "4194305", "-3", "1.5", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParsePids(s)
		if err != nil {
			requireValueError(t, err, s)
			return
		}
		if v != inspect.Unlimited && (v < 0 || v > MaxPids) {
			t.Fatalf("ParsePids(%q) = %d, outside 0–%d", s, v, MaxPids)
		}
	})
}

func FuzzParseIOMax(f *testing.F) {
	for _, s := range []string{"8:0 rbps=1048576", "8:16 wbps=10M riops=max", "8:0", "sda rbps=1", "8:0 rbps=1 rbps=2", "259:0 wiops=100 rbps=1K"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseIOMax(s)
		if err != nil {
			requireValueError(t, err, "")
			return
		}
		again, err := ParseIOMax(l.String())
		if err != nil || again.String() != l.String() {
			t.Fatalf("ParseIOMax(%q) renders %q, which parses as %q, %v", s, l.String(), again.String(), err)
		}
	})
}

func FuzzSetFile(f *testing.F) {
	files := append(append([]string(nil), V2Files...), V1Files...)
	for i, s := range []string{"50000 100000", "200", "512M", "-1", "max", "8:0 wbps=1M", "10ms", "2048", "0.5", "20%", "1", "x"} {
		f.Add(files[i%len(files)], s)
	}
	f.Fuzz(func(t *testing.T, file, value string) {
		var l Limits
		err := l.SetFile(file, value)
		if err != nil {
			if !errors.Is(err, ErrInvalidValue) && !errors.Is(err, ErrNotAllowed) {
				t.Fatalf("SetFile(%q, %q) error %v is neither ErrInvalidValue nor ErrNotAllowed", file, value, err)
			}
			return
		}
		if l.IsEmpty() {
			t.Fatalf("SetFile(%q, %q) succeeded but set nothing", file, value)
		}
		if fileVersion(file) < 0 {
			t.Fatalf("SetFile accepted a file off the allowlist: %q", file)
		}
	})
}

// requireValueError fails unless err is a *ValueError whose Input is in
// (or equals) the input, so the message names what the user typed.
func requireValueError(t *testing.T, err error, input string) {
	t.Helper()
	var ve *ValueError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T) is not a *ValueError", err, err)
	}
	if input != "" && !strings.Contains(input, ve.Input) {
		t.Fatalf("error %q names input %q, not part of %q", err, ve.Input, input)
	}
}
