package tui

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
)

// flowDriver runs the app model as the Bubble Tea runtime does: the
// commands Update returns run in goroutines and their messages come back
// to Update. Timer messages (the next scan, the clock) are dropped, so a
// test only sees the scans it asks for with RefreshNow.
type flowDriver struct {
	t    *testing.T
	m    *Model
	msgs chan tea.Msg
	done chan struct{}
	// scans counts the scan results delivered that were not stale;
	// keysAt is scans at the last key press (see awaitScan).
	scans, keysAt int
}

func init() {
	// Line-editing keys the dialogs' inputs take.
	keyNames["ctrl+u"] = tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}
}

func newFlowDriver(t *testing.T, m *Model) *flowDriver {
	d := &flowDriver{t: t, m: m, msgs: make(chan tea.Msg, 64), done: make(chan struct{})}
	t.Cleanup(func() { close(d.done) })
	return d
}

// exec runs cmd as the runtime would.
func (d *flowDriver) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		select {
		case d.msgs <- msg:
		case <-d.done:
		}
	}()
}

// send delivers msg to the model and runs the command it returns.
func (d *flowDriver) send(msg tea.Msg) {
	if s, ok := msg.(scanMsg); ok && s.gen == d.m.gen {
		d.scans++
	}
	_, cmd := d.m.Update(msg)
	d.exec(cmd)
}

// keys presses keys; a string that is not a key name is typed.
func (d *flowDriver) keys(ks ...string) {
	d.keysAt = d.scans
	for _, k := range ks {
		if _, ok := keyNames[k]; ok || len([]rune(k)) == 1 {
			d.send(press(k))
			continue
		}
		for _, r := range k {
			d.send(press(string(r)))
		}
	}
}

// await delivers the messages commands produce until one satisfies want,
// after delivering that one too. A command that never answers fails the
// test after 20 s (a bound for a hang, not a timing assertion).
func (d *flowDriver) await(what string, want func(tea.Msg) bool) {
	d.t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case msg := <-d.msgs:
			switch msg := msg.(type) {
			case nil, tickMsg, clockMsg:
				continue
			case tea.BatchMsg:
				for _, c := range msg {
					d.exec(c)
				}
				continue
			}
			d.send(msg)
			if want(msg) {
				return
			}
		case <-timeout:
			d.t.Fatalf("no %s within 20 s; the screen is:\n%s", what, screen(d.m))
		}
	}
}

// awaitMsg delivers messages until one of type T, and returns it.
func awaitMsg[T tea.Msg](d *flowDriver, what string) T {
	d.t.Helper()
	var got T
	d.await(what, func(m tea.Msg) bool {
		t, ok := m.(T)
		if ok {
			got = t
		}
		return ok
	})
	return got
}

// awaitPlan, awaitApplied and awaitScan wait for the dialog's plan, its
// apply result and the next scan.
func (d *flowDriver) awaitPlan() {
	d.t.Helper()
	awaitMsg[flowPlannedMsg](d, "plan")
}

func (d *flowDriver) awaitApplied() {
	d.t.Helper()
	awaitMsg[flowAppliedMsg](d, "apply result")
}

// awaitScan waits until a scan result newer than the last key press
// has been applied. It may already have been, while another await
// delivered messages: commands run concurrently, so the scan a closing
// dialog asks for can come back before the dialog's own close message.
func (d *flowDriver) awaitScan() {
	d.t.Helper()
	if d.scans == d.keysAt {
		d.await("scan", func(tea.Msg) bool { return d.scans > d.keysAt })
	}
	d.keysAt = d.scans
}

// awaitClosed waits until no dialog is open (closing is a command).
func (d *flowDriver) awaitClosed() {
	d.t.Helper()
	if d.m.dialogs.Len() == 0 {
		return
	}
	d.await("the dialog to close", func(tea.Msg) bool { return d.m.dialogs.Len() == 0 })
}

// awaitFlash waits for a status-line message and returns its text.
func (d *flowDriver) awaitFlash() string {
	d.t.Helper()
	return awaitMsg[FlashMsg](d, "status message").Text
}

// wantStep fails unless the open dialog is a change dialog at step st
// (e.g. still on the preview: nothing is being written).
func (d *flowDriver) wantStep(st flowState) {
	d.t.Helper()
	cd, ok := d.m.dialogs.Top().(*changeDialog)
	if !ok {
		d.t.Fatalf("the open dialog is %T, not a change dialog", d.m.dialogs.Top())
	}
	if cd.state != st {
		d.t.Fatalf("the dialog is at step %d, want %d:\n%s", cd.state, st, d.dialogText())
	}
}

