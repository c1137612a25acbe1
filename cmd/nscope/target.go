package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/inspect"
	"github.com/nscope/nscope/procview"
)

// Targets. Wherever set, freeze, thaw, kill, undo and history take a
// CGROUP, and enter a PID, they also take a container. An argument means,
// in this order (targetHelp says the same to users):
//
//  1. enter: decimal digits are a PID, as before (and "+5", "05",
//     "0x1f" stay bad PIDs). The cgroup commands: an absolute path is a
//     cgroup path or a directory under a cgroup mount, as before, whether
//     it exists or not, and so are decimal digits ("123" is /123).
//  2. The cgroup commands: a relative path that exists as a cgroup in a
//     hierarchy, or that the journal has changes of, is that cgroup.
//  3. Anything else names a container: its NAME, an ID prefix,
//     RUNTIME:NAME or RUNTIME:ID, pod/NAMESPACE/POD[/CONTAINER]
//     (Kubernetes) or pod/POD[/CONTAINER] (podman). For the cgroup
//     commands a pod is the pod's own cgroup and a container its cgroup;
//     for enter a pod is its one app container, and a container its init.
//
// An ambiguous name lists the candidates and an unknown one the runtimes
// looked at; both exit 2.

// targetHooks let tests answer what the host would: whether a cgroup
// directory exists, and the snapshot containers are looked up in.
var targetHooks struct {
	exists func(dir string) bool
	scan   func(ctx context.Context) (*inspect.Snapshot, error)
}

// targetHelp is appended to the help of every command that takes a
// target (see addTargetHelp).
const targetHelp = `

A container can be named instead of a %s: its name (web), an ID prefix
(9f3a), RUNTIME:NAME (docker:web, podman:db, lxc:box), or
pod/NAMESPACE/POD[/CONTAINER] (Kubernetes) and pod/POD[/CONTAINER]
(podman), as "nscope containers" lists them. %s An ambiguous name lists
the candidates, an unknown one the runtimes looked at; both exit 2.`

// addTargetHelp documents the container targets of the commands that take
// them: set, freeze, thaw, kill, undo, history and enter.
func addTargetHelp(cmd *cobra.Command) {
	switch cmd.Name() {
	case "enter":
		cmd.Use = strings.Replace(cmd.Use, "PID", "PID|CONTAINER", 1)
		cmd.Long += fmt.Sprintf(targetHelp, "PID",
			"Decimal digits are always a PID. A container is entered through its\ninit; a pod through its one app container.")
		cmd.Example += "\n  nscope enter web                       # a shell in container web\n  nscope enter pod/prod/api-7f9 -- ps"
	case "set", "freeze", "thaw", "kill", "undo", "history":
		cmd.Use = strings.Replace(cmd.Use, "CGROUP", "CGROUP|CONTAINER", 1)
		cmd.Long += fmt.Sprintf(targetHelp, "CGROUP",
			"An absolute path or a number is\nalways a cgroup path, and so is a relative path that exists as a cgroup\n(or that the journal has changes of). A container stands for its cgroup,\na pod for the pod's cgroup.")
		if cmd.Name() == "set" {
			cmd.Example += "\n  nscope set web --cpu 0.5 --memory 256M\n  nscope set pod/prod/api-7f9 --memory 1G"
		}
	}
}

// resolveCgroupArg turns what a cgroup command was given into its target:
// a cgroup path or directory as before, or the cgroup of the container or
// pod it names (see the order above). The note it prints to stderr says
// which container was taken.
func resolveCgroupArg(cmd *cobra.Command, ed *control.Editor, arg string) (control.Target, error) {
	if isCgroupPathArg(arg) {
		return ed.Resolve(arg)
	}
	clean := filepath.Clean("/" + arg)
	if !plainPathText(arg) {
		// Refusals of bad paths (control characters, "..") are the
		// editor's, as before.
		return ed.Resolve(arg)
	}
	if cgroupPathKnown(ed, clean) {
		noteContainerToo(cmd, arg, clean)
		return ed.Resolve(arg)
	}
	snap, err := targetSnapshot(cmd.Context())
	if err != nil {
		return control.Target{}, err
	}
	t, what, err := cgroupTargetOf(snap, arg)
	if err != nil {
		var unknown *inspect.UnknownContainerError
		if errors.As(err, &unknown) {
			err = fmt.Errorf("%q is no cgroup (no %s in any hierarchy) and %w", arg, clean, err)
		}
		return control.Target{}, &usageError{err}
	}
	msgf(cmd.ErrOrStderr(), "nscope: %s is %s, cgroup %s\n", arg, what, t.Path)
	return t, nil
}

