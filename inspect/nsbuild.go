package inspect

import (
	"context"
	"errors"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// nsEntry is a namespace being assembled, with a path that opens it.
type nsEntry struct {
	ns       Namespace
	openPath string
}

// nsBuilder collects namespaces from processes, fds, mounts and nsfs.
type nsBuilder struct {
	s    *Scanner
	snap *Snapshot
	bad  *unreadableCounter
	mu   sync.Mutex
	byID map[NSID]*nsEntry
	// links are the owners, parents and owner UIDs the BPF iterator read
	// (by inode), sparing the nsfs ioctls; nil without it.
	links map[uint64]nsLink
}

// nsLink is what the iterator knows of a namespace's place in the tree.
type nsLink struct {
	owner, parent uint64
	ownerUID      int
}

// taskLinks collects the links of every namespace the tasks are in.
func taskLinks(tasks map[int]*bpfTask) map[uint64]nsLink {
	links := make(map[uint64]nsLink, 2048)
	add := func(ino, owner, parent uint64, uid int) {
		if ino != 0 {
			links[ino] = nsLink{owner: owner, parent: parent, ownerUID: uid}
		}
	}
	for _, t := range tasks {
		add(t.NS[UserNS], t.Owner[UserNS], t.Owner[UserNS], t.OwnerUID)
		if !t.HasNS {
			continue
		}
		for k := range NumNSTypes {
			switch k {
			case UserNS:
			case PIDNS:
				add(t.NS[k], t.Owner[k], t.PIDParent, -1)
			default:
				add(t.NS[k], t.Owner[k], 0, -1)
			}
		}
		add(t.PIDForChildren, t.Owner[NumNSTypes], t.PIDFCParent, -1)
		add(t.TimeForChildren, t.Owner[NumNSTypes+1], 0, -1)
	}
	return links
}

func newNSBuilder(s *Scanner, snap *Snapshot, bad *unreadableCounter) *nsBuilder {
	return &nsBuilder{s: s, snap: snap, bad: bad, byID: make(map[NSID]*nsEntry, 256)}
}

// entry returns the entry for id, creating it; the caller holds mu or is
// the only goroutine.
func (b *nsBuilder) entry(id NSID, t NSType) *nsEntry {
	e := b.byID[id]
	if e == nil {
		e = &nsEntry{ns: Namespace{ID: id, Type: t, OwnerUID: -1}}
		b.byID[id] = e
	}
	return e
}

func (b *nsBuilder) procPath(pid int, rest string) string {
	return b.s.cfg.procRoot + "/" + strconv.Itoa(pid) + "/" + rest
}

// addProcesses records members, *_for_children and fd holders.
func (b *nsBuilder) addProcesses(results []procResult) {
	for i := range results {
		r := &results[i]
		if !r.valid {
			continue
		}
		p := &r.proc
		for t, id := range p.NS {
			if id.IsZero() {
				continue
			}
			e := b.entry(id, NSType(t))
			e.ns.Members = append(e.ns.Members, p.PID)
			if e.openPath == "" {
				e.openPath = b.procPath(p.PID, nsLinkNames[t])
			}
		}
		b.addForChildren(p, PIDNS, p.PIDForChildren, "ns/pid_for_children")
		b.addForChildren(p, TimeNS, p.TimeForChildren, "ns/time_for_children")
		for _, h := range r.fds {
			e := b.entry(h.ID, h.Typ)
			e.ns.Holders = append(e.ns.Holders, Holder{Kind: HeldByFD, PID: p.PID, FD: h.FD})
			if e.openPath == "" {
				e.openPath = b.procPath(p.PID, "fd/"+strconv.Itoa(h.FD))
			}
		}
	}
}

// addForChildren records a process whose children will be created in a
// namespace other than its own: its pid_for_children (or
// time_for_children) differs from its own namespace, as after unshare(2)
// of a pid or time namespace, with or without --fork (the unshare process
// itself stays outside), or after setns(2) into one. Which of these it was
// is told from the snapshot by procview's DescribeHolderIn.
func (b *nsBuilder) addForChildren(p *Process, t NSType, id NSID, link string) {
	if id.IsZero() || id == p.NS[t] {
		return
	}
	e := b.entry(id, t)
	e.ns.Holders = append(e.ns.Holders, Holder{Kind: HeldForChildren, PID: p.PID})
	if e.openPath == "" {
		e.openPath = b.procPath(p.PID, link)
	}
}

// addBindMounts reads the mountinfo of one process in every mount
// namespace and records nsfs bind mounts, then named netns entries visible
// under the run root.
func (b *nsBuilder) addBindMounts(ctx context.Context) {
	type job struct {
		mntns NSID
		pid   int
	}
	var jobs []job
	for id, e := range b.byID {
		if e.ns.Type == MntNS && len(e.ns.Members) > 0 {
			jobs = append(jobs, job{id, e.ns.Members[0]})
		}
	}
	// The host's mount namespace first, so its holders win deduplication.
	initMnt := b.snap.Host.InitNS[MntNS]
	sort.Slice(jobs, func(i, j int) bool {
		if (jobs[i].mntns == initMnt) != (jobs[j].mntns == initMnt) {
			return jobs[i].mntns == initMnt
		}
		return jobs[i].mntns.Ino < jobs[j].mntns.Ino
	})
	type found struct {
		job    job
		mounts []Mount
	}
	results := make([]found, len(jobs))
	var next atomic.Int64
	b.s.parallel(func() {
		buf := make([]byte, 0, 32768)
		for {
			i := int(next.Add(1)) - 1
			if i >= len(jobs) || ctx.Err() != nil {
				return
			}
			p := b.procPath(jobs[i].pid, "mountinfo")
			fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				if !vanished(err) {
					b.bad.add(UnreadableMountinfo, p, err)
				}
				continue
			}
			data, err := readAll(fd, &buf, false)
			unix.Close(fd)
			if err != nil {
				if !vanished(err) {
					b.bad.add(UnreadableMountinfo, p, err)
				}
				continue
			}
			results[i] = found{job: jobs[i], mounts: nsfsMounts(data)}
		}
	})
	type seenKey struct {
		id   NSID
		path string
	}
	seen := map[seenKey]bool{}
	for _, f := range results {
		for _, m := range f.mounts {
			t, ino, ok := nsfsRoot(m.Root)
			if !ok {
				continue
			}
			id := NSID{Dev: b.s.nsfsDev, Ino: ino}
			k := seenKey{id, m.MountPoint}
			if seen[k] {
				continue
			}
			seen[k] = true
			e := b.entry(id, t)
			h := Holder{Kind: HeldByBindMount, Path: m.MountPoint, MountNS: f.job.mntns}
			if dir, name := path.Split(m.MountPoint); dir == "/run/netns/" || dir == "/var/run/netns/" {
				h.Kind, h.Name = HeldByNamedNetns, name
			}
			e.ns.Holders = append(e.ns.Holders, h)
			if e.openPath == "" {
				e.openPath = b.procPath(f.job.pid, "root"+m.MountPoint)
			}
		}
	}
	b.addNamedNetns()
}

