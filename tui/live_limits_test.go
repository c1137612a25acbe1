package tui

import (
	"testing"
	"time"
)

// limitsRefresher is a counter refresher whose CheckLimits says what the
// test sets.
type limitsRefresher struct {
	liveHostRefresher
	changed bool
	checks  int
}

func (r *limitsRefresher) CheckLimits() bool {
	r.checks++
	return r.changed
}

// In live mode the periodic full scan comes every liveFullEvery, not
// every minute: the refreshes read the limit files instead, and a limit
// another tool wrote takes a full scan at once. Polling, a minute still
// takes one.
func TestLiveFullScansForLimits(t *testing.T) {
	r := newLiveRigEvery(t, true, time.Second)
	ref := &limitsRefresher{liveHostRefresher: liveHostRefresher{h: r.host, base: r.m.ixBase}}
	r.m.ref = ref
	r.now = r.now.Add(61 * time.Second)
	r.tick()
	if r.host.scans != 1 || ref.checks != 1 {
		t.Fatalf("a minute on, live: %d full scans and %d limit checks, want 1 and 1", r.host.scans, ref.checks)
	}
	ref.changed = true
	r.now = r.now.Add(time.Second)
	r.tick()
	if r.host.scans != 2 {
		t.Errorf("after a limit changed: %d full scans, want 2", r.host.scans)
	}

	p := newLiveRigEvery(t, false, time.Second)
	pref := &limitsRefresher{liveHostRefresher: liveHostRefresher{h: p.host, base: p.m.ixBase}}
	p.m.ref = pref
	p.now = p.now.Add(61 * time.Second)
	p.tick()
	if p.host.scans != 2 || pref.checks != 0 {
		t.Errorf("a minute on, polling: %d full scans and %d limit checks, want 2 and none", p.host.scans, pref.checks)
	}
}
