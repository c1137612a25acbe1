package inspect

import (
	"context"
	"testing"
)

// BenchmarkScan measures a full scan of this host: processes, namespaces
// with holders and hierarchy, cgroups with data. Run it on the busy host
// that "go run ./cmd/benchhost up" builds for figures that mean something.
func BenchmarkScan(b *testing.B) {
	s := newScanner(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		snap, err := s.Scan(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(snap.Processes)), "procs")
	}
}

// BenchmarkScanProcessesOnly measures the /proc walk without namespace
// holders and cgroups.
func BenchmarkScanProcessesOnly(b *testing.B) {
	s := newScanner(b, WithFDs(false), WithMounts(false), WithCgroups(false))
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.Scan(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
