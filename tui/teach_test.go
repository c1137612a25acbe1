package tui

import (
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
	"github.com/nscope/nscope/tui/dialog"
)

// TestGoldenTeach renders the nesting tree and what namespaces hold (read
// through a Source that can, see contentSource) and compares the screens
// with testdata/golden, at 80×24 and 160×50.
func TestGoldenTeach(t *testing.T) {
	tests := []struct {
		name string
		keys []string
	}{
		// o: rootless podman's pid namespace moves from under its user
		// namespace to under the host's pid namespace, its owner accented.
		{name: "namespaces-nesting", keys: []string{"1", "o"}},
		// Its detail: the parent owned by another user namespace, the
		// init's PID at every level.
		{name: "nesting-pid-detail", keys: []string{"1", "o", "/", "4026532402", "enter"}},
		// The user namespace: uid_map and gid_map and the sentence.
		{name: "user-content", keys: []string{"1", "down"}},
		// The container's network namespace: a veth whose peer is in the
		// host's namespace, a link to follow.
		{name: "net-content", keys: []string{"1", "/", "4026532206", "enter"}},
		// Following the peer link lands on the host's namespace with the
		// bridge and its port.
		{name: "net-peer-followed", keys: []string{"1", "/", "4026532206", "enter", "enter", "enter"}},
		{name: "mnt-content", keys: []string{"1", "/", "4026532201", "enter"}},
		// A namespace no process or holder leads into says so.
		{name: "content-unreachable", keys: []string{"1", "/", "4026532601", "enter"}},
	}
	for _, tc := range tests {
		for _, size := range goldenSizes {
			name := tc.name + "-" + itoa(size[0]) + "x" + itoa(size[1])
			t.Run(name, func(t *testing.T) {
				m, _ := teachModel(t, size[0], size[1], Options{})
				teachKeys(m, tc.keys...)
				checkGolden(t, name, screen(m))
			})
		}
	}
}

// TestNestingTreeMatchesParents: in the nesting tree every pid and user
// namespace is drawn right under its parent and every other namespace
// under its owner, and toggling back restores the ownership tree; the
// selection survives both ways.
func TestNestingTreeMatchesParents(t *testing.T) {
	m, _ := teachModel(t, 160, 50, Options{})
	keys(m, "1", "+", "/", "4026532402", "enter", "esc")
	keys(m, "o")
	l := m.list()
	if !l.opt.Nesting || !strings.Contains(screen(m), "nesting tree") {
		t.Fatalf("o did not switch to the nesting tree:\n%s", screen(m))
	}
	if r := l.selected(); r == nil || r.Namespace == nil || r.Namespace.ID != podPID {
		t.Errorf("the selection moved to %+v, want pid %s", r, podPID)
	}
	s := m.snap
	var stack []*inspect.Namespace
	for _, r := range l.rows {
		stack = append(stack[:r.Depth], r.Namespace)
		n := r.Namespace
		var up inspect.NSID
		switch n.Type {
		case inspect.PIDNS, inspect.UserNS:
			up = n.Parent
		default:
			up = n.Owner
		}
		if r.Depth == 0 {
			if s.Namespace(up) != nil && up != n.ID {
				t.Errorf("%s %s is a root, but its parent %s is in the snapshot", n.Type, n.ID, up)
			}
			continue
		}
		if got := stack[r.Depth-1].ID; got != up {
			t.Errorf("%s %s is drawn under %s, want %s", n.Type, n.ID, got, up)
		}
	}
	if len(l.rows) != len(s.Namespaces) {
		t.Errorf("the nesting tree has %d rows, the snapshot %d namespaces", len(l.rows), len(s.Namespaces))
	}
	keys(m, "o")
	if l.opt.Nesting || !strings.Contains(screen(m), "ownership tree") {
		t.Errorf("a second o did not come back to the ownership tree:\n%s", screen(m))
	}
	keys(m, "2", "o")
	if !strings.Contains(screen(m), "press 1 first") {
		t.Errorf("o outside the Namespaces view says nothing:\n%s", screen(m))
	}
}

