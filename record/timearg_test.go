package record

import (
	"strings"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	loc := time.FixedZone("X", 3600)
	now := time.Date(2026, 3, 4, 10, 30, 0, 0, loc)
	tests := []struct {
		name, in string
		want     time.Time
		err      string
	}{
		{"rfc3339", "2026-03-04T03:12:00Z", time.Date(2026, 3, 4, 3, 12, 0, 0, time.UTC), ""},
		{"rfc3339 nano", "2026-03-04T03:12:00.25+01:00", time.Date(2026, 3, 4, 3, 12, 0, 250e6, loc), ""},
		{"local date time", "2026-03-01 08:00", time.Date(2026, 3, 1, 8, 0, 0, 0, loc), ""},
		{"clock today", "03:12", time.Date(2026, 3, 4, 3, 12, 0, 0, loc), ""},
		{"clock with seconds", "10:29:59", time.Date(2026, 3, 4, 10, 29, 59, 0, loc), ""},
		{"clock later today is yesterday", "23:50", time.Date(2026, 3, 3, 23, 50, 0, 0, loc), ""},
		{"ago", "-5m", now.Add(-5 * time.Minute), ""},
		{"ago compound", "-1h30m", now.Add(-90 * time.Minute), ""},
		{"now", "now", now, ""},
		{"bad duration", "-5x", time.Time{}, "not a duration"},
		{"garbage", "yesterday", time.Time{}, "want RFC 3339"},
		{"bad clock", "25:00", time.Time{}, "want RFC 3339"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseTime(tc.in, now)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseTime(%q) = %v, %v; want error with %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || !got.Equal(tc.want) {
				t.Fatalf("ParseTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestParseRetention(t *testing.T) {
	tests := []struct {
		name, in string
		want     Retention
		err      string
	}{
		{"age", "24h", Retention{Age: 24 * time.Hour}, ""},
		{"days", "7d", Retention{Age: 7 * 24 * time.Hour}, ""},
		{"size", "2GiB", Retention{Bytes: 2 << 30}, ""},
		{"decimal size", "500MB", Retention{Bytes: 500e6}, ""},
		{"both", "24h,2GiB", Retention{Age: 24 * time.Hour, Bytes: 2 << 30}, ""},
		{"empty", "", Retention{}, "empty retention"},
		{"garbage", "lots", Retention{}, "neither a duration"},
		{"two ages", "1h,2h", Retention{}, "neither a duration"},
		{"tiny size", "1MiB", Retention{}, "at least 16MiB"},
		{"tiny age", "10s", Retention{}, "at least 1m"},
		{"negative", "-1h", Retention{}, "neither a duration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRetention(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseRetention(%q) = %v, %v; want error with %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseRetention(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
		})
	}
}
