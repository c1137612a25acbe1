package tui

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nscope/nscope/internal/tourcheck"
)

// tourLabProcesses is how many processes the tour's lab has (see
// cmd/nscope/tour_lab.go): nest's init, two unshares and sleep, web's init
// and sleep, busy's init and shell.
const tourLabProcesses = 8

// needTour skips unless this machine can run the tour: root, unshare and
// setpriv (util-linux), tmux.
func needTour(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the tour creates namespaces, a veth pair, a bind mount and cgroups")
	}
	for _, tool := range []string{"unshare", "setpriv"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the tour needs %s (apt-get install util-linux)", tool)
		}
	}
}

// startTour runs "nscope tour" in a tmux terminal and waits for its first
// step; it records what the lab is made of, and makes sure, when the test
// ends however it ends, that none of it is left.
func startTour(t *testing.T, w, h int) (*tmuxTerm, *tourcheck.Trace, string) {
	t.Helper()
	needTour(t)
	bin := buildBinary(t)
	name := fmt.Sprintf("nscope-e2e-tour-%d-%d", os.Getpid(), rand.Uint32()%100000)
	tm := newTmuxTerm(t, w, h)
	tm.sendText(bin + " tour --name " + name)
	tm.send("Enter")
	tm.waitText("Tour 1/8: the lab")
	trace, err := tourcheck.Record(name, tourLabProcesses)
	if err != nil {
		t.Fatalf("the lab is not complete: %v\n%s", err, tm.screen())
	}
	t.Cleanup(func() {
		// On a failure the tmux server is killed: the tour gets SIGHUP
		// and removes its lab. Wait for that, and say what is left.
		var left []string
		for range 100 {
			if left, err = trace.Leftovers(context.Background()); err == nil && len(left) == 0 {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("the tour left %d things behind:\n%s", len(left), strings.Join(left, "\n"))
	})
	return tm, trace, name
}

// checkNothingLeft says what of the lab is left, right after the tour
// ended (the tour removes everything before it exits).
func checkNothingLeft(t *testing.T, trace *tourcheck.Trace) {
	t.Helper()
	left, err := trace.Leftovers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("after the tour ended, left behind:\n%s", strings.Join(left, "\n"))
	}
	t.Logf("nothing left of %d processes, %d namespaces (and the veth pair in them), %d cgroup directories and %s",
		len(trace.Procs), len(trace.NS), len(trace.CgroupDirs), trace.BindMount)
}

// TestTourEndToEnd runs "nscope tour" in tmux through every step: each
// step's screen shows its lesson and the item it is about, the link to the
// veth peer's namespace is followed, i explains the bind-mounted
// namespace; q ends it, the terminal is restored, and no process,
// namespace, veth, mount or cgroup of the lab is left.
func TestTourEndToEnd(t *testing.T) {
	tm, trace, name := startTour(t, 150, 45)
	steps := []struct {
		key   string
		title string
		want  []string
	}{
		{"", "Tour 1/8: the lab", []string{"─ Process", "nscope-init", "is the init nscope launched as PID 1", "Try: unshare --user --map-root-user"}},
		{"n", "Tour 2/8: one process, a PID at every level", []string{" sleep ─", "PID in each pid namespace (NSpid, outermost first)", "in pid"}},
		{"Right", "Tour 3/8: who owns what", []string{"─ user namespace", "created by uid 1000", "uid_map     0 1000 1", "uid 0 inside is uid 1000 on the host", "ownership tree"}},
		{"n", "Tour 4/8: how they nest", []string{"nesting tree", "─ pid namespace", "level       3", "→ 1  sleep at every level"}},
		{"n", "Tour 5/8: two network namespaces, one cable", []string{"─ net namespace", "veth-web", "10.0.0.1/24", "↔ peer veth-blue in net"}},
		{"n", "Tour 6/8: kept alive by a bind mount", []string{"─ net namespace", "veth-blue", "10.0.0.2/24", "bind mount /run/netns/" + name}},
		{"n", "Tour 7/8: a cgroup with a CPU limit", []string{"─ cgroup /" + name + "/busy", "20% of 1 CPU"}},
		{"n", "Tour 8/8: the end", []string{"q ends the tour and removes the lab"}},
	}
	for _, st := range steps {
		if st.key != "" {
			tm.send(st.key)
		}
		tm.waitFor(st.title+" with its item", func(s string) bool {
			if !strings.Contains(s, st.title) {
				return false
			}
			for _, w := range st.want {
				if !strings.Contains(s, w) {
					return false
				}
			}
			return true
		})
		switch st.title {
		case "Tour 5/8: two network namespaces, one cable":
			// Follow the cable: the peer's namespace is the bound one.
			tm.send("Enter")
			tm.waitText("▶   ↔ peer veth-blue")
			tm.send("Enter")
			tm.waitFor("the peer's namespace", func(s string) bool {
				return strings.Contains(s, "veth-blue    veth") && strings.Contains(s, "named netns "+name)
			})
			tm.send("Escape")
			tm.waitText("veth-web     veth")
		case "Tour 6/8: kept alive by a bind mount":
			tm.send("i")
			tm.waitFor("the lesson on what keeps it", func(s string) bool {
				flat := strings.Join(strings.Fields(s), " ")
				return strings.Contains(flat, "This namespace has no process") && strings.Contains(flat, "ip netns delete "+name)
			})
			tm.send("Escape")
			tm.waitFor("the lesson to close", func(s string) bool { return !strings.Contains(s, "esc, enter or i closes") })
		}
	}
	tm.send("n")
	tm.waitText("this is the last step")
	tm.send("q")
	checkRestored(t, tm)
	if s := tm.screen(); !strings.Contains(s, "nscope tour: removed 3 processes") {
		t.Errorf("the tour does not say what it removed:\n%s", s)
	}
	checkNothingLeft(t, trace)
}

// TestTourEndsOnSignals: ^C in the TUI, and SIGTERM sent to nscope, end
// the tour as q does: the lab is removed and the terminal restored.
func TestTourEndsOnSignals(t *testing.T) {
	for _, how := range []string{"ctrl+c", "SIGTERM"} {
		t.Run(how, func(t *testing.T) {
			tm, trace, name := startTour(t, 100, 30)
			tm.send("n")
			tm.waitText("Tour 2/8")
			if how == "ctrl+c" {
				tm.send("C-c")
			} else {
				pid := findProcess(t, "tour --name "+name)
				if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
					t.Fatal(err)
				}
			}
			checkRestored(t, tm)
			tm.waitText("nscope tour: removed")
			checkNothingLeft(t, trace)
		})
	}
}

// findProcess returns the PID of the process whose command line contains
// text.
func findProcess(t *testing.T, text string) int {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmd, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if strings.Contains(strings.ReplaceAll(string(cmd), "\x00", " "), text) {
			return pid
		}
	}
	t.Fatalf("no process runs %q", text)
	return 0
}
