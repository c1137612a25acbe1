package events

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nscope/nscope/inspect"
)

// A process started, renamed (prctl), exec'ed and exited: the events
// come in that order, with what the kernel knew at each step.
func TestLiveProcessLifecycle(t *testing.T) {
	s := openStream(t, WithCgroups(false))
	sub := s.Subscribe(Filter{}, 0)
	self, _ := os.Executable()
	h := startHelper(t, "lifecycle")
	pid := h.pid()
	got := collect(t, sub, fmt.Sprintf("the lifecycle of %d", pid),
		func(ev *Event) bool { return ev.PID == pid && ev.Kind.IsProcess() },
		func(evs []Event) bool { return evs[len(evs)-1].Kind == Exit })
	want := []Kind{Fork, Exec, Comm, Exec, Exit}
	if !slices.Equal(kinds(got), want) {
		t.Fatalf("kinds %v, want %v:%s", kinds(got), want, describe(got))
	}
	fork, exec1, comm, exec2, exit := got[0], got[1], got[2], got[3], got[4]
	if fork.PPID != os.Getpid() || fork.UID == nil || *fork.UID != 0 {
		t.Errorf("fork: ppid %d uid %v, want ppid %d uid 0", fork.PPID, fork.UID, os.Getpid())
	}
	if exec1.Filename != self || len(exec1.Args) == 0 || exec1.Comm != truncComm(filepath.Base(self)) {
		t.Errorf("first exec: filename %q args %q comm %q, want %q", exec1.Filename, exec1.Args, exec1.Comm, self)
	}
	if comm.Old != exec1.Comm || comm.New != renamedComm || comm.Comm != renamedComm {
		t.Errorf("comm: %q -> %q (comm %q), want %q -> %q", comm.Old, comm.New, comm.Comm, exec1.Comm, renamedComm)
	}
	if exec2.Filename != "/bin/sh" || strings.Join(exec2.Args, " ") != "sh -c exit 7" || exec2.Comm != "sh" {
		t.Errorf("second exec: filename %q args %q comm %q, want /bin/sh [sh -c exit 7]", exec2.Filename, exec2.Args, exec2.Comm)
	}
	if exit.ExitCode == nil || *exit.ExitCode != 7 || exit.Signal != 0 || exit.Comm != "sh" {
		t.Errorf("exit: code %v signal %d comm %q, want code 7 from sh", exit.ExitCode, exit.Signal, exit.Comm)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Seq <= got[i-1].Seq || got[i].Time.Before(got[i-1].Time) {
			t.Errorf("event %d (seq %d, %v) not after event %d (seq %d, %v)", i, got[i].Seq, got[i].Time, i-1, got[i-1].Seq, got[i-1].Time)
		}
	}
}

// truncComm is the kernel's 15-byte command name.
func truncComm(s string) string {
	if len(s) > 15 {
		return s[:15]
	}
	return s
}

// An OOM kill under a v1 memory limit: the move into the cgroup and the
// exit by SIGKILL from the process source, the OOM notification and
// oom_kill count from the cgroup's eventfd.
func TestLiveOOMKill(t *testing.T) {
	cg := newTestCgroup(t, "memory")
	cg.write(t, "memory", "memory.limit_in_bytes", "48M")
	if _, err := os.Stat(filepath.Join(cg.dir["memory"], "memory.memsw.limit_in_bytes")); err == nil {
		cg.write(t, "memory", "memory.memsw.limit_in_bytes", "48M")
	}
	rel := cg.rel["memory"]
	s := openStream(t, CgroupRoot(rel))
	sub := s.Subscribe(Filter{Cgroup: rel}, 0)
	all := s.Subscribe(Filter{}, 0)
	h := startHelper(t, "alloc")
	pid := h.pid()
	// The kernel fires the exec tracepoint after it closed the
	// close-on-exec descriptors, so the parent can learn the exec
	// succeeded, and move the child, before the exec record is written:
	// wait for it, or it can arrive after the move, in the new cgroup.
	collect(t, all, fmt.Sprintf("the exec of %d", pid),
		func(ev *Event) bool { return ev.PID == pid && ev.Kind == Exec },
		func([]Event) bool { return true })
	all.Close()
	cg.write(t, "memory", "cgroup.procs", fmt.Sprint(pid))
	h.release(t)
	var proc, mem []Event
	collect(t, sub, "the OOM kill", func(ev *Event) bool {
		switch {
		case ev.PID == pid && ev.Kind.IsProcess():
			proc = append(proc, *ev)
			return true
		case ev.Cgroup == rel && (ev.Kind == OOM || ev.Kind == OOMKill):
			mem = append(mem, *ev)
			return true
		}
		return false
	}, func([]Event) bool { return hasKind(proc, Exit) && hasKind(mem, OOMKill) })
	if !slices.Equal(kinds(proc), []Kind{Move, Exit}) {
		t.Fatalf("process events %v, want move, exit:%s", kinds(proc), describe(proc))
	}
	if mv := proc[0]; mv.Cgroup != rel || mv.Hierarchy != "memory" {
		t.Errorf("move to %s:%s, want memory:%s", mv.Hierarchy, mv.Cgroup, rel)
	}
	if ex := proc[1]; ex.Signal != 9 || !ex.OOMKilled || ex.Cgroup != rel {
		t.Errorf("exit: signal %d oom_killed %v cgroup %q, want SIGKILL by the OOM killer in %s", ex.Signal, ex.OOMKilled, ex.Cgroup, rel)
	}
	if mem[0].Kind != OOM || mem[0].Source != SourceEventfd || mem[0].Hierarchy != "memory" {
		t.Errorf("first memory event %+v, want oom from the eventfd", mem[0])
	}
	if k := mem[len(mem)-1]; k.Kind != OOMKill || k.Count < 1 {
		t.Errorf("last memory event %+v, want oom-kill with a count", k)
	}
}

