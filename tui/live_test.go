package tui

import (
	"bytes"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/inspect/events"
	"github.com/nscope/nscope/procview"
)

// TestLiveLimiter drives the patch limiter with a fake clock: a burst
// of patchBurst patches at once, then one per 1/patchRate; a host with
// busyRate process events in a second, or lost events, is busy (patches
// wait for the refresh) until it has been calm for busyHold.
func TestLiveLimiter(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var l liveLimiter
	for i := range patchBurst {
		if at := l.nextPatch(t0, time.Second, time.Time{}); !at.Equal(t0) {
			t.Fatalf("patch %d of the burst may start at %v, want now", i+1, at.Sub(t0))
		}
		l.took(t0)
	}
	at := l.nextPatch(t0, time.Second, time.Time{})
	if want := t0.Add(time.Duration(float64(time.Second) / patchRate)); !at.Equal(want) {
		t.Fatalf("after the burst the next patch may start after %v, want %v", at.Sub(t0), want.Sub(t0))
	}
	if got := l.nextPatch(at, time.Second, time.Time{}); !got.Equal(at) {
		t.Fatalf("once the bucket refilled a patch waits until %v", got)
	}
	// Refilling stops at the burst.
	later := t0.Add(time.Hour)
	for range patchBurst {
		if !l.nextPatch(later, time.Second, time.Time{}).Equal(later) {
			t.Fatal("an hour later the whole burst is not available")
		}
		l.took(later)
	}
	if l.nextPatch(later, time.Second, time.Time{}).Equal(later) {
		t.Fatal("the bucket holds more than patchBurst")
	}

	// Busy: events in one window.
	var b liveLimiter
	b.observe(busyRate-1, false, t0)
	if b.busy(t0) {
		t.Fatal("busy below busyRate")
	}
	b.observe(1, false, t0.Add(500*time.Millisecond))
	if !b.busy(t0.Add(500 * time.Millisecond)) {
		t.Fatal("not busy at busyRate events within a second")
	}
	last := t0.Add(time.Second)
	for range patchBurst + 1 {
		if at := b.nextPatch(last, busyEvery, last); !at.Equal(last.Add(busyEvery)) {
			t.Fatalf("a busy host patches %v after the last, want %v", at.Sub(last), busyEvery)
		}
	}
	if at := b.nextPatch(last.Add(busyEvery), busyEvery, last); !at.Equal(last.Add(busyEvery)) {
		t.Fatal("a busy host does not patch busyEvery after the last")
	}
	calm := t0.Add(500*time.Millisecond + busyHold)
	if b.busy(calm) || !b.nextPatch(calm, time.Second, time.Time{}).Equal(calm) {
		t.Fatal("still busy after busyHold without events")
	}
	// Events spread over windows are not busy.
	var s liveLimiter
	for i := range 10 {
		s.observe(busyRate/2, false, t0.Add(time.Duration(i)*1100*time.Millisecond))
	}
	if s.busy(t0.Add(10 * 1100 * time.Millisecond)) {
		t.Fatal("busy at half the rate")
	}
	s.observe(0, true, t0)
	if !s.busy(t0) {
		t.Fatal("not busy after lost events")
	}

	if g := liveFullGap(300*time.Millisecond, 10*time.Second); g != 10*time.Second {
		t.Errorf("full-scan gap after a 300 ms scan = %v, want FullScanGap 10s", g)
	}
	if g := liveFullGap(2*time.Second, 10*time.Second); g != 40*time.Second {
		t.Errorf("full-scan gap after a 2 s scan = %v, want 40s", g)
	}
}

