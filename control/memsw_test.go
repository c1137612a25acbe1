package control

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/testutil"
)

// A docker container with --memory 64M gets memory+swap 128M: the memsw
// write must come first when the memory limit crosses it upwards, last
// when it falls, and undo must retrace the same order.
func TestPlanV1MemoryKeepsMemswInStep(t *testing.T) {
	tests := []struct {
		name     string
		mem, sw  string // current values; sw "" means no swap accounting
		set      string
		want     []string
		wantNote string
	}{
		{name: "raise above memsw: memsw first, same swap allowance", mem: "67108864", sw: "134217728", set: "256M",
			want: []string{
				"/memory/app/web/memory.memsw.limit_in_bytes: 134217728 → 335544320",
				"/memory/app/web/memory.limit_in_bytes: 67108864 → 268435456",
			}, wantNote: "written before memory.limit_in_bytes, since it rises"},
		{name: "lower: memory first, memsw last", mem: "268435456", sw: "536870912", set: "64M",
			want: []string{
				"/memory/app/web/memory.limit_in_bytes: 268435456 → 67108864",
				"/memory/app/web/memory.memsw.limit_in_bytes: 536870912 → 335544320",
			}, wantNote: "written after memory.limit_in_bytes, since it falls"},
		{name: "unlimited memory lifts memsw first", mem: "67108864", sw: "134217728", set: "max",
			want: []string{
				"/memory/app/web/memory.memsw.limit_in_bytes: 134217728 → -1",
				"/memory/app/web/memory.limit_in_bytes: 67108864 → -1",
			}, wantNote: "→ unlimited"},
		{name: "unlimited memsw is left alone", mem: "67108864", sw: "9223372036854771712", set: "256M",
			want: []string{"/memory/app/web/memory.limit_in_bytes: 67108864 → 268435456"}},
		{name: "no swap accounting", mem: "67108864", set: "256M",
			want: []string{"/memory/app/web/memory.limit_in_bytes: 67108864 → 268435456"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ed, fsys := fakeEditor(t, inspect.CgroupLegacy)
			dir := FakeRoot + "/memory/app/web"
			fsys.SetFile(filepath.Join(dir, "memory.limit_in_bytes"), tc.mem)
			if tc.sw != "" {
				fsys.SetFile(filepath.Join(dir, memswFile), tc.sw)
			}
			tg, err := ed.Resolve("/app/web")
			if err != nil {
				t.Fatal(err)
			}
			p, err := ed.Plan(tg, mustLimits(t, "", tc.set, ""))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, planSummary(p)); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			if notes := strings.Join(p.Notes, "\n"); !strings.Contains(notes, tc.wantNote) {
				t.Errorf("notes %q lack %q", notes, tc.wantNote)
			}
			// The fake kernel refuses memory above memsw, so a wrong
			// order fails here.
			if _, err := ed.Apply(t.Context(), p); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if _, _, err := ed.Undo(t.Context(), "/app/web", false); err != nil {
				t.Fatalf("Undo: %v", err)
			}
			if got := fsys.File(filepath.Join(dir, "memory.limit_in_bytes")); got != tc.mem {
				t.Errorf("memory.limit_in_bytes after undo = %s, want %s", got, tc.mem)
			}
			if tc.sw != "" {
				if got := fsys.File(filepath.Join(dir, memswFile)); got != tc.sw {
					t.Errorf("memsw after undo = %s, want %s", got, tc.sw)
				}
			}
		})
	}
}

func TestMemswIsNotARawFile(t *testing.T) {
	var l Limits
	if err := l.SetFile(memswFile, "1G"); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("SetFile(%s) = %v, want %v: it is written only in step with memory.limit_in_bytes", memswFile, err, ErrNotAllowed)
	}
}

// On the real v1 memory controller (with swap accounting): raise across
// memsw and lower back, as nscope set does for a docker container made
// with --memory 64M.
func TestLiveV1MemswOrdering(t *testing.T) {
	lv := newLiveV1(t, "memory")
	dir := lv.dir["memory"]
	if _, err := os.Stat(filepath.Join(dir, memswFile)); err != nil {
		t.Skipf("no %s: the kernel has no swap accounting (boot with swapaccount=1)", memswFile)
	}
	write := func(file, v string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, file), []byte(v), 0); err != nil {
			t.Fatal(err)
		}
	}
	// docker run --memory 64M: memsw is twice the memory.
	write("memory.limit_in_bytes", "67108864")
	write(memswFile, "134217728")
	// The kernel's own refusal, which the ordering avoids.
	if err := os.WriteFile(filepath.Join(dir, "memory.limit_in_bytes"), []byte("268435456"), 0); !errors.Is(err, unix.EINVAL) {
		t.Fatalf("writing memory above memsw directly: %v, want EINVAL (else this test proves nothing)", err)
	}
	res := lv.set(t, "memory", "", "256M", "")
	var got []string
	for _, w := range res.Writes {
		got = append(got, w.File+" "+w.Before+" → "+w.After)
	}
	want := []string{memswFile + " 134217728 → 335544320", "memory.limit_in_bytes 67108864 → 268435456"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("raise across memsw (-want +got):\n%s", diff)
	}
	res = lv.set(t, "memory", "", "32M", "")
	got = nil
	for _, w := range res.Writes {
		got = append(got, w.File+" "+w.Before+" → "+w.After)
	}
	want = []string{"memory.limit_in_bytes 268435456 → 33554432", memswFile + " 335544320 → 100663296"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lower across memsw (-want +got):\n%s", diff)
	}
	// Undo walks back: 32M → 256M (memsw first again), then → 64M.
	for range 2 {
		if _, _, err := lv.ed.Undo(t.Context(), lv.rel["memory"], false); err != nil {
			t.Fatalf("Undo: %v", err)
		}
	}
	if m, s := testutil.ReadInt64(t, filepath.Join(dir, "memory.limit_in_bytes")), testutil.ReadInt64(t, filepath.Join(dir, memswFile)); m != 64<<20 || s != 128<<20 {
		t.Errorf("after two undos memory %d, memsw %d; want 64M and 128M", m, s)
	}
}