// noteContainerToo says on stderr when a relative path taken as a cgroup
// also names a container whose cgroup is elsewhere (a runc container
// named after its cgroup, with its memory cgroup nested elsewhere), and
// how to name the container instead.
func noteContainerToo(cmd *cobra.Command, arg, path string) {
	snap, err := targetSnapshot(cmd.Context())
	if err != nil {
		return
	}
	t, what, err := cgroupTargetOf(snap, arg)
	var amb *inspect.AmbiguousContainerError
	switch {
	case err == nil && t.Path == path:
		return
	case err == nil:
		msgf(cmd.ErrOrStderr(), "nscope: note: %s is the cgroup %s; it is also %s at %s, which a RUNTIME:NAME target names\n", arg, path, what, t.Path)
	case errors.As(err, &amb):
		msgf(cmd.ErrOrStderr(), "nscope: note: %s is the cgroup %s; it also names containers (%s)\n", arg, path, err)
	default:
		if c, cerr := snap.ResolveContainer(arg); cerr == nil {
			msgf(cmd.ErrOrStderr(), "nscope: note: %s is the cgroup %s; it also names container %s (%s)\n", arg, path, procview.ContainerLabel(c), err)
		}
	}
}

// containerCgroupFlag returns the cgroup path of the container or pod a
// --container flag names (as cgroupTargetOf finds it); an ambiguous,
// unknown or stopped one is a usage error. It prints nothing: a stream's
// first line on stderr says it is live.
func containerCgroupFlag(cmd *cobra.Command, query string) (string, error) {
	snap, err := targetSnapshot(cmd.Context())
	if err != nil {
		return "", err
	}
	t, _, err := cgroupTargetOf(snap, query)
	if err != nil {
		return "", &usageError{fmt.Errorf("--container: %w", err)}
	}
	return t.Path, nil
}

// isCgroupPathArg reports whether arg is a cgroup path whatever exists:
// an absolute path, or decimal digits.
func isCgroupPathArg(arg string) bool {
	if strings.HasPrefix(arg, "/") {
		return true
	}
	return isDigits(arg)
}

