package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fixtureProc writes a /proc tree: stat files and ns links for each PID.
func fixtureProc(t *testing.T, stats map[string]string, ns map[string]map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for pid, line := range stats {
		dir := filepath.Join(root, pid)
		if err := os.MkdirAll(filepath.Join(dir, "ns"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "stat"), []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
		for typ, target := range ns[pid] {
			if err := os.Symlink(target, filepath.Join(dir, "ns", typ)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Entries that are not processes are ignored.
	if err := os.MkdirAll(filepath.Join(root, "sys"), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

// statLine is a /proc/PID/stat line with the given parent and times,
// with all 52 fields of a 6.x kernel (procfs reads every one).
func statLine(pid, comm, ppid string, utime, stime, cutime, cstime string) string {
	return pid + " (" + comm + ") S " + ppid + " 1 1 0 -1 0 0 0 0 0 " + utime + " " + stime + " " + cutime + " " + cstime +
		" 20 0 1 0 5 0 0 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
}

func TestProcTableTicks(t *testing.T) {
	root := fixtureProc(t, map[string]string{
		"1":  statLine("1", "init", "0", "1000", "1000", "0", "0"),
		"10": statLine("10", "sh", "1", "1", "2", "30", "40"), // the pane's shell; reaped children used 70
		"11": statLine("11", "nscope", "10", "100", "50", "0", "0"),
		"12": statLine("12", "helper", "11", "5", "5", "0", "0"),
		"20": statLine("20", "top", "1", "7", "3", "0", "0"),
	}, nil)
	tab, err := readProcTable(root)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		pid      int
		own      bool
		want     uint64
		wantGone bool
	}{
		{name: "a tree adds every live process and the reaped children's time", pid: 10, want: 3 + 70 + 150 + 10},
		{name: "a leaf is itself", pid: 12, want: 10},
		{name: "another tree is separate", pid: 20, want: 10},
		{name: "own time leaves children out", pid: 10, own: true, want: 3},
		{name: "a missing process", pid: 99, wantGone: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got uint64
			var ok bool
			if tc.own {
				got, ok = tab.ownTicks(tc.pid)
			} else {
				got, ok = tab.treeTicks(tc.pid)
			}
			if ok == tc.wantGone {
				t.Fatalf("found %v, want %v", ok, !tc.wantGone)
			}
			if got != tc.want {
				t.Errorf("ticks %d, want %d", got, tc.want)
			}
		})
	}
}

func TestCPUPercent(t *testing.T) {
	tests := []struct {
		name  string
		ticks uint64
		secs  float64
		want  float64
	}{
		{name: "one core for the whole window", ticks: 3000, secs: 30, want: 100},
		{name: "5% of a core", ticks: 150, secs: 30, want: 5},
		{name: "two cores", ticks: 200, secs: 1, want: 200},
		{name: "empty window", ticks: 10, secs: 0, want: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := cpuPercent(tc.ticks, tc.secs); got != tc.want {
				t.Errorf("cpuPercent(%d, %v) = %v, want %v", tc.ticks, tc.secs, got, tc.want)
			}
		})
	}
}

func TestTakeCensus(t *testing.T) {
	host := map[string]string{"net": "net:[4026531840]", "pid": "pid:[4026531836]", "mnt": "mnt:[4026531841]"}
	root := fixtureProc(t, map[string]string{
		"1":   statLine("1", "init", "0", "0", "0", "0", "0"),
		"2":   statLine("2", "kthreadd", "0", "0", "0", "0", "0"),
		"100": statLine("100", "sh", "1", "0", "0", "0", "0"),
		"101": statLine("101", "sleep", "100", "0", "0", "0", "0"),
		"102": statLine("102", "gone", "1", "0", "0", "0", "0"), // exited: no ns links left
	}, map[string]map[string]string{
		"1":   host,
		"2":   host,
		"100": {"net": "net:[4026532200]", "pid": "pid:[4026532201]", "mnt": "mnt:[4026531841]", "pid_for_children": "pid:[4026532999]"},
		"101": {"net": "net:[4026532200]", "pid": "pid:[4026532201]", "mnt": "mnt:[4026531841]"},
	})
	got, err := takeCensus(root)
	if err != nil {
		t.Fatal(err)
	}
	want := census{Processes: 4, Namespaces: 5, ByType: map[string]int{"net": 2, "pid": 2, "mnt": 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("census mismatch (-want +got):\n%s", diff)
	}
	if s := got.String(); s != "4 processes, 5 namespaces with processes (mnt 1, net 2, pid 2)" {
		t.Errorf("String() = %q", s)
	}
}
