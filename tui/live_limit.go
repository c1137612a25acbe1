package tui

import "time"

// How often live mode patches between two refreshes: a burst of
// patchBurst at once (a process started, then exec'd, then exited, each
// shown as it happens), then one every 1/patchRate seconds; events that
// wait past the next refresh are read by that refresh, with the
// counters. On a busy host (busyRate process events in a second, or
// events lost, until the host has been calm for busyHold) there is one
// patch per busyEvery (or per refresh interval, if shorter): the cost
// degrades to periodic rescans.
const (
	patchBurst = 3
	patchRate  = 0.2
	busyRate   = 200
	busyHold   = 5 * time.Second
	busyEvery  = time.Second
)

// tickSlack: a patch that would start this close before the next
// refresh is left to that refresh.
const tickSlack = 150 * time.Millisecond

// liveFullFactor: the time between two full scans that events asked
// for (a new namespace or cgroup, lost events) is at least this many
// times the last full scan's duration, and at least Options.FullScanGap:
// where containers come and go all the time live mode scans no more
// often than polling did, at most a twentieth of the time.
const liveFullFactor = 20

// liveLimiter decides when live mode may patch between refreshes. It
// is a token bucket plus an event-rate window; all times come from the
// caller, so tests drive it with a fake clock.
type liveLimiter struct {
	tokens float64
	last   time.Time
	// winStart and winCount count process events in the current
	// one-second window; busyUntil is when the host counts as calm again.
	winStart  time.Time
	winCount  int
	busyUntil time.Time
}

// observe counts n process events at now; lost says the stream lost
// events (the reader or the kernel did not keep up).
func (l *liveLimiter) observe(n int, lost bool, now time.Time) {
	if now.Sub(l.winStart) >= time.Second {
		l.winStart, l.winCount = now, 0
	}
	l.winCount += n
	if lost || l.winCount >= busyRate {
		l.busyUntil = now.Add(busyHold)
	}
}

// busy reports whether the host is busy at now.
func (l *liveLimiter) busy(now time.Time) bool { return now.Before(l.busyUntil) }

// refill adds the tokens earned since the last call.
func (l *liveLimiter) refill(now time.Time) {
	if l.last.IsZero() {
		l.tokens, l.last = patchBurst, now
		return
	}
	if d := now.Sub(l.last); d > 0 {
		l.tokens = min(patchBurst, l.tokens+d.Seconds()*patchRate)
		l.last = now
	}
}

// nextPatch returns when a patch may start: now, when the bucket has a
// token again, or on a busy host every after last (the last patch).
func (l *liveLimiter) nextPatch(now time.Time, every time.Duration, last time.Time) time.Time {
	if l.busy(now) {
		if at := last.Add(every); at.After(now) {
			return at
		}
		return now
	}
	l.refill(now)
	if l.tokens >= 1 {
		return now
	}
	return now.Add(time.Duration((1 - l.tokens) / patchRate * float64(time.Second)))
}

// took spends a token for a patch started at now.
func (l *liveLimiter) took(now time.Time) {
	l.refill(now)
	l.tokens = max(0, l.tokens-1)
}

// liveFullGap is the least time between two full scans events ask for,
// given how long the last took and Options.FullScanGap.
func liveFullGap(lastScan, gap time.Duration) time.Duration {
	return max(gap, liveFullFactor*lastScan)
}