// dialogText returns the open dialog as plain text, lines trimmed, or ""
// when none is open.
func (d *flowDriver) dialogText() string {
	top := d.m.dialogs.Top()
	if top == nil {
		return ""
	}
	lines := strings.Split(ansi.Strip(top.View(dialogWidth, 60)), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// wantDialog fails unless the open dialog shows every text. White space
// is ignored: long lines wrap, also inside paths.
func (d *flowDriver) wantDialog(texts ...string) {
	d.t.Helper()
	got := d.dialogText()
	for _, s := range texts {
		if !strings.Contains(squeeze(got), squeeze(s)) {
			d.t.Errorf("the dialog does not show %q; it shows:\n%s", s, got)
		}
	}
}

// squeeze drops all white space.
func squeeze(s string) string { return strings.Join(strings.Fields(s), "") }

// fakeHost is a fake cgroupfs holding the small fixture's cgroups with
// their limits, and an Editor on it journaling to a temporary directory.
type fakeHost struct {
	fs     *control.FakeFS
	layout inspect.CgroupLayout
	ed     *control.Editor
	jdir   string
}

// newFakeHost mirrors snap's cgroups (their limit files as the snapshot
// read them, and their members) into a fake cgroupfs of the same mode,
// with an Editor on it for the app's Options (see limitsApp).
func newFakeHost(t *testing.T, snap *inspect.Snapshot, opts ...control.Option) *fakeHost {
	t.Helper()
	fs, layout := control.NewFakeHost(snap.CgroupMode)
	h := &fakeHost{fs: fs, layout: layout, jdir: t.TempDir()}
	for i := range snap.Cgroups {
		c := &snap.Cgroups[i]
		if c.Path != "/" {
			fs.AddCgroup(layout, c.Path)
		}
	}
	for i := range snap.Cgroups {
		c := &snap.Cgroups[i]
		sh := snap.Hierarchy(c.Hierarchy)
		dir := h.dir(sh, c.Path)
		if dir == "" || c.Path == "/" {
			continue
		}
		for _, f := range append(append([]string{}, control.V2Files...), control.V1Files...) {
			if v, ok := control.FileValue(c, f); ok && fs.File(filepath.Join(dir, f)) != "" {
				fs.SetFile(filepath.Join(dir, f), v)
			}
		}
		if u := c.Usage.MemoryCurrent; u != nil {
			name := "memory.current"
			if sh.Version == 1 {
				name = "memory.usage_in_bytes"
			}
			fs.SetFile(filepath.Join(dir, name), strconv.FormatInt(*u, 10))
		}
		fs.AddProcs(dir, c.Procs...)
	}
	all := append([]control.Option{control.WithFS(fs), control.WithJournalDir(h.jdir), control.WithTimeouts(time.Millisecond, 5*time.Second)}, opts...)
	h.ed = control.New(layout, all...)
	return h
}

// dir returns the fake directory of a snapshot hierarchy's cgroup.
func (h *fakeHost) dir(sh *inspect.Hierarchy, path string) string {
	for _, fh := range h.layout.Hierarchies {
		if fh.Version == sh.Version && fh.Label() == sh.Label() {
			return filepath.Join(fh.Mount, path)
		}
	}
	return ""
}

// file returns a fake file's content by hierarchy label and path.
func (h *fakeHost) file(label, cgroup, file string) string {
	for _, fh := range h.layout.Hierarchies {
		if fh.Label() == label {
			return h.fs.File(filepath.Join(fh.Mount, cgroup, file))
		}
	}
	panic("no hierarchy " + label)
}

// scan returns snap as a scan of the fake host would see it now: the
// limits, freeze state and members read back from the fake cgroupfs, at
// a later time.
func (h *fakeHost) scan(load func() *inspect.Snapshot) func() (*inspect.Snapshot, error) {
	var n atomic.Int64
	return func() (*inspect.Snapshot, error) {
		s := load()
		s.Time = s.Time.Add(time.Duration(n.Add(1)) * time.Second)
		for i := range s.Cgroups {
			c := &s.Cgroups[i]
			dir := h.dir(s.Hierarchy(c.Hierarchy), c.Path)
			if dir == "" || c.Path == "/" {
				continue
			}
			c.Raw = map[string]string{}
			for _, f := range append(append([]string{"cgroup.freeze", "freezer.state"}, control.V2Files...), control.V1Files...) {
				if v := h.fs.File(filepath.Join(dir, f)); v != "" {
					c.Raw[f] = v
				}
			}
			l := &c.Limits
			if q, p, err := inspect.ParseCPUMax([]byte(c.Raw["cpu.max"])); err == nil {
				l.CPUQuotaUS, l.CPUPeriodUS = &q, &p
			}
			for f, dst := range map[string]**int64{"cpu.cfs_quota_us": &l.CPUQuotaUS, "memory.max": &l.MemoryMax, "memory.limit_in_bytes": &l.MemoryMax, "memory.high": &l.MemoryHigh, "pids.max": &l.PidsMax} {
				if v, err := inspect.ParseLimitValue([]byte(c.Raw[f])); err == nil {
					*dst = &v
				}
			}
			if v, ok := c.Raw["cgroup.freeze"]; ok {
				frozen := v == "1"
				l.Frozen = &frozen
			}
			if v, ok := c.Raw["freezer.state"]; ok {
				frozen := v == "FROZEN"
				l.Frozen = &frozen
			}
			c.Procs = nil
			for _, f := range strings.Fields(h.fs.File(filepath.Join(dir, "cgroup.procs"))) {
				if pid, err := strconv.Atoi(f); err == nil {
					c.Procs = append(c.Procs, pid)
				}
			}
		}
		return s, nil
	}
}

// changes returns the journal's changes as "action cgroup status".
func (h *fakeHost) changes(t *testing.T) []string {
	t.Helper()
	cs, err := h.ed.Changes()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s %s %s", c.Action, c.Cgroup, c.Status()))
	}
	return out
}

// limitsApp returns the app on a live "host" whose scans read the fake
// cgroupfs, at w×h, after two scans, with a driver.
func limitsApp(t *testing.T, w, hgt int, h *fakeHost, load func() *inspect.Snapshot, opts ...func(*Options)) *flowDriver {
	t.Helper()
	scan := h.scan(load)
	first, _ := scan()
	second, _ := scan()
	now := second.Time.Add(1500 * time.Millisecond)
	o := Options{Source: scanFunc(scan), Editor: h.ed, Now: func() time.Time { return now }}
	for _, f := range opts {
		f(&o)
	}
	m := New(o)
	send(m, tea.WindowSizeMsg{Width: w, Height: hgt})
	m.Init()
	for _, s := range []*inspect.Snapshot{first, second} {
		send(m, scanMsg{gen: m.gen, snap: s})
		send(m, tickMsg{gen: m.gen})
	}
	return newFlowDriver(t, m)
}
