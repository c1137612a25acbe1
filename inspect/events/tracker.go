package events

import (
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nscope/nscope/inspect"
)

// unknownID marks a user ID the tracker has not seen (processes found by
// a scan have only their effective UID).
const unknownID = -1

// procState is what the tracker knows of one live process.
type procState struct {
	ppid     int
	innerPID int
	comm     string
	uid      int
	euid     int
	// ns holds the inode numbers of its namespaces, by NSType (0 =
	// unknown); the device is the tracker's nsfs device.
	ns [inspect.NumNSTypes]uint32
	// cgroups is shared with the parent it was inherited from: replaced,
	// never changed in place.
	cgroups   []inspect.ProcCgroup
	oomVictim bool
}

// nsState is what the tracker knows of one namespace.
type nsState struct {
	typ     inspect.NSType
	members int
	// holders say what besides members held it at the last scan.
	holders []string
	// last is the member whose exit left it empty.
	lastPID     int
	lastComm    string
	lastCgroups []inspect.ProcCgroup
}

// tracker follows the host's processes and namespaces from process
// records and scans, and turns records into events. It is owned by the
// stream's core goroutine: no locking.
type tracker struct {
	procRoot string
	nsfsDev  uint64
	// hierLabel names hierarchies by ID; preferred is the hierarchy whose
	// path a process event shows.
	hierLabel map[int]string
	preferred int
	procs     map[int]*procState
	ns        map[inspect.NSID]*nsState
	// candidates are namespaces left without members, to be confirmed
	// gone (or held) by the next scan.
	candidates map[inspect.NSID]bool
	// holderPIDs hold a namespace that has no members (by an open fd, as
	// pid_for_children): their exit calls for a scan.
	holderPIDs map[int]bool
	// fdHeld: some member-less namespace is held by an fd, which can be
	// closed without any event: scan now and then.
	fdHeld bool
	// watchDirs hold the bind mounts that hold namespaces (and
	// /run/netns): a file removed there may free one.
	watchDirs []string
	// wantScan: something happened that only a scan can tell the result
	// of (a holder exited).
	wantScan bool

	// While a scan runs, what changed since it started, so that its
	// result does not undo newer events.
	scanning     bool
	bornDuring   map[int]bool
	exitedDuring map[int]bool
	nsDuring     map[inspect.NSID]bool
}

func newTracker(procRoot string, layout inspect.CgroupLayout) *tracker {
	t := &tracker{
		procRoot:   procRoot,
		hierLabel:  map[int]string{},
		preferred:  -1,
		procs:      map[int]*procState{},
		ns:         map[inspect.NSID]*nsState{},
		candidates: map[inspect.NSID]bool{},
		holderPIDs: map[int]bool{},
	}
	for i := range layout.Hierarchies {
		h := &layout.Hierarchies[i]
		t.hierLabel[h.ID] = h.Label()
	}
	switch {
	case layout.Mode == inspect.CgroupUnified && layout.Unified() != nil:
		t.preferred = layout.Unified().ID
	case layout.ForController("memory") != nil:
		t.preferred = layout.ForController("memory").ID
	}
	return t
}

// nsid returns the namespace ID of an inode number.
func (t *tracker) nsid(ino uint32) inspect.NSID {
	return inspect.NSID{Dev: t.nsfsDev, Ino: uint64(ino)}
}

// apply turns one record into events, appended to out.
func (t *tracker) apply(r *procRecord, when time.Time, out []Event) []Event {
	switch r.kind {
	case recFork:
		return t.fork(r, when, out)
	case recExec:
		return t.exec(r, when, out)
	case recExit:
		return t.exit(r, when, out)
	case recComm:
		p := t.proc(r)
		p.comm = r.comm
		ev := t.event(Comm, r, p, when)
		ev.Old, ev.New = r.oldComm, r.comm
		return append(out, ev)
	case recUID:
		p := t.proc(r)
		oldUID, oldEUID := r.oldUID, r.oldEUID
		if r.monoNS != 0 {
			// From the proc connector: no old IDs, and possibly a change
			// an exec record already reported.
			oldUID, oldEUID = p.uid, p.euid
			if oldUID == r.uid && oldEUID == r.euid {
				return out
			}
		}
		p.uid, p.euid = r.uid, r.euid
		ev := t.event(UID, r, p, when)
		if r.monoNS != 0 {
			ev.Source = SourceConnector
		}
		ev.Old = idPair(oldUID, oldEUID)
		ev.New = idPair(r.uid, r.euid)
		if r.flags&flInExec != 0 {
			ev.Detail = "set-user-ID program"
		}
		return append(out, ev)
	case recAttach:
		p := t.proc(r)
		p.cgroups = withCgroup(p.cgroups, int(r.aux), r.path)
		ev := t.event(Move, r, p, when)
		ev.Cgroup, ev.Hierarchy = r.path, t.hierLabel[int(r.aux)]
		if r.flags&flPathTruncated != 0 {
			ev.Detail = "path cut short"
		}
		return append(out, ev)
	case recOOM:
		if p := t.procs[r.pid]; p != nil {
			p.oomVictim = true
		}
	}
	return out
}

