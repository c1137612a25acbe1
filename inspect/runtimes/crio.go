package runtimes

import "encoding/json"

// CRI-O, like podman, keeps each container in containers/storage:
// GRAPHROOT/overlay-containers/ID/userdata/config.json is its OCI spec,
// whose annotations carry the Kubernetes names. Which of the two made a
// container is the io.container.manager annotation.

// Annotations CRI-O writes into the specs it creates.
const (
	annotationManager  = "io.container.manager"
	managerCRIO        = "cri-o"
	managerLibpod      = "libpod"
	crioContainerType  = "io.kubernetes.cri-o.ContainerType"
	crioSandboxID      = "io.kubernetes.cri-o.SandboxID"
	crioImageName      = "io.kubernetes.cri-o.ImageName"
	crioLabels         = "io.kubernetes.cri-o.Labels"
	crioKubeName       = "io.kubernetes.cri-o.KubeName"
	crioNamespace      = "io.kubernetes.cri-o.Namespace"
	kubePodName        = "io.kubernetes.pod.name"
	kubePodNamespace   = "io.kubernetes.pod.namespace"
	kubePodUID         = "io.kubernetes.pod.uid"
	kubeContainerName  = "io.kubernetes.container.name"
	crioTypeSandbox    = "sandbox"
	kubeInfraContainer = "POD"
)

// IsCRIOSpec reports whether a containers/storage spec was made by CRI-O.
func IsCRIOSpec(spec *OCISpec) bool { return spec.Annotations[annotationManager] == managerCRIO }

// RecordFromCRIOSpec names a CRI-O container from its spec's annotations.
// The Kubernetes names are annotations of their own or, in older CRI-O,
// only in the JSON of io.kubernetes.cri-o.Labels.
func RecordFromCRIOSpec(id string, spec *OCISpec) *Record {
	a := spec.Annotations
	kube := map[string]string{}
	if l := a[crioLabels]; l != "" {
		_ = json.Unmarshal([]byte(l), &kube) // best effort: the annotations below win
	}
	get := func(key string) string {
		if v := a[key]; v != "" {
			return v
		}
		return kube[key]
	}
	r := &Record{Runtime: CRIO, ID: id, Image: a[crioImageName]}
	r.Pod = &Pod{Name: get(kubePodName), Namespace: get(kubePodNamespace), UID: get(kubePodUID), ID: a[crioSandboxID]}
	if r.Pod.Name == "" {
		r.Pod.Name = a[crioKubeName]
	}
	if r.Pod.Namespace == "" {
		r.Pod.Namespace = a[crioNamespace]
	}
	r.Name = get(kubeContainerName)
	if a[crioContainerType] == crioTypeSandbox || r.Name == kubeInfraContainer {
		r.Infra = true
		r.Pod.ID = id
		r.Name = r.Pod.Name
	}
	if r.Name == "" {
		r.Name = shortID(id)
	}
	r.Labels = TrimLabels(kube)
	recordFromSpec(r, spec)
	return r
}