// TestContentReadOncePerScan: what a namespace holds is read in a command
// (never in Update), once per full scan however often it is selected, and
// again after the next full scan; a counter refresh keeps it.
func TestContentReadOncePerScan(t *testing.T) {
	m, src := teachModel(t, 100, 30, Options{})
	keys(m, "1", "down")
	if got := src.readsOf(podUser); got != 0 {
		t.Fatalf("Update read the namespace itself (%d reads): it must only return a command", got)
	}
	if !strings.Contains(screen(m), "reading…") {
		t.Errorf("the pane does not say the content is being read:\n%s", screen(m))
	}
	readContent(m)
	if !strings.Contains(screen(m), "uid 0 inside is uid 1000 on the host") {
		t.Errorf("the user namespace's maps are not shown:\n%s", screen(m))
	}
	teachKeys(m, "up", "down", "up", "down")
	if got := src.readsOf(podUser); got != 1 {
		t.Errorf("selecting it again read it %d times in one scan, want 1", got)
	}
	// A counter refresh of the same full scan keeps what was read.
	base := m.ixBase
	send(m, scanMsg{gen: m.gen, snap: m.snap, refreshed: true, procCPU: map[int]float64{}, base: base})
	readContent(m)
	if got := src.readsOf(podUser); got != 1 {
		t.Errorf("a counter refresh read it again (%d reads)", got)
	}
	// A new full scan reads it again.
	send(m, scanMsg{gen: m.gen, snap: loadFixture(t, "small-2")})
	readContent(m)
	if got := src.readsOf(podUser); got != 2 {
		t.Errorf("after a new full scan it was read %d times, want 2", got)
	}
}

// TestContentOnLoadedSnapshot: a saved snapshot has no kernel to ask, and
// the detail pane says so instead of reading.
func TestContentOnLoadedSnapshot(t *testing.T) {
	m := New(Options{Snapshot: loadFixture(t, "small-2"), LoadedFrom: "small-2.json"})
	send(m, tea.WindowSizeMsg{Width: 120, Height: 30})
	keys(m, "1", "down")
	if cmd := m.loadContent(); cmd != nil {
		t.Error("the app wants to read a namespace of a saved snapshot")
	}
	if !strings.Contains(screen(m), "a saved snapshot has no kernel to ask") {
		t.Errorf("the pane does not say why nothing is read:\n%s", screen(m))
	}
}

// TestExplainEachKind: i explains the selection, whatever its kind, with
// its own numbers: a namespace kept by a bind mount and how to free it, a
// process's PID at every level, a cgroup's quota, throttling, memory
// limit, OOM kills and pressure; a link focused in the detail pane is
// explained rather than the row.
func TestExplainEachKind(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		want []string
	}{
		{"namespace kept by a bind mount", []string{"1", "/", "4026532600", "enter"}, []string{
			"This namespace has no process", "bind mount /run/netns/blue", "`ip netns delete blue` frees it",
			"A network namespace has its own network devices",
		}},
		{"user namespace with its maps", []string{"1", "down"}, []string{
			"created by uid 1000", "It owns 3 namespaces", "Its ID maps: uid 0 inside is uid 1000 on the host",
		}},
		{"process", []string{"2", "/", "stress", "enter"}, []string{
			"PID 801 is PID 2 here, 801 on the host", "mnt, pid, net and uts namespaces shared with other processes", "It runs in nscope:demo",
		}},
		{"cgroup", []string{"3", "/", "nscope-run-demo", "enter"}, []string{
			"cpu.max says 20000 µs every 100000 µs", "throttled in 80% of the periods", "memory.max is 64 MiB",
			"OOM killer killed 2 processes", "cpu.pressure some avg10 78.20",
		}},
		{"link focused in the detail pane", []string{"2", "/", "nginx: master", "enter", "enter", "down", "down"}, []string{
			"PID namespace pid:[4026532204]", "Its init is PID 631 (nginx), PID 1 here",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := teachModel(t, 120, 60, Options{})
			teachKeys(m, tc.keys...)
			keys(m, "i")
			d, ok := m.dialogs.Top().(*dialog.Text)
			if !ok {
				t.Fatalf("i opened no lesson; the screen is:\n%s", screen(m))
			}
			got := d.Title + "\n" + strings.Join(d.Paragraphs, "\n")
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("the lesson lacks %q:\n%s", w, got)
				}
			}
			runCmd(m, send(m, press("i")))
			if m.dialogs.Len() != 0 {
				t.Error("i did not close the lesson")
			}
		})
	}
}

// runCmd runs a command the app returned, with the messages of a batch,
// and delivers every message to the app; it stops at commands that would
// wait (ticks), which these flows do not return.
func runCmd(m *Model, cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			runCmd(m, c)
		}
	case nil:
	default:
		runCmd(m, send(m, msg))
	}
}

