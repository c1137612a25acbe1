package record

import (
	"maps"
	"reflect"
	"slices"

	"github.com/nscope/nscope/inspect"
)

// diff returns what changed from prev to cur, both indexed snapshots, and
// the event marks the change makes.
func diff(prev, cur *inspect.Snapshot) (*Delta, []Mark) {
	d := &Delta{Time: cur.Time, ScanDuration: int64(cur.ScanDuration)}
	var marks []Mark
	if cur.ScanMethod != prev.ScanMethod {
		d.ScanMethod = &cur.ScanMethod
	}
	if !reflect.DeepEqual(cur.Host, prev.Host) {
		d.Host = &cur.Host
	}
	if cur.CgroupMode != prev.CgroupMode {
		d.CgroupMode = &cur.CgroupMode
	}
	if !reflect.DeepEqual(cur.Hierarchies, prev.Hierarchies) {
		d.Hierarchies = &cur.Hierarchies
	}
	if !reflect.DeepEqual(cur.Unreadable, prev.Unreadable) {
		u := cur.Unreadable
		if u == nil {
			u = []inspect.Unreadable{}
		}
		d.Unreadable = &u
	}
	d.Other = diffOther(prev, cur)
	diffProcesses(d, prev, cur)
	marks = diffNamespaces(d, prev, cur, marks)
	marks = diffCgroups(d, prev, cur, marks)
	return d, marks
}

// diffProcesses fills the process part of d.
func diffProcesses(d *Delta, prev, cur *inspect.Snapshot) {
	var pc ProcCounters
	lastPID, matched := 0, 0
	for i := range cur.Processes {
		p := &cur.Processes[i]
		// A counter refresh keeps every process at its index.
		var old *inspect.Process
		if i < len(prev.Processes) && prev.Processes[i].PID == p.PID {
			old = &prev.Processes[i]
		} else {
			old = prev.Process(p.PID)
		}
		if old != nil {
			matched++
		}
		switch {
		case old == nil || !sameProcess(old, p):
			d.Processes = append(d.Processes, *p)
		case old.State != p.State || old.Threads != p.Threads || old.UTimeUS != p.UTimeUS ||
			old.STimeUS != p.STimeUS || old.RSSBytes != p.RSSBytes:
			pc.PID = append(pc.PID, p.PID-lastPID)
			lastPID = p.PID
			pc.State = append(pc.State, p.State)
			pc.Threads = append(pc.Threads, p.Threads-old.Threads)
			pc.UTimeUS = append(pc.UTimeUS, p.UTimeUS-old.UTimeUS)
			pc.STimeUS = append(pc.STimeUS, p.STimeUS-old.STimeUS)
			pc.RSS = append(pc.RSS, p.RSSBytes-old.RSSBytes)
		}
	}
	if len(pc.PID) > 0 {
		d.Counters = &pc
	}
	if matched == len(prev.Processes) {
		return // every process before is still there (PIDs are unique)
	}
	for i := range prev.Processes {
		if cur.Process(prev.Processes[i].PID) == nil {
			d.Exited = append(d.Exited, prev.Processes[i].PID)
		}
	}
}

// sameProcess reports whether a and b differ at most in their counters
// (state, threads, CPU times, RSS). Fields the JSON omits when empty
// compare nil and empty alike; NSpid, written as null or [], does not.
func sameProcess(a, b *inspect.Process) bool {
	return a.PPID == b.PPID && a.Comm == b.Comm && a.UID == b.UID && a.User == b.User &&
		a.StartTime.Equal(b.StartTime) && a.Kernel == b.Kernel && a.NS == b.NS &&
		a.PIDForChildren == b.PIDForChildren && a.TimeForChildren == b.TimeForChildren &&
		slices.Equal(a.Cmdline, b.Cmdline) && slices.Equal(a.NSpid, b.NSpid) &&
		slices.Equal(a.Cgroups, b.Cgroups) && (a.NSpid == nil) == (b.NSpid == nil) && a.Container == b.Container
}

// diffNamespaces fills the namespace part of d and marks namespaces
// created and destroyed.
func diffNamespaces(d *Delta, prev, cur *inspect.Snapshot, marks []Mark) []Mark {
	if sameBacking(prev.Namespaces, cur.Namespaces) {
		// A counter refresh shares its scan's namespaces.
		return marks
	}
	for i := range cur.Namespaces {
		n := &cur.Namespaces[i]
		old := prev.Namespace(n.ID)
		ch := NSChange{ID: n.ID}
		if old == nil {
			marks = append(marks, Mark{Kind: MarkNSCreated, Time: cur.Time, NS: n.ID, NSType: n.Type.String()})
		}
		if old == nil || !sameNamespace(old, n) {
			whole := *n
			whole.Members = nil
			ch.Namespace = &whole
		}
		var oldMembers []int
		if old != nil {
			oldMembers = old.Members
		}
		ch.Added, ch.Removed = setDiff(oldMembers, n.Members)
		if ch.Namespace != nil || ch.Added != nil || ch.Removed != nil {
			d.Namespaces = append(d.Namespaces, ch)
		}
	}
	for i := range prev.Namespaces {
		n := &prev.Namespaces[i]
		if cur.Namespace(n.ID) == nil {
			d.NSGone = append(d.NSGone, n.ID)
			marks = append(marks, Mark{Kind: MarkNSDestroyed, Time: cur.Time, NS: n.ID, NSType: n.Type.String()})
		}
	}
	return marks
}

