package inspect

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkRefresh measures one counter refresh of this host (the TUI's
// 1 s refresh between full scans) after the first, which reads
// everything. It reports per refresh the /proc/PID/stat files read
// ("stat-reads"), the cgroup counter files ("cg-reads"), the cgroup.procs
// files ("members-read") and the counter iterator's passes ("passes").
// Run it on the busy host of "go run ./cmd/benchhost up". The refreshes
// follow each other as fast as they run, so each sees a host that moved
// less than in a second.
func BenchmarkRefresh(b *testing.B) {
	s := New()
	defer s.Close()
	snap, err := s.Scan(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	// "keep" keeps every snapshot (as the TUI does); "recycle" hands
	// each back once it has the next (as the recorder does).
	for _, recycle := range []bool{false, true} {
		name := "keep"
		if recycle {
			name = "recycle"
		}
		b.Run(name, func(b *testing.B) {
			r, err := s.Refresher(snap)
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			at := snap.Time.Add(time.Second)
			res, err := r.Refresh(at)
			if err != nil && !errors.Is(err, ErrStructureChanged) {
				b.Fatal(err)
			}
			last := res.Snapshot
			r.stats = refreshStats{}
			b.ReportAllocs()
			cpu0 := processCPU(b)
			for b.Loop() {
				at = at.Add(time.Second)
				res, err := r.Refresh(at)
				if err != nil && !errors.Is(err, ErrStructureChanged) {
					b.Fatal(err)
				}
				if recycle {
					r.Recycle(last)
				}
				last = res.Snapshot
			}
			b.StopTimer()
			n := float64(r.stats.refreshes)
			b.ReportMetric(float64(processCPU(b)-cpu0)/n, "cpu-ns/op")
			b.ReportMetric(float64(r.stats.statReads)/n, "stat-reads")
			b.ReportMetric(float64(r.stats.cgroupReads)/n, "cg-reads")
			b.ReportMetric(float64(r.stats.membersRead)/n, "members-read")
			b.ReportMetric(float64(r.stats.passes)/n, "passes")
			b.ReportMetric(float64(len(snap.Processes)), "procs")
			b.ReportMetric(float64(len(snap.Cgroups)), "cgroups")
		})
	}
}

// processCPU is the CPU time this process has used, user and system, in
// ns: on a shared machine the wall time of an operation says more about
// the other load than about the operation.
func processCPU(b *testing.B) int64 {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
