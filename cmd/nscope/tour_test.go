package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/internal/tourcheck"
)

// needTourLab skips unless the tour can build its lab here.
func needTourLab(t *testing.T) {
	t.Helper()
	if err := tourPrerequisites(); err != nil {
		t.Skip(err)
	}
}

// labProcesses is how many processes a complete lab has: nest (init,
// unshare, unshare, sleep), web (init, sleep), busy (init, sh).
const labProcesses = 8

// TestTourLabLive builds the tour's lab and checks it is what the lessons
// say, with nscope's own scan and namespace reader: user and pid
// namespaces nested two levels below nscope's pid namespace, root inside
// the first user namespace being uid 1000 outside, the innermost sleep's
// PID at every level, a veth pair between web's network namespace and the
// bind-mounted one, the busy cgroup's CPU quota. Then a panic in the code
// that runs on the lab (the TUI, in the tour) still removes all of it.
func TestTourLabLive(t *testing.T) {
	needTourLab(t)
	saved := global
	global.procRoot, global.sysRoot = "/proc", "/sys"
	t.Cleanup(func() { global = saved })
	name := fmt.Sprintf("nscope-tourtest-%d-%d", os.Getpid(), rand.Uint32()%100000)
	ctx := context.Background()
	var trace *tourcheck.Trace
	panicked := func() (p any) {
		defer func() { p = recover() }()
		err := withTourLab(ctx, name, func(lab *tourLab) error {
			var err error
			if trace, err = tourcheck.Record(name, labProcesses); err != nil {
				t.Errorf("record the lab: %v", err)
			}
			checkLab(t, lab)
			panic("a bug in the tour")
		})
		t.Errorf("withTourLab returned %v instead of panicking", err)
		return nil
	}()
	if panicked != "a bug in the tour" {
		t.Fatalf("the panic did not come through: %v", panicked)
	}
	if trace == nil {
		t.Fatal("the lab was not built")
	}
	left, err := trace.Leftovers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("after a panic the tour left:\n%s", strings.Join(left, "\n"))
	}
	t.Logf("removed %d processes, %d namespaces, %d cgroup directories and %s", len(trace.Procs), len(trace.NS), len(trace.CgroupDirs), trace.BindMount)
}

