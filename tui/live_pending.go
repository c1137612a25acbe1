package tui

import (
	"fmt"
	"time"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/inspect/events"
	"github.com/nscope/nscope/internal/termtext"
)

// Bounds on what live mode remembers between two patches. Past them it
// stops following processes one by one: it lists /proc instead (a
// resync) and asks for a full scan, so memory never grows with the
// event rate.
const (
	maxPendingPIDs    = 1024
	maxPendingCgroups = 256
)

// cgRef names a cgroup as events do: the hierarchy's label ("v2",
// "memory", "cpu,cpuacct") and the path inside it.
type cgRef struct{ hierarchy, path string }

// oomCount is how many OOM events and kills a cgroup had.
type oomCount struct{ oom, kill int64 }

// livePending is what the events since the last patch ask the app to
// look at again. The zero value is empty and ready.
type livePending struct {
	// reread are processes that started, exec'd, renamed themselves,
	// changed user or moved cgroup; exited those that exited. A PID can
	// be in both (it exited and was reused): exits apply first.
	reread map[int]struct{}
	exited map[int]struct{}
	// frozen is the last freezer state seen per cgroup; oom the OOM
	// events and kills counted per cgroup.
	frozen map[cgRef]bool
	oom    map[cgRef]oomCount
	// Namespaces and cgroups that appeared or went away.
	nsNew, nsGone map[inspect.NSID]struct{}
	cgNew, cgGone map[cgRef]struct{}
	// resync asks for a listing of /proc (events were lost, or more
	// processes changed than are followed one by one); full asks for a
	// full scan (what only a scan reads changed, or events were lost).
	resync, full bool
	// lost is how many events the stream reported lost.
	lost int64
	// n counts the events merged; first is when the first arrived.
	n     int
	first time.Time
	// note is the last OOM kill, for the status line.
	note string
}

// empty reports whether nothing is pending.
func (p *livePending) empty() bool { return p.n == 0 && !p.resync && !p.full }

// structural reports whether anything pending changes what the views
// show (every event live mode subscribes to does, but a batch of
// warnings alone does not).
func (p *livePending) structural() bool {
	return len(p.reread)+len(p.exited)+len(p.frozen)+len(p.oom)+len(p.nsNew)+len(p.nsGone)+len(p.cgNew)+len(p.cgGone) > 0 || p.resync || p.full
}

// urgent reports whether a freeze, a thaw or an OOM kill is pending:
// rare, cheap to patch (no process is read for them), and what an
// operator waits to see, so they do not wait for the patch limiter.
func (p *livePending) urgent() bool { return len(p.frozen)+len(p.oom) > 0 }

