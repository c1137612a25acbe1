package tui

import (
	"time"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// freshFor is how long a row that appeared stays marked, as htop's
// "highlight new processes" (its default delay is 5 s).
const freshFor = 5 * time.Second

// maxFresh bounds the marks kept: a host that starts thousands of
// processes at once marks the first of them, not all.
const maxFresh = 2048

// freshMarks are the items that appeared in a recent snapshot, each
// with the time its mark ends. Rendering looks a row's key up; nothing
// is allocated per row.
type freshMarks struct {
	until map[procview.Key]time.Time
}

// is reports whether the item with key k is marked at now.
func (f *freshMarks) is(k procview.Key, now time.Time) bool {
	if len(f.until) == 0 {
		return false
	}
	t, ok := f.until[k]
	return ok && now.Before(t)
}

// mark marks k until now+freshFor.
func (f *freshMarks) mark(k procview.Key, now time.Time) {
	if f.until == nil {
		f.until = map[procview.Key]time.Time{}
	}
	if len(f.until) < maxFresh {
		f.until[k] = now.Add(freshFor)
	}
}

// expire forgets the marks that ended.
func (f *freshMarks) expire(now time.Time) {
	for k, t := range f.until {
		if !now.Before(t) {
			delete(f.until, k)
		}
	}
}

// diffProcesses marks the processes cur has and old had not (a live
// patch adds processes only).
func (f *freshMarks) diffProcesses(old, cur *inspect.Snapshot, now time.Time) {
	if old == nil || cur == nil {
		return
	}
	for i := range cur.Processes {
		p := &cur.Processes[i]
		if q := old.Process(p.PID); q == nil || !q.StartTime.Equal(p.StartTime) {
			f.mark(procview.ProcessKey(p), now)
		}
	}
}

// diff marks what cur has and old had not: processes (a reused PID is a
// new process), namespaces, cgroups (in their hierarchy and merged by
// path) and containers. Nothing is marked without an old snapshot (the
// first scan shows everything for the first time).
func (f *freshMarks) diff(old, cur *inspect.Snapshot, now time.Time) {
	if old == nil || cur == nil {
		return
	}
	f.expire(now)
	f.diffProcesses(old, cur, now)
	for i := range cur.Namespaces {
		if n := &cur.Namespaces[i]; old.Namespace(n.ID) == nil {
			f.mark(procview.NamespaceKey(n.ID), now)
		}
	}
	paths := map[string]bool{}
	for i := range old.Cgroups {
		paths[old.Cgroups[i].Path] = true
	}
	for i := range cur.Cgroups {
		c := &cur.Cgroups[i]
		if old.Cgroup(c.Hierarchy, c.Path) == nil {
			f.mark(procview.CgroupKey(c), now)
		}
		if !paths[c.Path] {
			f.mark(procview.MergedKey(c.Path), now)
		}
	}
	for i := range cur.Containers {
		c := &cur.Containers[i]
		if old.Container(c.Ref()) == nil {
			f.mark(procview.ContainerKey(c), now)
		}
	}
}
