package inspect

import (
	"context"
	"errors"
	"testing"
	"time"
)

// BenchmarkRefresh measures one counter refresh of this host (the TUI's
// 1 s refresh between full scans), with the members of the cgroups that
// ran read again; "members-read" is how many cgroup.procs files a refresh
// read. Run it on the busy host of "go run ./cmd/benchhost up".
func BenchmarkRefresh(b *testing.B) {
	s := New()
	snap, err := s.Scan(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	r, err := s.Refresher(snap)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	at := snap.Time
	b.ReportAllocs()
	for b.Loop() {
		at = at.Add(time.Second)
		if _, err := r.Refresh(at); err != nil && !errors.Is(err, ErrStructureChanged) {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(r.membersRead)/float64(b.N), "members-read")
	b.ReportMetric(float64(len(snap.Processes)), "procs")
	b.ReportMetric(float64(len(snap.Cgroups)), "cgroups")
}
