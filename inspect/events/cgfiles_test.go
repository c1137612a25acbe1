package events

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/inspect"
)

// repoFile reads a fixture saved from a real kernel in the module's
// testdata.
func repoFile(t *testing.T, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", rel))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseCgroupEvents(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want cgroupEvents
	}{
		{"v2 host fixture", repoFile(t, "v2host/sys/fs/cgroup/lab/cgroup.events"), cgroupEvents{populated: true, hasPopulated: true, hasFrozen: true}},
		{"populated and frozen", []byte("populated 1\nfrozen 1\n"), cgroupEvents{populated: true, frozen: true, hasPopulated: true, hasFrozen: true}},
		{"before 5.2 (no frozen)", []byte("populated 1\n"), cgroupEvents{populated: true, hasPopulated: true}},
		{"garbage", []byte("\x00\xff populated\n"), cgroupEvents{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, parseCgroupEvents(tc.in), cmp.AllowUnexported(cgroupEvents{})); diff != "" {
				t.Errorf("parseCgroupEvents (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMemoryCounters(t *testing.T) {
	tests := []struct {
		name, file string
		in         []byte
		want       inspect.MemoryEvents
	}{
		{"v2 fixture", "memory.events", repoFile(t, "v2host/sys/fs/cgroup/lab/memory.events"), inspect.MemoryEvents{}},
		{"v2 counts", "memory.events", []byte("low 0\nhigh 3\nmax 17\noom 2\noom_kill 1\noom_group_kill 0\n"), inspect.MemoryEvents{High: 3, Max: 17, OOM: 2, OOMKill: 1}},
		{"v1 fixture", "memory.oom_control", repoFile(t, "hybridhost/sys/fs/cgroup/memory/memory.oom_control"), inspect.MemoryEvents{}},
		{"v1 killed", "memory.oom_control", []byte("oom_kill_disable 0\nunder_oom 1\noom_kill 4\n"), inspect.MemoryEvents{OOMKill: 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, memoryCounters(tc.in)); diff != "" {
				t.Errorf("memoryCounters (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseFreezerState(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"thawed", "THAWED\n", freezerThawed},
		{"freezing", "FREEZING\n", freezerFreezing},
		{"frozen", "FROZEN", freezerFrozen},
		{"other", "frozen\n", ""},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseFreezerState([]byte(tc.in)); got != tc.want {
				t.Errorf("parseFreezerState(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func FuzzCgroupFiles(f *testing.F) {
	f.Add([]byte("populated 1\nfrozen 0\n"))
	f.Add([]byte("low 0\nhigh 3\nmax 17\noom 2\noom_kill 1\n"))
	f.Add([]byte("FROZEN\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseCgroupEvents(b)
		memoryCounters(b)
		memoryCounters(b)
		if s := parseFreezerState(b); s != "" && s != freezerThawed && s != freezerFreezing && s != freezerFrozen {
			t.Fatalf("state %q", s)
		}
	})
}