// addNamedNetns stats the entries of RUN/netns that no mountinfo showed
// (for example when the scanner cannot read other mount tables).
func (b *nsBuilder) addNamedNetns() {
	dir := filepath.Join(b.s.cfg.runRoot, "netns")
	entries, err := os.ReadDir(dir)
	if err != nil || b.s.nsfsDev == 0 {
		return
	}
	for _, de := range entries {
		p := filepath.Join(dir, de.Name())
		var st unix.Stat_t
		if err := unix.Stat(p, &st); err != nil || st.Dev != b.s.nsfsDev {
			continue // a placeholder file whose bind mount is gone
		}
		id := NSID{Dev: st.Dev, Ino: st.Ino}
		e := b.entry(id, NetNS)
		dup := false
		for _, h := range e.ns.Holders {
			if h.Kind == HeldByNamedNetns && h.Name == de.Name() {
				dup = true
			}
		}
		if !dup {
			e.ns.Holders = append(e.ns.Holders, Holder{Kind: HeldByNamedNetns, Path: "/run/netns/" + de.Name(), Name: de.Name()})
		}
		if e.openPath == "" {
			e.openPath = p
		}
	}
}

// nsfsMounts returns the nsfs mounts in mountinfo data without parsing
// the other lines fully: most mount tables have none.
func nsfsMounts(data []byte) []Mount {
	if !strings.Contains(string(data), " - nsfs ") {
		return nil
	}
	mounts, err := ParseMountInfo(data)
	if err != nil {
		return nil
	}
	var out []Mount
	for _, m := range mounts {
		if m.FSType == "nsfs" {
			out = append(out, m)
		}
	}
	return out
}

// resolveHierarchy asks nsfs for every namespace's owning user namespace,
// the parent of pid and user namespaces and the creator UID of user
// namespaces. Namespaces found only this way (an intermediate user or pid
// namespace no process is in) are added. See ioctl_ns(2).
func (b *nsBuilder) resolveHierarchy(ctx context.Context) {
	ids := make([]NSID, 0, len(b.byID))
	for id := range b.byID {
		ids = append(ids, id)
	}
	var next atomic.Int64
	b.s.parallel(func() {
		for {
			i := int(next.Add(1)) - 1
			if i >= len(ids) || ctx.Err() != nil {
				return
			}
			b.mu.Lock()
			e := b.byID[ids[i]]
			p, t := e.openPath, e.ns.Type
			if l, ok := b.links[ids[i].Ino]; ok && b.knownLocked(l.owner) && b.knownLocked(l.parent) {
				// The iterator read the links and both ends are known:
				// nothing to ask nsfs.
				e.ns.Owner, e.ns.Parent, e.ns.OwnerUID = b.nsid(l.owner), b.nsid(l.parent), l.ownerUID
				p = ""
			}
			b.mu.Unlock()
			if p == "" {
				continue
			}
			fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				if denied(err) {
					b.bad.add(UnreadableNSFS, p, err)
				}
				continue
			}
			b.resolveChain(fd, ids[i], t)
		}
	})
}

