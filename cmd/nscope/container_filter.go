package main

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// containerFilter is the --container flag of ps, cg and ns: only what
// belongs to the named containers.
type containerFilter struct {
	queries []string
}

// add registers --container on cmd; what names what it keeps.
func (f *containerFilter) add(cmd *cobra.Command, what string) {
	cmd.Flags().StringArrayVar(&f.queries, "container", nil,
		"only the "+what+" of this container: NAME, ID prefix, RUNTIME:NAME or pod/NAMESPACE/POD[/CONTAINER] (a pod is all its containers); repeat for more")
}

// containers returns the containers the flag names: each query's one
// container, or every container of the pod a pod query names. An
// ambiguous, unknown or bad name is a usage error.
func (f *containerFilter) containers(snap *inspect.Snapshot) ([]*inspect.Container, error) {
	var out []*inspect.Container
	for _, q := range f.queries {
		if strings.HasPrefix(q, "pod/") {
			if pod, err := snap.ResolvePod(q); err == nil {
				out = append(out, pod.Containers...)
				continue
			}
		}
		c, err := snap.ResolveContainer(q)
		if err != nil {
			var amb *inspect.AmbiguousContainerError
			var unknown *inspect.UnknownContainerError
			if errors.As(err, &amb) || errors.As(err, &unknown) || errors.Is(err, inspect.ErrBadContainerQuery) {
				return nil, &usageError{errors.New("--container: " + err.Error())}
			}
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// refs returns the references of the named containers, nil without the
// flag.
func (f *containerFilter) refs(snap *inspect.Snapshot) (map[inspect.ContainerRef]bool, error) {
	if len(f.queries) == 0 {
		return nil, nil
	}
	list, err := f.containers(snap)
	if err != nil {
		return nil, err
	}
	refs := make(map[inspect.ContainerRef]bool, len(list))
	for _, c := range list {
		refs[c.Ref()] = true
	}
	return refs, nil
}

// processes returns snap with only the named containers' processes (snap
// itself without the flag).
func (f *containerFilter) processes(snap *inspect.Snapshot) (*inspect.Snapshot, error) {
	refs, err := f.refs(snap)
	if refs == nil || err != nil {
		return snap, err
	}
	return restricted(snap, func(s *inspect.Snapshot) {
		s.Processes = keepItems(s.Processes, func(p *inspect.Process) bool { return refs[p.Container] })
	}), nil
}

// cgroups returns snap with only the named containers' cgroups, those
// nested in them, and the cgroups of the pods named.
func (f *containerFilter) cgroups(snap *inspect.Snapshot) (*inspect.Snapshot, error) {
	refs, err := f.refs(snap)
	if refs == nil || err != nil {
		return snap, err
	}
	pods := map[string]bool{}
	for _, q := range f.queries {
		if pod, err := snap.ResolvePod(q); err == nil && pod.Cgroup != "" {
			pods[pod.Cgroup] = true
		}
	}
	return restricted(snap, func(s *inspect.Snapshot) {
		s.Cgroups = keepItems(s.Cgroups, func(c *inspect.Cgroup) bool { return refs[c.Container] || pods[c.Path] })
	}), nil
}

// namespaces returns snap with only the namespaces the named containers
// are in (their inits', the host's ones they share included) and those
// made inside them.
func (f *containerFilter) namespaces(snap *inspect.Snapshot) (*inspect.Snapshot, error) {
	if len(f.queries) == 0 {
		return snap, nil
	}
	list, err := f.containers(snap)
	if err != nil {
		return snap, err
	}
	ids := map[inspect.NSID]bool{}
	refs := map[inspect.ContainerRef]bool{}
	for _, c := range list {
		refs[c.Ref()] = true
		for _, id := range c.Namespaces {
			if !id.IsZero() {
				ids[id] = true
			}
		}
	}
	return restricted(snap, func(s *inspect.Snapshot) {
		s.Namespaces = keepItems(s.Namespaces, func(n *inspect.Namespace) bool { return ids[n.ID] || refs[n.Container] })
	}), nil
}

// restricted returns a copy of snap that cut changes (replacing one of
// its slices), indexed again.
func restricted(snap *inspect.Snapshot, cut func(*inspect.Snapshot)) *inspect.Snapshot {
	out := *snap
	cut(&out)
	out.Reindex()
	return &out
}

// keepItems returns a new slice of the items of in that pick keeps.
func keepItems[T any](in []T, pick func(*T) bool) []T {
	var out []T
	for i := range in {
		if pick(&in[i]) {
			out = append(out, in[i])
		}
	}
	return out
}

// containerColumn returns the CONTAINER cell of tables: the container's
// name as a target (RUNTIME:NAME), "-" for none.
func containerColumn(name string) string { return orDash(name) }

// cgroupPathContainer names the container of the cgroups at path (in
// hierarchy only, or in any), "" for none.
func cgroupPathContainer(ix *procview.Index, only *inspect.Hierarchy, path string) string {
	for i := range ix.Snap.Hierarchies {
		h := &ix.Snap.Hierarchies[i]
		if only != nil && h.ID != only.ID {
			continue
		}
		if c := ix.Snap.Cgroup(h.ID, path); c != nil {
			if name := ix.CgroupContainer(c); name != "" {
				return name
			}
		}
	}
	return ""
}
