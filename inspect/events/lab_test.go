package events

// TestLab tests run inside the kernel lab's QEMU guest (go run
// ./cmd/kernlab): a Debian kernel with cgroup2 at /sys/fs/cgroup and the
// cpu, memory, pids and io controllers, where memory.events and a real
// v2 OOM kill exist (and a legacy v1 guest, where the UID test runs).

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nscope/nscope/cmd/kernlab/labproto"
	"github.com/nscope/nscope/internal/testutil"
)

// A process born in a cgroup with memory.max (clone3 placed it, so the
// fork record says its cgroups differ from its parent's) and OOM-killed
// there; the v2 memory.events and cgroup.events by inotify.
func TestLabEventsOOMKill(t *testing.T) {
	labproto.Need(t, labproto.CgroupV2)
	dir, path := testutil.LabCgroup(t, [2]string{"memory.max", "16M"})
	s := openStream(t, CgroupRoot(path))
	for _, src := range s.Sources() {
		t.Logf("source %s running=%v: %s", src.Name, src.Running, src.Detail)
	}
	sub := s.Subscribe(Filter{Cgroup: path}, 0)
	// busybox dd allocates its whole 64 MiB block.
	cmd := exec.Command("/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1")
	if err := testutil.StartInCgroup(t, dir, cmd); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	var proc, cg []Event
	collect(t, sub, "the OOM kill", func(ev *Event) bool {
		switch {
		case ev.PID == pid && ev.Kind.IsProcess():
			proc = append(proc, *ev)
		case ev.PID == 0 && ev.Cgroup == path:
			cg = append(cg, *ev)
		default:
			return false
		}
		return true
	}, func([]Event) bool { return hasKind(proc, Exit) && hasKind(cg, OOMKill) && hasKind(cg, Empty) })
	if !slices.Equal(kinds(proc), []Kind{Fork, Exec, Exit}) {
		t.Fatalf("process events %v, want fork, exec, exit:%s", kinds(proc), describe(proc))
	}
	if f := proc[0]; f.Cgroup != path || f.Hierarchy != "v2" {
		t.Errorf("fork in %s:%s, want v2:%s (born there by clone3)", f.Hierarchy, f.Cgroup, path)
	}
	if e := proc[1]; e.Filename != "/bin/dd" || !strings.Contains(strings.Join(e.Args, " "), "bs=64M") {
		t.Errorf("exec %q %q, want /bin/dd with its arguments", e.Filename, e.Args)
	}
	if x := proc[2]; x.Signal != 9 || !x.OOMKilled {
		t.Errorf("exit signal %d oom_killed %v, want SIGKILL by the OOM killer", x.Signal, x.OOMKilled)
	}
	// The kernel notifies each file at most every 10 ms (a notification
	// that comes sooner waits out the rest), so memory.events, notified
	// already for the limit hits, can be announced after cgroup.events'
	// "populated 0": between the two files there is no order to check,
	// only within each. And memory.events may count another oom after the
	// cgroup emptied (6.12: a charge that failed late).
	var populated, memory []Kind
	for _, ev := range cg {
		switch ev.Kind {
		case Populated, Empty:
			populated = append(populated, ev.Kind)
		case OOM, OOMKill:
			if !slices.Contains(memory, ev.Kind) {
				memory = append(memory, ev.Kind)
			}
		}
		if ev.Source != SourceInotify || ev.Hierarchy != "v2" {
			t.Errorf("%s from %s in %s, want inotify in v2", ev.Kind, ev.Source, ev.Hierarchy)
		}
	}
	// memory.events may be read once for both counters, or twice.
	if !slices.Equal(populated, []Kind{Populated, Empty}) || !slices.Equal(memory, []Kind{OOM, OOMKill}) {
		t.Errorf("cgroup.events %v (want populated, empty), memory.events %v (want oom, oom-kill):%s", populated, memory, describe(cg))
	}
}

// Frozen and thawed from cgroup.events, each step waiting for the event
// of the one before (the kernel notifies at most every 10 ms).
func TestLabEventsFreeze(t *testing.T) {
	labproto.Need(t, labproto.CgroupV2)
	dir, path := testutil.LabCgroup(t)
	s := openStream(t, CgroupRoot(path), WithProcesses(false))
	sub := s.Subscribe(Filter{Cgroup: path}, 0)
	if err := testutil.StartInCgroup(t, dir, exec.Command("/bin/sleep", "600")); err != nil {
		t.Fatal(err)
	}
	var got []Event
	step := func(k Kind, act func()) {
		act()
		got = append(got, collect(t, sub, string(k), func(ev *Event) bool { return ev.Cgroup == path },
			func(evs []Event) bool { return evs[len(evs)-1].Kind == k })...)
	}
	step(Populated, func() {})
	step(Frozen, func() { os.WriteFile(filepath.Join(dir, "cgroup.freeze"), []byte("1"), 0) })
	step(Thawed, func() { os.WriteFile(filepath.Join(dir, "cgroup.freeze"), []byte("0"), 0) })
	step(Empty, func() { os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0) })
	if !slices.Equal(kinds(got), []Kind{Populated, Frozen, Thawed, Empty}) {
		t.Errorf("events %v, want populated, frozen, thawed, empty:%s", kinds(got), describe(got))
	}
}

// The uid change on the lab's kernel, where the fentry program loads.
func TestLabEventsUIDChange(t *testing.T) {
	labproto.Need(t, labproto.AnyCgroup...)
	testUIDChange(t)
}