// knownLocked reports whether the namespace with inode ino is zero (none)
// or already collected; the caller holds mu.
func (b *nsBuilder) knownLocked(ino uint64) bool {
	if ino == 0 {
		return true
	}
	_, ok := b.byID[b.nsid(ino)]
	return ok
}

func (b *nsBuilder) nsid(ino uint64) NSID {
	if ino == 0 {
		return NSID{}
	}
	return NSID{Dev: b.s.nsfsDev, Ino: ino}
}

// resolveChain fills owner, parent and owner UID of the namespace open on
// fd, then goes on with any parent or owner nobody has resolved yet. It
// closes every fd it is given or opens.
func (b *nsBuilder) resolveChain(fd int, id NSID, t NSType) {
	type open struct {
		fd int
		id NSID
		t  NSType
	}
	stack := []open{{fd, id, t}}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		var owner, parent NSID
		ownerUID := -1
		if ofd, err := nsOwner(cur.fd); err == nil {
			owner, _ = nsFDID(ofd)
			if b.claim(owner, UserNS) {
				stack = append(stack, open{ofd, owner, UserNS})
			} else {
				unix.Close(ofd)
			}
		} else if !errors.Is(err, unix.EPERM) {
			b.bad.add(UnreadableNSFS, "NS_GET_USERNS on "+cur.t.String()+":["+cur.id.String()+"]", err)
		}
		switch cur.t {
		case UserNS:
			ownerUID, _ = nsOwnerUID(cur.fd)
			// The owner of a user namespace is its parent.
			parent = owner
		case PIDNS:
			if pfd, err := nsParent(cur.fd); err == nil {
				parent, _ = nsFDID(pfd)
				if b.claim(parent, PIDNS) {
					stack = append(stack, open{pfd, parent, PIDNS})
				} else {
					unix.Close(pfd)
				}
			}
		}
		unix.Close(cur.fd)

		b.mu.Lock()
		e := b.byID[cur.id]
		e.ns.Owner, e.ns.Parent, e.ns.OwnerUID = owner, parent, ownerUID
		b.mu.Unlock()
	}
}

// claim records id as known. It returns true when id was new, meaning
// the caller must resolve it.
func (b *nsBuilder) claim(id NSID, t NSType) bool {
	if id.IsZero() {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.byID[id]; ok {
		return false
	}
	b.entry(id, t)
	return true
}

// finish adds "parent"/"owner" holders to namespaces that nothing else
// holds, computes nesting levels and returns the namespaces.
func (b *nsBuilder) finish() []Namespace {
	for _, e := range b.byID {
		if e.ns.Parent.IsZero() && e.ns.Owner.IsZero() {
			continue
		}
		if p := b.byID[e.ns.Parent]; p != nil && p.orphan() {
			p.ns.Holders = append(p.ns.Holders, Holder{Kind: HeldAsParent, Via: e.ns.ID})
		}
		if e.ns.Owner != e.ns.Parent {
			if o := b.byID[e.ns.Owner]; o != nil && o.orphan() {
				o.ns.Holders = append(o.ns.Holders, Holder{Kind: HeldAsOwner, Via: e.ns.ID})
			}
		}
	}
	init := b.snap.Host.InitNS
	out := make([]Namespace, 0, len(b.byID))
	for _, e := range b.byID {
		n := e.ns
		n.Level = b.level(e, 0)
		n.Initial = !n.ID.IsZero() && init[n.Type] == n.ID
		sort.Ints(n.Members)
		sortHolders(n.Holders)
		out = append(out, n)
	}
	return out
}

// orphan reports whether no process, fd or mount holds the namespace, so
// that only its children or owned namespaces keep it alive.
func (e *nsEntry) orphan() bool {
	if len(e.ns.Members) > 0 {
		return false
	}
	for _, h := range e.ns.Holders {
		if h.Kind != HeldAsParent && h.Kind != HeldAsOwner {
			return false
		}
	}
	return true
}

// level counts parents up to the root (pid and user namespaces only).
func (b *nsBuilder) level(e *nsEntry, depth int) int {
	if e.ns.Parent.IsZero() || depth > 64 {
		return depth
	}
	p := b.byID[e.ns.Parent]
	if p == nil {
		return depth + 1
	}
	return b.level(p, depth+1)
}

func sortHolders(hs []Holder) {
	sort.SliceStable(hs, func(i, j int) bool {
		a, c := hs[i], hs[j]
		if a.Kind != c.Kind {
			return a.Kind < c.Kind
		}
		if a.PID != c.PID {
			return a.PID < c.PID
		}
		if a.FD != c.FD {
			return a.FD < c.FD
		}
		return a.Path < c.Path
	})
}