// add merges one event.
func (p *livePending) add(ev *events.Event, now time.Time) {
	if p.n == 0 {
		p.first = now
	}
	p.n++
	switch ev.Kind {
	case events.Fork, events.Exec, events.Comm, events.UID, events.Move:
		p.pid(&p.reread, ev.PID)
	case events.Exit:
		p.pid(&p.exited, ev.PID)
		if ev.OOMKilled {
			p.note = fmt.Sprintf("OOM kill: PID %d %s in %s", ev.PID, termtext.Cell(ev.Comm, 16), termtext.Cell(ev.Cgroup, 60))
		}
	case events.NSNew, events.NSGone:
		if ev.Namespace == nil {
			break
		}
		m := &p.nsNew
		if ev.Kind == events.NSGone {
			m = &p.nsGone
			delete(p.nsNew, ev.Namespace.ID)
		}
		if *m == nil {
			*m = map[inspect.NSID]struct{}{}
		}
		if len(*m) < maxPendingCgroups {
			(*m)[ev.Namespace.ID] = struct{}{}
		} else {
			p.full = true
		}
	case events.CgroupNew, events.CgroupGone:
		m := &p.cgNew
		if ev.Kind == events.CgroupGone {
			m = &p.cgGone
		}
		if *m == nil {
			*m = map[cgRef]struct{}{}
		}
		if len(*m) < maxPendingCgroups {
			(*m)[cgRef{ev.Hierarchy, ev.Cgroup}] = struct{}{}
		} else {
			p.full = true
		}
	case events.Frozen, events.Thawed:
		if p.frozen == nil {
			p.frozen = map[cgRef]bool{}
		}
		if r := (cgRef{ev.Hierarchy, ev.Cgroup}); len(p.frozen) < maxPendingCgroups || hasKey(p.frozen, r) {
			p.frozen[r] = ev.Kind == events.Frozen
		} else {
			p.full = true
		}
	case events.OOM, events.OOMKill:
		if p.oom == nil {
			p.oom = map[cgRef]oomCount{}
		}
		r := cgRef{ev.Hierarchy, ev.Cgroup}
		if len(p.oom) >= maxPendingCgroups && !hasKey(p.oom, r) {
			p.full = true
			break
		}
		c := p.oom[r]
		n := max(ev.Count, 1)
		if ev.Kind == events.OOM {
			c.oom += n
		} else {
			c.kill += n
			if p.note == "" {
				p.note = fmt.Sprintf("OOM kill in %s", termtext.Cell(ev.Cgroup, 60))
			}
		}
		p.oom[r] = c
	case events.Limit:
		// Limits are read by full scans only.
		p.full = true
	case events.Lost:
		p.lost += max(ev.Count, 1)
		p.resync, p.full = true, true
	}
}

// pid adds pid to a set, or gives up following PIDs one by one when
// there are too many: a resync lists /proc instead, and a full scan
// catches the exec'd and renamed.
func (p *livePending) pid(set *map[int]struct{}, pid int) {
	if p.resync {
		return
	}
	if len(p.reread)+len(p.exited) >= maxPendingPIDs {
		p.reread, p.exited = nil, nil
		p.resync, p.full = true, true
		return
	}
	if *set == nil {
		*set = map[int]struct{}{}
	}
	(*set)[pid] = struct{}{}
}

// merge adds what q holds (a patch that was dropped) back into p.
func (p *livePending) merge(q *livePending) {
	if q == nil || q.empty() {
		return
	}
	if p.n == 0 || (!q.first.IsZero() && q.first.Before(p.first)) {
		p.first = q.first
	}
	p.n += q.n
	p.resync = p.resync || q.resync
	p.full = p.full || q.full
	p.lost += q.lost
	if p.note == "" {
		p.note = q.note
	}
	for pid := range q.exited {
		p.pid(&p.exited, pid)
	}
	for pid := range q.reread {
		p.pid(&p.reread, pid)
	}
	mergeSet(&p.nsNew, q.nsNew, &p.full)
	mergeSet(&p.nsGone, q.nsGone, &p.full)
	mergeSet(&p.cgNew, q.cgNew, &p.full)
	mergeSet(&p.cgGone, q.cgGone, &p.full)
	for r, f := range q.frozen {
		// A newer state in p wins.
		if _, ok := p.frozen[r]; !ok {
			if p.frozen == nil {
				p.frozen = map[cgRef]bool{}
			}
			p.frozen[r] = f
		}
	}
	for r, c := range q.oom {
		if p.oom == nil {
			p.oom = map[cgRef]oomCount{}
		}
		o := p.oom[r]
		p.oom[r] = oomCount{o.oom + c.oom, o.kill + c.kill}
	}
}

// mergeSet adds the keys of src to *dst, bounded like add.
func mergeSet[K comparable](dst *map[K]struct{}, src map[K]struct{}, full *bool) {
	for k := range src {
		if *dst == nil {
			*dst = map[K]struct{}{}
		}
		if len(*dst) >= maxPendingCgroups {
			*full = true
			return
		}
		(*dst)[k] = struct{}{}
	}
}

func hasKey[K comparable, V any](m map[K]V, k K) bool {
	_, ok := m[k]
	return ok
}