// A v1 freezer cgroup frozen and thawed (polled), and a cgroup2 one
// (inotify on cgroup.events, which also reports populated and empty).
func TestLiveFreezeThaw(t *testing.T) {
	t.Run("v1", func(t *testing.T) {
		cg := newTestCgroup(t, "freezer")
		rel := cg.rel["freezer"]
		s := openStream(t, CgroupRoot(rel), WithProcesses(false), FreezerPoll(50*time.Millisecond))
		sub := s.Subscribe(Filter{Cgroup: rel}, 0)
		h := startHelper(t, "sleep")
		cg.write(t, "freezer", "cgroup.procs", fmt.Sprint(h.pid()))
		cg.write(t, "freezer", "freezer.state", "FROZEN")
		waitFile(t, filepath.Join(cg.dir["freezer"], "freezer.state"), "FROZEN")
		got := collect(t, sub, "frozen", func(ev *Event) bool { return ev.Cgroup == rel }, func(evs []Event) bool { return hasKind(evs, Frozen) })
		cg.write(t, "freezer", "freezer.state", "THAWED")
		got = append(got, collect(t, sub, "thawed", func(ev *Event) bool { return ev.Cgroup == rel }, func(evs []Event) bool { return hasKind(evs, Thawed) })...)
		if !slices.Equal(kinds(got), []Kind{Frozen, Thawed}) {
			t.Fatalf("events %v, want frozen, thawed:%s", kinds(got), describe(got))
		}
		if got[0].Source != SourcePoll || got[0].New != "FROZEN" || got[1].New != "THAWED" || got[0].Hierarchy != "freezer" {
			t.Errorf("events %s", describe(got))
		}
	})
	t.Run("v1-written", func(t *testing.T) {
		// With polling all but off, the write to freezer.state is what
		// has it read: the freeze shows once it settles, the thaw at once.
		cg := newTestCgroup(t, "freezer")
		rel := cg.rel["freezer"]
		s := openStream(t, CgroupRoot(rel), WithProcesses(false), FreezerPoll(time.Hour))
		sub := s.Subscribe(Filter{Cgroup: rel}, 0)
		h := startHelper(t, "sleep")
		cg.write(t, "freezer", "cgroup.procs", fmt.Sprint(h.pid()))
		// After the first poll (which learns that every file is
		// watched) the next is an hour away.
		for deadline := time.Now().Add(20 * time.Second); s.freezerPolls.Load() == 0; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("no first freezer poll in 20 s")
			}
		}
		cg.write(t, "freezer", "freezer.state", "FROZEN")
		got := collect(t, sub, "frozen", func(ev *Event) bool { return ev.Cgroup == rel }, func(evs []Event) bool { return hasKind(evs, Frozen) })
		cg.write(t, "freezer", "freezer.state", "THAWED")
		got = append(got, collect(t, sub, "thawed", func(ev *Event) bool { return ev.Cgroup == rel }, func(evs []Event) bool { return hasKind(evs, Thawed) })...)
		if !slices.Equal(kinds(got), []Kind{Frozen, Thawed}) {
			t.Fatalf("events %v, want frozen, thawed:%s", kinds(got), describe(got))
		}
	})
	t.Run("v1-unwatched", func(t *testing.T) {
		// Out of inotify watches, a freezer.state is polled every
		// unwatchedPoll however long FreezerPoll is.
		watchFreezer = false
		t.Cleanup(func() { watchFreezer = true })
		cg := newTestCgroup(t, "freezer")
		rel := cg.rel["freezer"]
		s := openStream(t, CgroupRoot(rel), WithProcesses(false), FreezerPoll(time.Hour))
		sub := s.Subscribe(Filter{Cgroup: rel}, 0)
		h := startHelper(t, "sleep")
		cg.write(t, "freezer", "cgroup.procs", fmt.Sprint(h.pid()))
		cg.write(t, "freezer", "freezer.state", "FROZEN")
		got := collect(t, sub, "frozen", func(ev *Event) bool { return ev.Cgroup == rel }, func(evs []Event) bool { return hasKind(evs, Frozen) })
		if got[0].Kind != Frozen || got[0].Source != SourcePoll {
			t.Errorf("events %s, want frozen by a poll", describe(got))
		}
	})
	t.Run("v2", func(t *testing.T) {
		cg := newTestCgroup(t, "v2")
		rel := cg.rel["v2"]
		if _, err := os.Stat(filepath.Join(cg.dir["v2"], "cgroup.freeze")); err != nil {
			t.Skipf("no cgroup.freeze (kernel before 5.2): %v", err)
		}
		s := openStream(t, CgroupRoot(rel), WithProcesses(false))
		sub := s.Subscribe(Filter{Cgroup: rel}, 0)
		// cgroup.events reports states, and the kernel sends at most one
		// notification per 10 ms: a freeze undone within that is never
		// seen. So each step waits for the event of the one before.
		h := startHelper(t, "sleep")
		var got []Event
		step := func(k Kind, act func()) {
			act()
			got = append(got, collect(t, sub, string(k), func(ev *Event) bool { return ev.Cgroup == rel },
				func(evs []Event) bool { return evs[len(evs)-1].Kind == k })...)
		}
		step(Populated, func() { cg.write(t, "v2", "cgroup.procs", fmt.Sprint(h.pid())) })
		step(Frozen, func() { cg.write(t, "v2", "cgroup.freeze", "1") })
		step(Thawed, func() { cg.write(t, "v2", "cgroup.freeze", "0") })
		step(Empty, func() { h.cmd.Process.Kill() })
		if !slices.Equal(kinds(got), []Kind{Populated, Frozen, Thawed, Empty}) {
			t.Fatalf("events %v, want populated, frozen, thawed, empty:%s", kinds(got), describe(got))
		}
		for _, ev := range got {
			if ev.Source != SourceInotify || ev.Hierarchy != "v2" {
				t.Errorf("%s from %s in %s, want inotify in v2", ev.Kind, ev.Source, ev.Hierarchy)
			}
		}
	})
}

