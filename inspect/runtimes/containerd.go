package runtimes

// containerd keeps every running task's OCI bundle under its state
// directory: STATE/io.containerd.runtime.v2.task/NAMESPACE/ID/ with
// config.json (the spec) and init.pid (v1 shims use
// io.containerd.runtime.v1.linux). Kubernetes' CRI plugin names pods and
// containers in the spec's annotations; the "moby" namespace holds
// docker's containers.

// CRI annotations containerd's CRI plugin sets (pkg/cri/annotations).
const (
	criContainerType    = "io.kubernetes.cri.container-type"
	criContainerName    = "io.kubernetes.cri.container-name"
	criSandboxID        = "io.kubernetes.cri.sandbox-id"
	criSandboxName      = "io.kubernetes.cri.sandbox-name"
	criSandboxNamespace = "io.kubernetes.cri.sandbox-namespace"
	criSandboxUID       = "io.kubernetes.cri.sandbox-uid"
	criImageName        = "io.kubernetes.cri.image-name"
	criTypeSandbox      = "sandbox"
	// nerdctlName is the name nerdctl gives a container.
	nerdctlName = "nerdctl/name"
	// containerdMobyNamespace is docker's containerd namespace.
	containerdMobyNamespace = "moby"
)

// ContainerdConfig is the part of /etc/containerd/config.toml that moves
// containerd's files.
type ContainerdConfig struct {
	Root  string
	State string
}

// ParseContainerdConfig reads the top-level root and state keys of
// containerd's config.toml. A file without them is valid.
func ParseContainerdConfig(data []byte) ContainerdConfig {
	var c ContainerdConfig
	c.Root, _ = tomlString(data, "", "root")
	c.State, _ = tomlString(data, "", "state")
	return c
}

// RecordFromContainerdBundle names the task ID in containerd namespace
// ns from its bundle's spec: Kubernetes names from the CRI annotations,
// nerdctl's name, or the ID itself (as ctr names containers).
func RecordFromContainerdBundle(ns, id string, spec *OCISpec) *Record {
	r := &Record{Runtime: Containerd, RuntimeNamespace: ns, ID: id, Name: id}
	if ns == containerdMobyNamespace {
		r.Runtime = Docker
		r.Name = shortID(id)
	}
	a := spec.Annotations
	if a[criContainerType] != "" {
		r.Pod = &Pod{Name: a[criSandboxName], Namespace: a[criSandboxNamespace], UID: a[criSandboxUID], ID: a[criSandboxID]}
		r.Image = a[criImageName]
		if a[criContainerType] == criTypeSandbox {
			r.Infra = true
			r.Pod.ID = id
			r.Name = a[criSandboxName]
		} else if n := a[criContainerName]; n != "" {
			r.Name = n
		}
	} else if n := a[nerdctlName]; n != "" {
		r.Name = n
	}
	if r.Name == "" {
		r.Name = id
	}
	recordFromSpec(r, spec)
	return r
}
