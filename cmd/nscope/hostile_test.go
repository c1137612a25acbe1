package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/hostile"
	"github.com/nscope/nscope/internal/termtext"
	"github.com/nscope/nscope/procview"
	"github.com/nscope/nscope/tui"
)

// checkTerminalText fails when text printed for a terminal holds a C0
// control other than the newlines between lines, DEL, a C1 control, a
// bidi character or invalid UTF-8, or a line longer than maxLine bytes.
func checkTerminalText(t testing.TB, what, out string, maxLine int) {
	t.Helper()
	for i, line := range strings.Split(out, "\n") {
		if j := termtext.Find(line); j >= 0 {
			t.Fatalf("%s: line %d holds %q raw: %q", what, i+1, line[j:min(len(line), j+4)], line)
		}
		if maxLine > 0 && len(line) > maxLine {
			t.Fatalf("%s: line %d is %d bytes long (cells are capped at %d)", what, i+1, len(line), maxCellWidth)
		}
	}
}

// hostileSnapshot is the TUI's small fixture host with the names put
// into every process, cgroup and holder.
func hostileSnapshot(t testing.TB, n hostile.Names) *inspect.Snapshot {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "tui", "testdata", "small-2.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	base, err := inspect.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := hostile.Apply(base, n)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// maxTableLine bounds a table line: every cell at most maxCellWidth
// cells, escaped (at most 6 bytes a cell), ten columns and their gaps.
const maxTableLine = 10 * (6*maxCellWidth + 2)

// checkHostileOutputs feeds a hostile snapshot through every text
// output of the CLI and the TUI and checks each one.
func checkHostileOutputs(t testing.TB, n hostile.Names) {
	t.Helper()
	snap := hostileSnapshot(t, n)
	var b bytes.Buffer
	tables := []struct {
		name  string
		write func() error
		rows  int
	}{
		{"ps", func() error { return writePSTable(&b, procview.NewIndex(snap, nil), procview.Filter{}, false) }, len(snap.Processes) + 1},
		{"ps --tree", func() error { return writePSTable(&b, procview.NewIndex(snap, nil), procview.Filter{}, true) }, len(snap.Processes) + 1},
		{"ns", func() error { return writeNSTable(&b, snap, nil) }, len(snap.Namespaces) + 1},
		{"ns --tree", func() error { return writeNSTree(&b, snap, nil) }, len(snap.Namespaces)},
		{"cg", func() error { return writeCGTable(&b, procview.NewIndex(snap, nil), nil, false) }, -1},
		{"cg --tree", func() error { return writeCGTable(&b, procview.NewIndex(snap, nil), nil, true) }, -1},
		{"cg --hierarchy", func() error { return writeCGTable(&b, procview.NewIndex(snap, nil), &snap.Hierarchies[0], true) }, -1},
		{"history", func() error { return writeHistory(&b, hostileChanges(n)) }, 5},
		{"undo --dry-run", func() error { printPlan(&b, hostilePlan(n)); return nil }, 6},
		{"set result", func() error { printResult(&b, hostilePlan(n), hostileResult(n)); return nil }, 6},
		{"kill plan", func() error { printKillPlan(&b, hostileKillPlan(n)); return nil }, 4},
		{"unreadable", func() error {
			warnUnreadable(&b, &inspect.Snapshot{Unreadable: []inspect.Unreadable{{Kind: "fds", Count: 1, Errno: "EACCES", Example: "/proc/1/fd/" + n.Cgroup}}})
			return nil
		}, 2},
		{"error", func() error {
			b.WriteString(errorText(fmt.Errorf("cgroup %s: %w", n.Cgroup, control.ErrNoSuchCgroup)) + "\n")
			return nil
		}, 1},
	}
	for _, tc := range tables {
		b.Reset()
		if err := tc.write(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		out := b.String()
		checkTerminalText(t, tc.name, out, maxTableLine)
		if lines := strings.Count(out, "\n"); tc.rows >= 0 && lines != tc.rows {
			t.Fatalf("%s: %d lines, want %d (a newline in a name split a row?):\n%s", tc.name, lines, tc.rows, out)
		}
	}

	// JSON: valid, safe on a terminal, and the exact text (invalid UTF-8
	// becomes U+FFFD, as JSON requires).
	b.Reset()
	if err := writeJSON(&b, struct {
		Processes []inspect.Process `json:"processes"`
		Host      inspect.Host      `json:"host"`
		Cgroups   []inspect.Cgroup  `json:"cgroups"`
	}{snap.Processes, snap.Host, snap.Cgroups}); err != nil {
		t.Fatal(err)
	}
	checkTerminalText(t, "--json", b.String(), 0)
	var back struct {
		Processes []inspect.Process `json:"processes"`
		Host      inspect.Host      `json:"host"`
	}
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, b.String())
	}
	if want := strings.ToValidUTF8(n.Comm, "\uFFFD"); utf8Each(back.Processes[0].Comm) != utf8Each(want) {
		t.Fatalf("--json comm = %q, want %q", back.Processes[0].Comm, n.Comm)
	}
	if back.Host.Hostname != utf8Each(n.Hostname) {
		t.Fatalf("--json hostname = %q, want %q", back.Host.Hostname, n.Hostname)
	}

	// The snapshot command's streaming JSON.
	b.Reset()
	jw := termtext.NewJSONWriter(&b)
	if err := snap.WriteJSONCompact(jw); err != nil {
		t.Fatal(err)
	}
	if err := jw.Flush(); err != nil {
		t.Fatal(err)
	}
	checkTerminalText(t, "snapshot", b.String(), 0)
	if !json.Valid(b.Bytes()) {
		t.Fatalf("snapshot output is not JSON")
	}

	// The TUI: every view with its detail pane, and the window title.
	const w, h = 120, 30
	m := tui.New(tui.Options{Snapshot: snap, LoadedFrom: n.Cgroup})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	for _, k := range []string{"1", "tab", "down", "esc", "2", "down", "tab", "esc", "3", "down", "down", "tab"} {
		code := rune(k[0])
		switch k {
		case "tab":
			code = tea.KeyTab
		case "down":
			code = tea.KeyDown
		case "esc":
			code = tea.KeyEscape
		}
		m.Update(tea.KeyPressMsg{Code: code, Text: map[bool]string{true: k}[len(k) == 1]})
		v := m.View()
		if j := termtext.Find(v.WindowTitle); j >= 0 {
			t.Fatalf("window title %q holds an unsafe rune at %d", v.WindowTitle, j)
		}
		lines := strings.Split(v.Content, "\n")
		if len(lines) != h {
			t.Fatalf("TUI after %q: %d lines, want %d", k, len(lines), h)
		}
		checkTerminalText(t, "TUI after "+k, termtext.StripSGR(v.Content), 0)
	}
}

