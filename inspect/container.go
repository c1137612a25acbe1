package inspect

import "time"

// ContainerRef names a container: its runtime and its ID. Processes,
// cgroups and namespaces that belong to a container carry one.
type ContainerRef struct {
	Runtime string `json:"runtime"`
	ID      string `json:"id"`
}

// IsZero reports whether the reference names no container.
func (r ContainerRef) IsZero() bool { return r.Runtime == "" && r.ID == "" }

// String returns "runtime:id12", the form of the cgroup-path labels.
func (r ContainerRef) String() string {
	if r.IsZero() {
		return ""
	}
	id := r.ID
	if len(id) == 64 {
		id = id[:12]
	}
	return r.Runtime + ":" + id
}

// Container is one container, pod sandbox or machine of any runtime, as
// its runtime's own files describe it and as the kernel shows it.
type Container struct {
	// Runtime is "docker", "containerd", "cri-o", "podman", "runc",
	// "crun", "lxc", "nspawn" or "nscope"; "k8s" when only a kubepods
	// cgroup path named it.
	Runtime string `json:"runtime"`
	// RuntimeNamespace is containerd's namespace ("k8s.io", "moby",
	// "default"); empty for other runtimes.
	RuntimeNamespace string `json:"runtime_namespace,omitempty"`
	ID               string `json:"id"`
	// Name is what users call it: docker's and podman's name, the
	// Kubernetes container name, the LXC or machine name; the short ID
	// when the runtime gives none.
	Name  string `json:"name"`
	Image string `json:"image,omitempty"`
	// Labels are at most 32 of its labels (compose and Kubernetes ones
	// first), values cut to 256 bytes.
	Labels map[string]string `json:"labels,omitempty"`
	Pod    *ContainerPod     `json:"pod,omitempty"`
	// Infra marks a pod's infra (sandbox, pause) container.
	Infra   bool              `json:"infra,omitempty"`
	Compose *ContainerCompose `json:"compose,omitempty"`
	// InitPID is the container's init as the scanner sees it, checked
	// against the kernel (start time, cgroup); 0 when none is running.
	InitPID int `json:"init_pid,omitempty"`
	// RuntimePID is the PID the runtime recorded when it is not InitPID:
	// the process is gone or the PID was reused (the runtime's state is
	// stale, e.g. its daemon is down).
	RuntimePID int `json:"runtime_pid,omitempty"`
	// State is the runtime's own word (running, paused, exited,
	// created, ...). Runtimes that keep none (runc, containerd, CRI-O,
	// LXC) get running, paused (frozen cgroup) or stopped from the kernel.
	State   string    `json:"state"`
	Created time.Time `json:"created,omitzero"`
	// Limits are the limits the runtime believes it set; the cgroup's
	// files say what is in force (a direct write is not seen by the
	// runtime, and "docker update" may overwrite one).
	Limits ContainerLimits `json:"limits,omitzero"`
	// Cgroups are the init's cgroups in every hierarchy.
	Cgroups []ProcCgroup `json:"cgroups,omitempty"`
	// Namespaces are the init's namespaces.
	Namespaces NSSet `json:"namespaces"`
	// Shared lists the namespaces it shares with the host or with
	// another container (a pod's network namespace, --network
	// container:X); the container that made a shared namespace does not
	// list it.
	Shared []SharedNamespace `json:"shared_namespaces,omitempty"`
	// UID is the user whose runtime holds it: 0 for the system's,
	// the user's for rootless podman, runc or crun.
	UID int `json:"runtime_uid,omitempty"`
	// Source is the file that named it, or "cgroup path" or "process
	// PID" when no runtime file did.
	Source string `json:"source"`
}

// Ref returns the container's reference.
func (c *Container) Ref() ContainerRef { return ContainerRef{Runtime: c.Runtime, ID: c.ID} }

// ContainerPod is the Kubernetes or podman pod a container belongs to.
type ContainerPod struct {
	Name string `json:"name,omitempty"`
	// Namespace and UID are the Kubernetes pod's; empty for podman pods.
	Namespace string `json:"namespace,omitempty"`
	UID       string `json:"uid,omitempty"`
	// ID is the sandbox's ID (CRI) or podman's pod ID.
	ID string `json:"id,omitempty"`
	// Cgroup is the pod's cgroup path (the parent of its containers'),
	// when its containers' cgroups show one.
	Cgroup string `json:"cgroup,omitempty"`
}

// ContainerCompose is docker compose's project and service.
type ContainerCompose struct {
	Project string `json:"project"`
	Service string `json:"service"`
}

// ContainerLimits are the limits a runtime believes it set, in cgroup
// terms (microseconds, bytes); nil when not set.
type ContainerLimits struct {
	CPUQuotaUS  *int64 `json:"cpu_quota_us,omitempty"`
	CPUPeriodUS *int64 `json:"cpu_period_us,omitempty"`
	CPUShares   *int64 `json:"cpu_shares,omitempty"`
	MemoryMax   *int64 `json:"memory_max,omitempty"`
	// MemorySwap is memory plus swap, docker's and the OCI spec's meaning.
	MemorySwap *int64 `json:"memory_swap,omitempty"`
	PidsMax    *int64 `json:"pids_max,omitempty"`
}

// IsZero reports whether no limit is set.
func (l ContainerLimits) IsZero() bool {
	return l.CPUQuotaUS == nil && l.CPUPeriodUS == nil && l.CPUShares == nil &&
		l.MemoryMax == nil && l.MemorySwap == nil && l.PidsMax == nil
}

// SharedNamespace is a namespace a container shares.
type SharedNamespace struct {
	Type NSType `json:"type"`
	// With is "host" (an initial namespace: --network host, --pid host)
	// or "container".
	With string `json:"with"`
	// Container is the container that made it, when With is "container".
	Container *ContainerRef `json:"container,omitempty"`
}

// What a namespace is shared with.
const (
	SharedWithHost      = "host"
	SharedWithContainer = "container"
)

// ContainerSource is one runtime state directory the scanner looked at.
type ContainerSource struct {
	Runtime string `json:"runtime"`
	Path    string `json:"path"`
	// Containers is how many containers it named.
	Containers int `json:"containers"`
}
