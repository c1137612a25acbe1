package inspect

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestScanDropsDeadTasks checks that a process /proc shows in state X
// (dead: its exit has happened and it is being released) is not listed:
// its exit event came before the scan, so a live view that follows
// events would show it until the next full scan.
func TestScanDropsDeadTasks(t *testing.T) {
	root := t.TempDir()
	proc := filepath.Join(root, "proc")
	write := func(rel, data string) {
		t.Helper()
		p := filepath.Join(proc, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("stat", "cpu  1 2 3 4\nbtime 1700000000\n")
	write("uptime", "100.0 50.0\n")
	for _, p := range []struct{ pid, comm, state string }{{"100", "alive", "S"}, {"101", "gone", "X"}, {"102", "zombie", "Z"}} {
		write(p.pid+"/stat", p.pid+" ("+p.comm+") "+p.state+" 1 "+p.pid+" "+p.pid+" 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 500 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n")
		write(p.pid+"/status", "Name:\t"+p.comm+"\nState:\t"+p.state+"\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nThreads:\t1\n")
		write(p.pid+"/cmdline", "")
		write(p.pid+"/cgroup", "0::/\n")
	}
	s := New(ProcRoot(proc), SysRoot(filepath.Join(root, "sys")), RunRoot(filepath.Join(root, "run")))
	defer s.Close()
	snap, err := s.Scan(context.Background())
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	var got []string
	for _, p := range snap.Processes {
		got = append(got, p.Comm+":"+p.State)
	}
	if snap.Process(101) != nil {
		t.Errorf("the dead process (state X) is listed: %v", got)
	}
	if snap.Process(100) == nil || snap.Process(102) == nil {
		t.Errorf("the live process and the zombie are not both listed: %v", got)
	}
}