// waitFile waits until a file reads want.
func waitFile(t *testing.T, path, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, _ := os.ReadFile(path)
		if strings.TrimSpace(string(data)) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s reads %q, want %q", path, data, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A network namespace made and deleted with ip netns: ns-new (found by a
// scan, held by the named netns) then ns-gone for the same namespace.
func TestLiveNetnsAddDelete(t *testing.T) {
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs ip (iproute2; make deps installs it as root)")
	}
	s := openStream(t, WithCgroups(false))
	sub := s.Subscribe(Filter{Kinds: []Kind{NSNew, NSGone}}, 0)
	name := fmt.Sprintf("nsev-%d-%04x", os.Getpid(), time.Now().UnixNano()&0xffff)
	start := time.Now()
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	holder := "named-netns " + name
	var id inspect.NSID
	got := collect(t, sub, "ns-new of "+name, func(ev *Event) bool {
		return ev.Namespace != nil && ev.Namespace.Type == inspect.NetNS && slices.Contains(ev.Namespace.Holders, holder)
	}, func(evs []Event) bool { return true })
	id = got[0].Namespace.ID
	t.Logf("ns-new after %v", time.Since(start))
	if got[0].Kind != NSNew {
		t.Fatalf("first event of %s is %s, want ns-new", name, got[0].Kind)
	}
	if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns del: %v\n%s", err, out)
	}
	gone := collect(t, sub, "ns-gone of "+name, func(ev *Event) bool {
		return ev.Namespace != nil && ev.Namespace.ID == id && ev.Namespace.Type == inspect.NetNS
	}, func(evs []Event) bool { return true })
	t.Logf("ns-gone after %v", time.Since(start))
	if gone[0].Kind != NSGone || !slices.Contains(gone[0].Namespace.Holders, holder) {
		t.Errorf("after ip netns del: %s, want ns-gone of net:%d", describe(gone), id.Ino)
	}
}

// A process that gives up root: a uid event between its exec and its
// exit, from the fentry program or (where the kernel refuses BPF
// trampolines) the proc connector.
func TestLiveUIDChange(t *testing.T) { testUIDChange(t) }

func testUIDChange(t *testing.T) {
	s := openStream(t, WithCgroups(false))
	via := ""
	for _, src := range s.Sources() {
		if src.Name == "uid changes" {
			if !src.Running {
				t.Skipf("uid changes are not watched here: %s", src.Detail)
			}
			via = src.Detail
		}
	}
	sub := s.Subscribe(Filter{}, 0)
	h := startHelper(t, "setuid")
	got := collect(t, sub, "the helper's uid change", func(ev *Event) bool { return ev.PID == h.pid() && ev.Kind.IsProcess() },
		func(evs []Event) bool { return evs[len(evs)-1].Kind == Exit })
	if !slices.Equal(kinds(got), []Kind{Fork, Exec, UID, Exit}) {
		t.Fatalf("kinds %v, want fork, exec, uid, exit:%s", kinds(got), describe(got))
	}
	u := got[2]
	if u.Old != "0/0" || u.New != "65534/65534" || u.UID == nil || *u.UID != 65534 {
		t.Errorf("uid %q -> %q (uid %v), want 0/0 -> 65534/65534", u.Old, u.New, u.UID)
	}
	t.Logf("uid change from %s (%s)", u.Source, via)
}
