package events

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nscope/nscope/inspect"
)

// writeInPlace rewrites a file without truncating it first (as cgroupfs
// changes a control file: one modification, never an empty file).
func writeInPlace(t *testing.T, path, content string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte(content), 0); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitEvent reads sub until an event satisfies match, failing after a
// generous deadline (timing is not what is tested).
func waitEvent(t *testing.T, sub *Subscription, what string, match func(*Event) bool) Event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-sub.Events():
			if !ok {
				t.Fatalf("stream closed while waiting for %s", what)
			}
			if match(&ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// The watcher on a tree shaped like cgroupfs (regular files take inotify
// watches the same way): v2 events files by inotify, directories made and
// removed, the v1 freezer by polling.
func TestCgroupWatcherOnATree(t *testing.T) {
	defer goleak.VerifyNone(t)
	v2, frz := t.TempDir(), t.TempDir()
	for _, d := range []string{v2, filepath.Join(v2, "a")} {
		writeFile(t, filepath.Join(d, "cgroup.events"), "populated 1\nfrozen 0\n")
		writeFile(t, filepath.Join(d, "memory.events"), "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n")
	}
	writeFile(t, filepath.Join(frz, "job", "freezer.state"), "THAWED\n")
	layout := inspect.CgroupLayout{Mode: inspect.CgroupHybrid, Hierarchies: []inspect.Hierarchy{
		{ID: 7, Version: 1, Controllers: []string{"freezer"}, Mount: frz},
		{ID: 0, Version: 2, Mount: v2},
	}}
	s := &Stream{cfg: defaultConfig(), layout: layout, stop: make(chan struct{})}
	s.cfg.freezePoll = 20 * time.Millisecond
	sub := s.Subscribe(Filter{}, 0)
	s.startCgroups()
	defer s.Close()
	if src := s.Sources(); len(src) != 1 || !src[0].Running {
		t.Fatalf("sources %+v, want cgroups running", src)
	}

	writeInPlace(t, filepath.Join(v2, "a", "cgroup.events"), "populated 1\nfrozen 1\n")
	ev := waitEvent(t, sub, "frozen /a", func(ev *Event) bool { return ev.Kind == Frozen })
	if ev.Cgroup != "/a" || ev.Hierarchy != "v2" || ev.Source != SourceInotify {
		t.Errorf("frozen event %+v, want /a in v2 by inotify", ev)
	}
	writeInPlace(t, filepath.Join(v2, "a", "memory.events"), "low 0\nhigh 0\nmax 0\noom 1\noom_kill 2\n")
	ev = waitEvent(t, sub, "oom /a", func(ev *Event) bool { return ev.Kind == OOM || ev.Kind == OOMKill })
	if ev.Kind != OOM || ev.Count != 1 || ev.Cgroup != "/a" {
		t.Errorf("first memory event %+v, want oom count 1 on /a", ev)
	}
	ev = waitEvent(t, sub, "oom-kill /a", func(ev *Event) bool { return ev.Kind == OOMKill })
	if ev.Count != 2 {
		t.Errorf("oom-kill count %d, want 2", ev.Count)
	}

	if err := os.Mkdir(filepath.Join(v2, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sub, "cgroup-new /a/b", func(ev *Event) bool { return ev.Kind == CgroupNew && ev.Cgroup == "/a/b" })
	if err := os.Remove(filepath.Join(v2, "a", "b")); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sub, "cgroup-gone /a/b", func(ev *Event) bool { return ev.Kind == CgroupGone && ev.Cgroup == "/a/b" })

	writeInPlace(t, filepath.Join(frz, "job", "freezer.state"), "FROZEN\n")
	ev = waitEvent(t, sub, "frozen /job", func(ev *Event) bool { return ev.Kind == Frozen })
	if ev.Cgroup != "/job" || ev.Hierarchy != "freezer" || ev.Source != SourcePoll || ev.Old != "THAWED" {
		t.Errorf("freezer event %+v, want /job in freezer by poll from THAWED", ev)
	}
	writeInPlace(t, filepath.Join(frz, "job", "freezer.state"), "THAWED\n")
	waitEvent(t, sub, "thawed /job", func(ev *Event) bool { return ev.Kind == Thawed && ev.Cgroup == "/job" })
}