// proc returns the state of the record's process, creating it from the
// record when the process was not known (a lost fork, or one that came
// between the first scan and the tracepoints).
func (t *tracker) proc(r *procRecord) *procState {
	p := t.procs[r.pid]
	if p == nil {
		p = &procState{ppid: r.ppid, comm: r.comm, uid: r.uid, euid: r.euid}
		p.cgroups = t.readCgroups(r.pid)
		t.procs[r.pid] = p
		if t.scanning {
			t.bornDuring[r.pid] = true
		}
	}
	p.innerPID = r.innerPID
	if r.ppid != 0 {
		p.ppid = r.ppid
	}
	return p
}

func (t *tracker) fork(r *procRecord, when time.Time, out []Event) []Event {
	p := &procState{ppid: r.ppid, innerPID: r.innerPID, comm: r.comm, uid: r.uid, euid: r.euid}
	if parent := t.procs[r.ppid]; parent != nil && r.flags&flCgroupsDiffer == 0 {
		p.cgroups = parent.cgroups
	} else {
		p.cgroups = t.readCgroups(r.pid)
	}
	if old := t.procs[r.pid]; old != nil {
		// A reused PID whose exit was lost.
		t.leave(old, r.pid)
	}
	t.procs[r.pid] = p
	if t.scanning {
		t.bornDuring[r.pid] = true
		delete(t.exitedDuring, r.pid)
	}
	out = append(out, t.event(Fork, r, p, when))
	return t.moveNS(p, r, when, out)
}

func (t *tracker) exec(r *procRecord, when time.Time, out []Event) []Event {
	p := t.proc(r)
	oldUID, oldEUID := p.uid, p.euid
	p.comm, p.uid, p.euid = r.comm, r.uid, r.euid
	ev := t.event(Exec, r, p, when)
	ev.Filename, ev.Args = r.filename, r.args
	ev.ArgsTruncated = r.flags&flArgsTruncated != 0
	out = append(out, ev)
	// Without a credential program (or for one it missed), a set-user-ID
	// exec shows as the IDs changing across it.
	if oldEUID != unknownID && (oldEUID != r.euid || (oldUID != unknownID && oldUID != r.uid)) {
		uev := t.event(UID, r, p, when)
		uev.Old, uev.New = idPair(oldUID, oldEUID), idPair(r.uid, r.euid)
		uev.Detail = "changed across exec"
		out = append(out, uev)
	}
	return t.moveNS(p, r, when, out)
}

func (t *tracker) exit(r *procRecord, when time.Time, out []Event) []Event {
	p := t.procs[r.pid]
	if p == nil {
		p = &procState{ppid: r.ppid, comm: r.comm, uid: r.uid, euid: r.euid}
	}
	if r.ppid != 0 {
		// Its parent now, after any reparenting.
		p.ppid = r.ppid
	}
	delete(t.procs, r.pid)
	if t.scanning {
		t.exitedDuring[r.pid] = true
		delete(t.bornDuring, r.pid)
	}
	ev := t.event(Exit, r, p, when)
	status := int(r.aux)
	if sig := status & 0x7f; sig != 0 {
		ev.Signal = sig
		ev.Core = status&0x80 != 0
	} else {
		ev.ExitCode = intPtr((status >> 8) & 0xff)
	}
	if p.oomVictim {
		ev.OOMKilled = true
		ev.Detail = "killed by the OOM killer"
	}
	out = append(out, ev)
	t.leave(p, r.pid)
	if t.holderPIDs[r.pid] {
		t.wantScan = true
	}
	return out
}

