package control

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/nscope/nscope/inspect"
)

// DefaultCgroupParent is where launched commands get their cgroup when the
// request names no parent: /nscope at the root of every hierarchy. It
// works alike on v1 and v2 (a v2 cgroup with processes of its own, such as
// a login session's, may not enable controllers for children, so "beneath
// our own cgroup" would often leave limits impossible). It is created when
// missing and left in place afterwards.
const DefaultCgroupParent = "/nscope"

// DefaultLaunchNS are the namespaces a launch creates when the request
// names none: everything but user and time, as container runtimes do.
var DefaultLaunchNS = []inspect.NSType{inspect.MntNS, inspect.PIDNS, inspect.NetNS, inspect.IPCNS, inspect.UTSNS, inspect.CgroupNS}

// LaunchRequest is what "run" is asked: the CLI's flags or the TUI's
// launch form, as typed.
type LaunchRequest struct {
	// Command is the argv to run; Command[0] is looked up in PATH.
	Command []string
	// NS are the namespace types to create; nil means DefaultLaunchNS.
	// pid and mnt are always created: the init runs as PID 1 and mounts
	// a fresh /proc. MapRoot adds user.
	NS []inspect.NSType
	// All creates every namespace type.
	All bool
	// Hostname is set in the new UTS namespace; empty means Name.
	Hostname string
	// CPU, Memory and Pids are limits as typed ("0.5", "256M", "64"),
	// parsed by ParseLimits; empty leaves a limit unset.
	CPU, Memory, Pids string
	// CgroupParent is the parent of the new cgroup: an absolute path
	// inside every hierarchy ("/nscope"), or a relative one, taken
	// beneath our own cgroup in each hierarchy ("." is our own cgroup).
	// Empty means DefaultCgroupParent.
	CgroupParent string
	// Name names the cgroup (and the default hostname); empty means
	// "nscope-run-PID" with our PID.
	Name string
	// MapRoot creates a user namespace in which root is the caller.
	MapRoot bool
	// Keep leaves the cgroup in place after the command exits.
	Keep bool
}

// LaunchPlan is a checked LaunchRequest.
type LaunchPlan struct {
	// Command is the argv to run.
	Command []string
	// NS are the namespace types created, in display order.
	NS []inspect.NSType
	// Hostname is set when NS has uts.
	Hostname string
	// Name is the cgroup's name.
	Name string
	// UIDMap and GIDMap are the user namespace's one-line maps, when NS
	// has user: root (MapRoot) or the caller's own ID mapped to the
	// caller.
	UIDMap, GIDMap *IDMap
	// Cgroups is the new cgroup in every hierarchy.
	Cgroups []LaunchCgroup
	// Limits are written to the new cgroup before the command starts.
	Limits Limits
	// Keep leaves the cgroups in place after exit.
	Keep bool
}

// IDMap is one line of /proc/PID/uid_map: Size IDs from Inside map to
// Outside. See user_namespaces(7).
type IDMap struct {
	Inside, Outside, Size int
}

// Launcher plans and runs "run". Use NewLauncher.
type Launcher struct {
	procRoot string
	sysRoot  string
	self     string
	exec     Executor
	layout   *inspect.CgroupLayout
	editor   []Option
}

// LaunchOption configures a Launcher.
type LaunchOption func(*Launcher)

// WithLaunchProcRoot reads our own cgroups under root instead of /proc.
func WithLaunchProcRoot(root string) LaunchOption {
	return func(l *Launcher) { l.procRoot = filepath.Clean(root) }
}

// WithLaunchSysRoot finds cgroup mounts under root instead of /sys.
func WithLaunchSysRoot(root string) LaunchOption {
	return func(l *Launcher) { l.sysRoot = filepath.Clean(root) }
}

// WithLaunchLayout uses layout instead of detecting the cgroup layout.
func WithLaunchLayout(layout inspect.CgroupLayout) LaunchOption {
	return func(l *Launcher) { l.layout = &layout }
}

// WithLaunchExecutor starts the init through x; tests record it.
func WithLaunchExecutor(x Executor) LaunchOption { return func(l *Launcher) { l.exec = x } }

// WithLaunchEditorOptions passes opts to the Editor that writes the
// limits (e.g. WithJournalDir for tests).
func WithLaunchEditorOptions(opts ...Option) LaunchOption {
	return func(l *Launcher) { l.editor = append(l.editor, opts...) }
}

// WithLaunchHelper re-executes path as the init instead of
// /proc/self/exe. The binary must link package control/nsexec.
func WithLaunchHelper(path string) LaunchOption { return func(l *Launcher) { l.self = path } }

