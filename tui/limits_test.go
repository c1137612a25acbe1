package tui

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/testutil"
)

// demoCgroup is the small fixture's "nscope run" cgroup: cpu.max 20000
// 100000, memory.max 64M, memory.high 60M, pids.max 32, PIDs 800 and 801.
const demoCgroup = "/nscope-run-demo"

// demoApp returns the app on the small fixture (cgroup v2) with its
// cgroups on a fake cgroupfs, at 160×50, with demoCgroup selected in the
// Cgroups view.
func demoApp(t *testing.T, opts ...func(*Options)) (*flowDriver, *fakeHost) {
	t.Helper()
	load := func() *inspect.Snapshot { return loadFixture(t, "small-2") }
	h := newFakeHost(t, load())
	d := limitsApp(t, 160, 50, h, load, opts...)
	d.keys("3", "/", "nscope-run-demo", "enter")
	if sel, ok := d.m.selection(); !ok || sel.Cgroup == nil || sel.Cgroup.Path != demoCgroup {
		t.Fatalf("selection is %+v, want cgroup %s", sel, demoCgroup)
	}
	return d, h
}

// TestLimitsCPUKeyFlow edits a CPU limit through the keys as a user
// does: c on the selected cgroup, type 0.5, enter shows the exact write
// without writing, enter writes it, the result shows old → new read back
// from the (fake) kernel, and after closing the row shows the new quota.
// The model and its commands leave no file or goroutine behind.
func TestLimitsCPUKeyFlow(t *testing.T) {
	testutil.CheckLeaks(t)
	d, h := demoApp(t)
	d.keys("c")
	d.wantDialog("CPU limit · cgroup /nscope-run-demo", "now     20% of 1 CPU (cpu.max 20000 100000)", "new CPU limit:")

	d.keys("0.5", "enter")
	d.awaitPlan()
	d.wantDialog(
		`write "50000 100000" to /fake/sys/fs/cgroup/nscope-run-demo/cpu.max`,
		"now 20000 100000 (20% of 1 CPU) → 50000 100000 (50% of 1 CPU)",
		"⚠ /nscope-run-demo is a top-level cgroup: a change here applies to",
		"y writes · esc cancels",
	)
	if got := h.file("v2", demoCgroup, "cpu.max"); got != "20000 100000" {
		t.Fatalf("the preview wrote: cpu.max is %q", got)
	}
	if w := h.fs.Writes(); len(w) != 0 {
		t.Fatalf("the preview wrote %v", w)
	}
	d.keys("enter")
	d.wantStep(stPreview)

	d.keys("y")
	d.awaitApplied()
	d.wantDialog("✓ /fake/sys/fs/cgroup/nscope-run-demo/cpu.max",
		"20000 100000 (20% of 1 CPU) → 50000 100000 (50% of 1 CPU)  read back", "u undoes it", "Live")
	if got := h.file("v2", demoCgroup, "cpu.max"); got != "50000 100000" {
		t.Errorf("cpu.max is %q after the change, want 50000 100000", got)
	}
	if diff := cmp.Diff([]string{"set /nscope-run-demo ok"}, h.changes(t)); diff != "" {
		t.Errorf("journal (-want +got):\n%s", diff)
	}

	// The result asked for a scan; it shows in the dialog and the row.
	d.awaitScan()
	d.keys("enter")
	d.awaitClosed()
	d.awaitScan()
	if s := screen(d.m); !strings.Contains(s, "cpu.max     50000 100000  = 50% of 1 CPU") {
		t.Errorf("the detail pane does not show the new limit after the refresh:\n%s", s)
	}
}

