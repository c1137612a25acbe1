package record

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nscope/nscope/inspect"
)

// benchHost builds a snapshot shaped like the bench host of cmd/benchhost:
// 300 containers (an unshare parent, a shell and a sleep each, six
// namespaces, a cgroup in five v1 hierarchies with limits) and 3,000
// plain sleeps — 3,900 processes, 1,800 namespaces, 1,500 cgroups.
func benchHost(tb testing.TB) *inspect.Snapshot {
	tb.Helper()
	base := fixtureSnap(tb)
	tmpl := base.Processes[len(base.Processes)-1]
	hier := []struct {
		id   int
		name string
	}{{1, "cpu"}, {2, "cpuacct"}, {4, "memory"}, {8, "pids"}, {6, "freezer"}}
	s := &inspect.Snapshot{SchemaVersion: inspect.SchemaVersion, Time: time.Date(2026, 3, 4, 3, 0, 0, 0, time.UTC),
		ScanMethod: "bpf", Host: base.Host, CgroupMode: inspect.CgroupHybrid, Hierarchies: base.Hierarchies}
	init := base.Processes[0].NS
	pid := 1000
	proc := func(ppid int, comm string, args []string, ns inspect.NSSet, cg string) int {
		pid++
		p := tmpl
		p.PID, p.PPID, p.Comm, p.Cmdline, p.NS, p.NSpid = pid, ppid, comm, args, ns, []int{pid}
		p.PIDForChildren, p.TimeForChildren = ns[inspect.PIDNS], ns[inspect.TimeNS]
		p.Cgroups = nil
		for _, h := range hier {
			p.Cgroups = append(p.Cgroups, inspect.ProcCgroup{Hierarchy: h.id, Controllers: h.name, Path: cg})
		}
		s.Processes = append(s.Processes, p)
		return pid
	}
	cgroups := map[string][]int{}
	ino := uint64(4026540000)
	for c := range 300 {
		cg := fmt.Sprintf("/nscope-bench-1/c%d", c)
		parent := proc(1, "unshare", []string{"unshare", "--pid", "--net", "--mount", "--uts", "--ipc", "--cgroup", "--fork", "sh"}, init, cg)
		ns := init
		for _, t := range []inspect.NSType{inspect.MntNS, inspect.PIDNS, inspect.NetNS, inspect.IPCNS, inspect.UTSNS, inspect.CgroupNS} {
			ino++
			ns[t] = inspect.NSID{Dev: 4, Ino: ino}
		}
		sh := proc(parent, "sh", []string{"sh", "-c", "sleep 100000"}, ns, cg)
		sl := proc(sh, "sleep", []string{"sleep", "100000"}, ns, cg)
		cgroups[cg] = []int{parent, sh, sl}
		for _, t := range []inspect.NSType{inspect.MntNS, inspect.PIDNS, inspect.NetNS, inspect.IPCNS, inspect.UTSNS, inspect.CgroupNS} {
			s.Namespaces = append(s.Namespaces, inspect.Namespace{ID: ns[t], Type: t, OwnerUID: -1, Level: 1, Members: []int{sh, sl}})
		}
	}
	var plain []int
	for range 3000 {
		plain = append(plain, proc(1, "sleep", []string{"sleep", "100000"}, init, "/nscope-bench-1/plain"))
	}
	cgroups["/nscope-bench-1/plain"] = plain
	for _, h := range hier {
		for path, procs := range cgroups {
			c := inspect.Cgroup{Hierarchy: h.id, Path: path, Procs: procs, Raw: map[string]string{}}
			switch h.name {
			case "cpu":
				c.Limits.CPUQuotaUS, c.Limits.CPUPeriodUS, c.Limits.CPUShares = i64(50000), i64(100000), i64(1024)
				c.Usage.NrPeriods, c.Usage.NrThrottled, c.Usage.ThrottledUS = i64(1000), i64(3), i64(4000)
				c.Raw["cpu.cfs_quota_us"], c.Raw["cpu.cfs_period_us"], c.Raw["cpu.stat"] = "50000", "100000", "nr_periods 1000\nnr_throttled 3\nthrottled_time 4000000"
			case "cpuacct":
				c.Usage.CPUUsageUS = i64(123456)
				c.Raw["cpuacct.usage"] = "123456000"
			case "memory":
				c.Limits.MemoryMax = i64(256 << 20)
				c.Usage.MemoryCurrent = i64(3 << 20)
				c.Usage.MemoryEvents = &inspect.MemoryEvents{}
				c.Raw["memory.limit_in_bytes"], c.Raw["memory.usage_in_bytes"] = "268435456", "3145728"
			case "pids":
				c.Limits.PidsMax, c.Usage.PidsCurrent = i64(64), i64(3)
				c.Raw["pids.max"], c.Raw["pids.current"] = "64", "3"
			case "freezer":
				f := false
				c.Limits.Frozen = &f
				c.Raw["freezer.state"] = "THAWED"
			}
			s.Cgroups = append(s.Cgroups, c)
		}
	}
	s.Reindex()
	return s
}