// TestLivePending merges events into the pending set and bounds it.
func TestLivePending(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ns := &events.NamespaceRef{Type: inspect.NetNS, ID: inspect.NSID{Dev: 4, Ino: 4026532999}}
	evs := []events.Event{
		{Kind: events.Fork, PID: 900, PPID: 412},
		{Kind: events.Exec, PID: 900},
		{Kind: events.Exit, PID: 410},
		{Kind: events.Exit, PID: 901, OOMKilled: true, Comm: "tail\x1b[31m", Cgroup: "/oom"},
		{Kind: events.Frozen, Hierarchy: "freezer", Cgroup: "/a"},
		{Kind: events.Thawed, Hierarchy: "freezer", Cgroup: "/a"},
		{Kind: events.OOM, Hierarchy: "memory", Cgroup: "/oom", Count: 1},
		{Kind: events.OOMKill, Hierarchy: "memory", Cgroup: "/oom", Count: 2},
		{Kind: events.NSNew, Namespace: ns},
		{Kind: events.NSGone, Namespace: ns},
		{Kind: events.CgroupGone, Hierarchy: "v2", Cgroup: "/gone"},
		{Kind: events.Warning, Detail: "uid changes: reported only across exec"},
	}
	var p livePending
	if !p.empty() || p.structural() {
		t.Fatal("the zero pending set is not empty")
	}
	for i := range evs {
		p.add(&evs[i], t0)
	}
	got := struct {
		Reread, Exited []int
		Frozen         map[cgRef]bool
		OOM            map[cgRef]oomCount
		NSNew, NSGone  int
		CgGone         []cgRef
		N              int
		Note           string
		Resync, Full   bool
	}{slices.Sorted(mapKeys(p.reread)), slices.Sorted(mapKeys(p.exited)), p.frozen, p.oom, len(p.nsNew), len(p.nsGone),
		slices.Collect(mapKeys(p.cgGone)), p.n, p.note, p.resync, p.full}
	want := got
	want.Reread, want.Exited = []int{900}, []int{410, 901}
	want.Frozen = map[cgRef]bool{{"freezer", "/a"}: false}
	want.OOM = map[cgRef]oomCount{{"memory", "/oom"}: {oom: 1, kill: 2}}
	want.NSNew, want.NSGone = 0, 1
	want.CgGone = []cgRef{{"v2", "/gone"}}
	want.N = len(evs)
	want.Note = `OOM kill: PID 901 tail\e[31m in /oom`
	want.Resync, want.Full = false, false
	if d := cmp.Diff(want, got, cmp.AllowUnexported(cgRef{}, oomCount{})); d != "" {
		t.Errorf("pending (-want +got):\n%s", d)
	}
	if !p.structural() {
		t.Error("not structural")
	}

	// A limit change and lost events ask for a full scan; lost ones for
	// a resync too.
	var l livePending
	l.add(&events.Event{Kind: events.Limit}, t0)
	if !l.full || l.resync {
		t.Errorf("after a limit event full=%v resync=%v, want a full scan only", l.full, l.resync)
	}
	l.add(&events.Event{Kind: events.Lost, Count: 77}, t0)
	if !l.full || !l.resync || l.lost != 77 {
		t.Errorf("after lost events full=%v resync=%v lost=%d", l.full, l.resync, l.lost)
	}

	// Past maxPendingPIDs the PIDs are dropped for a resync.
	var b livePending
	for pid := range maxPendingPIDs + 10 {
		b.add(&events.Event{Kind: events.Fork, PID: 1000 + pid}, t0)
	}
	if b.reread != nil || b.exited != nil || !b.resync || !b.full || b.n != maxPendingPIDs+10 {
		t.Errorf("after %d forks: %d reread, %d exited, resync %v, full %v", maxPendingPIDs+10, len(b.reread), len(b.exited), b.resync, b.full)
	}

	// A dropped patch's pending set goes back; newer freezer states win.
	var q livePending
	q.add(&events.Event{Kind: events.Frozen, Hierarchy: "freezer", Cgroup: "/a"}, t0)
	q.add(&events.Event{Kind: events.Fork, PID: 77}, t0)
	p.merge(&q)
	if p.frozen[cgRef{"freezer", "/a"}] || !hasKey(p.reread, 77) || p.n != len(evs)+2 {
		t.Errorf("merge: frozen %v, reread %v, n %d", p.frozen, p.reread, p.n)
	}
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// fakeReader is a ProcessReader over a fixed set of processes.
type fakeReader struct {
	procs map[int]inspect.Process
	reads []int
}

func (r *fakeReader) ReadProcess(_ *inspect.Snapshot, pid int) (inspect.Process, bool) {
	r.reads = append(r.reads, pid)
	p, ok := r.procs[pid]
	return p, ok
}

func (r *fakeReader) PIDs() ([]int, error) { return slices.Sorted(mapKeys(r.procs)), nil }

// readerOf returns a reader that has every process of s.
func readerOf(s *inspect.Snapshot) *fakeReader {
	r := &fakeReader{procs: map[int]inspect.Process{}}
	for _, p := range s.Processes {
		r.procs[p.PID] = p
	}
	return r
}

// newChild returns a process started now as a child of parent, in its
// namespaces and cgroups.
func newChild(parent *inspect.Process, pid int, comm string, at time.Time) inspect.Process {
	p := *parent
	p.PID, p.PPID, p.Comm, p.Cmdline, p.StartTime, p.NSpid = pid, parent.PID, comm, []string{comm, "--live"}, at, []int{pid}
	p.UTimeUS, p.STimeUS = 0, 0
	return p
}

// snapshotJSON is s as JSON, to check that it was not modified.
func snapshotJSON(t *testing.T, s *inspect.Snapshot) string {
	t.Helper()
	var b bytes.Buffer
	if err := s.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestLivePatch patches a snapshot as events come: a process started,
// exec'd, exited; a process whose parent exited; a freeze and an OOM
// kill; a namespace and a cgroup gone; a process in a namespace the
// snapshot does not have. The snapshot patched is never modified.
func TestLivePatch(t *testing.T) {
	raw := loadFixture(t, "small-2")
	before := snapshotJSON(t, raw)
	now := raw.Time.Add(time.Second)
	rd := readerOf(raw)
	bash := raw.Process(412)

	// Started: read, added in order with its memberships.
	rd.procs[900] = newChild(bash, 900, "newproc", now)
	p := &livePending{}
	p.add(&events.Event{Kind: events.Fork, PID: 900}, now)
	r := patch(rd, raw, raw, nil, p, now)
	if r.unchanged || r.full || r.snap == nil {
		t.Fatalf("fork: unchanged %v full %v", r.unchanged, r.full)
	}
	s1 := r.snap
	if q := s1.Process(900); q == nil || q.Comm != "newproc" || !slices.IsSortedFunc(s1.Processes, func(a, b inspect.Process) int { return a.PID - b.PID }) {
		t.Fatalf("the new process is not in the patched snapshot, in order")
	}
	if kids := s1.ProcessChildren(412); len(kids) != 3 || kids[2].PID != 900 {
		t.Errorf("bash has %d children, the last %d; want 3, the new one last", len(kids), kids[len(kids)-1].PID)
	}
	if c := s1.Cgroup(0, "/user.slice/user-1000.slice/session-1.scope"); c == nil || !slices.Equal(c.Procs, []int{412, 900}) {
		t.Errorf("session cgroup members %v, want 412 900", c.Procs)
	}
	if n := s1.Namespace(bash.NS[inspect.NetNS]); !slices.Contains(n.Members, 900) || !slices.IsSorted(n.Members) {
		t.Errorf("host net members %v", n.Members)
	}

	// Exec'd: read again, replaced.
	q := rd.procs[900]
	q.Comm, q.Cmdline = "execd", []string{"execd", "now"}
	rd.procs[900] = q
	p = &livePending{}
	p.add(&events.Event{Kind: events.Exec, PID: 900}, now)
	r = patch(rd, raw, s1, r.ov, p, now)
	if got := r.snap.Process(900); got == nil || got.Comm != "execd" {
		t.Fatalf("exec: %+v", got)
	}
	s2 := r.snap

	// Read again unchanged: nothing to apply.
	p = &livePending{}
	p.add(&events.Event{Kind: events.Comm, PID: 900}, now)
	if u := patch(rd, raw, s2, r.ov, p, now); !u.unchanged || u.snap != nil || u.ov != r.ov {
		t.Fatalf("a process read again the same changed the overlay")
	}

	// Exited, with the children of an exited parent read again: 410
	// (sshd) exits, bash 412 is reparented to 1.
	delete(rd.procs, 900)
	delete(rd.procs, 410)
	b := rd.procs[412]
	b.PPID = 1
	rd.procs[412] = b
	p = &livePending{}
	p.add(&events.Event{Kind: events.Exit, PID: 900}, now)
	p.add(&events.Event{Kind: events.Exit, PID: 410}, now)
	rd.reads = nil
	r = patch(rd, raw, s2, r.ov, p, now)
	s3 := r.snap
	if s3.Process(900) != nil || s3.Process(410) != nil {
		t.Fatal("exited processes are still there")
	}
	if got := s3.Process(412); got == nil || got.PPID != 1 || !slices.Contains(rd.reads, 412) {
		t.Errorf("bash after its parent exited: %+v (reads %v)", got, rd.reads)
	}
	if c := s3.Cgroup(0, "/system.slice/ssh.service"); len(c.Procs) != 0 {
		t.Errorf("ssh.service members %v after sshd exited", c.Procs)
	}
	if len(r.ov.gone) != 1 || len(r.ov.procs) != 1 {
		t.Errorf("overlay gone %v procs %d: want 410 gone and 412 changed", r.ov.gone, len(r.ov.procs))
	}

	// A freeze and an OOM kill in the v2 hierarchy; a namespace gone.
	p = &livePending{}
	p.add(&events.Event{Kind: events.Frozen, Hierarchy: "v2", Cgroup: "/nscope-run-demo"}, now)
	p.add(&events.Event{Kind: events.OOMKill, Hierarchy: "v2", Cgroup: "/nscope-run-demo", Count: 1}, now)
	unheld := inspect.NSID{Dev: raw.Namespaces[0].ID.Dev, Ino: 4026532600}
	p.add(&events.Event{Kind: events.NSGone, Namespace: &events.NamespaceRef{Type: inspect.NetNS, ID: unheld}}, now)
	r = patch(rd, raw, s3, r.ov, p, now)
	if !r.cgroups || r.full {
		t.Fatalf("freeze and OOM: cgroups %v full %v", r.cgroups, r.full)
	}
	c := r.snap.Cgroup(0, "/nscope-run-demo")
	if c.Limits.Frozen == nil || !*c.Limits.Frozen || c.Usage.MemoryEvents.OOMKill != 3 {
		t.Errorf("after the freeze and the OOM kill: frozen %v, oom_kill %d", c.Limits.Frozen, c.Usage.MemoryEvents.OOMKill)
	}
	if r.snap.Namespace(unheld) != nil {
		t.Error("a namespace gone without members is still there")
	}
	// A refresh that read oom_kill 2 again keeps the event's 3.
	again, _ := r.ov.apply(raw)
	if n := again.Cgroup(0, "/nscope-run-demo").Usage.MemoryEvents.OOMKill; n != 3 {
		t.Errorf("the overlay on a refresh that has not read the kill: oom_kill %d, want 3", n)
	}

	// A process in a namespace the snapshot does not have: a full scan.
	alien := newChild(bash, 950, "unshared", now)
	alien.NS[inspect.NetNS] = inspect.NSID{Dev: unheld.Dev, Ino: 4026539999}
	rd.procs[950] = alien
	p = &livePending{}
	p.add(&events.Event{Kind: events.Fork, PID: 950}, now)
	if r = patch(rd, raw, r.snap, r.ov, p, now); !r.full || r.snap.Process(950) == nil {
		t.Errorf("a process in an unknown namespace: full %v, shown %v", r.full, r.snap.Process(950) != nil)
	}

	// A resync (lost events) lists /proc: 800 and 801 exited unseen.
	delete(rd.procs, 800)
	delete(rd.procs, 801)
	p = &livePending{}
	p.add(&events.Event{Kind: events.Lost, Count: 5}, now)
	r = patch(rd, raw, r.snap, r.ov, p, now)
	if !r.full || r.snap.Process(800) != nil || r.snap.Process(801) != nil {
		t.Errorf("resync: full %v, 800 shown %v", r.full, r.snap.Process(800) != nil)
	}

	if after := snapshotJSON(t, raw); after != before {
		t.Fatal("patching modified the snapshot it patched")
	}
}

// TestFreshMarks marks what a snapshot has and the one before had not:
// a new process, a PID reused, a namespace, a cgroup (in its hierarchy
// and merged by path), a container; marks end after freshFor and are
// bounded.
func TestFreshMarks(t *testing.T) {
	old := loadFixture(t, "containers-1")
	cur := *loadFixture(t, "containers-2")
	now := cur.Time
	cur.Processes = slices.Clone(cur.Processes)
	cur.Processes[0].StartTime = cur.Processes[0].StartTime.Add(time.Second) // PID 1 reused
	cur.Namespaces = append(slices.Clone(cur.Namespaces), inspect.Namespace{ID: inspect.NSID{Dev: 4, Ino: 4026539999}, Type: inspect.NetNS})
	cur.Cgroups = append(slices.Clone(cur.Cgroups), inspect.Cgroup{Hierarchy: 6, Path: "/fresh"})
	cur.Containers = slices.Clone(cur.Containers)
	cur.Containers[0].ID = "fresh0000000"
	cur.Reindex()

	var f freshMarks
	f.diff(nil, &cur, now)
	if len(f.until) != 0 {
		t.Fatal("the first snapshot marked rows")
	}
	f.diff(old, &cur, now)
	got := map[string]bool{}
	for k := range f.until {
		got[k.String()] = true
	}
	want := map[string]bool{
		"pid:1": true, "ns:4026539999": true, "cg:6:/fresh": true, "cg:*:/fresh": true,
		"ct:" + cur.Containers[0].Ref().String(): true,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("marks (-want +got):\n%s", d)
	}
	if !f.is(procview.ProcessKey(cur.Process(1)), now.Add(freshFor-time.Millisecond)) || f.is(procview.ProcessKey(cur.Process(1)), now.Add(freshFor)) {
		t.Error("a mark does not last freshFor")
	}
	f.expire(now.Add(freshFor))
	if len(f.until) != 0 {
		t.Errorf("%d marks after freshFor", len(f.until))
	}
	for i := range maxFresh + 10 {
		f.mark(procview.Key{Kind: procview.KindProcess, PID: i + 1}, now)
	}
	if len(f.until) != maxFresh {
		t.Errorf("%d marks kept, want at most %d", len(f.until), maxFresh)
	}
}

// TestLivePatchDropsTheExited checks that a process read again after its
// exit, a zombie not yet reaped or a task being released (state X), is
// not shown: a fork and an exit in one batch, where the exit applies
// first and the read finds the zombie, added it as a row no event would
// remove; and a zombie of the scan read again when its parent exited
// stayed as a dead row.
func TestLivePatchDropsTheExited(t *testing.T) {
	raw := loadFixture(t, "small-2")
	now := raw.Time.Add(time.Second)
	rd := readerOf(raw)
	bash := raw.Process(412)

	z := newChild(bash, 901, "quick", now)
	z.State = "Z"
	rd.procs[901] = z
	p := &livePending{}
	p.add(&events.Event{Kind: events.Fork, PID: 901}, now)
	p.add(&events.Event{Kind: events.Exit, PID: 901}, now)
	r := patch(rd, raw, raw, nil, p, now)
	if !r.unchanged && r.snap.Process(901) != nil {
		t.Fatalf("a process that forked and exited in one batch is shown as %q", r.snap.Process(901).State)
	}

	for _, state := range []string{"Z", "X"} {
		q := *raw.Process(412)
		q.State = state
		rd.procs[412] = q
		p = &livePending{}
		p.add(&events.Event{Kind: events.Exec, PID: 412}, now)
		r = patch(rd, raw, raw, nil, p, now)
		if r.unchanged || r.snap.Process(412) != nil {
			t.Errorf("a scanned process read again in state %s is still shown", state)
		}
	}
}

// TestLiveReapedZombies checks that a zombie a full scan listed goes
// when it is reaped (which makes no event), stays while it is a zombie,
// and that a PID reused by then is read again.
func TestLiveReapedZombies(t *testing.T) {
	raw := loadFixture(t, "small-2")
	now := raw.Time.Add(time.Second)
	shown := *raw
	shown.Processes = slices.Clone(raw.Processes)
	i := slices.IndexFunc(shown.Processes, func(p inspect.Process) bool { return p.PID == 412 })
	shown.Processes[i].State = "Z"
	z := shown.Processes[i]
	rd := readerOf(&shown)

	if p := reaped(rd, &shown, nil, now); p != nil {
		t.Fatalf("a zombie still there was taken as reaped: %+v", p)
	}
	delete(rd.procs, 412)
	p := reaped(rd, &shown, nil, now)
	if p == nil || !slices.Equal(slices.Collect(maps.Keys(p.exited)), []int{412}) || len(p.reread) != 0 {
		t.Fatalf("the reaped zombie is not an exit: %+v", p)
	}
	r := patch(rd, raw, &shown, nil, p, now)
	if r.unchanged || r.snap.Process(412) != nil {
		t.Fatal("the reaped zombie is still shown after the patch")
	}

	reused := z
	reused.State, reused.Comm, reused.StartTime = "S", "reuser", now
	rd.procs[412] = reused
	p = reaped(rd, &shown, nil, now)
	if p == nil || len(p.exited) != 1 || len(p.reread) != 1 {
		t.Fatalf("a reused PID is not an exit and a read: %+v", p)
	}
	r = patch(rd, raw, &shown, nil, p, now)
	if got := r.snap.Process(412); got == nil || got.Comm != "reuser" {
		t.Fatalf("the PID's new process is not shown: %+v", got)
	}
}
