package tui

import (
	"testing"
	"time"

	"github.com/nscope/nscope/inspect"
)

// BenchmarkCounterRefresh4k measures what the app does once a second on
// a quiet 4,000-process host besides the counter refresher itself: apply
// a counter refresh of the full scan (same structure, new counters) and
// render the frame.
func BenchmarkCounterRefresh4k(b *testing.B) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	base := bigHost(b, 4000, t0, 1000)
	refreshed := []*inspect.Snapshot{bigHost(b, 4000, t0.Add(time.Second), 2000), bigHost(b, 4000, t0.Add(2*time.Second), 3000)}
	m := liveModel(b, 160, 50, base)
	cpu := map[int]float64{1: 3.5, 100: 1.25}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		send(m, scanMsg{gen: m.gen, snap: refreshed[i%2], refreshed: true, procCPU: cpu, base: base})
		_ = m.View()
		i++
	}
}

// BenchmarkOverlayApply4k measures applying a live overlay (a few new
// processes, one exited) to a counter refresh of a 4,000-process host:
// what a patch and every refresh with an overlay cost.
func BenchmarkOverlayApply4k(b *testing.B) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	raw := bigHost(b, 4000, t0, 1000)
	ov := (&overlay{}).clone()
	for i := range 5 {
		p := raw.Processes[100+i]
		p.PID = 5000 + i
		p.StartTime = t0
		ov.procs[p.PID] = ovProc{p: p, own: true}
	}
	ov.gone[raw.Processes[200].PID] = struct{}{}
	b.ReportAllocs()
	for b.Loop() {
		if _, unknown := ov.apply(raw); unknown {
			b.Fatal("unknown")
		}
	}
}
