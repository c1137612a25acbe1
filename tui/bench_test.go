package tui

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/nscope/nscope/inspect"
)

// bigHost builds a snapshot of n processes: 50 service trees, each a
// shell with children and grandchildren, and 100 containers with their
// own pid and net namespaces and a cgroup each.
func bigHost(tb testing.TB, n int, at time.Time, step int64) *inspect.Snapshot {
	tb.Helper()
	host := inspect.NSSet{smMnt, smPID, smNet, smIPC, smUTS, smUser, smCg, smTime}
	s := &inspect.Snapshot{
		SchemaVersion: inspect.SchemaVersion, Time: at, CgroupMode: inspect.CgroupUnified,
		Host:        inspect.Host{Hostname: "big", Root: true, InitNS: host, SelfNS: host, CPUs: 64},
		Hierarchies: []inspect.Hierarchy{{ID: 0, Version: 2, Controllers: []string{"cpu", "memory", "pids"}, Mount: "/sys/fs/cgroup"}},
	}
	s.Cgroups = append(s.Cgroups, inspect.Cgroup{Path: "/", Usage: inspect.Usage{CPUUsageUS: p64(step * 1000)}})
	nsByCtr := map[int]inspect.NSSet{}
	for c := range 100 {
		ns := host
		ns[inspect.PIDNS] = inspect.NSID{Dev: 4, Ino: uint64(4026540000 + 2*c)}
		ns[inspect.NetNS] = inspect.NSID{Dev: 4, Ino: uint64(4026540001 + 2*c)}
		nsByCtr[c] = ns
		s.Namespaces = append(s.Namespaces,
			inspect.Namespace{ID: ns[inspect.PIDNS], Type: inspect.PIDNS, Owner: smUser, Parent: smPID, Level: 1},
			inspect.Namespace{ID: ns[inspect.NetNS], Type: inspect.NetNS, Owner: smUser})
		s.Cgroups = append(s.Cgroups, inspect.Cgroup{Path: fmt.Sprintf("/ctr-%d", c), Usage: inspect.Usage{CPUUsageUS: p64(step * int64(c)), MemoryCurrent: p64(int64(c) << 20)}, Limits: inspect.Limits{MemoryMax: p64(1 << 30)}})
	}
	for _, t := range inspect.AllNSTypes {
		s.Namespaces = append(s.Namespaces, inspect.Namespace{ID: host[t], Type: t, Owner: smUser, Initial: true})
	}
	s.Namespaces[len(s.Namespaces)-3].Owner = inspect.NSID{} // the user ns
	for pid := 1; pid <= n; pid++ {
		ppid := 0
		switch {
		case pid == 1:
		case pid <= 51:
			ppid = 1
		default:
			ppid = 2 + (pid-52)%50
			if pid > 2000 {
				ppid = pid - 1950
			}
		}
		ns, cg, nspid := host, "/", []int{pid}
		if ctr := pid % 150; ctr < 100 && pid > 51 {
			ns, cg, nspid = nsByCtr[ctr], fmt.Sprintf("/ctr-%d", ctr), []int{pid, pid/150 + 1}
		}
		s.Processes = append(s.Processes, inspect.Process{
			PID: pid, PPID: ppid, Comm: fmt.Sprintf("worker-%d", pid%97), Cmdline: []string{"/usr/bin/worker", "--id", fmt.Sprint(pid)},
			User: "root", State: "S", StartTime: at.Add(-time.Hour), Threads: 1, UTimeUS: step * int64(pid%13), RSSBytes: int64(pid) << 12,
			NSpid: nspid, NS: ns, Cgroups: []inspect.ProcCgroup{{Path: cg}},
		})
	}
	for i := range s.Namespaces {
		n := &s.Namespaces[i]
		for _, p := range s.Processes {
			if p.NS[n.Type] == n.ID {
				n.Members = append(n.Members, p.PID)
			}
		}
	}
	var buf bytes.Buffer
	if err := s.WriteJSON(&buf); err != nil {
		tb.Fatal(err)
	}
	out, err := inspect.Load(&buf)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// BenchmarkKeyToFrame measures a key press to a new frame with 10,000
// rows in the list: the Update for "down" (or "up" at the bottom) and
// the View that renders the screen, at 160×50. Only the visible rows are
// formatted, so this must stay far below 5 ms.
func BenchmarkKeyToFrame(b *testing.B) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	m := liveModel(b, 160, 50, bigHost(b, 10000, t0, 1000), bigHost(b, 10000, t0.Add(time.Second), 2000))
	if n := len(m.list().rows); n != 10000 {
		b.Fatalf("the Processes view has %d rows, want 10000", n)
	}
	down, up := press("down"), press("up")
	dir := down
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if m.list().cursor == len(m.list().rows)-1 {
			dir = up
		} else if m.list().cursor == 0 {
			dir = down
		}
		m.Update(dir)
		_ = m.View()
	}
}

// BenchmarkRefresh10k measures applying a new scan of 10,000 processes:
// rates, the index, the history and the rows of the current view, which
// happens once per refresh interval.
func BenchmarkRefresh10k(b *testing.B) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s1, s2 := bigHost(b, 10000, t0, 1000), bigHost(b, 10000, t0.Add(time.Second), 2000)
	m := liveModel(b, 160, 50, s1)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		s := s1
		if i%2 == 1 {
			s = s2
		}
		i++
		send(m, scanMsg{gen: m.gen, snap: s})
		_ = m.View()
	}
}