// plainPathText reports whether arg has neither control characters nor
// ".." components, which no cgroup path and no container name has.
func plainPathText(arg string) bool {
	if strings.TrimSpace(arg) == "" {
		return false
	}
	for _, r := range arg {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	for _, part := range strings.Split(arg, "/") {
		if part == ".." {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// cgroupPathKnown reports whether path is a cgroup in one of the
// editor's hierarchies, or one the journal has changes of (history and
// undo of a cgroup removed since).
func cgroupPathKnown(ed *control.Editor, path string) bool {
	exists := targetHooks.exists
	if exists == nil {
		exists = func(dir string) bool { st, err := os.Stat(dir); return err == nil && st.IsDir() }
	}
	for _, h := range ed.Layout().Hierarchies {
		if h.Mount != "" && exists(filepath.Join(h.Mount, path)) {
			return true
		}
	}
	if j := ed.Journal(); j != nil {
		changes, err := j.Changes()
		if err != nil {
			return false
		}
		for _, c := range changes {
			if c.Cgroup == path {
				return true
			}
		}
	}
	return false
}

// targetSnapshot scans what a container target is looked up in: the
// processes, cgroups and the runtimes' files (no fds, no mounts).
func targetSnapshot(ctx context.Context) (*inspect.Snapshot, error) {
	if targetHooks.scan != nil {
		return targetHooks.scan(ctx)
	}
	return scan(ctx, inspect.WithFDs(false), inspect.WithMounts(false))
}

// cgroupTargetOf returns the cgroup a container query names, and says
// what it named ("container docker:web", "pod pod/prod/api").
func cgroupTargetOf(snap *inspect.Snapshot, query string) (control.Target, string, error) {
	if strings.HasPrefix(query, "pod/") {
		if pod, err := snap.ResolvePod(query); err == nil {
			what := "pod " + inspect.QuoteName(podLabel(pod))
			if pod.Cgroup == "" {
				return control.Target{}, "", fmt.Errorf("%s has no cgroup of its own that nscope can see (its containers' cgroups do not show one); name one of its containers: %s", what, podMembers(pod))
			}
			return control.Target{Path: pod.Cgroup}, what, nil
		}
	}
	c, err := snap.ResolveContainer(query)
	if err != nil {
		return control.Target{}, "", err
	}
	what := "container " + inspect.QuoteName(procview.ContainerLabel(c))
	path, err := containerCgroupPath(snap, c)
	if err != nil {
		return control.Target{}, "", fmt.Errorf("%s: %w", what, err)
	}
	return control.Target{Path: path}, what, nil
}

// containerCgroupPath returns the one path of c's cgroups. A runtime
// that put it at different paths in different hierarchies (runc run with
// a relative cgroupsPath under a v1 host's nested cgroups) gives no one
// cgroup to act on: the error lists each hierarchy's directory, which can
// be named instead.
func containerCgroupPath(snap *inspect.Snapshot, c *inspect.Container) (string, error) {
	if c.InitPID == 0 || len(c.Cgroups) == 0 {
		return "", fmt.Errorf("not running (state %s): it has no cgroup to act on", orDash(c.State))
	}
	byPath := map[string][]string{}
	var paths []string
	for _, pc := range c.Cgroups {
		if pc.Path == "/" {
			continue // a hierarchy the runtime gave it no cgroup in
		}
		label := pc.Controllers
		h := snap.Hierarchy(pc.Hierarchy)
		if h != nil {
			label = h.Label()
		}
		if _, ok := byPath[pc.Path]; !ok {
			paths = append(paths, pc.Path)
		}
		byPath[pc.Path] = append(byPath[pc.Path], label)
	}
	switch len(paths) {
	case 0:
		return "", errors.New("it has no cgroup of its own (it is in the root cgroup of every hierarchy)")
	case 1:
		return paths[0], nil
	}
	sort.Strings(paths)
	// One directory per path, in the hierarchy of the controller that
	// matters most there (cpu, memory, pids, freezer, then any).
	rank := func(h *inspect.Hierarchy) int {
		for i, ctrl := range []string{"cpu", "memory", "pids", "freezer"} {
			if h.Has(ctrl) {
				return i
			}
		}
		if len(h.Controllers) > 0 {
			return 4
		}
		return 5
	}
	var dirs []string
	for _, p := range paths {
		var best *inspect.Hierarchy
		for _, pc := range c.Cgroups {
			if h := snap.Hierarchy(pc.Hierarchy); pc.Path == p && h != nil && h.Mount != "" && (best == nil || rank(h) < rank(best)) {
				best = h
			}
		}
		if best != nil {
			dirs = append(dirs, filepath.Join(best.Mount, p))
		}
	}
	parts := make([]string, len(paths))
	for i, p := range paths {
		parts[i] = strings.Join(byPath[p], ",") + " " + p
	}
	return "", fmt.Errorf("its cgroups are at different paths in different hierarchies (%s), so no one cgroup path names them; name a directory instead, e.g. %s",
		strings.Join(parts, "; "), strings.Join(dirs, " or "))
}

// podLabel names a pod as a target: pod/NAMESPACE/POD or pod/POD.
func podLabel(p *inspect.Pod) string {
	if p.Namespace != "" {
		return "pod/" + p.Namespace + "/" + p.Name
	}
	if p.Name == "" {
		return "pod/" + shortContainerID(p.ID)
	}
	return "pod/" + p.Name
}

// podMembers lists a pod's containers as targets.
func podMembers(p *inspect.Pod) string {
	names := make([]string, len(p.Containers))
	for i, c := range p.Containers {
		names[i] = inspect.QuoteName(inspect.ContainerTarget(c))
	}
	return strings.Join(names, ", ")
}

// resolveEnterArg turns enter's target into a PID: decimal digits are a
// PID (parsePID's rules), anything else a container, entered through its
// init. For a container, *startTicks is set to its init's start time when
// it is 0, so that a PID reused since the lookup is refused, never
// entered.
func resolveEnterArg(cmd *cobra.Command, arg string, startTicks *uint64) (int, error) {
	if looksNumeric(arg) {
		return parsePID(arg)
	}
	snap, err := targetSnapshot(cmd.Context())
	if err != nil {
		return 0, err
	}
	c, err := snap.ResolveContainer(arg)
	if err != nil {
		var unknown *inspect.UnknownContainerError
		if errors.As(err, &unknown) {
			return 0, fmt.Errorf("PID %q: not a process ID (a positive decimal number as ps shows it) nor a container: %w", arg, err)
		}
		return 0, err
	}
	label := inspect.QuoteName(procview.ContainerLabel(c))
	if c.InitPID == 0 {
		return 0, fmt.Errorf("container %s is not running (state %s): it has no process to enter", label, orDash(c.State))
	}
	if *startTicks == 0 {
		if data, err := os.ReadFile(filepath.Join(global.procRoot, fmt.Sprint(c.InitPID), "stat")); err == nil {
			if st, err := inspect.ParseProcStat(data); err == nil {
				*startTicks = st.StartTime
			}
		}
	}
	msgf(cmd.ErrOrStderr(), "nscope: %s is container %s, init PID %d\n", arg, label, c.InitPID)
	return c.InitPID, nil
}

// looksNumeric reports whether s is meant as a number: digits with
// perhaps a sign, spaces or a 0x prefix, which parsePID refuses by name
// rather than looking up a container.
func looksNumeric(s string) bool {
	t := strings.TrimLeft(s, "+- \t")
	if strings.HasPrefix(t, "0x") || strings.HasPrefix(t, "0X") {
		return true
	}
	return isDigits(strings.TrimSpace(t))
}
