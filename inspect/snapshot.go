package inspect

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"
)

// SchemaVersion is the version of the Snapshot JSON format. It changes when
// a field is removed or changes meaning; new fields keep the version.
const SchemaVersion = 1

// Snapshot is one consistent-as-possible picture of the host: every
// process, namespace and cgroup the scanner could see, cross-indexed.
// A Snapshot is immutable once returned: callers must not modify it.
type Snapshot struct {
	SchemaVersion int       `json:"schema_version"`
	Time          time.Time `json:"time"`
	// ScanDuration is how long the scan took.
	ScanDuration time.Duration `json:"scan_duration_ns"`
	// ScanMethod says how processes were read: "bpf" (the BPF task
	// iterators, with /proc for the rest) or "procfs" (/proc alone).
	ScanMethod  string      `json:"scan_method,omitempty"`
	Host        Host        `json:"host"`
	CgroupMode  CgroupMode  `json:"cgroup_mode"`
	Hierarchies []Hierarchy `json:"hierarchies"`
	// Processes are ordered by PID.
	Processes []Process `json:"processes"`
	// Namespaces are ordered by type, then level, then ID.
	Namespaces []Namespace `json:"namespaces"`
	// Cgroups are ordered by hierarchy, then path (parents before children).
	Cgroups []Cgroup `json:"cgroups"`
	// Containers are every runtime's containers, ordered by runtime,
	// name and ID; ContainerSources the runtime directories looked at.
	Containers       []Container       `json:"containers,omitempty"`
	ContainerSources []ContainerSource `json:"container_sources,omitempty"`
	// Unreadable counts what the scanner could not read, by kind.
	Unreadable []Unreadable `json:"unreadable,omitempty"`

	procIndex map[int]int
	nsIndex   map[NSID]int
	cgIndex   map[CgroupKey]int
	hierIndex map[int]int
	trees     treeIndex
	ctrIndex  containerIndex
}

// Host describes the machine and the scanner's own view of it.
type Host struct {
	Hostname string `json:"hostname"`
	Kernel   string `json:"kernel"`
	// UID is the effective UID of the scanner; Root is UID == 0.
	UID  int  `json:"uid"`
	Root bool `json:"root"`
	// SelfPID is the scanner's PID; SelfNS its namespaces.
	SelfPID int   `json:"self_pid"`
	SelfNS  NSSet `json:"self_ns"`
	// InitNS are the namespaces of PID 1 (the host's), or the scanner's own
	// when PID 1 is not readable.
	InitNS   NSSet     `json:"init_ns"`
	BootTime time.Time `json:"boot_time"`
	CPUs     int       `json:"cpus"`
	MemTotal int64     `json:"mem_total"`
	// Systemd is true when systemd is the service manager (PID 1 is
	// systemd or /run/systemd/system exists): only then do unit and
	// machine-NAME.scope cgroups belong to it.
	Systemd bool `json:"systemd,omitempty"`
}

// Unreadable counts files of one kind the scanner was denied (EACCES,
// EPERM) or failed to read for another reason than the object vanishing.
type Unreadable struct {
	// Kind names what was not read, e.g. "process namespaces", "process fds",
	// "mountinfo", "cgroup files".
	Kind  string `json:"kind"`
	Count int    `json:"count"`
	// Errno is the error of the first failure, e.g. "EACCES".
	Errno string `json:"errno"`
	// Example is the first path that failed.
	Example string `json:"example"`
}

// CgroupKey identifies a cgroup: hierarchy ID and path.
type CgroupKey struct {
	Hierarchy int
	Path      string
}

// Key returns the cgroup's key.
func (c *Cgroup) Key() CgroupKey { return CgroupKey{c.Hierarchy, c.Path} }

// index (re)builds the lookup maps. It is called by the scanner and by Load.
func (s *Snapshot) index() {
	s.indexProcesses()
	s.nsIndex = make(map[NSID]int, len(s.Namespaces))
	for i := range s.Namespaces {
		s.nsIndex[s.Namespaces[i].ID] = i
	}
	s.cgIndex = make(map[CgroupKey]int, len(s.Cgroups))
	for i := range s.Cgroups {
		s.cgIndex[s.Cgroups[i].Key()] = i
	}
	s.hierIndex = make(map[int]int, len(s.Hierarchies))
	for i := range s.Hierarchies {
		s.hierIndex[s.Hierarchies[i].ID] = i
	}
	s.trees = treeIndex{}
	s.buildTrees()
	s.indexContainers()
}

// indexProcesses builds the PID index alone, which the scanner needs
// before the rest of the snapshot exists.
func (s *Snapshot) indexProcesses() {
	s.procIndex = make(map[int]int, len(s.Processes))
	for i := range s.Processes {
		s.procIndex[s.Processes[i].PID] = i
	}
}

