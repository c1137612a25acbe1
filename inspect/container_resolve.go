package inspect

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A container can be named, wherever a command takes one, by:
//
//	NAME                         its name in any runtime ("web")
//	ID or ID prefix              as docker takes them ("9f3a")
//	RUNTIME:NAME, RUNTIME:ID     in one runtime ("podman:web", "lxc:box");
//	                             k8s: means any Kubernetes container
//	pod/NAMESPACE/POD/CONTAINER  a Kubernetes container
//	pod/NAMESPACE/POD            a Kubernetes pod (its one app container)
//	pod/POD[/CONTAINER]          a podman pod (and one of its containers)

// ErrBadContainerQuery is returned for a query that cannot name a
// container (empty, too long, control characters, a pod/ form with the
// wrong number of parts).
var ErrBadContainerQuery = errors.New("bad container name")

// AmbiguousContainerError is returned when a query names more than one
// container; Candidates are all of them.
type AmbiguousContainerError struct {
	Query      string
	Candidates []*Container
}

func (e *AmbiguousContainerError) Error() string {
	names := make([]string, len(e.Candidates))
	for i, c := range e.Candidates {
		names[i] = ContainerTarget(c)
	}
	return fmt.Sprintf("%q names %d containers: %s; name one of them as shown", e.Query, len(e.Candidates), strings.Join(names, ", "))
}

// UnknownContainerError is returned when no container matches; Looked
// says where the scanner looked.
type UnknownContainerError struct {
	Query  string
	Looked []ContainerSource
}

func (e *UnknownContainerError) Error() string {
	if len(e.Looked) == 0 {
		return fmt.Sprintf("no container %q: no runtime state found (looked for docker, containerd, podman, CRI-O, runc, crun, LXC and machined state) and no cgroup path names one", e.Query)
	}
	seen := map[string]int{}
	var order []string
	for _, s := range e.Looked {
		if _, ok := seen[s.Runtime]; !ok {
			order = append(order, s.Runtime)
		}
		seen[s.Runtime] += s.Containers
	}
	parts := make([]string, len(order))
	for i, rt := range order {
		parts[i] = fmt.Sprintf("%s (%d)", rt, seen[rt])
	}
	return fmt.Sprintf("no container %q (looked at %s, and at cgroup paths)", e.Query, strings.Join(parts, ", "))
}

// maxContainerQuery bounds a query; no runtime allows longer names.
const maxContainerQuery = 512

// ResolveContainer returns the one container query names (see the forms
// above). An exact name wins over an ID prefix. It returns an
// *AmbiguousContainerError, an *UnknownContainerError, or an error
// wrapping ErrBadContainerQuery.
func (s *Snapshot) ResolveContainer(query string) (*Container, error) {
	if err := checkContainerQuery(query); err != nil {
		return nil, err
	}
	var found []*Container
	if rest, ok := strings.CutPrefix(query, "pod/"); ok {
		pod, name, err := s.resolvePodQuery(query, rest)
		if err != nil {
			return nil, err
		}
		for _, c := range pod.Containers {
			if name == "" && !c.Infra || name != "" && c.Name == name {
				found = append(found, c)
			}
		}
		if len(found) == 0 && name == "" && len(pod.Containers) > 0 {
			found = pod.Containers // only the infra container
		}
	} else {
		runtime, name := "", query
		if rt, rest, ok := strings.Cut(query, ":"); ok && knownRuntime(rt) {
			runtime, name = canonicalRuntime(rt), rest
		}
		found = s.matchContainers(runtime, name)
	}
	switch len(found) {
	case 0:
		return nil, &UnknownContainerError{Query: query, Looked: s.ContainerSources}
	case 1:
		return found[0], nil
	}
	return nil, &AmbiguousContainerError{Query: query, Candidates: found}
}

// matchContainers returns the containers of runtime ("" for any) whose
// name is name; failing that, whose ID is name or starts with it.
func (s *Snapshot) matchContainers(runtime, name string) []*Container {
	var byName, byID, byPrefix []*Container
	for i := range s.Containers {
		c := &s.Containers[i]
		if !inRuntime(c, runtime) {
			continue
		}
		switch {
		case c.Name == name:
			byName = append(byName, c)
		case c.ID == name:
			byID = append(byID, c)
		case isHexString(name) && len(c.ID) >= 32 && isHexString(c.ID) && strings.HasPrefix(c.ID, name):
			// Only generated IDs take a prefix: a runc, LXC or machine ID is
			// its name, and "web" must not name "web-2".
			byPrefix = append(byPrefix, c)
		}
	}
	switch {
	case len(byName) > 0:
		return byName
	case len(byID) > 0:
		return byID
	}
	return byPrefix
}

// inRuntime reports whether c belongs to runtime; "k8s" is every
// Kubernetes container, whatever its CRI runtime.
func inRuntime(c *Container, runtime string) bool {
	switch runtime {
	case "":
		return true
	case "k8s":
		return c.Runtime == "k8s" || c.Pod != nil && c.Pod.Namespace != ""
	}
	return c.Runtime == runtime
}

// runtimeAliases maps what users type to runtime names.
var runtimeAliases = map[string]string{
	"docker": "docker", "moby": "docker", "containerd": "containerd", "ctr": "containerd",
	"cri-o": "cri-o", "crio": "cri-o", "podman": "podman", "runc": "runc", "crun": "crun",
	"lxc": "lxc", "nspawn": "nspawn", "machine": "nspawn", "nscope": "nscope", "k8s": "k8s",
	"kubernetes": "k8s",
}

func knownRuntime(s string) bool       { _, ok := runtimeAliases[s]; return ok }
func canonicalRuntime(s string) string { return runtimeAliases[s] }

