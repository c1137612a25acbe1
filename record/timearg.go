package record

import (
	"fmt"
	"strings"
	"time"
)

// ParseTime reads a moment given on the command line, relative to now:
//
//   - RFC 3339, e.g. 2026-03-04T03:12:00Z or 2026-03-04T03:12:00.5+01:00;
//   - a local date and time, "2026-03-04 03:12" or "2026-03-04 03:12:30";
//   - a local time of day, "03:12" or "03:12:30": the most recent such
//     moment (today, or yesterday when that time has not come yet today);
//   - a time ago, "-5m", "-1h30m", "-90s"; "now".
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "now" {
		return now, nil
	}
	if strings.HasPrefix(s, "-") {
		d, err := time.ParseDuration(s)
		if err != nil {
			return time.Time{}, fmt.Errorf("time %q: %q is not a duration like -5m or -1h30m", s, s)
		}
		return now.Add(d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	loc := now.Location()
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"15:04:05.999999999", "15:04:05", "15:04"} {
		clock, err := time.ParseInLocation(layout, s, loc)
		if err != nil {
			continue
		}
		y, m, d := now.Date()
		t := time.Date(y, m, d, clock.Hour(), clock.Minute(), clock.Second(), clock.Nanosecond(), loc)
		if t.After(now) {
			t = time.Date(y, m, d-1, clock.Hour(), clock.Minute(), clock.Second(), clock.Nanosecond(), loc)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("time %q: want RFC 3339 (2026-03-04T03:12:00Z), a local date and time (2026-03-04 03:12), a time of day (03:12 or 03:12:30), or a time ago (-5m)", s)
}