// utf8Each replaces each invalid byte with U+FFFD, as encoding/json does.
func utf8Each(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}

func hostileChanges(n hostile.Names) []control.Change {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	dir := "/sys/fs/cgroup/pids/" + n.Cgroup
	return []control.Change{
		{ID: "c1", Time: at, Action: "set", Cgroup: "/" + n.Cgroup, Writes: []control.ChangeWrite{
			{Hierarchy: "pids", Version: 1, Path: dir + "/pids.max", File: "pids.max", Old: n.Comm, New: n.Cmdline, State: control.StateApplied},
			{Hierarchy: "pids", Version: 1, Path: dir + "/pids.max", File: "pids.max", Old: "max", New: "5", State: control.StateUnknown},
		}},
		{ID: "c2", Time: at, Action: "kill", Cgroup: "/" + n.Cgroup, Writes: []control.ChangeWrite{
			{Path: dir, File: "cgroup.procs", Old: "1 2 3", New: "SIGKILL each member", State: control.StateFailed, Result: n.Comm},
		}},
		{ID: "c3", Time: at, Action: "freeze", Cgroup: "/" + n.Cgroup},
	}
}

func hostilePlan(n hostile.Names) *control.Plan {
	w := control.Write{Hierarchy: "pids", Version: 1, Cgroup: "/" + n.Cgroup, Dir: "/sys/fs/cgroup/pids/" + n.Cgroup, File: "pids.max", Old: n.Comm, New: n.Cmdline}
	return &control.Plan{
		Action: "undo", Target: control.Target{Path: "/" + n.Cgroup}, Writes: []control.Write{w}, Unchanged: []control.Write{w},
		Notes: []string{"note " + n.Comm}, Confirm: []string{"confirm " + n.Hostname},
	}
}

func hostileResult(n hostile.Names) *control.Result {
	p := hostilePlan(n)
	return &control.Result{Change: "c9" + n.Comm, Action: "set", Target: p.Target, Writes: []control.WriteResult{
		{Write: p.Writes[0], Before: n.Comm, After: n.Cmdline, Done: true},
		{Write: p.Writes[0], Skipped: true},
	}}
}

func hostileKillPlan(n hostile.Names) *control.KillPlan {
	return &control.KillPlan{Target: control.Target{Path: "/" + n.Cgroup}, Method: "SIGKILL each member",
		Dirs: []string{"/sys/fs/cgroup/pids/" + n.Cgroup}, PIDs: []int{1, 2}, Confirm: []string{n.Comm}}
}

// TestHostileTextEverySink feeds the audit's hostile names through every
// CLI table, message, JSON output, TUI view and title.
func TestHostileTextEverySink(t *testing.T) {
	checkHostileOutputs(t, hostile.Classic)
	long := hostile.Classic
	long.Cmdline = strings.Repeat("A", 60<<10)
	checkHostileOutputs(t, long)
}