// checkLab checks the lab against nscope's scan.
func checkLab(t *testing.T, lab *tourLab) {
	t.Helper()
	sc := inspect.New()
	snap, err := sc.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	inner := snap.Process(lab.innerPID)
	if inner == nil || len(inner.NSpid) != 4 || inner.NSpid[3] != 1 {
		t.Fatalf("the innermost sleep %d has NSpid %v, want 4 levels ending in 1", lab.innerPID, inner)
	}
	// Pid namespaces: innermost (3) → second (2) → nscope's (1) → host.
	pid3 := snap.Namespace(inner.NS[inspect.PIDNS])
	pid2 := snap.Namespace(pid3.Parent)
	pid1 := snap.Namespace(pid2.Parent)
	if pid1 == nil || pid1.ID != snap.Process(lab.nest.cmd.InitPID()).NS[inspect.PIDNS] || pid1.Parent != snap.Host.InitNS[inspect.PIDNS] {
		t.Errorf("the pid namespaces do not nest innermost → second → nscope's → host's")
	}
	// User namespaces: two levels, each pid namespace owned by its own.
	user2 := snap.Namespace(inner.NS[inspect.UserNS])
	user1 := snap.Namespace(user2.Parent)
	if user1 == nil || user1.Parent != snap.Host.InitNS[inspect.UserNS] || user1.OwnerUID != tourUID {
		t.Fatalf("the user namespaces do not nest two levels below the host's, made by uid %d", tourUID)
	}
	if pid3.Owner != user2.ID || pid2.Owner != user1.ID || pid1.Owner != snap.Host.InitNS[inspect.UserNS] {
		t.Errorf("the pid namespaces are not owned by their own user namespaces: %s %s %s", pid3.Owner, pid2.Owner, pid1.Owner)
	}
	c, err := sc.NamespaceContent(context.Background(), snap, user1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.User.Summary, "uid 0 inside is uid 1000 on the host") {
		t.Errorf("the first user namespace's maps: %q", c.User.Summary)
	}
	// The veth pair joins web's network namespace and the bound one.
	web := snap.Process(lab.web.cmd.PID())
	if web == nil {
		t.Fatal("web is not in the scan")
	}
	blue := snap.Namespace(lab.blueID)
	if blue == nil || len(blue.Members) != 0 {
		t.Fatalf("the bound network namespace %s is missing or has processes", lab.blueID)
	}
	held := false
	for _, h := range blue.Holders {
		held = held || h.Path == lab.bluePath
	}
	if !held {
		t.Errorf("nothing says %s holds the bound namespace: %+v", lab.bluePath, blue.Holders)
	}
	c, err = sc.NamespaceContent(context.Background(), snap, web.NS[inspect.NetNS])
	if err != nil {
		t.Fatal(err)
	}
	peered := false
	for _, i := range c.Net.Interfaces {
		if i.Name == vethWeb && i.Peer != nil && i.Peer.NetNS == lab.blueID && i.Peer.Name == vethBlue && strings.Join(i.Addresses, " ") != "" && strings.HasPrefix(i.Addresses[0], addrWeb) {
			peered = true
		}
	}
	if !peered {
		t.Errorf("web's namespace has no %s %s whose peer %s is in %s: %+v", vethWeb, addrWeb, vethBlue, lab.blueID, c.Net.Interfaces)
	}
	// The busy loop's cgroup has the CPU quota.
	limited := false
	for i := range snap.Cgroups {
		cg := &snap.Cgroups[i]
		if cg.Path == lab.parent+"/busy" && cg.Limits.CPUQuotaUS != nil && *cg.Limits.CPUQuotaUS > 0 {
			limited = *cg.Limits.CPUQuotaUS*5 == *cg.Limits.CPUPeriodUS
		}
	}
	if !limited {
		t.Errorf("no cgroup %s/busy with a quota of %s CPU", lab.parent, tourCPU)
	}
}

// TestTourRefusals: bad names are refused with exit 2 and what is allowed;
// --read-only refuses the tour; without root the tour says it needs it.
func TestTourRefusals(t *testing.T) {
	bin := nscopeBinary(t)
	tests := []struct {
		name     string
		args     []string
		asUser   bool
		wantCode int
		wantMsg  string
	}{
		{"bad name", []string{"tour", "--name", "A/B"}, false, 2, `--name "A/B": want lower-case letters, digits and '-' only`},
		{"long name", []string{"tour", "--name", strings.Repeat("a", 41)}, false, 2, "want 1 to 40 characters"},
		{"read-only", []string{"--read-only", "tour"}, false, 2, "it cannot run with --read-only"},
		{"not root", []string{"tour"}, true, 1, "the tour needs root"},
		{"no terminal", []string{"tour"}, false, 2, "the tour runs in the TUI and needs a terminal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			cmd := exec.Command(bin, args...)
			if tc.asUser {
				if os.Geteuid() != 0 {
					t.Skip("needs root to run the binary as another user")
				}
				// The binary's directory is private to root.
				if err := os.Chmod(filepath.Dir(bin), 0o755); err != nil {
					t.Fatal(err)
				}
				cmd = exec.Command("setpriv", append([]string{"--reuid=65534", "--regid=65534", "--clear-groups", bin}, args...)...)
			} else if tc.name == "no terminal" && tourPrerequisites() != nil {
				t.Skip(tourPrerequisites())
			}
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != tc.wantCode || !strings.Contains(string(out), tc.wantMsg) {
				t.Errorf("nscope %s: exit %d, %q; want exit %d and %q", strings.Join(args, " "), code, out, tc.wantCode, tc.wantMsg)
			}
		})
	}
}