// sameNamespace reports whether a and b differ at most in their members.
func sameNamespace(a, b *inspect.Namespace) bool {
	return a.Type == b.Type && a.Owner == b.Owner && a.Parent == b.Parent && a.OwnerUID == b.OwnerUID &&
		a.Level == b.Level && a.Initial == b.Initial && slices.Equal(a.Holders, b.Holders) && a.Container == b.Container
}

// diffCgroups fills the cgroup part of d and marks OOM kills, throttling
// and limit changes.
func diffCgroups(d *Delta, prev, cur *inspect.Snapshot, marks []Mark) []Mark {
	matched := 0
	for i := range cur.Cgroups {
		c := &cur.Cgroups[i]
		var old *inspect.Cgroup
		if i < len(prev.Cgroups) && prev.Cgroups[i].Hierarchy == c.Hierarchy && prev.Cgroups[i].Path == c.Path {
			old = &prev.Cgroups[i]
		} else {
			old = prev.Cgroup(c.Hierarchy, c.Path)
		}
		ch := CgroupChange{CgroupRef: CgroupRef{c.Hierarchy, c.Path}}
		if old == nil {
			ch.New = true
			old = &inspect.Cgroup{}
		} else {
			matched++
			marks = usageMarks(marks, cur.Time, old, c)
			marks = limitMarks(marks, cur.Time, old, c)
		}
		if ch.New || !slices.Equal(old.Controllers, c.Controllers) {
			ctl := c.Controllers
			ch.Controllers = &ctl
		}
		if ch.New || old.Container != c.Container {
			ref := c.Container
			ch.Container = &ref
		}
		if ch.New || !sameLimits(&old.Limits, &c.Limits) {
			l := c.Limits
			ch.Limits = &l
		}
		if ch.New || !sameUsage(&old.Usage, &c.Usage) {
			u := c.Usage
			ch.Usage = &u
		}
		if !sameMap(old.Raw, c.Raw) {
			ch.RawSet, ch.RawDel = rawDiff(old.Raw, c.Raw)
		}
		ch.ProcsAdded, ch.ProcsRemoved = setDiff(old.Procs, c.Procs)
		if ch.New || ch.Controllers != nil || ch.Container != nil || ch.Limits != nil || ch.Usage != nil || ch.RawSet != nil || ch.RawDel != nil ||
			ch.ProcsAdded != nil || ch.ProcsRemoved != nil {
			d.Cgroups = append(d.Cgroups, ch)
		}
	}
	if matched == len(prev.Cgroups) {
		return marks
	}
	for i := range prev.Cgroups {
		c := &prev.Cgroups[i]
		if cur.Cgroup(c.Hierarchy, c.Path) == nil {
			d.CgroupsGone = append(d.CgroupsGone, CgroupRef{c.Hierarchy, c.Path})
		}
	}
	return marks
}

// rawDiff returns the files of b whose text differs from a, and the files
// of a that b lacks.
func rawDiff(a, b map[string]string) (set map[string]string, del []string) {
	for k, v := range b {
		if old, ok := a[k]; !ok || old != v {
			if set == nil {
				set = map[string]string{}
			}
			set[k] = v
		}
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			del = append(del, k)
		}
	}
	slices.Sort(del)
	return set, del
}

// setDiff returns the ascending ints of b missing from a and of a
// missing from b; both are ascending.
func setDiff(a, b []int) (added, removed []int) {
	if sameBacking(a, b) {
		return nil, nil
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i] < b[j]):
			removed = append(removed, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			added = append(added, b[j])
			j++
		default:
			i++
			j++
		}
	}
	return added, removed
}

// sameUsage reports whether two usages hold the same numbers.
func sameUsage(a, b *inspect.Usage) bool {
	return eqInt(a.CPUUsageUS, b.CPUUsageUS) && eqInt(a.NrPeriods, b.NrPeriods) && eqInt(a.NrThrottled, b.NrThrottled) &&
		eqInt(a.ThrottledUS, b.ThrottledUS) && eqInt(a.MemoryCurrent, b.MemoryCurrent) && eqInt(a.PidsCurrent, b.PidsCurrent) &&
		eqPtr(a.MemoryEvents, b.MemoryEvents) && reflect.DeepEqual(a.PSI, b.PSI)
}

func eqInt(a, b *int64) bool { return eqPtr(a, b) }

func eqPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// sameBacking reports whether a and b are the same slice (a counter
// refresh shares what it does not re-read with its scan).
func sameBacking[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// sameMap reports whether two maps hold the same entries, without
// comparing when they are the same map.
func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer() {
		return true
	}
	return maps.Equal(a, b)
}

// sameLimits reports whether two cgroups' limits are equal.
func sameLimits(a, b *inspect.Limits) bool {
	return eqInt(a.CPUQuotaUS, b.CPUQuotaUS) && eqInt(a.CPUPeriodUS, b.CPUPeriodUS) && eqInt(a.CPUWeight, b.CPUWeight) &&
		eqInt(a.CPUShares, b.CPUShares) && eqInt(a.MemoryMax, b.MemoryMax) && eqInt(a.MemoryHigh, b.MemoryHigh) &&
		eqInt(a.MemoryLow, b.MemoryLow) && eqInt(a.PidsMax, b.PidsMax) && eqPtr(a.Frozen, b.Frozen) &&
		slices.Equal(a.IOMax, b.IOMax)
}