// FuzzHostileText feeds arbitrary bytes as comm, command line, hostname
// and cgroup name through every text output of the CLI and the TUI: no
// C0/C1 control, DEL, bidi character or invalid byte reaches the terminal
// unescaped, no name splits a table row, and JSON stays valid and exact.
func FuzzHostileText(f *testing.F) {
	f.Add(hostile.Classic.Comm, hostile.Classic.Cmdline, hostile.Classic.Hostname, hostile.Classic.Cgroup)
	f.Add("a\x00b", "\xff\xfe", "\u2066x\u2069", "\u009b31m")
	f.Add("", "", "", "")
	f.Add("日本語\t", "e\u0301\u200d", "\x7f", "..")
	f.Fuzz(func(t *testing.T, comm, cmdline, hostname, cgroup string) {
		checkHostileOutputs(t, hostile.Names{Comm: comm, Cmdline: cmdline, Hostname: hostname, Cgroup: cgroup})
	})
}

// TestHostileNamesLiveCLI starts a real process whose argv[0] is an OSC
// title, a screen clear, a bidi override and a C1 CSI followed by 60 kB,
// whose comm (the name of the file it was executed as) holds an escape
// and a newline, in a v1 cgroup named with OSC 52 (write the clipboard),
// and reads it back through every inspect command.
func TestHostileNamesLiveCLI(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates a v1 cgroup beneath its own and moves its own child into it")
	}
	layout, err := inspect.DetectCgroupLayout("/proc", "/sys")
	if err != nil || layout.ForController("pids") == nil || layout.ForController("pids").Version != 1 {
		t.Skip("needs the v1 pids controller (a hybrid or legacy host)")
	}
	h := layout.ForController("pids")
	own := ownCgroupIn(t, h.ID)
	cgName := fmt.Sprintf("\x1b]52;c;cHduZWQ=\a-%d-%08x", os.Getpid(), rand.Uint32())
	dir := filepath.Join(h.Mount, own, cgName)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 100 {
			if unix.Rmdir(dir) == nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Errorf("remove %q", dir)
	})
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("needs sleep")
	}
	link := filepath.Join(t.TempDir(), "\x1b[31mred\nrow")
	if err := os.Symlink(sleep, link); err != nil {
		t.Fatal(err)
	}
	argv0 := "\x1b]0;pwned\a\x1b[2J\u202eexe.txt\x9b" + strings.Repeat("A", 60<<10)
	cmd := &exec.Cmd{Path: link, Args: []string{argv0, "1000"}}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	pid := cmd.Process.Pid
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
		t.Fatal(err)
	}
	// comm is set at exec; wait until it shows.
	for i := 0; ; i++ {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if strings.HasPrefix(string(comm), "\x1b[31mred") {
			break
		}
		if i > 200 {
			t.Fatalf("comm of %d is %q", pid, comm)
		}
		time.Sleep(10 * time.Millisecond)
	}
	pidCol := strconv.Itoa(pid)
	for _, args := range [][]string{{"ps"}, {"ps", "--tree"}, {"ns"}, {"ns", "--tree"}, {"cg"}, {"cg", "--tree"}, {"cg", "--hierarchy", "pids"}} {
		out, errOut, err := runInspectCLI(t, args...)
		if err != nil {
			t.Fatalf("nscope %s: %v", strings.Join(args, " "), err)
		}
		what := "nscope " + strings.Join(args, " ")
		checkTerminalText(t, what, out, maxTableLine)
		checkTerminalText(t, what+" (stderr)", errOut, 0)
		switch args[0] {
		case "ps":
			line := lineWith(out, `\e]0;pwned\a\e[2J\u202eexe.txt\x9bAAAA`)
			if !strings.HasPrefix(line, pidCol+" ") || !strings.HasSuffix(line, "…") {
				t.Errorf("%s: the process's row %.300q: want its escaped command line cut with …", what, line)
			}
		case "cg":
			if !strings.Contains(out, `\e]52;c;cHduZWQ=\a`) {
				t.Errorf("%s: the cgroup is not listed escaped:\n%s", what, out)
			}
		}
	}
	out, _, err := runInspectCLI(t, "ps", "--json")
	if err != nil {
		t.Fatal(err)
	}
	checkTerminalText(t, "ps --json", out, 0)
	var doc struct {
		Processes []inspect.Process `json:"processes"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range doc.Processes {
		if p.PID == pid {
			if want := utf8Each(argv0); len(p.Cmdline) == 0 || p.Cmdline[0] != want {
				t.Errorf("ps --json argv[0] is not the exact text (invalid bytes as U+FFFD)")
			}
			return
		}
	}
	t.Errorf("ps --json lacks PID %d", pid)
}

// ownCgroupIn returns our cgroup path in hierarchy id.
func ownCgroupIn(t *testing.T, id int) string {
	t.Helper()
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) == 3 && parts[0] == strconv.Itoa(id) {
			return parts[2]
		}
	}
	t.Fatalf("no line for hierarchy %d in /proc/self/cgroup", id)
	return ""
}