// TestLimitsBadInput shows the validation message inline and writes
// nothing; the dialog stays open for another try.
func TestLimitsBadInput(t *testing.T) {
	tests := []struct {
		name, key, input string
		want             string
	}{
		{name: "cpu word", key: "c", input: "lots", want: `✗ cpu "lots": want a number of CPUs`},
		{name: "cpu empty", key: "c", input: "", want: `✗ cpu "": empty`},
		{name: "memory unit", key: "m", input: "12X", want: `✗ memory.max "12X": unknown unit "X"`},
		{name: "memory too small", key: "m", input: "512", want: `under the 1M minimum`},
		{name: "pids negative", key: "p", input: "-5", want: `✗ pids.max "-5"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, h := demoApp(t)
			d.keys(tc.key)
			if tc.input != "" {
				d.keys(tc.input)
			}
			d.keys("enter")
			d.wantDialog(tc.want, "nothing was written")
			if w := h.fs.Writes(); len(w) != 0 {
				t.Errorf("bad input wrote %v", w)
			}
			if c := h.changes(t); len(c) != 0 {
				t.Errorf("bad input journaled %v", c)
			}
			// Typing clears the message; the dialog stays for another try.
			d.keys("x")
			if strings.Contains(d.dialogText(), "✗") {
				t.Errorf("editing the input kept the error:\n%s", d.dialogText())
			}
		})
	}
}

// TestLimitsKernelError shows the kernel's refusal in plain words with
// its errno, and the file keeps its value.
func TestLimitsKernelError(t *testing.T) {
	d, h := demoApp(t)
	h.fs.FailWrite("memory.max", unix.EBUSY)
	d.keys("m", "128M", "enter")
	d.awaitPlan()
	d.wantDialog(`write "134217728" to /fake/sys/fs/cgroup/nscope-run-demo/memory.max`, "67108864 (64 MiB) → 134217728 (128 MiB)")
	d.keys("y")
	d.awaitApplied()
	d.wantDialog("memory.max: failed, still 67108864 (64 MiB)", "device or resource busy (EBUSY)", "nothing was changed")
	if got := h.file("v2", demoCgroup, "memory.max"); got != "67108864" {
		t.Errorf("memory.max is %q after a refused write, want 67108864", got)
	}
	if diff := cmp.Diff([]string{"set /nscope-run-demo failed"}, h.changes(t)); diff != "" {
		t.Errorf("journal (-want +got):\n%s", diff)
	}
}

// TestLimitsRefused: under --read-only the keys are refused by the app
// with an explanation; when the editor refuses (not root) the dialog
// explains why; either way nothing is attempted.
func TestLimitsRefused(t *testing.T) {
	t.Run("read-only", func(t *testing.T) {
		d, h := demoApp(t, func(o *Options) { o.ReadOnly = true })
		for _, k := range []string{"c", "m", "p", "e", "f", "K", "u"} {
			d.keys(k)
			if d.m.dialogs.Len() != 0 {
				t.Fatalf("%s opened a dialog under --read-only:\n%s", k, d.dialogText())
			}
			if got, want := d.awaitFlash(), "read-only mode (--read-only): nothing can be changed"; got != want {
				t.Errorf("%s: status message %q, want %q", k, got, want)
			}
			if s := screen(d.m); !strings.Contains(s, "read-only mode (--read-only): nothing can be changed") {
				t.Errorf("%s: no refusal in the footer:\n%s", k, s)
			}
		}
		if w := h.fs.Writes(); len(w) != 0 {
			t.Errorf("wrote %v under --read-only", w)
		}
	})
	t.Run("not root", func(t *testing.T) {
		d, h := demoApp(t)
		d.m.opts.Editor = control.New(h.layout, control.WithFS(h.fs), control.WithJournalDir(h.jdir),
			control.ReadOnly("nscope is not running as root (euid 1000); cgroup edits need root"))
		for _, k := range []string{"c", "e", "f", "K", "u"} {
			d.keys(k)
			d.wantDialog("nscope is not running as root (euid 1000); cgroup edits need root", "Nothing was written.")
			d.keys("esc")
			d.awaitClosed()
		}
		if w := h.fs.Writes(); len(w) != 0 {
			t.Errorf("wrote %v as non-root", w)
		}
	})
}

// TestLimitsEscCancels leaves every step with esc and writes nothing.
func TestLimitsEscCancels(t *testing.T) {
	d, h := demoApp(t)
	d.keys("c", "0.5", "esc")
	d.awaitClosed()
	d.keys("c", "0.5", "enter")
	d.awaitPlan()
	d.keys("esc")
	d.awaitClosed()
	d.keys("K")
	d.awaitPlan()
	d.keys("esc")
	d.awaitClosed()
	d.keys("f")
	d.awaitPlan()
	d.keys("esc")
	d.awaitClosed()
	// While the plan is read, esc closes too; the late plan is dropped.
	d.keys("m", "100M", "enter", "esc")
	d.awaitClosed()
	if w := h.fs.Writes(); len(w) != 0 {
		t.Errorf("cancelled dialogs wrote %v", w)
	}
	if c := h.changes(t); len(c) != 0 {
		t.Errorf("cancelled dialogs journaled %v", c)
	}
}

// TestLimitsFreezeThaw: f asks for a typed y before freezing, writes
// cgroup.freeze, and f again on the refreshed row thaws.
func TestLimitsFreezeThaw(t *testing.T) {
	d, h := demoApp(t)
	d.keys("f")
	d.awaitPlan()
	d.wantDialog("Freeze · cgroup /nscope-run-demo", "now     running (thawed) (cgroup.freeze 0)",
		`write "1" to /fake/sys/fs/cgroup/nscope-run-demo/cgroup.freeze`, "⚠ freezing stops every process", "y freezes · esc cancels")
	d.keys("enter")
	d.wantStep(stPreview)
	d.wantDialog("type y to freeze")
	if got := h.file("v2", demoCgroup, "cgroup.freeze"); got != "0" {
		t.Fatalf("enter froze without a typed y: cgroup.freeze is %q", got)
	}
	d.keys("y")
	d.awaitApplied()
	d.wantDialog("0 (thawed) → frozen  read back")
	if got := h.file("v2", demoCgroup, "cgroup.freeze"); got != "1" {
		t.Fatalf("cgroup.freeze is %q after freezing", got)
	}
	d.awaitScan()
	d.keys("enter")
	d.awaitClosed()
	d.awaitScan()

	d.keys("f")
	d.awaitPlan()
	d.wantDialog("Thaw · cgroup /nscope-run-demo", "now     frozen: its processes are stopped (cgroup.freeze 1)", `write "0"`, "enter thaws")
	d.keys("enter")
	d.awaitApplied()
	if got := h.file("v2", demoCgroup, "cgroup.freeze"); got != "0" {
		t.Errorf("cgroup.freeze is %q after thawing", got)
	}
	if diff := cmp.Diff([]string{"freeze /nscope-run-demo ok", "thaw /nscope-run-demo ok"}, h.changes(t)); diff != "" {
		t.Errorf("journal (-want +got):\n%s", diff)
	}
}

// TestLimitsKill: K lists the members with their commands, asks for a
// typed y, then writes cgroup.kill.
func TestLimitsKill(t *testing.T) {
	d, h := demoApp(t)
	d.keys("K")
	d.awaitPlan()
	d.wantDialog("Kill every process · cgroup /nscope-run-demo", "Kill 2 processes by writing 1 to cgroup.kill, in:",
		"800     /bin/sh", "801     stress --cpu 1", "⚠ this kills 2 processes with SIGKILL", "y kills · esc cancels")
	d.keys("enter")
	d.wantStep(stPreview)
	d.wantDialog("type y to kill")
	if k := h.fs.Killed(); len(k) != 0 {
		t.Fatalf("enter killed %v without a typed y", k)
	}
	d.keys("y")
	d.awaitApplied()
	d.wantDialog("killed 2 processes (cgroup.kill): 800 801", "the cgroup is empty now")
	if diff := cmp.Diff([]int{800, 801}, h.fs.Killed()); diff != "" {
		t.Errorf("killed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"/fake/sys/fs/cgroup/nscope-run-demo/cgroup.kill=1"}, h.fs.Writes()); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
}

// TestLimitsUndo: u shows the last journaled change of the cgroup and
// restores the old value.
func TestLimitsUndo(t *testing.T) {
	d, h := demoApp(t)
	d.keys("u")
	d.awaitPlan()
	d.wantDialog("nothing to undo: the journal", "has no change to /nscope-run-demo that can be undone", "nothing was written")
	d.keys("esc")
	d.awaitClosed()

	d.keys("p", "ctrl+u", "8", "enter")
	d.awaitPlan()
	d.keys("y")
	d.awaitApplied()
	if got := h.file("v2", demoCgroup, "pids.max"); got != "8" {
		t.Fatalf("pids.max is %q, want 8", got)
	}
	d.keys("enter")
	d.awaitClosed()

	d.keys("u")
	d.awaitPlan()
	d.wantDialog("Undo the last change · cgroup /nscope-run-demo", "Last change: set of /nscope-run-demo",
		"was 32 → 8", `write "32" to /fake/sys/fs/cgroup/nscope-run-demo/pids.max`, "now 8 → 32", "enter undoes")
	d.keys("enter")
	d.awaitApplied()
	d.wantDialog("8 → 32  read back")
	if got := h.file("v2", demoCgroup, "pids.max"); got != "32" {
		t.Errorf("pids.max is %q after undo, want 32", got)
	}
	if diff := cmp.Diff([]string{"set /nscope-run-demo undone", "undo /nscope-run-demo ok"}, h.changes(t)); diff != "" {
		t.Errorf("journal (-want +got):\n%s", diff)
	}
}

// TestLimitsSystemdConfirm: a systemd-managed cgroup warns that systemd
// may revert the write, names the systemctl command that persists it,
// and needs a typed y.
func TestLimitsSystemdConfirm(t *testing.T) {
	load := func() *inspect.Snapshot { return loadFixture(t, "small-2") }
	h := newFakeHost(t, load())
	d := limitsApp(t, 160, 50, h, load)
	d.keys("3", "/", "docker-9a3c", "enter")
	d.keys("c", "0.25", "enter")
	d.awaitPlan()
	scope := "docker-9a3c1e7d5b2f4a6c8e0d1f3b5a7c9e1d3f5b7a9c1e3d5f7b9a1c3e5d7f9b1a3c.scope"
	d.wantDialog(
		// The container ID is shortened in the prose, whole in the command.
		"is managed by systemd unit docker-9a3c1e7d5b2f….scope: systemd may revert a direct write",
		"systemctl set-property "+scope+" CPUQuota=25%",
		"y writes · esc cancels",
	)
	d.keys("enter")
	d.wantStep(stPreview)
	d.wantDialog("type y to write")
	if w := h.fs.Writes(); len(w) != 0 {
		t.Fatalf("enter wrote %v without a typed y", w)
	}
	d.keys("y")
	d.awaitApplied()
	if got := h.file("v2", "/system.slice/"+scope, "cpu.max"); got != "25000 100000" {
		t.Errorf("cpu.max is %q, want 25000 100000", got)
	}
}

// TestLimitsMemoryBelowUsage warns before a memory limit below what the
// cgroup uses and asks for a typed y.
func TestLimitsMemoryBelowUsage(t *testing.T) {
	d, _ := demoApp(t)
	d.keys("m", "1M", "enter")
	d.awaitPlan()
	d.wantDialog("is below what the cgroup uses now", "y writes")
}

// TestLimitsEditor: e lists the allowed files with their values; enter
// edits one in its own format.
func TestLimitsEditor(t *testing.T) {
	d, h := demoApp(t)
	d.keys("e")
	d.wantDialog("Limit files · cgroup /nscope-run-demo",
		"cpu.max      20000 100000 (20% of 1 CPU)", "cpu.weight   100 (the default)",
		"memory.max   67108864 (64 MiB)", "memory.high  62914560 (60 MiB)", "memory.low   0 (0 B)",
		"pids.max     32", `io.max       "" (no device limits)`)
	d.keys("down", "down", "down", "enter")
	d.wantDialog("memory.high · cgroup /nscope-run-demo", "memory.high: 62914560")
	d.keys("esc")
	d.wantDialog("Limit files · cgroup /nscope-run-demo")
	d.keys("enter", "ctrl+u", "48M", "enter")
	d.awaitPlan()
	d.wantDialog(`write "50331648" to /fake/sys/fs/cgroup/nscope-run-demo/memory.high`, "62914560 (60 MiB) → 50331648 (48 MiB)")
	d.keys("y")
	d.awaitApplied()
	if got := h.file("v2", demoCgroup, "memory.high"); got != "50331648" {
		t.Errorf("memory.high is %q, want 50331648", got)
	}
}

// TestLimitFilesAllowlist: the editor offers exactly the files control
// may write.
func TestLimitFilesAllowlist(t *testing.T) {
	files := map[int][]string{}
	for _, lf := range limitFiles {
		files[lf.version] = append(files[lf.version], lf.files...)
		for _, f := range lf.files {
			if fileHints[f] == "" {
				t.Errorf("%s has no hint", f)
			}
		}
	}
	for v, want := range map[int][]string{2: control.V2Files, 1: control.V1Files} {
		got := append([]string(nil), files[v]...)
		want = append([]string(nil), want...)
		sort.Strings(got)
		sort.Strings(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("v%d files (-control +editor):\n%s", v, diff)
		}
	}
}

// TestLimitsOnProcess acts on a selected process's cgroup and says so.
func TestLimitsOnProcess(t *testing.T) {
	d, h := demoApp(t)
	d.keys("2", "/", "stress", "enter")
	sel, _ := d.m.selection()
	if sel.Process == nil || sel.Process.PID != 801 {
		t.Fatalf("selection is %+v, want PID 801", sel)
	}
	d.keys("p")
	d.wantDialog("pids limit · cgroup /nscope-run-demo of PID 801 (stress)", "now     32 (pids.max)")
	d.keys("ctrl+u", "max", "enter")
	d.awaitPlan()
	d.keys("y")
	d.awaitApplied()
	if got := h.file("v2", demoCgroup, "pids.max"); got != "max" {
		t.Errorf("pids.max is %q, want max", got)
	}
}

// TestLimitsDialogFits draws every step at 80×24 and 160×50: no screen
// line is wider than the terminal and the title shows.
func TestLimitsDialogFits(t *testing.T) {
	for _, size := range goldenSizes {
		t.Run(itoa(size[0])+"x"+itoa(size[1]), func(t *testing.T) {
			load := func() *inspect.Snapshot { return loadFixture(t, "small-2") }
			h := newFakeHost(t, load())
			d := limitsApp(t, size[0], size[1], h, load)
			d.keys("3", "/", "docker-9a3c", "enter")
			check := func(step, want string) {
				t.Helper()
				s := screen(d.m)
				for i, l := range strings.Split(s, "\n") {
					if w := ansi.StringWidth(l); w > size[0] {
						t.Errorf("%s: line %d is %d cells wide:\n%s", step, i, w, l)
					}
				}
				if !strings.Contains(s, want) {
					t.Errorf("%s: the screen does not show %q:\n%s", step, want, s)
				}
			}
			d.keys("c")
			check("input", "CPU limit · cgroup /system.slice/docker-")
			d.keys("0.25", "enter")
			d.awaitPlan()
			check("preview", "y writes")
			d.keys("y")
			d.awaitApplied()
			check("result", "enter closes")
		})
	}
}

// TestLimitsV1Process: on a v1 host a process's CPU limit is written in
// the cpu hierarchy (cfs quota and period files) after enter (a nested
// cgroup needs no typed y), and its kill uses SIGKILL per member.
func TestLimitsV1Process(t *testing.T) {
	load := func() *inspect.Snapshot { return v1Snapshot(t) }
	h := newFakeHost(t, load())
	d := limitsApp(t, 160, 50, h, load)
	d.keys("2", "/", "sleep", "enter")
	d.keys("c")
	d.wantDialog("CPU limit · cpu cgroup /app/web of PID 900 (sleep)", "unlimited (cpu.cfs_quota_us -1, cpu.cfs_period_us 100000)")
	d.keys("1.5", "enter")
	d.awaitPlan()
	d.wantDialog(`write "150000" to /fake/sys/fs/cgroup/cpu/app/web/cpu.cfs_quota_us`, "CPU limit unlimited → 1.5 CPUs", "enter writes · esc cancels")
	d.keys("enter")
	d.awaitApplied()
	if got := h.file("cpu", "/app/web", "cpu.cfs_quota_us"); got != "150000" {
		t.Errorf("cpu.cfs_quota_us is %q, want 150000", got)
	}
	d.keys("enter")
	d.awaitClosed()

	// u on the process finds the change to its cgroup and reverts it.
	d.keys("u")
	d.awaitPlan()
	d.wantDialog("Undo the last change · cgroups of PID 900 (sleep)", "Last change: set of /app/web",
		"was -1 (unlimited) → 150000", `write "-1" to /fake/sys/fs/cgroup/cpu/app/web/cpu.cfs_quota_us`)
	d.keys("enter")
	d.awaitApplied()
	if got := h.file("cpu", "/app/web", "cpu.cfs_quota_us"); got != "-1" {
		t.Errorf("cpu.cfs_quota_us is %q after undo, want -1", got)
	}
	d.keys("enter")
	d.awaitClosed()

	d.keys("m", "256M", "enter")
	d.awaitPlan()
	d.wantDialog(`write "268435456" to /fake/sys/fs/cgroup/memory/app/web/memory.limit_in_bytes`)
	d.keys("esc")
	d.awaitClosed()

	d.keys("K")
	d.awaitPlan()
	d.wantDialog("Kill every process · freezer cgroup /app/web of PID 900 (sleep)", "Send SIGKILL to the 1 process in:", "900     sleep 1000")
	d.keys("y")
	d.awaitApplied()
	if diff := cmp.Diff([]int{900}, h.fs.Killed()); diff != "" {
		t.Errorf("killed (-want +got):\n%s", diff)
	}
	if got := h.file("freezer", "/app/web", "freezer.state"); got != "THAWED" {
		t.Errorf("freezer.state is %q after the kill, want THAWED", got)
	}
}

// v1Snapshot is a small legacy-v1 host: one cpu, cpuacct, memory,
// freezer and pids hierarchy each, a cgroup /app/web in all of them
// with "sleep 1000" (PID 900) in it, PID 1 at the roots.
func v1Snapshot(t *testing.T) *inspect.Snapshot {
	t.Helper()
	base := loadFixture(t, "small-2")
	s := &inspect.Snapshot{SchemaVersion: inspect.SchemaVersion, Time: base.Time, Host: base.Host, CgroupMode: inspect.CgroupLegacy}
	s.Host.SelfPID = 1
	ids := map[string]int{"cpu": 1, "cpuacct": 2, "memory": 4, "freezer": 6, "pids": 8}
	for _, c := range []string{"cpu", "cpuacct", "memory", "freezer", "pids"} {
		s.Hierarchies = append(s.Hierarchies, inspect.Hierarchy{ID: ids[c], Version: 1, Controllers: []string{c}, Mount: filepath.Join("/sys/fs/cgroup", c)})
	}
	i64 := func(v int64) *int64 { return &v }
	var sleeper, init inspect.Process
	for _, p := range base.Processes {
		if p.PID == 1 {
			init = p
		}
		if p.PID == 700 {
			sleeper = p
		}
	}
	sleeper.PID, sleeper.PPID, sleeper.Cmdline, sleeper.NSpid = 900, 1, []string{"sleep", "1000"}, []int{900}
	init.Cgroups, sleeper.Cgroups = nil, nil
	for _, h := range s.Hierarchies {
		init.Cgroups = append(init.Cgroups, inspect.ProcCgroup{Hierarchy: h.ID, Controllers: h.Controllers[0], Path: "/"})
		sleeper.Cgroups = append(sleeper.Cgroups, inspect.ProcCgroup{Hierarchy: h.ID, Controllers: h.Controllers[0], Path: "/app/web"})
		root := inspect.Cgroup{Hierarchy: h.ID, Path: "/", Procs: []int{1}}
		mid := inspect.Cgroup{Hierarchy: h.ID, Path: "/app"}
		app := inspect.Cgroup{Hierarchy: h.ID, Path: "/app/web", Procs: []int{900}}
		switch h.Controllers[0] {
		case "cpu":
			app.Raw = map[string]string{"cpu.cfs_quota_us": "-1", "cpu.cfs_period_us": "100000", "cpu.shares": "1024"}
			app.Limits.CPUQuotaUS, app.Limits.CPUPeriodUS, app.Limits.CPUShares = i64(-1), i64(100000), i64(1024)
		case "memory":
			app.Raw = map[string]string{"memory.limit_in_bytes": "9223372036854771712"}
			app.Limits.MemoryMax = i64(inspect.Unlimited)
			app.Usage.MemoryCurrent = i64(4 << 20)
		case "freezer":
			app.Raw = map[string]string{"freezer.state": "THAWED"}
			f := false
			app.Limits.Frozen = &f
		case "pids":
			app.Raw = map[string]string{"pids.max": "max"}
			app.Limits.PidsMax = i64(inspect.Unlimited)
		}
		s.Cgroups = append(s.Cgroups, root, mid, app)
	}
	s.Processes = []inspect.Process{init, sleeper}
	var buf strings.Builder
	if err := s.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	out, err := inspect.Load(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	return out
}
