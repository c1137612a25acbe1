package control

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/inspect"
)

// fakeEditor returns an editor over a fake host with the cgroup /app/web
// in every hierarchy, journaling into a temp dir.
func fakeEditor(t *testing.T, mode inspect.CgroupMode) (*Editor, *FakeFS) {
	t.Helper()
	fsys, layout := NewFakeHost(mode)
	fsys.AddCgroup(layout, "/app/web")
	return New(layout, WithFS(fsys), WithJournalDir(t.TempDir()), WithTimeouts(0, 0)), fsys
}

func mustLimits(t *testing.T, cpu, mem, pids string, files ...string) Limits {
	t.Helper()
	l, err := ParseLimits(cpu, mem, pids)
	if err != nil {
		t.Fatal(err)
	}
	for _, fv := range files {
		k, v, _ := strings.Cut(fv, "=")
		if err := l.SetFile(k, v); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// planSummary is what a user checks in a preview: file → old → new.
func planSummary(p *Plan) []string {
	var out []string
	for _, w := range p.Writes {
		out = append(out, strings.TrimPrefix(w.Path(), FakeRoot)+": "+w.Old+" → "+w.New)
	}
	return out
}

func TestPlanLimits(t *testing.T) {
	tests := []struct {
		name  string
		mode  inspect.CgroupMode
		setup func(*FakeFS)
		path  string
		l     func(t *testing.T) Limits
		want  []string
	}{
		{
			name: "v2 friendly flags", mode: inspect.CgroupUnified, path: "/app/web",
			l: func(t *testing.T) Limits { return mustLimits(t, "0.5", "512M", "100") },
			want: []string{
				"/app/web/cpu.max: max 100000 → 50000 100000",
				"/app/web/memory.max: max → 536870912",
				"/app/web/pids.max: max → 100",
			},
		},
		{
			name: "v1 friendly flags go to each controller's hierarchy", mode: inspect.CgroupLegacy, path: "/app/web",
			l: func(t *testing.T) Limits { return mustLimits(t, "0.5", "512M", "100") },
			want: []string{
				"/cpu/app/web/cpu.cfs_quota_us: -1 → 50000",
				"/memory/app/web/memory.limit_in_bytes: 9223372036854771712 → 536870912",
				"/pids/app/web/pids.max: max → 100",
			},
		},
		{
			name: "hybrid uses the v1 controllers", mode: inspect.CgroupHybrid, path: "/app/web",
			l:    func(t *testing.T) Limits { return mustLimits(t, "20%", "", "") },
			want: []string{"/cpu/app/web/cpu.cfs_quota_us: -1 → 20000"},
		},
		{
			name: "cores use the current period", mode: inspect.CgroupUnified, path: "/app/web",
			setup: func(f *FakeFS) { f.SetFile(FakeRoot+"/app/web/cpu.max", "max 50000") },
			l:     func(t *testing.T) Limits { return mustLimits(t, "0.5", "", "") },
			want:  []string{"/app/web/cpu.max: max 50000 → 25000 50000"},
		},
		{
			name: "raw cpu.max", mode: inspect.CgroupUnified, path: "/app/web",
			l:    func(t *testing.T) Limits { return mustLimits(t, "", "", "", "cpu.max=20000 50000") },
			want: []string{"/app/web/cpu.max: max 100000 → 20000 50000"},
		},
		{
			name: "v1 lowering the period writes the quota first", mode: inspect.CgroupLegacy, path: "/app/web",
			setup: func(f *FakeFS) {
				f.SetFile(FakeRoot+"/cpu/app/cpu.cfs_quota_us", "50000")
				f.SetFile(FakeRoot+"/cpu/app/web/cpu.cfs_quota_us", "40000")
			},
			l: func(t *testing.T) Limits { return mustLimits(t, "10000 20000", "", "") },
			want: []string{
				"/cpu/app/web/cpu.cfs_quota_us: 40000 → 10000",
				"/cpu/app/web/cpu.cfs_period_us: 100000 → 20000",
			},
		},
		{
			name: "v1 raising the period writes the period first", mode: inspect.CgroupLegacy, path: "/app/web",
			setup: func(f *FakeFS) {
				f.SetFile(FakeRoot+"/cpu/app/cpu.cfs_quota_us", "50000")
				f.SetFile(FakeRoot+"/cpu/app/web/cpu.cfs_quota_us", "10000")
				f.SetFile(FakeRoot+"/cpu/app/web/cpu.cfs_period_us", "20000")
			},
			l: func(t *testing.T) Limits { return mustLimits(t, "50000 100000", "", "") },
			want: []string{
				"/cpu/app/web/cpu.cfs_period_us: 20000 → 100000",
				"/cpu/app/web/cpu.cfs_quota_us: 10000 → 50000",
			},
		},
		{
			name: "v1 removing the quota", mode: inspect.CgroupLegacy, path: "/app/web",
			setup: func(f *FakeFS) { f.SetFile(FakeRoot+"/cpu/app/web/cpu.cfs_quota_us", "10000") },
			l:     func(t *testing.T) Limits { return mustLimits(t, "max", "max", "max") },
			want: []string{
				"/cpu/app/web/cpu.cfs_quota_us: 10000 → -1",
			},
		},
		{
			name: "weight becomes shares on v1", mode: inspect.CgroupLegacy, path: "/app/web",
			l:    func(t *testing.T) Limits { return Limits{CPUWeight: ptr(int64(200))} },
			want: []string{"/cpu/app/web/cpu.shares: 1024 → 2451"},
		},
		{
			// The default weight is the default shares: nothing to write.
			name: "default weight is default shares on v1", mode: inspect.CgroupLegacy, path: "/app/web",
			l: func(t *testing.T) Limits { return Limits{CPUWeight: ptr(int64(100))} },
		},
		{
			name: "v2 memory high and low", mode: inspect.CgroupUnified, path: "/app/web",
			l: func(t *testing.T) Limits { return mustLimits(t, "", "", "", "memory.high=256M", "memory.low=64M") },
			want: []string{
				"/app/web/memory.high: max → 268435456",
				"/app/web/memory.low: 0 → 67108864",
			},
		},
		{
			name: "io.max keeps the device's other keys as old", mode: inspect.CgroupUnified, path: "/app/web",
			setup: func(f *FakeFS) { f.SetFile(FakeRoot+"/app/web/io.max", "8:0 rbps=1024 wbps=max riops=max wiops=max") },
			l:     func(t *testing.T) Limits { return mustLimits(t, "", "", "", "io.max=8:0 wbps=1M") },
			want:  []string{"/app/web/io.max: 8:0 rbps=1024 wbps=max riops=max wiops=max → 8:0 wbps=1048576"},
		},
		{
			name: "absolute directory under a mount", mode: inspect.CgroupLegacy, path: FakeRoot + "/memory/app/web",
			l:    func(t *testing.T) Limits { return mustLimits(t, "", "1G", "") },
			want: []string{"/memory/app/web/memory.limit_in_bytes: 9223372036854771712 → 1073741824"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ed, fsys := fakeEditor(t, tc.mode)
			if tc.setup != nil {
				tc.setup(fsys)
			}
			target, err := ed.Resolve(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			p, err := ed.Plan(target, tc.l(t))
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			if diff := cmp.Diff(tc.want, planSummary(p)); diff != "" {
				t.Errorf("planned writes (-want +got):\n%s", diff)
			}
			if len(fsys.Writes()) != 0 {
				t.Errorf("Plan wrote %v; it must write nothing", fsys.Writes())
			}
			// Applying the plan must pass the fake kernel's checks.
			if _, err := ed.Apply(t.Context(), p); err != nil {
				t.Errorf("Apply: %v", err)
			}
		})
	}
}

func TestPlanV1WrongOrderWouldFail(t *testing.T) {
	// The reason for the ordering: writing the period first when lowering
	// it makes quota/period exceed the parent's ratio, and the kernel says
	// EINVAL.
	_, fsys := fakeEditor(t, inspect.CgroupLegacy)
	fsys.SetFile(FakeRoot+"/cpu/app/cpu.cfs_quota_us", "50000")
	fsys.SetFile(FakeRoot+"/cpu/app/web/cpu.cfs_quota_us", "40000")
	err := fsys.WriteFile(FakeRoot+"/cpu/app/web/cpu.cfs_period_us", []byte("20000"))
	if !errors.Is(err, unix.EINVAL) {
		t.Fatalf("period first: got %v, want EINVAL from the fake kernel", err)
	}
}

func TestPlanLimitsErrors(t *testing.T) {
	tests := []struct {
		name    string
		mode    inspect.CgroupMode
		path    string
		setup   func(*FakeFS)
		l       func(t *testing.T) Limits
		wantIs  error
		wantErr string
	}{
		{
			name: "cores too small for the period", mode: inspect.CgroupUnified, path: "/app/web",
			setup:  func(f *FakeFS) { f.SetFile(FakeRoot+"/app/web/cpu.max", "max 10000") },
			l:      func(t *testing.T) Limits { return mustLimits(t, "0.05", "", "") },
			wantIs: ErrInvalidValue, wantErr: "with a 10ms period that is a quota of 500µs, under the kernel's 1ms minimum; the smallest is 0.1 CPUs",
		},
		{
			name: "memory.high on v1", mode: inspect.CgroupLegacy, path: "/app/web",
			l:      func(t *testing.T) Limits { return mustLimits(t, "", "", "", "memory.high=1G") },
			wantIs: ErrNotAllowed, wantErr: "memory.high is a cgroup v2 file, but the memory controller here is on cgroup v1",
		},
		{
			name: "cpu.max on v1", mode: inspect.CgroupHybrid, path: "/app/web",
			l:      func(t *testing.T) Limits { return mustLimits(t, "", "", "", "cpu.max=50000 100000") },
			wantIs: ErrNotAllowed, wantErr: "allowed there: cpu.cfs_quota_us",
		},
		{
			name: "raw weight on v1", mode: inspect.CgroupLegacy, path: "/app/web",
			l:      func(t *testing.T) Limits { return mustLimits(t, "", "", "", "cpu.weight=100") },
			wantIs: ErrNotAllowed, wantErr: "cpu.weight is a cgroup v2 file",
		},
		{
			name: "v1 file on v2", mode: inspect.CgroupUnified, path: "/app/web",
			l:      func(t *testing.T) Limits { return mustLimits(t, "", "", "", "memory.limit_in_bytes=1G") },
			wantIs: ErrNotAllowed, wantErr: "memory.limit_in_bytes is a cgroup v1 file",
		},
		{
			name: "io.max on v1", mode: inspect.CgroupLegacy, path: "/app/web",
			l:      func(t *testing.T) Limits { return mustLimits(t, "", "", "", "io.max=8:0 rbps=1M") },
			wantIs: ErrNoController, wantErr: "io.max needs the io controller, which only cgroup v2 has",
		},
		{
			name: "missing cgroup", mode: inspect.CgroupUnified, path: "/nope",
			l:      func(t *testing.T) Limits { return mustLimits(t, "1", "", "") },
			wantIs: ErrNoSuchCgroup, wantErr: "cgroup /nope does not exist in the v2 hierarchy",
		},
		{
			name: "v2 root has no cpu.max", mode: inspect.CgroupUnified, path: "/",
			l:      func(t *testing.T) Limits { return mustLimits(t, "1", "", "") },
			wantIs: unix.ENOENT, wantErr: "the root cgroup has no cpu.max",
		},
		{
			name: "controller not enabled", mode: inspect.CgroupUnified, path: "/app/web",
			setup:  func(f *FakeFS) { f.FailRead("pids.max", unix.ENOENT) },
			l:      func(t *testing.T) Limits { return mustLimits(t, "", "", "10") },
			wantIs: unix.ENOENT, wantErr: "cgroup.subtree_control must list it",
		},
		{
			name: "symlink out of the mount", mode: inspect.CgroupUnified, path: "/escape",
			setup:  func(f *FakeFS) { f.Symlink(FakeRoot+"/escape", "/etc") },
			l:      func(t *testing.T) Limits { return mustLimits(t, "1", "", "") },
			wantIs: ErrOutsideCgroupFS, wantErr: "resolves to /etc, outside the v2 mount",
		},
		{
			name: "not a cgroup filesystem", mode: inspect.CgroupUnified, path: "/app/web",
			setup:  func(f *FakeFS) { f.MarkForeign(FakeRoot + "/app") },
			l:      func(t *testing.T) Limits { return mustLimits(t, "1", "", "") },
			wantIs: ErrOutsideCgroupFS,
		},
		{
			name: "nothing to set", mode: inspect.CgroupUnified, path: "/app/web",
			l:      func(t *testing.T) Limits { return Limits{} },
			wantIs: ErrInvalidValue, wantErr: "nothing to set",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ed, fsys := fakeEditor(t, tc.mode)
			if tc.setup != nil {
				tc.setup(fsys)
			}
			target, err := ed.Resolve(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			_, err = ed.Plan(target, tc.l(t))
			if !errors.Is(err, tc.wantIs) {
				t.Fatalf("Plan error %v, want errors.Is %v", err, tc.wantIs)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Plan error %q does not contain %q", err, tc.wantErr)
			}
			if len(fsys.Writes()) != 0 {
				t.Errorf("wrote %v after a refused plan", fsys.Writes())
			}
		})
	}
}

func TestPlanUnchangedAndConfirm(t *testing.T) {
	fsys, layout := NewFakeHost(inspect.CgroupUnified)
	fsys.AddCgroup(layout, "/system.slice/docker-1a2b.scope")
	ed := New(layout, WithFS(fsys), WithJournalDir(t.TempDir()), WithSystemdManager(true))
	fsys.SetFile(FakeRoot+"/system.slice/docker-1a2b.scope/pids.max", "100")
	target, _ := ed.Resolve("/system.slice/docker-1a2b.scope")
	p, err := ed.Plan(target, mustLimits(t, "0.5", "512M", "100"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Unchanged) != 1 || p.Unchanged[0].File != "pids.max" {
		t.Errorf("Unchanged = %v, want pids.max that already reads 100", p.Unchanged)
	}
	want := []string{"/system.slice/docker-1a2b.scope is managed by systemd unit docker-1a2b.scope: systemd may revert a direct write (on daemon-reload or a unit change); " +
		"to persist it run: systemctl set-property docker-1a2b.scope CPUQuota=50% MemoryMax=536870912 TasksMax=100"}
	if diff := cmp.Diff(want, p.Confirm); diff != "" {
		t.Errorf("Confirm (-want +got):\n%s", diff)
	}

	// Unit names mean nothing where systemd is not the service manager.
	plain := New(layout, WithFS(fsys), WithJournalDir(t.TempDir()), WithSystemdManager(false))
	if p, err := plain.Plan(target, mustLimits(t, "0.5", "", "")); err != nil || len(p.Confirm) != 0 || p.Owner != nil {
		t.Errorf("without systemd: Confirm %q, owner %+v (%v); want neither", p.Confirm, p.Owner, err)
	}

	top, _ := ed.Resolve("/system.slice")
	p, err = ed.Plan(top, mustLimits(t, "", "", "1000"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Confirm) != 2 || !strings.Contains(p.Confirm[0], "top-level cgroup") {
		t.Errorf("Confirm for /system.slice = %q, want the top-level and systemd warnings", p.Confirm)
	}
}

func TestResolveTarget(t *testing.T) {
	_, layout := NewFakeHost(inspect.CgroupHybrid)
	tests := []struct {
		name     string
		in       string
		wantPath string
		wantH    string
		wantErr  string
	}{
		{name: "relative path", in: "/a/b", wantPath: "/a/b"},
		{name: "no leading slash", in: "a/b/", wantPath: "/a/b"},
		{name: "root", in: "/", wantPath: "/"},
		{name: "absolute under memory", in: FakeRoot + "/memory/a", wantPath: "/a", wantH: "memory"},
		{name: "hierarchy root", in: FakeRoot + "/cpu", wantPath: "/", wantH: "cpu"},
		{name: "unified", in: FakeRoot + "/unified/x", wantPath: "/x", wantH: "v2"},
		{name: "dot dot", in: "/a/../../etc", wantErr: `".." is not allowed`},
		{name: "dot dot under mount", in: FakeRoot + "/cpu/../../../etc", wantErr: `".." is not allowed`},
		{name: "control char", in: "/a\nb", wantErr: "control character"},
		{name: "empty", in: "", wantErr: "empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResolveTarget(layout, tc.in)
			checkErr(t, err, tc.wantErr)
			if tc.wantErr != "" {
				return
			}
			h := ""
			if got.Hierarchy != nil {
				h = got.Hierarchy.Label()
			}
			if got.Path != tc.wantPath || h != tc.wantH {
				t.Errorf("ResolveTarget(%q) = %q in %q, want %q in %q", tc.in, got.Path, h, tc.wantPath, tc.wantH)
			}
		})
	}
}

func TestSystemdUnit(t *testing.T) {
	tests := []struct{ name, path, want string }{
		{name: "scope", path: "/system.slice/docker-1a2b.scope", want: "docker-1a2b.scope"},
		{name: "below a unit", path: "/system.slice/foo.service/init", want: "foo.service"},
		{name: "slice", path: "/user.slice", want: "user.slice"},
		{name: "none", path: "/kubepods/pod1", want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := SystemdUnit(tc.path); got != tc.want {
				t.Errorf("SystemdUnit(%q) = %q, want %q", tc.path, got, tc.want)
			}
		})
	}
	_ = filepath.Join
}

func TestIOMaxUndoRestoresTheDeviceLine(t *testing.T) {
	ed, fsys := fakeEditor(t, inspect.CgroupUnified)
	path := FakeRoot + "/app/web/io.max"
	fsys.SetFile(path, "259:0 rbps=max wbps=2048 riops=max wiops=max")
	res, err := ed.Apply(t.Context(), planFor(t, ed, "/app/web", mustLimits(t, "", "", "", "io.max=8:0 wbps=1M riops=100")))
	if err != nil {
		t.Fatal(err)
	}
	if w := res.Writes[0]; w.Before != "8:0 rbps=max wbps=max riops=max wiops=max" || w.After != "8:0 rbps=max wbps=1048576 riops=100 wiops=max" {
		t.Errorf("old → new = %q → %q, want the 8:0 line only", w.Before, w.After)
	}
	if _, _, err := ed.Undo(t.Context(), "/app/web", false); err != nil {
		t.Fatal(err)
	}
	if got := fsys.File(path); got != "259:0 rbps=max wbps=2048 riops=max wiops=max" {
		t.Errorf("io.max after undo = %q, want only the other device's line", got)
	}
}