// TestExport: d writes the namespace diagram as SVG and DOT to the export
// directory and names both files in the status line; the SVG is XML and
// the DOT is Graphviz's; a second export in the same second gets a new
// name and leaves the first untouched, and a symlink planted at a name is
// neither followed nor overwritten; D draws the selection's neighbourhood
// and refuses a cgroup.
func TestExport(t *testing.T) {
	dir := t.TempDir()
	m, _ := teachModel(t, 160, 40, Options{ExportDir: dir})
	keys(m, "1")
	runCmd(m, send(m, press("d")))
	status := m.flash.Text
	svg := filepath.Join(dir, "nscope-namespaces-20260301-120002.svg")
	dot := filepath.Join(dir, "nscope-namespaces-20260301-120002.dot")
	if !strings.Contains(status, "wrote "+svg+" and nscope-namespaces-20260301-120002.dot") {
		t.Fatalf("the status line does not name the files %s and .dot: %q", svg, status)
	}
	if !strings.Contains(screen(m), " wrote "+svg) {
		t.Errorf("the status line is not on the screen:\n%s", screen(m))
	}
	if !strings.Contains(status, "1 veth link") {
		t.Errorf("the web container's veth is not in the diagram: %q", status)
	}
	checkSVG(t, svg, "veth9a3c1e7", "sleep")
	checkDOT(t, dot)
	first, _ := os.ReadFile(svg)

	// A symlink at the next name: not followed, not replaced.
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, "nscope-namespaces-20260301-120002-2.dot")); err != nil {
		t.Fatal(err)
	}
	runCmd(m, send(m, press("d")))
	if again, _ := os.ReadFile(svg); string(again) != string(first) {
		t.Error("the second export changed the first file")
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Error("the export wrote through a symlink")
	}
	if _, err := os.Stat(filepath.Join(dir, "nscope-namespaces-20260301-120002-2.svg")); err == nil {
		t.Error("an SVG was left at the name whose DOT was taken")
	}
	svg3 := filepath.Join(dir, "nscope-namespaces-20260301-120002-3.svg")
	if !strings.Contains(m.flash.Text, svg3) {
		t.Errorf("the second export is not %s: %q", svg3, m.flash.Text)
	}
	checkSVG(t, svg3)

	// D on the stress process: its neighbourhood only.
	keys(m, "2", "/", "stress", "enter")
	runCmd(m, send(m, press("D")))
	around := filepath.Join(dir, "nscope-pid-801-20260301-120002.svg")
	if !strings.Contains(m.flash.Text, around) {
		t.Fatalf("D did not name %s: %q", around, m.flash.Text)
	}
	data := checkSVG(t, around, "stress")
	if strings.Contains(data, "nginx") {
		t.Error("the neighbourhood of stress draws nginx")
	}
	keys(m, "3")
	runCmd(m, send(m, press("D")))
	if !strings.Contains(screen(m), "D draws the neighbourhood of a namespace or a process") {
		t.Errorf("D on a cgroup does not say what it draws:\n%s", screen(m))
	}
}

// TestExportRefusesAMissingDirectory: a directory that is not there is
// named in an error, and nothing is written.
func TestExportRefusesAMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	m, _ := teachModel(t, 160, 40, Options{ExportDir: dir})
	runCmd(m, send(m, press("d")))
	if s := m.flash.Text; !strings.Contains(s, "diagram not written") || !strings.Contains(s, "no such file or directory") {
		t.Errorf("no error for a missing directory: %q", s)
	}
}

// checkSVG parses the SVG file as XML and checks it names want; it
// returns the text.
func checkSVG(t *testing.T, path string, want ...string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(strings.NewReader(string(data)))
	nodes := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", path, err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "g" {
			for _, a := range se.Attr {
				if a.Name.Local == "class" && strings.HasPrefix(a.Value, "node ") {
					nodes++
				}
			}
		}
	}
	if nodes == 0 {
		t.Errorf("%s has no nodes", path)
	}
	for _, w := range want {
		if !strings.Contains(string(data), w) {
			t.Errorf("%s does not show %q", path, w)
		}
	}
	return string(data)
}

// checkDOT runs Graphviz on the DOT file when it is installed (CI has it).
func checkDOT(t *testing.T, path string) {
	t.Helper()
	dot, err := exec.LookPath("dot")
	if err != nil {
		t.Logf("graphviz is not installed (apt-get install graphviz): %s not checked with dot", path)
		return
	}
	if out, err := exec.Command(dot, "-Tsvg", "-o", os.DevNull, path).CombinedOutput(); err != nil {
		t.Errorf("dot -Tsvg %s: %v: %s", path, err, out)
	}
}