// tick returns s one second later as a counter refresh sees it: a tenth
// of the processes and every CPU counter moved.
func tick(s *inspect.Snapshot, n int) *inspect.Snapshot {
	out := *s
	out.Time = s.Time.Add(time.Second)
	out.Processes = append([]inspect.Process(nil), s.Processes...)
	for i := n % 10; i < len(out.Processes); i += 10 {
		out.Processes[i].UTimeUS += 10000
		out.Processes[i].RSSBytes += 4096
	}
	out.Cgroups = append([]inspect.Cgroup(nil), s.Cgroups...)
	for i := range out.Cgroups {
		u := &out.Cgroups[i].Usage
		if u.CPUUsageUS != nil {
			u.CPUUsageUS = i64(*u.CPUUsageUS + int64(n%7)*1000)
		}
		if u.NrPeriods != nil {
			u.NrPeriods = i64(*u.NrPeriods + 10)
		}
	}
	// The copies share s's indexes, which depend only on the PIDs and
	// cgroup keys (as counters.Refresher's snapshots do).
	return &out
}

// BenchmarkWriteDelta measures recording one counter refresh of the
// bench host: the diff against the state before, its encoding, zstd and
// the write.
func BenchmarkWriteDelta(b *testing.B) { benchWrite(b, false) }

// BenchmarkWriteFull measures recording a full snapshot of the bench host.
func BenchmarkWriteFull(b *testing.B) { benchWrite(b, true) }

// benchWrite records a state a second, full or as deltas, and reports
// the bytes on disk per record.
func benchWrite(b *testing.B, full bool) {
	s := benchHost(b)
	w, err := Create(b.TempDir(), Options{FullEvery: 1000 * time.Hour, SegmentSpan: 1000 * time.Hour, SegmentBytes: 1 << 40})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Add(s, Extras{}, true); err != nil {
		b.Fatal(err)
	}
	var bytes int64
	n := 0
	for b.Loop() {
		n++
		s = tick(s, n)
		wr, err := w.Add(s, Extras{}, full)
		if err != nil {
			b.Fatal(err)
		}
		bytes += wr.Bytes
	}
	b.ReportMetric(float64(bytes)/float64(n), "disk-B/record")
}

var (
	hourOnce sync.Once
	hourDir  string
	hourSize int64
	hourErr  error
)

// hourRecording records an hour of the bench host once per test binary:
// a record a second, a full one a minute, segments of ten minutes.
func hourRecording(b *testing.B) (string, int64) {
	hourOnce.Do(func() {
		hourDir, hourErr = os.MkdirTemp("", "nscope-bench-hour-")
		if hourErr != nil {
			return
		}
		s := benchHost(b)
		var now time.Time
		w, err := Create(hourDir, Options{Now: func() time.Time { return now }})
		if err != nil {
			hourErr = err
			return
		}
		for n := range 3600 {
			if n > 0 {
				s = tick(s, n)
			}
			now = s.Time
			if _, err := w.Add(s, Extras{}, false); err != nil {
				hourErr = err
				return
			}
		}
		hourErr = w.Close()
		segs, _ := listSegments(hourDir)
		for _, sg := range segs {
			hourSize += sg.size
		}
	})
	if hourErr != nil {
		b.Fatal(hourErr)
	}
	return hourDir, hourSize
}

// BenchmarkSeek measures what a replay does to show a moment of an
// hour-long recording of the bench host: open the recording and rebuild
// the snapshot at a time (the worst case: 59 deltas after the full
// record before it).
func BenchmarkSeek(b *testing.B) {
	dir, size := hourRecording(b)
	start := time.Date(2026, 3, 4, 3, 0, 0, 0, time.UTC)
	n := 0
	b.ResetTimer()
	for b.Loop() {
		n++
		at := start.Add(time.Duration(n*997%60)*time.Minute + 59*time.Second)
		rec, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		snap, err := rec.At(at)
		if err != nil {
			b.Fatal(err)
		}
		if len(snap.Processes) != 3900 {
			b.Fatalf("%d processes at %s", len(snap.Processes), at)
		}
		rec.Close()
	}
	b.ReportMetric(float64(size)/(1<<20), "disk-MiB/hour")
}

// TestMain removes the hour-long recording the benchmarks made.
func TestMain(m *testing.M) {
	code := m.Run()
	if hourDir != "" {
		os.RemoveAll(hourDir)
	}
	os.Exit(code)
}