// Process returns the process with the given PID, or nil.
func (s *Snapshot) Process(pid int) *Process {
	if i, ok := s.procIndex[pid]; ok {
		return &s.Processes[i]
	}
	return nil
}

// Namespace returns the namespace with the given ID, or nil.
func (s *Snapshot) Namespace(id NSID) *Namespace {
	if i, ok := s.nsIndex[id]; ok {
		return &s.Namespaces[i]
	}
	return nil
}

// Cgroup returns the cgroup at path in the given hierarchy, or nil.
func (s *Snapshot) Cgroup(hierarchy int, path string) *Cgroup {
	if i, ok := s.cgIndex[CgroupKey{hierarchy, path}]; ok {
		return &s.Cgroups[i]
	}
	return nil
}

// Hierarchy returns the hierarchy with the given ID, or nil.
func (s *Snapshot) Hierarchy(id int) *Hierarchy {
	if i, ok := s.hierIndex[id]; ok {
		return &s.Hierarchies[i]
	}
	return nil
}

// HierarchyFor returns the hierarchy that carries a v1 controller, or the
// v2 hierarchy when it has that controller enabled; nil when none does.
func (s *Snapshot) HierarchyFor(controller string) *Hierarchy {
	for i := range s.Hierarchies {
		if s.Hierarchies[i].Has(controller) {
			return &s.Hierarchies[i]
		}
	}
	return nil
}

// ProcessCgroups returns the cgroups the process is in, in hierarchy order.
// Cgroups that vanished between reading the process and walking the tree
// are left out.
func (s *Snapshot) ProcessCgroups(p *Process) []*Cgroup {
	var out []*Cgroup
	for _, pc := range p.Cgroups {
		if c := s.Cgroup(pc.Hierarchy, pc.Path); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// NamespacesOf returns the namespaces of type t, in snapshot order.
func (s *Snapshot) NamespacesOf(t NSType) []*Namespace {
	var out []*Namespace
	for i := range s.Namespaces {
		if s.Namespaces[i].Type == t {
			out = append(out, &s.Namespaces[i])
		}
	}
	return out
}

// UnreadableTotal returns the total count of unreadable items.
func (s *Snapshot) UnreadableTotal() int {
	n := 0
	for _, u := range s.Unreadable {
		n += u.Count
	}
	return n
}

// WriteJSON writes the snapshot as indented JSON.
func (s *Snapshot) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// Load reads a snapshot written by WriteJSON (or "nscope snapshot") and
// rebuilds its indexes. It refuses a newer schema version.
func Load(r io.Reader) (*Snapshot, error) {
	var s Snapshot
	dec := json.NewDecoder(r)
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("decode snapshot: %w", err)
	}
	if s.SchemaVersion < 1 || s.SchemaVersion > SchemaVersion {
		return nil, fmt.Errorf("snapshot schema version %d is not supported (this nscope reads 1 to %d)", s.SchemaVersion, SchemaVersion)
	}
	s.sortAll()
	s.index()
	return &s, nil
}

// sortAll puts every slice in its documented order.
func (s *Snapshot) sortAll() {
	sort.Slice(s.Processes, func(i, j int) bool { return s.Processes[i].PID < s.Processes[j].PID })
	sort.Slice(s.Namespaces, func(i, j int) bool {
		a, b := &s.Namespaces[i], &s.Namespaces[j]
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		if a.Level != b.Level {
			return a.Level < b.Level
		}
		return a.ID.Ino < b.ID.Ino
	})
	sort.Slice(s.Cgroups, func(i, j int) bool {
		a, b := &s.Cgroups[i], &s.Cgroups[j]
		if a.Hierarchy != b.Hierarchy {
			return s.hierarchyOrder(a.Hierarchy) < s.hierarchyOrder(b.Hierarchy)
		}
		return cgroupPathLess(a.Path, b.Path)
	})
}

func (s *Snapshot) hierarchyOrder(id int) int {
	for i := range s.Hierarchies {
		if s.Hierarchies[i].ID == id {
			return i
		}
	}
	return len(s.Hierarchies) + id
}

// cgroupPathLess orders paths so that a parent sorts right before its
// children: "/a" < "/a/b" < "/a-b" (compare component by component).
func cgroupPathLess(a, b string) bool {
	for {
		ai, bi := indexSlash(a), indexSlash(b)
		ac, bc := a[:ai], b[:bi]
		if ac != bc {
			return ac < bc
		}
		if ai == len(a) || bi == len(b) {
			return len(a) < len(b)
		}
		a, b = a[ai+1:], b[bi+1:]
	}
}

func indexSlash(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return i
		}
	}
	return len(s)
}