// Pod is a Kubernetes or podman pod as its containers show it.
type Pod struct {
	Name string
	// Namespace and UID are the Kubernetes pod's; empty for podman.
	Namespace string
	UID       string
	// ID is the sandbox (CRI) or podman pod ID.
	ID string
	// Cgroup is the pod's cgroup path, when known.
	Cgroup string
	// Containers are its containers, the infra container first.
	Containers []*Container
}

// Pods returns the pods the snapshot's containers belong to, ordered by
// namespace and name.
func (s *Snapshot) Pods() []*Pod {
	byKey := map[string]*Pod{}
	var out []*Pod
	for i := range s.Containers {
		c := &s.Containers[i]
		if c.Pod == nil {
			continue
		}
		k := c.Pod.Namespace + "/" + c.Pod.Name + "/" + c.Pod.UID
		if c.Pod.Name == "" && c.Pod.UID == "" {
			k = "id/" + c.Pod.ID
		}
		p := byKey[k]
		if p == nil {
			p = &Pod{Name: c.Pod.Name, Namespace: c.Pod.Namespace, UID: c.Pod.UID}
			byKey[k] = p
			out = append(out, p)
		}
		if p.ID == "" || c.Infra {
			p.ID = c.Pod.ID
		}
		if p.Cgroup == "" {
			p.Cgroup = c.Pod.Cgroup
		}
		p.Containers = append(p.Containers, c)
	}
	for _, p := range out {
		sort.SliceStable(p.Containers, func(i, j int) bool { return p.Containers[i].Infra && !p.Containers[j].Infra })
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// ResolvePod returns the pod a "pod/NAMESPACE/POD" (Kubernetes) or
// "pod/POD" (podman) query names.
func (s *Snapshot) ResolvePod(query string) (*Pod, error) {
	if err := checkContainerQuery(query); err != nil {
		return nil, err
	}
	rest, ok := strings.CutPrefix(query, "pod/")
	if !ok {
		return nil, fmt.Errorf("%w: %q: a pod is pod/NAMESPACE/POD (Kubernetes) or pod/POD (podman)", ErrBadContainerQuery, query)
	}
	pod, name, err := s.resolvePodQuery(query, rest)
	if err == nil && name != "" {
		err = fmt.Errorf("%w: %q names a container, not a pod", ErrBadContainerQuery, query)
	}
	return pod, err
}

// resolvePodQuery finds the pod of a pod/ query and the container name
// that follows it, if any. pod/A/B is Kubernetes namespace A, pod B if
// there is one, else podman pod A, container B.
func (s *Snapshot) resolvePodQuery(query, rest string) (*Pod, string, error) {
	parts := strings.Split(rest, "/")
	for _, p := range parts {
		if p == "" {
			return nil, "", fmt.Errorf("%w: %q: empty part; use pod/NAMESPACE/POD[/CONTAINER] or pod/POD[/CONTAINER]", ErrBadContainerQuery, query)
		}
	}
	if len(parts) > 3 {
		return nil, "", fmt.Errorf("%w: %q: too many parts; use pod/NAMESPACE/POD[/CONTAINER] or pod/POD[/CONTAINER]", ErrBadContainerQuery, query)
	}
	pods := s.Pods()
	find := func(ns, name string, kube bool) []*Pod {
		var out []*Pod
		for _, p := range pods {
			// A podman pod is also named by a prefix of its ID.
			if (p.Namespace != "") == kube && p.Namespace == ns && (p.Name == name || !kube && isHexString(name) && strings.HasPrefix(p.ID, name)) {
				out = append(out, p)
			}
		}
		return out
	}
	type try struct {
		ns, pod, ctr string
		kube         bool
	}
	var tries []try
	switch len(parts) {
	case 1:
		tries = []try{{"", parts[0], "", false}}
	case 2:
		tries = []try{{parts[0], parts[1], "", true}, {"", parts[0], parts[1], false}}
	case 3:
		tries = []try{{parts[0], parts[1], parts[2], true}}
	}
	for _, t := range tries {
		switch found := find(t.ns, t.pod, t.kube); len(found) {
		case 0:
			continue
		case 1:
			return found[0], t.ctr, nil
		default:
			var cands []*Container
			for _, p := range found {
				cands = append(cands, p.Containers...)
			}
			return nil, "", &AmbiguousContainerError{Query: query, Candidates: cands}
		}
	}
	return nil, "", &UnknownContainerError{Query: query, Looked: s.ContainerSources}
}

// ContainerTarget returns the shortest form that names c for a command:
// pod/NAMESPACE/POD/CONTAINER for a Kubernetes container, else
// RUNTIME:NAME.
func ContainerTarget(c *Container) string {
	if c.Pod != nil && c.Pod.Namespace != "" && c.Pod.Name != "" {
		if c.Infra {
			return "pod/" + c.Pod.Namespace + "/" + c.Pod.Name
		}
		return "pod/" + c.Pod.Namespace + "/" + c.Pod.Name + "/" + c.Name
	}
	return c.Runtime + ":" + c.Name
}

// checkContainerQuery refuses queries no container can have.
func checkContainerQuery(q string) error {
	switch {
	case q == "":
		return fmt.Errorf("%w: empty; give a name, an ID prefix, RUNTIME:NAME or pod/NAMESPACE/POD[/CONTAINER]", ErrBadContainerQuery)
	case len(q) > maxContainerQuery:
		return fmt.Errorf("%w: %d bytes, more than the %d allowed", ErrBadContainerQuery, len(q), maxContainerQuery)
	case !utf8.ValidString(q):
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrBadContainerQuery, q)
	}
	for _, r := range q {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return fmt.Errorf("%w: %q contains a control character", ErrBadContainerQuery, q)
		}
	}
	return nil
}