// TestStartOptions: the app opens where Options.Start says, once the
// first scan is in: a view, a filter, an item selected in its view; what
// is not there is said in the status line.
func TestStartOptions(t *testing.T) {
	sel := func(s string) *SelectTarget {
		st, err := ParseSelect(s)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	tests := []struct {
		name     string
		start    Start
		wantView ViewID
		wantKey  func(m *Model) procview.Key
		wantText string
	}{
		{"view", Start{View: CgroupsView, HasView: true}, CgroupsView, nil, "CGROUP"},
		{"view and filter", Start{View: NamespacesView, HasView: true, Filter: "blue"}, NamespacesView, nil, "filter “blue”"},
		{"a PID", Start{Select: sel("801")}, ProcessesView, func(m *Model) procview.Key { return procview.ProcessKey(m.snap.Process(801)) }, "─ Process 801 stress"},
		{"a namespace", Start{Select: sel("net:[4026532600]")}, NamespacesView, func(*Model) procview.Key { return procview.NamespaceKey(blueNet) }, "─ net namespace 4026532600"},
		{"a cgroup, filtered", Start{Select: sel("/nscope-run-demo"), Filter: "demo"}, CgroupsView, func(m *Model) procview.Key {
			return procview.MergedKey("/nscope-run-demo")
		}, "filter “demo”"},
		{"not there", Start{Select: sel("4000000")}, ProcessesView, nil, "--select no process 4000000 in the scan"},
		{"filter that hides it", Start{Select: sel("801"), Filter: "nginx"}, ProcessesView, func(m *Model) procview.Key { return procview.ProcessKey(m.snap.Process(801)) },
			"--select 801 does not match --filter nginx: the filter was cleared to show it"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := teachModel(t, 160, 40, Options{Start: tc.start})
			// The flash is a command's message; run what the first scan
			// returned by applying the start again through Update.
			if m.view != tc.wantView {
				t.Errorf("opened view %v, want %v", m.view, tc.wantView)
			}
			if tc.wantKey != nil {
				if r := m.list().selected(); r == nil || r.Key != tc.wantKey(m) {
					t.Errorf("selected %+v, want %v", r, tc.wantKey(m))
				}
			}
			got := screen(m)
			if m.flash.Text != "" {
				got += m.flash.Text
			}
			if !strings.Contains(got, tc.wantText) {
				t.Errorf("the screen lacks %q:\n%s", tc.wantText, got)
			}
		})
	}
}

// TestParseStart: the start flags' values, and the messages for bad ones.
func TestParseStart(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     SelectTarget
		wantErr  string
	}{
		{name: "pid", in: "812", want: SelectTarget{Text: "812", PID: 812}},
		{name: "inode", in: "4026532254", want: SelectTarget{Text: "4026532254", NSIno: 4026532254}},
		{name: "typed inode", in: "net:[4026532254]", want: SelectTarget{Text: "net:[4026532254]", NSIno: 4026532254, NSType: inspect.NetNS, HasType: true}},
		{name: "typed inode without brackets", in: "pid:4026532254", want: SelectTarget{Text: "pid:4026532254", NSIno: 4026532254, NSType: inspect.PIDNS, HasType: true}},
		{name: "cgroup", in: "/nscope/demo/", want: SelectTarget{Text: "/nscope/demo/", CgroupPath: "/nscope/demo"}},
		{name: "cgroup in a hierarchy", in: "memory:/nscope/demo", want: SelectTarget{Text: "memory:/nscope/demo", CgroupPath: "/nscope/demo", Hierarchy: "memory"}},
		{name: "word", in: "nginx", wantErr: `"nginx": want a PID`},
		{name: "zero", in: "0", wantErr: `"0": want a PID`},
		{name: "bad type", in: "foo:[1]", wantErr: `"foo:[1]": `},
		{name: "bad inode", in: "net:[x]", wantErr: `"x" is not a namespace inode number`},
		{name: "empty", in: "", wantErr: "empty: want a PID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSelect(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("ParseSelect(%q) = %v, %v; want error %q", tc.in, got, err, tc.wantErr)
				}
				return
			}
			if err != nil || *got != tc.want {
				t.Errorf("ParseSelect(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
		})
	}
	for in, want := range map[string]ViewID{"ns": NamespacesView, "ps": ProcessesView, "cg": CgroupsView, "Cgroups": CgroupsView} {
		if v, err := ParseView(in); err != nil || v != want {
			t.Errorf("ParseView(%q) = %v, %v; want %v", in, v, err, want)
		}
	}
	if _, err := ParseView("tree"); err == nil || !strings.Contains(err.Error(), `"tree": want ns, ps or cg`) {
		t.Errorf("ParseView(tree) error %v", err)
	}
}
