package procview

import (
	"fmt"
	"strings"

	"github.com/nscope/nscope/inspect"
)

// explainContainer: what the runtime's files say of it, which namespaces
// it has of its own and which it shares, what its CPU cgroup does to it,
// and how to act on it by name.
func (ix *Index) explainContainer(c *inspect.Container) Lesson {
	s := ix.Snap
	label := ContainerLabel(c)
	l := Lesson{Title: "Container " + label}
	what := fmt.Sprintf("%s is a %s container", c.Name, c.Runtime)
	if c.Image != "" {
		what += " of image " + c.Image
	}
	switch {
	case c.Pod != nil && c.Pod.Namespace != "":
		what += fmt.Sprintf(", in Kubernetes pod %s of namespace %s", c.Pod.Name, c.Pod.Namespace)
	case c.Pod != nil && c.Pod.Name != "":
		what += ", in pod " + c.Pod.Name
	}
	if c.Compose != nil {
		what += fmt.Sprintf(", service %s of compose project %s", c.Compose.Service, c.Compose.Project)
	}
	l.About = append(l.About, what+fmt.Sprintf(". nscope read this from %s's own files, without asking a daemon (the details name the file); %s's own word for its state is %q.", c.Runtime, c.Runtime, c.State))
	if c.Infra {
		l.About = append(l.About, "It is its pod's infra (pause) container: it does nothing but hold the namespaces the pod's containers share.")
	}
	init := s.Process(c.InitPID)
	if init == nil {
		l.About = append(l.About, "No process of it runs: the kernel has nothing of it but the runtime's files.")
		return l
	}
	procs := s.ContainerProcesses(c)
	belong := "1 process belongs"
	if len(procs) != 1 {
		belong = fmt.Sprintf("%d processes belong", len(procs))
	}
	l.About = append(l.About, fmt.Sprintf("Its init is PID %d (%s) on the host; %s to it.", init.PID, init.Comm, belong))
	l.About = append(l.About, ix.containerNamespaceSentence(c))
	if cg := ix.ContainerCgroupsOf(c).CPU; cg != nil {
		h := s.Hierarchy(cg.Hierarchy)
		l.About = append(l.About, cpuSentences(s, cg, ix.Rates.Cgroup(cg), h != nil && h.Version == 2)...)
	}
	l.About = append(l.About, fmt.Sprintf("nscope takes its name wherever it takes a cgroup or a PID: nscope set %s --cpu 0.5 writes its cgroup (journaled; nscope undo %s reverts), nscope enter %s opens a shell in its namespaces, as docker exec does.", label, label, label))
	if c.Runtime == "docker" || c.Runtime == "podman" {
		l.About = append(l.About, fmt.Sprintf("%s does not see a direct write to the cgroup: %s inspect keeps its own values, and %s update sets them again.", c.Runtime, c.Runtime, c.Runtime))
	}
	return l
}

// containerNamespaceSentence says which namespaces c has of its own and
// which it shares, and with whom.
func (ix *Index) containerNamespaceSentence(c *inspect.Container) string {
	shared := map[inspect.NSType]inspect.SharedNamespace{}
	for _, sh := range c.Shared {
		shared[sh.Type] = sh
	}
	var own, host []string
	with := map[string][]string{}
	var others []string
	for _, t := range inspect.AllNSTypes {
		if c.Namespaces[t].IsZero() {
			continue
		}
		sh, ok := shared[t]
		switch {
		case !ok:
			own = append(own, t.String())
		case sh.With == inspect.SharedWithHost || sh.Container == nil:
			host = append(host, t.String())
		default:
			name := sh.Container.String()
			if o := ix.Snap.Container(*sh.Container); o != nil {
				name = o.Name
			}
			if _, seen := with[name]; !seen {
				others = append(others, name)
			}
			with[name] = append(with[name], t.String())
		}
	}
	var parts []string
	if len(own) > 0 {
		parts = append(parts, "its own "+typeList(own))
	}
	for _, name := range others {
		parts = append(parts, "the "+typeList(with[name])+" of "+name)
	}
	if len(host) > 0 {
		parts = append(parts, "the host's "+typeList(host))
	}
	return "It is in " + strings.Join(parts, "; ") + "."
}
