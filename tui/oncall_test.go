package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// wantScreen fails unless the screen shows every text.
func (d *flowDriver) wantScreen(texts ...string) {
	d.t.Helper()
	got := screen(d.m)
	for _, s := range texts {
		if !strings.Contains(got, s) {
			d.t.Errorf("the screen does not show %q; it is:\n%s", s, got)
		}
	}
}

// TestFilterThenActionNamesTheMatch: the on-call flow of /, a name,
// enter, then an action key. The selection was on the last row, which
// the filter hides; the cursor must land on the first match (it landed
// on the last one, someone else's cgroup), the footer must name the
// cgroup the keys act on, and the dialog must name it in its title.
func TestFilterThenActionNamesTheMatch(t *testing.T) {
	load := func() *inspect.Snapshot { return loadFixture(t, "small-2") }
	h := newFakeHost(t, load())
	d := limitsApp(t, 80, 24, h, load)
	d.keys("3", "end")
	if sel, _ := d.m.selection(); sel.Cgroup == nil || sel.Cgroup.Path == "/system.slice/containerd.service" {
		t.Fatalf("the test starts on the last row, not %+v", sel.Cgroup)
	}
	d.keys("/", "service", "enter")
	sel, ok := d.m.selection()
	if !ok || sel.Merged == nil || sel.Merged.Path != "/system.slice/containerd.service" {
		t.Fatalf("after filtering, the selection is %+v; want the first match, /system.slice/containerd.service", sel.Merged)
	}
	d.wantScreen("→ /system.slice/containerd.service", "c cpu", "u undo")
	d.keys("c")
	d.wantDialog("CPU limit · cgroup /system.slice/containerd.service")
	d.keys("esc")
	d.awaitClosed()
	d.keys("f")
	d.awaitPlan()
	d.wantDialog("Freeze · cgroup /system.slice/containerd.service")
}

// TestMergedRowActsInEachHierarchy: on a v1 host the merged row /app/web
// is one row for the cgroup in the cpu, cpuacct, memory, freezer and
// pids hierarchies; each action writes the file of its controller in
// that controller's hierarchy, and the per-hierarchy tree is one key
// away with the same path selected.
func TestMergedRowActsInEachHierarchy(t *testing.T) {
	load := func() *inspect.Snapshot { return v1Snapshot(t) }
	h := newFakeHost(t, load())
	d := limitsApp(t, 160, 50, h, load)
	d.keys("3", "/", "web", "enter")
	sel, _ := d.m.selection()
	if sel.Merged == nil || sel.Merged.Path != "/app/web" || len(sel.Merged.Cgroups) != 5 {
		t.Fatalf("selection %+v, want the merged /app/web of 5 hierarchies", sel.Merged)
	}
	d.wantScreen("web", "4.0M", "hierarchies cpu · cpuacct · memory · freezer · pids")

	d.keys("c", "0.5", "enter")
	d.awaitPlan()
	d.wantDialog("CPU limit · cpu cgroup /app/web", `write "50000" to /fake/sys/fs/cgroup/cpu/app/web/cpu.cfs_quota_us`)
	d.keys("enter")
	d.awaitApplied()
	d.keys("enter")
	d.awaitClosed()
	d.keys("m", "256M", "enter")
	d.awaitPlan()
	d.wantDialog("memory limit · memory cgroup /app/web", `write "268435456" to /fake/sys/fs/cgroup/memory/app/web/memory.limit_in_bytes`)
	d.keys("esc")
	d.awaitClosed()
	d.keys("f")
	d.awaitPlan()
	d.wantDialog("Freeze · freezer cgroup /app/web", `write "FROZEN" to /fake/sys/fs/cgroup/freezer/app/web/freezer.state`)
	d.keys("y")
	d.awaitApplied()
	d.keys("enter")
	d.awaitClosed()
	d.awaitScan()
	d.wantScreen("FROZEN web")
	if got := h.file("freezer", "/app/web", "freezer.state"); got != "FROZEN" {
		t.Fatalf("freezer.state = %q, want FROZEN", got)
	}

	// The cpu hierarchy's row: u undoes the CPU limit, not the freeze.
	d.keys("v")
	sel, _ = d.m.selection()
	if sel.Merged != nil || sel.Cgroup == nil || sel.Cgroup.Path != "/app/web" || sel.Snapshot.Hierarchy(sel.Cgroup.Hierarchy).Label() != "cpu" {
		t.Fatalf("after v the selection is %+v, want the cpu hierarchy's /app/web", sel.Cgroup)
	}
	d.wantScreen("per hierarchy", "cpu /", "freezer /")
	d.keys("u")
	d.awaitPlan()
	d.wantDialog("Undo the last change · cpu cgroup /app/web", "Last change: set of /app/web", `write "-1" to /fake/sys/fs/cgroup/cpu/app/web/cpu.cfs_quota_us`)
	d.keys("esc")
	d.awaitClosed()

	// The merged row: u undoes the newest change of the path, the
	// freeze, and asks for a typed y as freezing does.
	d.keys("v")
	d.keys("u")
	d.awaitPlan()
	d.wantDialog("Undo the last change · cgroup /app/web", "Last change: freeze of /app/web", "this undoes a freeze: it thaws /app/web", "y undoes")
	d.keys("enter")
	d.wantStep(stPreview)
	d.keys("y")
	d.awaitApplied()
	if got := h.file("freezer", "/app/web", "freezer.state"); got != "THAWED" {
		t.Errorf("freezer.state = %q after undoing the freeze, want THAWED", got)
	}
}

