package record

import (
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/nscope/nscope/inspect"
)

// usageMarks marks an OOM kill and throttling of cgroup c since old.
func usageMarks(marks []Mark, now time.Time, old, c *inspect.Cgroup) []Mark {
	if o, n := old.Usage.MemoryEvents, c.Usage.MemoryEvents; o != nil && n != nil && n.OOMKill > o.OOMKill {
		marks = append(marks, Mark{Kind: MarkOOMKill, Time: now, Hierarchy: c.Hierarchy, Cgroup: c.Path, Count: n.OOMKill - o.OOMKill})
	}
	if share := throttled(&old.Usage, &c.Usage); share >= MinThrottle {
		marks = append(marks, Mark{Kind: MarkThrottle, Time: now, Hierarchy: c.Hierarchy, Cgroup: c.Path, Throttled: share})
	}
	return marks
}

// throttled returns the share of CPU periods throttled between two usage
// readings, 0 when unknown.
func throttled(a, b *inspect.Usage) float64 {
	if a.NrPeriods == nil || b.NrPeriods == nil || a.NrThrottled == nil || b.NrThrottled == nil {
		return 0
	}
	periods, thr := *b.NrPeriods-*a.NrPeriods, *b.NrThrottled-*a.NrThrottled
	if periods <= 0 || thr <= 0 {
		return 0
	}
	return min(float64(thr)/float64(periods), 1)
}

// limitMarks marks every limit of c that differs from old, one mark per
// field, named by its JSON name in the snapshot.
func limitMarks(marks []Mark, now time.Time, old, c *inspect.Cgroup) []Mark {
	if sameLimits(&old.Limits, &c.Limits) {
		return marks
	}
	ov, nv := reflect.ValueOf(old.Limits), reflect.ValueOf(c.Limits)
	t := ov.Type()
	for i := 0; i < t.NumField(); i++ {
		a, b := ov.Field(i).Interface(), nv.Field(i).Interface()
		if reflect.DeepEqual(a, b) {
			continue
		}
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		marks = append(marks, Mark{Kind: MarkLimitChange, Time: now, Hierarchy: c.Hierarchy, Cgroup: c.Path,
			Limit: name, Old: limitText(a), New: limitText(b)})
	}
	return marks
}

// limitText renders one Limits field: "" when absent, "max" for
// Unlimited, the number, true/false, or the io.max entries.
func limitText(v any) string {
	switch x := v.(type) {
	case *int64:
		if x == nil {
			return ""
		}
		if *x == inspect.Unlimited {
			return "max"
		}
		return strconv.FormatInt(*x, 10)
	case *bool:
		if x == nil {
			return ""
		}
		return strconv.FormatBool(*x)
	case []inspect.IOMax:
		var parts []string
		for _, e := range x {
			parts = append(parts, strconv.Itoa(e.Major)+":"+strconv.Itoa(e.Minor)+
				" rbps="+ioText(e.RBps)+" wbps="+ioText(e.WBps)+" riops="+ioText(e.RIOps)+" wiops="+ioText(e.WIOps))
		}
		return strings.Join(parts, "; ")
	}
	return ""
}

func ioText(v int64) string {
	if v == inspect.Unlimited {
		return "max"
	}
	return strconv.FormatInt(v, 10)
}
