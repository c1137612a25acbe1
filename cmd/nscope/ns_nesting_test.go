package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// jsonNS is what the nesting test reads of "ns --json".
type jsonNS struct {
	Type   string               `json:"type"`
	ID     struct{ Ino uint64 } `json:"id"`
	Owner  struct{ Ino uint64 } `json:"owner"`
	Parent struct{ Ino uint64 } `json:"parent"`
}

// treeParents parses an "ns --tree" drawing into each row's parent: the
// row at the next lower depth above it, 0 for a root.
func treeParents(t *testing.T, out string) map[uint64]uint64 {
	t.Helper()
	parents := map[uint64]uint64{}
	var stack []uint64
	for line := range strings.SplitSeq(strings.TrimRight(out, "\n"), "\n") {
		r := []rune(line)
		i := 0
		for i < len(r) && !unicode.IsLetter(r[i]) {
			i++
		}
		depth := 0
		if i > 0 {
			depth = (i - 1) / 2
		}
		f := strings.Fields(string(r[i:]))
		if len(f) < 2 || depth > len(stack) {
			t.Fatalf("tree line %q does not parse", line)
		}
		ino, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			t.Fatalf("tree line %q: %v", line, err)
		}
		stack = append(stack[:depth], ino)
		if depth > 0 {
			parents[ino] = stack[depth-1]
		} else {
			parents[ino] = 0
		}
	}
	return parents
}

