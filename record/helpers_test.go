package record

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/nscope/nscope/inspect"
)

// fixtureSnap scans the hybrid-host fixture tree.
func fixtureSnap(t testing.TB) *inspect.Snapshot {
	t.Helper()
	root := filepath.Join("..", "testdata", "hybridhost")
	s := inspect.New(inspect.ProcRoot(filepath.Join(root, "proc")), inspect.SysRoot(filepath.Join(root, "sys")),
		inspect.RunRoot(filepath.Join(root, "run")), inspect.EtcRoot(filepath.Join(root, "etc")))
	snap, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// clone returns an independent copy of s through its JSON.
func clone(t testing.TB, s *inspect.Snapshot) *inspect.Snapshot {
	t.Helper()
	out, err := inspect.Load(bytes.NewReader([]byte(jsonOf(t, s))))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// jsonOf returns the snapshot as "nscope snapshot" prints it.
func jsonOf(t testing.TB, s *inspect.Snapshot) string {
	t.Helper()
	var b bytes.Buffer
	if err := s.WriteJSONCompact(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// next returns a copy of s at time s.Time+step with f applied, reindexed.
func next(t testing.TB, s *inspect.Snapshot, step time.Duration, f func(*inspect.Snapshot)) *inspect.Snapshot {
	t.Helper()
	out := clone(t, s)
	out.Time = s.Time.Add(step)
	if f != nil {
		f(out)
	}
	out.Reindex()
	return out
}

func i64(v int64) *int64 { return &v }

// scene returns a scripted history of n states a second apart, starting
// from the fixture: counters move every second, and now and then a
// process starts or exits, a namespace appears or goes, a limit changes,
// an OOM kill and throttling happen.
func scene(t testing.TB, n int) []*inspect.Snapshot {
	t.Helper()
	base := fixtureSnap(t)
	base.Time = time.Date(2026, 3, 4, 3, 12, 0, 0, time.Local)
	out := []*inspect.Snapshot{clone(t, base)}
	for i := 1; i < n; i++ {
		out = append(out, next(t, out[i-1], time.Second, func(s *inspect.Snapshot) { step(s, i) }))
	}
	return out
}

// step changes s as second i of the scene.
func step(s *inspect.Snapshot, i int) {
	s.ScanDuration = time.Duration(i) * time.Millisecond
	for j := range s.Processes {
		p := &s.Processes[j]
		if (j+i)%3 == 0 {
			p.UTimeUS += 10000
			p.RSSBytes += 4096
			p.State = "R"
		} else {
			p.State = "S"
		}
	}
	for j := range s.Cgroups {
		c := &s.Cgroups[j]
		if c.Usage.CPUUsageUS != nil {
			c.Usage.CPUUsageUS = i64(*c.Usage.CPUUsageUS + int64(1000*i))
		}
		if c.Usage.NrPeriods != nil && c.Usage.NrThrottled != nil && i%7 == 0 {
			c.Usage.NrPeriods = i64(*c.Usage.NrPeriods + 10)
			c.Usage.NrThrottled = i64(*c.Usage.NrThrottled + 5)
		}
	}
	switch i % 10 {
	case 2: // a process starts, in the first process's namespaces
		p := s.Processes[0]
		p.PID = 900000 + i
		p.PPID = s.Processes[0].PID
		p.Comm = "worker"
		p.Cmdline = []string{"worker", "--n", string(rune('a' + i%26))}
		p.StartTime = s.Time
		s.Processes = append(s.Processes, p)
		for k := range s.Namespaces {
			if s.Namespaces[k].ID == p.NS[inspect.NetNS] {
				s.Namespaces[k].Members = append(append([]int(nil), s.Namespaces[k].Members...), p.PID)
			}
		}
	case 4: // the newest worker exits
		last := s.Processes[len(s.Processes)-1]
		if last.Comm == "worker" {
			s.Processes = s.Processes[:len(s.Processes)-1]
			for k := range s.Namespaces {
				n := &s.Namespaces[k]
				var keep []int
				for _, m := range n.Members {
					if m != last.PID {
						keep = append(keep, m)
					}
				}
				n.Members = keep
			}
		}
	case 5: // a named netns appears
		s.Namespaces = append(s.Namespaces, inspect.Namespace{ID: inspect.NSID{Dev: 4, Ino: uint64(4026540000 + i)},
			Type: inspect.NetNS, OwnerUID: -1, Holders: []inspect.Holder{{Kind: inspect.HeldByNamedNetns, Path: "/run/netns/t", Name: "t"}}})
	case 7: // it goes again, and a limit changes
		s.Namespaces = s.Namespaces[:len(s.Namespaces)-1]
		for j := range s.Cgroups {
			if c := &s.Cgroups[j]; c.Limits.MemoryMax != nil && c.Path != "/" {
				c.Limits.MemoryMax = i64(int64(64+i) << 20)
				break
			}
		}
	case 8: // an OOM kill
		for j := range s.Cgroups {
			if c := &s.Cgroups[j]; c.Usage.MemoryEvents != nil {
				ev := *c.Usage.MemoryEvents
				ev.OOMKill++
				ev.OOM++
				c.Usage.MemoryEvents = &ev
				break
			}
		}
	}
}
