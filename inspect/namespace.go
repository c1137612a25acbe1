package inspect

// HolderKind says what keeps a namespace alive besides its member processes.
type HolderKind string

// The ways a namespace can be held. See namespaces(7), "Namespace lifetime".
const (
	// HeldByFD: a process has the nsfs file open (PID and FD are set).
	HeldByFD HolderKind = "fd"
	// HeldByBindMount: the nsfs file is bind-mounted (Path and MountNS are set).
	HeldByBindMount HolderKind = "bind-mount"
	// HeldByNamedNetns: a bind mount under /run/netns, as "ip netns add" makes
	// (Path is set; Name is the netns name).
	HeldByNamedNetns HolderKind = "named-netns"
	// HeldForChildren: a process's pid_for_children or time_for_children
	// points here and its own namespace is another (PID is set): the
	// process that called unshare(2) or setns(2), which stays outside
	// while its children start here, whether or not it forked already.
	HeldForChildren HolderKind = "for-children"
	// HeldAsParent: the namespace is the parent of a pid or user namespace
	// (Via is the child).
	HeldAsParent HolderKind = "parent"
	// HeldAsOwner: the user namespace owns another namespace (Via is the
	// owned namespace).
	HeldAsOwner HolderKind = "owner"
)

// Holder is one reference that keeps a namespace alive.
type Holder struct {
	Kind    HolderKind `json:"kind"`
	PID     int        `json:"pid,omitempty"`
	FD      int        `json:"fd,omitempty"`
	Path    string     `json:"path,omitempty"`
	Name    string     `json:"name,omitempty"`
	MountNS NSID       `json:"mount_ns,omitzero"`
	Via     NSID       `json:"via,omitzero"`
}

// Namespace is one namespace of the host, with its members, what holds it
// and where it sits in the hierarchy. See namespaces(7) and ioctl_ns(2).
type Namespace struct {
	ID   NSID   `json:"id"`
	Type NSType `json:"type"`
	// Owner is the user namespace that owns this one (NS_GET_USERNS); zero
	// when it is not visible to the scanner (outside its own user namespace)
	// or when this is the initial user namespace.
	Owner NSID `json:"owner,omitzero"`
	// Parent is the parent pid or user namespace (NS_GET_PARENT); zero for
	// other types and for the root.
	Parent NSID `json:"parent,omitzero"`
	// OwnerUID is the UID that created a user namespace (NS_GET_OWNER_UID),
	// or -1 for other types.
	OwnerUID int `json:"owner_uid"`
	// Level is the nesting depth of pid and user namespaces (0 = initial).
	Level int `json:"level"`
	// Initial is true for the namespaces PID 1 is in.
	Initial bool `json:"initial,omitempty"`
	// Members are the PIDs (as the scanner sees them) of the processes in
	// this namespace, ascending.
	Members []int `json:"members,omitempty"`
	// Holders are the other references that keep it alive.
	Holders []Holder `json:"holders,omitempty"`
	// Container is the container that made it (for a namespace a pod
	// shares, its infra container), when it is a container's.
	Container ContainerRef `json:"container,omitzero"`
}

// HasHolder reports whether any holder is of kind k.
func (n *Namespace) HasHolder(k HolderKind) bool {
	for _, h := range n.Holders {
		if h.Kind == k {
			return true
		}
	}
	return false
}