// moveNS moves the process into the namespaces of the record, counting
// it out of those it left (candidates for the next scan when it was their
// last member) and emitting NSNew for namespaces seen for the first time.
func (t *tracker) moveNS(p *procState, r *procRecord, when time.Time, out []Event) []Event {
	for typ := range inspect.NumNSTypes {
		ino := r.ns[typ]
		if ino == 0 || ino == p.ns[typ] {
			// Unknown in the record, or unchanged.
			continue
		}
		if p.ns[typ] != 0 {
			t.leaveOne(p, r.pid, p.ns[typ])
		}
		p.ns[typ] = ino
		id := t.nsid(ino)
		n := t.ns[id]
		if n != nil && n.typ != inspect.NSType(typ) {
			// The inode number of a namespace that is gone, reused by
			// one of another type.
			out = append(out, t.goneEvent(id, n, when, SourceBPF, "its inode number now names a new "+inspect.NSType(typ).String()+" namespace"))
			n = nil
		}
		if n == nil {
			n = &nsState{typ: inspect.NSType(typ)}
			t.ns[id] = n
			if t.scanning {
				t.nsDuring[id] = true
			}
			ev := t.event(NSNew, r, p, when)
			ev.Namespace = &NamespaceRef{Type: inspect.NSType(typ), ID: id}
			ev.Detail = "first seen in a new process"
			if r.kind == recExec {
				ev.Detail = "first seen at an exec"
			}
			out = append(out, ev)
		}
		n.members++
		delete(t.candidates, id)
	}
	return out
}

// leave counts the process out of all its namespaces.
func (t *tracker) leave(p *procState, pid int) {
	for typ, ino := range p.ns {
		if ino != 0 {
			t.leaveOne(p, pid, ino)
			p.ns[typ] = 0
		}
	}
}

// leaveOne counts the process out of one namespace; one left without
// members becomes a candidate for the next scan.
func (t *tracker) leaveOne(p *procState, pid int, ino uint32) {
	id := t.nsid(ino)
	n := t.ns[id]
	if n == nil {
		return
	}
	n.members--
	if n.members <= 0 {
		n.members = 0
		n.lastPID, n.lastComm, n.lastCgroups = pid, p.comm, p.cgroups
		t.candidates[id] = true
	}
}

// event returns a process event filled from the record and the state.
func (t *tracker) event(k Kind, r *procRecord, p *procState, when time.Time) Event {
	ev := Event{Time: when, Kind: k, Source: SourceBPF, PID: r.pid, PPID: p.ppid, Comm: p.comm}
	if p.innerPID != 0 && p.innerPID != r.pid {
		ev.InnerPID = p.innerPID
	}
	if k != Exit {
		ev.UID, ev.EUID = knownID(p.uid), knownID(p.euid)
	}
	ev.Cgroup, ev.Hierarchy = t.pick(p.cgroups)
	ev.procCgroups = p.cgroups
	return ev
}

// pick returns the cgroup path that best names the process and its
// hierarchy's label: the preferred hierarchy's (v2 on a unified host,
// memory on v1), else the first path that is not the root.
func (t *tracker) pick(cgs []inspect.ProcCgroup) (string, string) {
	for _, c := range cgs {
		if c.Hierarchy == t.preferred {
			return c.Path, t.hierLabel[c.Hierarchy]
		}
	}
	for _, c := range cgs {
		if c.Path != "/" {
			return c.Path, t.hierLabel[c.Hierarchy]
		}
	}
	if len(cgs) > 0 {
		return cgs[0].Path, t.hierLabel[cgs[0].Hierarchy]
	}
	return "", ""
}

// readCgroups reads a process's cgroups from /proc; nil when it is gone.
func (t *tracker) readCgroups(pid int) []inspect.ProcCgroup {
	data, err := os.ReadFile(filepath.Join(t.procRoot, strconv.Itoa(pid), "cgroup"))
	if err != nil {
		return nil
	}
	return inspect.ParseProcCgroup(data)
}

// withCgroup returns cgs with the entry for hierarchy h set to path, as a
// new slice.
func withCgroup(cgs []inspect.ProcCgroup, h int, path string) []inspect.ProcCgroup {
	out := make([]inspect.ProcCgroup, 0, len(cgs)+1)
	found := false
	for _, c := range cgs {
		if c.Hierarchy == h {
			c.Path = path
			found = true
		}
		out = append(out, c)
	}
	if !found {
		out = append(out, inspect.ProcCgroup{Hierarchy: h, Path: path})
	}
	return out
}

func knownID(id int) *int {
	if id == unknownID {
		return nil
	}
	return intPtr(id)
}

// idPair formats real and effective user IDs as "uid/euid".
func idPair(uid, euid int) string {
	f := func(id int) string {
		if id == unknownID {
			return "?"
		}
		return strconv.Itoa(id)
	}
	return f(uid) + "/" + f(euid)
}