// NewLauncher returns a Launcher for the running host.
func NewLauncher(opts ...LaunchOption) *Launcher {
	l := &Launcher{procRoot: "/proc", sysRoot: "/sys", self: "/proc/self/exe", exec: OSExecutor{}}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Plan checks req and decides what to create. Errors for bad input are
// *ValueError values (errors.Is ErrInvalidValue) naming the input and
// what is allowed; nothing is created.
func (l *Launcher) Plan(req LaunchRequest) (*LaunchPlan, error) {
	if len(req.Command) == 0 || req.Command[0] == "" {
		return nil, invalid("command", "", "name a command to run")
	}
	if len(req.NS) > 0 && req.All {
		return nil, invalid("namespaces", nsList(req.NS), "choose either a list or all namespaces, not both")
	}
	plan := &LaunchPlan{Command: req.Command, Keep: req.Keep}

	wanted := req.NS
	switch {
	case req.All:
		wanted = inspect.AllNSTypes
	case len(wanted) == 0:
		wanted = DefaultLaunchNS
	}
	wanted = append(slices.Clone(wanted), inspect.PIDNS, inspect.MntNS)
	if req.MapRoot {
		wanted = append(wanted, inspect.UserNS)
	}
	for _, t := range inspect.AllNSTypes {
		if slices.Contains(wanted, t) {
			plan.NS = append(plan.NS, t)
		}
	}

	plan.Name = req.Name
	if plan.Name == "" {
		plan.Name = fmt.Sprintf("nscope-run-%d", os.Getpid())
	}
	if err := checkCgroupName(plan.Name); err != nil {
		return nil, err
	}
	if req.Hostname != "" && !slices.Contains(plan.NS, inspect.UTSNS) {
		return nil, invalid("hostname", req.Hostname, "needs a new UTS namespace: add uts to the namespaces")
	}
	if slices.Contains(plan.NS, inspect.UTSNS) {
		plan.Hostname = req.Hostname
		if plan.Hostname == "" {
			plan.Hostname = plan.Name
		}
		if err := checkHostname(plan.Hostname); err != nil {
			return nil, err
		}
	}
	if slices.Contains(plan.NS, inspect.UserNS) {
		uid, gid := os.Getuid(), os.Getgid()
		inUID, inGID := uid, gid
		if req.MapRoot {
			inUID, inGID = 0, 0
		}
		plan.UIDMap = &IDMap{Inside: inUID, Outside: uid, Size: 1}
		plan.GIDMap = &IDMap{Inside: inGID, Outside: gid, Size: 1}
	}

	limits, err := ParseLimits(req.CPU, req.Memory, req.Pids)
	if err != nil {
		return nil, err
	}
	plan.Limits = limits
	cgroups, err := l.planCgroups(req.CgroupParent, plan.Name)
	if err != nil {
		return nil, err
	}
	plan.Cgroups = cgroups
	layout, err := l.cgroupLayout()
	if err != nil {
		return nil, err
	}
	for _, c := range limitControllers(limits) {
		if layout.ForController(c) == nil {
			return nil, fmt.Errorf("cannot limit %s: no mounted cgroup hierarchy carries the %s controller (cgroup mode %s): %w",
				c, c, layout.Mode, ErrNoController)
		}
	}
	return plan, nil
}

// limitControllers lists the controllers the limits need.
func limitControllers(l Limits) []string {
	var out []string
	if l.CPU != nil {
		out = append(out, "cpu")
	}
	if l.MemoryMax != nil {
		out = append(out, "memory")
	}
	if l.PidsMax != nil {
		out = append(out, "pids")
	}
	return out
}

// limitsIn returns the part of l that hierarchy h carries.
func limitsIn(h inspect.Hierarchy, l Limits) Limits {
	var out Limits
	if h.Has("cpu") {
		out.CPU = l.CPU
	}
	if h.Has("memory") {
		out.MemoryMax = l.MemoryMax
	}
	if h.Has("pids") {
		out.PidsMax = l.PidsMax
	}
	return out
}

func nsList(types []inspect.NSType) string { return strings.Join(nsNames(types), ",") }

// checkCgroupName allows names that are one path component and cannot
// collide with a cgroup's own files (which all contain a dot after a
// controller name, like "cpu.max").
func checkCgroupName(name string) error {
	const allowed = "want 1–100 letters, digits, '-' and '_', starting with a letter or digit"
	if len(name) > 100 {
		return invalid("name", name, "too long; %s", allowed)
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || (i > 0 && (r == '-' || r == '_'))
		if !ok {
			return invalid("name", name, "%s", allowed)
		}
	}
	if name == "" {
		return invalid("name", name, "empty; %s", allowed)
	}
	return nil
}

// checkHostname allows what sethostname(2) takes and resolvers accept:
// at most 64 bytes of letters, digits, '-' and '.', no empty label.
func checkHostname(h string) error {
	const allowed = "want at most 64 letters, digits, '-' and '.', like web-1.test"
	if len(h) > 64 {
		return invalid("hostname", h, "too long; %s", allowed)
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return invalid("hostname", h, "%s", allowed)
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return invalid("hostname", h, "%s", allowed)
			}
		}
	}
	return nil
}