// TestNSNestingLive makes the teacher's experiment, two levels of
// unshare --user --map-root-user --pid --fork --mount-proc run as uid
// 1000 (so each level has its own user namespace owning its pid
// namespace), and checks both trees "ns --tree" and "ns --tree --nesting"
// draw, and the nested and owned lists of every namespace, against the
// parents and owners "ns --json" gives for every namespace.
func TestNSNestingLive(t *testing.T) {
	needRootCLI(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare (util-linux)")
	}
	level := []string{"unshare", "--user", "--map-root-user", "--pid", "--fork", "--mount-proc", "--kill-child"}
	cmd := exec.Command(level[0], append(append(level[1:], level...), "sleep", "1000")...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: &syscall.Credential{Uid: 1000, Gid: 1000}}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
	// unshare (host pid ns) → unshare (PID 1 of the outer) → sleep (PID 1
	// of the inner).
	chain := []int{cmd.Process.Pid}
	deadline := time.Now().Add(10 * time.Second)
	for len(chain) < 3 || procComm(chain[2]) != "sleep" {
		if time.Now().After(deadline) {
			t.Fatalf("the nested unshares did not start: chain %v", chain)
		}
		time.Sleep(10 * time.Millisecond)
		chain = chain[:1]
		for cur := chain[0]; len(chain) < 3; {
			kids := strings.Fields(readProc(fmt.Sprintf("/proc/%d/task/%d/children", cur, cur)))
			if len(kids) == 0 {
				break
			}
			cur, _ = strconv.Atoi(kids[0])
			chain = append(chain, cur)
		}
	}
	ino := func(pid int, typ string) uint64 {
		var st syscall.Stat_t
		if err := syscall.Stat(fmt.Sprintf("/proc/%d/ns/%s", pid, typ), &st); err != nil {
			t.Fatal(err)
		}
		return st.Ino
	}
	hostPID, outerPID, innerPID := ino(chain[0], "pid"), ino(chain[1], "pid"), ino(chain[2], "pid")
	// unshare(2) moves its caller into the new user namespace at once, but
	// only the children into the new pid namespace.
	outerUser, innerUser := ino(chain[0], "user"), ino(chain[1], "user")

	// The JSON and both drawings come from one snapshot: on a busy host a
	// namespace's owner can be unreadable in one scan (its last process
	// exiting) and not in the next.
	sc := inspect.New(inspect.WithCgroups(false))
	defer sc.Close()
	snap, err := sc.Scan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := writeNSJSON(&out, snap, nil); err != nil {
		t.Fatal(err)
	}
	var doc struct{ Namespaces []jsonNS }
	if err := json.Unmarshal([]byte(out.String()), &doc); err != nil {
		t.Fatal(err)
	}
	byIno := map[uint64]jsonNS{}
	for _, n := range doc.Namespaces {
		byIno[n.ID.Ino] = n
	}
	for _, id := range []uint64{outerPID, innerPID, outerUser, innerUser} {
		if _, ok := byIno[id]; !ok {
			t.Fatalf("ns --json lacks namespace %d", id)
		}
	}
	if byIno[innerPID].Parent.Ino != outerPID || byIno[outerPID].Parent.Ino != hostPID || byIno[innerPID].Owner.Ino != innerUser || byIno[innerUser].Parent.Ino != outerUser {
		t.Fatalf("ns --json: inner pid %+v, outer pid %+v, inner user %+v; chain %v host %d outer %d inner %d, users %d %d", byIno[innerPID], byIno[outerPID], byIno[innerUser], chain, hostPID, outerPID, innerPID, outerUser, innerUser)
	}
	// known keeps a relation only when its target is in the JSON too: the
	// trees hang a namespace whose parent is not visible at the top.
	known := func(id uint64) uint64 {
		if _, ok := byIno[id]; ok {
			return id
		}
		return 0
	}

	trees := map[string]func(n jsonNS) uint64{
		"nesting": func(n jsonNS) uint64 {
			if n.Type == "pid" || n.Type == "user" {
				return known(n.Parent.Ino)
			}
			return known(n.Owner.Ino)
		},
		"ownership": func(n jsonNS) uint64 {
			if n.Type == "user" {
				return known(n.Parent.Ino)
			}
			if p, ok := byIno[n.Parent.Ino]; ok && n.Type == "pid" && p.Owner.Ino == n.Owner.Ino {
				return p.ID.Ino
			}
			return known(n.Owner.Ino)
		},
	}
	for name, want := range trees {
		t.Run(name, func(t *testing.T) {
			var out strings.Builder
			write := writeNSTree
			if name == "nesting" {
				write = writeNSNestingTree
			}
			if err := write(&out, snap, nil); err != nil {
				t.Fatal(err)
			}
			drawn := treeParents(t, out.String())
			if len(drawn) != len(byIno) {
				t.Errorf("%d namespaces drawn, %d in the JSON", len(drawn), len(byIno))
			}
			for id, n := range byIno {
				if got, w := drawn[id], want(n); got != w {
					t.Errorf("%s %d drawn under %d, want %d (parent %d, owner %d)", n.Type, id, got, w, n.Parent.Ino, n.Owner.Ino)
				}
			}
			if name == "nesting" && (drawn[innerPID] != outerPID || drawn[outerPID] != hostPID) {
				t.Errorf("nesting tree: inner pid under %d, outer under %d; want %d and %d:\n%s", drawn[innerPID], drawn[outerPID], outerPID, hostPID, out.String())
			}
		})
	}
	// The command line gives the same drawing.
	cli, _, err := runInspectCLI(t, "ns", "--tree", "--nesting")
	if err != nil {
		t.Fatal(err)
	}
	if drawn := treeParents(t, cli); drawn[innerPID] != outerPID || drawn[outerPID] != hostPID {
		t.Errorf("ns --tree --nesting: inner pid under %d, outer under %d; want %d and %d", drawn[innerPID], drawn[outerPID], outerPID, hostPID)
	}

	t.Run("nested and owned namespaces of every namespace", func(t *testing.T) {
		ix := procview.NewIndex(snap, nil)
		for _, n := range snap.Namespaces {
			var nested, owned int
			for _, o := range snap.Namespaces {
				if o.ID == n.ID {
					continue
				}
				if o.Parent == n.ID {
					nested++
				}
				if o.Owner == n.ID {
					owned++
				}
			}
			l := ix.NamespaceLinks(n.ID)
			if len(l.Nested) != nested || len(l.Owned) != owned {
				t.Errorf("%s %s: %d nested, %d owned; the snapshot has %d and %d", n.Type, n.ID, len(l.Nested), len(l.Owned), nested, owned)
			}
		}
		host := ix.NamespaceLinks(snap.Host.InitNS[inspect.PIDNS])
		found := false
		for _, k := range host.Nested {
			found = found || k.ID.Ino == outerPID
		}
		if !found {
			t.Errorf("the host pid namespace does not list the outer pid namespace %d as nested", outerPID)
		}
	})
}

func procComm(pid int) string { return strings.TrimSpace(readProc(fmt.Sprintf("/proc/%d/comm", pid))) }

func readProc(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