// TestUndoOfThawAsks: set, freeze, thaw; then u offers the thaw (the
// newest change) and says that undoing it freezes the cgroup again, and
// only a typed y does it.
func TestUndoOfThawAsks(t *testing.T) {
	d, h := demoApp(t)
	for _, step := range []string{"freeze", "thaw"} {
		d.keys("f")
		d.awaitPlan()
		d.wantDialog(map[string]string{"freeze": "Freeze", "thaw": "Thaw"}[step] + " · cgroup " + demoCgroup)
		d.keys("y")
		d.awaitApplied()
		d.keys("enter")
		d.awaitClosed()
		d.awaitScan()
	}
	d.keys("u")
	d.awaitPlan()
	d.wantDialog("Last change: thaw of "+demoCgroup, "this undoes a thaw: it freezes "+demoCgroup+" again", "y undoes · esc cancels")
	d.keys("enter")
	d.wantStep(stPreview)
	d.wantDialog("type y to undo")
	if got := h.file("v2", demoCgroup, "cgroup.freeze"); got != "0" {
		t.Fatalf("cgroup.freeze = %q before confirming, want 0", got)
	}
	d.keys("esc")
	d.awaitClosed()
}

// TestHistoryPaneTwoUsers: alice and bob both change /nscope-run-demo
// through the same journal. The history pane lists who (user and PID),
// when, what and the result, newest first, marks the viewer's own
// changes, filters to the selected cgroup, and undoes the chosen change
// (alice's, older than bob's, of another file) with the usual preview,
// coming back to the pane with it undone.
func TestHistoryPaneTwoUsers(t *testing.T) {
	load := func() *inspect.Snapshot { return loadFixture(t, "small-2") }
	h := newFakeHost(t, load(), control.WithUser("alice"))
	bob := control.New(h.layout, control.WithFS(h.fs), control.WithJournalDir(h.jdir), control.WithUser("bob"))
	d := limitsApp(t, 160, 50, h, load)
	d.keys("3", "/", "nscope-run-demo", "enter")

	d.keys("c", "0.5", "enter")
	d.awaitPlan()
	d.keys("y")
	d.awaitApplied()
	d.keys("enter")
	d.awaitClosed()
	p, err := bob.Plan(control.Target{Path: demoCgroup}, control.Limits{PidsMax: ptr(int64(16))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Apply(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	// Another cgroup's change, hidden by the pane's cgroup filter.
	p, err = bob.Plan(control.Target{Path: "/system.slice/ssh.service"}, control.Limits{PidsMax: ptr(int64(9))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Apply(t.Context(), p); err != nil {
		t.Fatal(err)
	}

	d.keys("H")
	awaitMsg[historyLoadedMsg](d, "the journal")
	d.wantDialog("Change history · cgroup "+demoCgroup, "bob (PID", "alice (PID", "(you)", "pids.max 32 → 16", "cpu.max 20000 100000 → 50000 100000", "1 of 2 ·")
	text := d.dialogText()
	if strings.Index(text, "bob (PID") > strings.Index(text, "alice (PID") {
		t.Errorf("the pane is not newest first:\n%s", text)
	}
	if strings.Contains(text, "ssh.service") {
		t.Errorf("the pane shows another cgroup's change:\n%s", text)
	}
	d.keys("a")
	d.wantDialog("Change history · all cgroups", "ssh.service", "1 of 3 ·")
	d.keys("a")

	// Undo alice's change from the pane.
	d.keys("down", "u")
	d.awaitPlan()
	d.wantDialog("Undo set of cgroup "+demoCgroup+" · alice (PID", "Last change: set of "+demoCgroup, `write "20000 100000" to /fake/sys/fs/cgroup/nscope-run-demo/cpu.max`)
	d.keys("enter")
	d.awaitApplied()
	if got := h.file("v2", demoCgroup, "cpu.max"); got != "20000 100000" {
		t.Errorf("cpu.max = %q after the undo, want 20000 100000", got)
	}
	if got := h.file("v2", demoCgroup, "pids.max"); got != "16" {
		t.Errorf("pids.max = %q: undoing alice's change touched bob's", got)
	}
	d.keys("enter")
	awaitMsg[historyLoadedMsg](d, "the journal again")
	if _, ok := d.m.dialogs.Top().(*historyPane); !ok {
		t.Fatalf("after the undo the open dialog is %T, want the history pane", d.m.dialogs.Top())
	}
	d.wantDialog("undone", "undo "+demoCgroup)
	d.keys("esc")
	d.awaitClosed()
	if diff := cmp.Diff([]string{"set /nscope-run-demo undone", "set /nscope-run-demo ok", "set /system.slice/ssh.service ok", "undo /nscope-run-demo ok"}, h.changes(t)); diff != "" {
		t.Errorf("journal (-want +got):\n%s", diff)
	}
}

// TestHistoryPaneRefusesOutOfOrderUndo: undoing an older change of a
// file that a newer change (someone else's) wrote again is refused, and
// nothing is written.
func TestHistoryPaneRefusesOutOfOrderUndo(t *testing.T) {
	load := func() *inspect.Snapshot { return loadFixture(t, "small-2") }
	h := newFakeHost(t, load(), control.WithUser("alice"))
	bob := control.New(h.layout, control.WithFS(h.fs), control.WithJournalDir(h.jdir), control.WithUser("bob"))
	d := limitsApp(t, 160, 50, h, load)
	for _, who := range []*control.Editor{h.ed, bob} {
		p, err := who.Plan(control.Target{Path: demoCgroup}, control.Limits{PidsMax: ptr(int64(8 + len(who.User())))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := who.Apply(t.Context(), p); err != nil {
			t.Fatal(err)
		}
	}
	d.keys("3", "/", "nscope-run-demo", "enter", "H")
	awaitMsg[historyLoadedMsg](d, "the journal")
	d.keys("down", "u")
	d.awaitPlan()
	d.wantDialog("wrote the same files after this one: undo it first", "bob (PID", "nothing was written")
	if got := h.file("v2", demoCgroup, "pids.max"); got != "11" {
		t.Errorf("pids.max = %q, want bob's 11 untouched", got)
	}
}

// TestSortShowsTheTop: after s the top row is selected and on screen,
// and the tab line says where the cursor is.
func TestSortShowsTheTop(t *testing.T) {
	m := liveModel(t, 80, 24, loadFixture(t, "host-1"), loadFixture(t, "host-2"))
	keys(m, "end")
	l := m.list()
	if l.offset == 0 {
		t.Fatalf("the test needs a list longer than the screen (%d rows, %d shown)", len(l.rows), l.height)
	}
	n := len(l.rows)
	if !strings.Contains(screen(m), itoa(n)+"/"+itoa(n)) {
		t.Errorf("at the end the tab line does not say %d/%d:\n%s", n, n, screen(m))
	}
	keys(m, "s")
	if l.cursor != 0 || l.offset != 0 {
		t.Errorf("after s the cursor is at %d with the list scrolled to %d; want the top", l.cursor, l.offset)
	}
	if !strings.Contains(screen(m), "1/"+itoa(n)+" · tree · sort CPU") {
		t.Errorf("after s the tab line does not say 1/%d and the order:\n%s", n, screen(m))
	}
	// The Cgroups view cycles name → CPU → memory, never PID.
	keys(m, "3")
	var orders []string
	for range 4 {
		keys(m, "s")
		orders = append(orders, m.list().opt.Sort.String())
	}
	if diff := cmp.Diff([]string{"CPU", "memory", "name", "CPU"}, orders); diff != "" {
		t.Errorf("cgroup sort orders (-want +got):\n%s", diff)
	}
}

// TestSparklineAcrossQuotaChange: a cgroup at 0.98 cores is limited to
// 0.20; the HISTORY column and the detail chart keep one scale (1 core),
// so the bars drop at the change, the refreshes at the quota are marked,
// and what was drawn before the change is drawn the same after it.
func TestSparklineAcrossQuotaChange(t *testing.T) {
	base := loadFixture(t, "small-2")
	const path = demoCgroup
	snaps := []*inspect.Snapshot{}
	usage := int64(0)
	for i := range 9 {
		quota := int64(-1)
		cores := 0.98
		if i >= 5 {
			quota, cores = 20000, 0.20
		}
		usage += int64(cores * 1e6)
		snaps = append(snaps, withCgroupCPU(t, base, path, base.Time.Add(time.Duration(i)*time.Second), usage, quota))
	}
	before := liveModel(t, 160, 50, snaps[:5]...)
	after := liveModel(t, 160, 50, snaps...)
	for _, m := range []*Model{before, after} {
		keys(m, "3", "/", "nscope-run-demo", "enter")
	}
	row := func(m *Model) string {
		for _, l := range strings.Split(screen(m), "\n") {
			if strings.Contains(l, "nscope:demo") {
				return l
			}
		}
		t.Fatalf("no nscope:demo row:\n%s", screen(m))
		return ""
	}
	spark := func(m *Model) string {
		l := strings.TrimRight(strings.Split(row(m), "│")[0], " ")
		r := []rune(l)
		return string(r[len(r)-8:])
	}
	// 4 samples at 0.98 of 1 core (▇), then 4 at 0.20 (▂).
	if got, want := spark(before), "    ▇▇▇▇"; got != want {
		t.Errorf("HISTORY before the change = %q, want %q", got, want)
	}
	if got, want := spark(after), "▇▇▇▇▂▂▂▂"; got != want {
		t.Errorf("HISTORY after the change = %q, want %q (the drop must show)", got, want)
	}
	chart := func(m *Model) []string {
		var out []string
		lines := strings.Split(screen(m), "\n")
		for i, l := range lines {
			if strings.Contains(l, "CPU history") {
				for _, c := range lines[i : i+3] {
					out = append(out, strings.SplitN(c, "│", 2)[1])
				}
			}
		}
		return out
	}
	c := chart(after)
	if len(c) != 3 || !strings.Contains(c[0], "1 core") || !strings.Contains(c[2], "┈ quota 0.20") {
		t.Fatalf("the detail chart does not name its 1-core scale and the quota:\n%s", strings.Join(c, "\n"))
	}
	if !strings.Contains(c[0], "████▁   ") && !strings.Contains(c[1], "████") {
		t.Errorf("the chart does not show the 0.98 cores before the change:\n%s", strings.Join(c, "\n"))
	}
	// The rows at 0.2 cores are empty above the bottom row: the drop.
	for _, l := range c[:2] {
		if strings.Contains(l, "████▇") {
			t.Errorf("bars after the change reach %q", l)
		}
	}
	if m := after.ix.MergedCgroup(path); m == nil || !procview.AtQuota(after.hist.CPU(after.ix.CPUSource(m)), after.hist.Quota(after.ix.CPUSource(m)))[7] {
		t.Errorf("the refreshes at the 0.20 quota are not marked as at the quota")
	}
}

// withCgroupCPU returns a copy of snap taken at at, with the cgroup
// path's CPU usage and quota (-1: none) set.
func withCgroupCPU(t *testing.T, snap *inspect.Snapshot, path string, at time.Time, usageUS, quotaUS int64) *inspect.Snapshot {
	t.Helper()
	var buf strings.Builder
	if err := snap.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	s, err := inspect.Load(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	s.Time = at
	for i := range s.Cgroups {
		c := &s.Cgroups[i]
		if c.Path != path {
			continue
		}
		u, q, per := usageUS, quotaUS, int64(100000)
		if q < 0 {
			q = inspect.Unlimited
		}
		c.Usage.CPUUsageUS = &u
		c.Limits.CPUQuotaUS, c.Limits.CPUPeriodUS = &q, &per
	}
	return s
}

func ptr[T any](v T) *T { return &v }
