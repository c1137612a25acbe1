package tui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// bumpingRefresher is a counter refresher whose refreshes copy the base's
// processes and give PID 412 rss more each time.
type bumpingRefresher struct {
	liveHostRefresher
	rss int64
}

func (r *bumpingRefresher) Refresh(now time.Time) (inspect.RefreshResult, error) {
	res, err := r.liveHostRefresher.Refresh(now)
	s := res.Snapshot
	s.Processes = slices.Clone(s.Processes)
	r.rss += 64 << 20
	for i := range s.Processes {
		if s.Processes[i].PID == 412 {
			s.Processes[i].RSSBytes = r.rss
		}
	}
	return res, err
}

// A counter refresh of the same full scan, sorted by PID, keeps the
// Processes rows and points them at the refreshed processes: the new
// numbers show without building the tree again. Sorted by memory, the
// rows are built again.
func TestProcessRowsRemappedOnRefresh(t *testing.T) {
	r := newLiveRigEvery(t, true, 10*time.Second)
	ref := &bumpingRefresher{liveHostRefresher: liveHostRefresher{h: r.host, base: r.m.ixBase}}
	r.m.ref = ref
	r.tick()
	rows := &r.m.list().rows[0]
	r.tick()
	if &r.m.list().rows[0] != rows {
		t.Error("a refresh of the same full scan built the rows again")
	}
	var bash *inspect.Process
	for _, row := range r.m.list().rows {
		if row.Process != nil && row.Process.PID == 412 {
			bash = row.Process
		}
	}
	if bash == nil || bash != r.m.snap.Process(412) || bash.RSSBytes != 128<<20 {
		t.Fatalf("the row of PID 412 shows %+v, want the refreshed process (128 MiB)", bash)
	}
	if s := r.screen(); !strings.Contains(s, "128M") {
		t.Errorf("the screen does not show the refreshed RSS:\n%s", s)
	}
	r.m.list().opt.Sort = procview.SortMemory
	r.m.list().dirty = true
	r.m.ensureRows()
	rows = &r.m.list().rows[0]
	r.tick()
	if &r.m.list().rows[0] == rows {
		t.Error("sorted by memory, a refresh kept the old rows")
	}
}
