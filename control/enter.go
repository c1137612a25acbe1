package control

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/nscope/nscope/control/nsexec"
	"github.com/nscope/nscope/inspect"
)

// EnterRequest is what a caller asks of "enter": the values of the CLI's
// flags or of the TUI's checklist.
type EnterRequest struct {
	// PID is the target process, as seen from our pid namespace.
	PID int
	// StartTicks, when non-zero, is the target's start time (field 22 of
	// /proc/PID/stat, clock ticks after boot) as the caller saw it; a
	// process with that PID but another start time is refused, so a PID
	// reused since the caller looked is never entered. Zero reads it now.
	StartTicks uint64
	// StartedAt, when not zero and StartTicks is, is the target's start
	// time as inspect reports it (Process.StartTime: boot time plus start
	// ticks at 100 per second), for callers holding a snapshot, like the
	// TUI. It is checked the same way.
	StartedAt time.Time
	// NS lists the namespace types to join. Nil means the default: every
	// type in which the target differs from us.
	NS []inspect.NSType
	// All joins every namespace type (those already shared are skipped).
	All bool
	// HostTools joins everything but the mount namespace and gives the
	// command a private copy of nscope's mounts with a fresh /proc of the
	// target's pid namespace: the host's debugging tools with the target's
	// view of processes and network. The root and working directory stay
	// ours.
	HostTools bool
	// Privileged runs the command as nscope's full root even when the
	// target is in a container (today's nsenter-like behaviour), instead
	// of taking the target's identity.
	Privileged bool
	// User, when set, runs the command as this user of the target's
	// /etc/passwd and /etc/group: "uid", "uid:gid", "name", "name:group",
	// as docker exec --user takes it.
	User string
	// Env adds to or overrides the command's environment: "NAME=VALUE",
	// or "NAME" for the value of nscope's own NAME (dropped when unset).
	Env []string
	// Container, when set, is the container the caller knows the target
	// belongs to (from its snapshot); else the Enterer's ContainerFinder
	// is asked.
	Container *EnterContainer
	// Command is what runs inside; empty means a shell that exists inside
	// the target: Shell, /bin/bash, /bin/sh, in that order.
	Command []string
	// Shell is the caller's $SHELL, tried first for the default command.
	Shell string
}

// EnterPlan is a checked EnterRequest: exactly what will be joined and run.
type EnterPlan struct {
	// PID and StartTicks pin the target (see EnterRequest).
	PID        int    `json:"pid"`
	StartTicks uint64 `json:"start_ticks"`
	// Join are the namespace types to join: requested and different from
	// ours, in display order.
	Join []inspect.NSType `json:"join"`
	// Shared are requested types we already share with the target.
	Shared []inspect.NSType `json:"shared"`
	// Root chroots to the target's root and chdirs to its working
	// directory; true when the mount namespace is joined.
	Root bool `json:"root"`
	// Cgroups are the target's cgroups, one per hierarchy it is in (v1
	// controllers, named hierarchies and v2); those not Same are joined.
	// Nil when the request leaves the cgroups alone (an explicit --ns list
	// without cgroup). CgroupNotes say which could not be joined.
	Cgroups     []EnterCgroup `json:"cgroups"`
	CgroupNotes []string      `json:"cgroup_notes,omitempty"`
	// HostProc gives the command private mounts with a fresh /proc of the
	// target's pid namespace (host tools).
	HostProc bool `json:"host_proc,omitempty"`
	// Container is the container the target belongs to, when the caller
	// could tell (see WithEnterContainers).
	Container *EnterContainer `json:"container,omitempty"`
	// Identity is who the command runs as: the target's user, groups,
	// capabilities, no_new_privs, LSM label, seccomp filter and
	// environment (like the runtime's exec), or a --user. Nil means
	// nscope's full root (root of a joined user namespace).
	Identity *EnterIdentity `json:"identity,omitempty"`
	// Privileged is set when the caller asked for full root in a
	// container (--privileged).
	Privileged bool `json:"privileged,omitempty"`
	// Env is the command's whole environment.
	Env []string `json:"env"`
	// Warnings say, before anything runs, what of the target cannot be
	// applied and what the command runs without.
	Warnings []string `json:"warnings,omitempty"`
	// Command is what runs; ShellTried lists the shells looked for when
	// Command was the default.
	Command    []string `json:"command"`
	ShellTried []string `json:"shell_tried,omitempty"`
	// envTerm is set when TERM comes from the caller's terminal at start.
	envTerm bool
}

// Enterer plans and runs "enter". The zero value is not usable; use
// NewEnterer.
type Enterer struct {
	procRoot   string
	sysRoot    string
	self       string
	exec       Executor
	layout     *inspect.CgroupLayout
	containers ContainerFinder
	// seccomp reads a process's seccomp filters; tests replace it.
	seccomp func(pid int) ([]nsexec.SeccompFilter, error)
}

// EnterOption configures an Enterer.
type EnterOption func(*Enterer)

// WithEnterProcRoot reads processes under root instead of /proc (planning
// only: the helper always uses the real /proc).
func WithEnterProcRoot(root string) EnterOption {
	return func(e *Enterer) { e.procRoot = filepath.Clean(root) }
}

// WithEnterSysRoot finds cgroup mounts under root instead of /sys.
func WithEnterSysRoot(root string) EnterOption {
	return func(e *Enterer) { e.sysRoot = filepath.Clean(root) }
}

// WithEnterExecutor runs the helper through x instead of starting a real
// process; tests record what would have run.
func WithEnterExecutor(x Executor) EnterOption { return func(e *Enterer) { e.exec = x } }

// WithEnterHelper re-executes path instead of /proc/self/exe. The binary
// must link package control/nsexec.
func WithEnterHelper(path string) EnterOption { return func(e *Enterer) { e.self = path } }

// WithEnterLayout uses layout instead of detecting the cgroup layout.
func WithEnterLayout(layout inspect.CgroupLayout) EnterOption {
	return func(e *Enterer) { e.layout = &layout }
}

// WithEnterContainers tells the Enterer which container a process
// belongs to; without it every target is a plain process (full root).
func WithEnterContainers(f ContainerFinder) EnterOption {
	return func(e *Enterer) { e.containers = f }
}

// NewEnterer returns an Enterer for the running host.
func NewEnterer(opts ...EnterOption) *Enterer {
	e := &Enterer{procRoot: "/proc", sysRoot: "/sys", self: "/proc/self/exe", exec: OSExecutor{}, seccomp: ReadSeccompFilters}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Plan checks req against the live target and decides what to join and
// run. Errors are *EnterError values in plain words.
func (e *Enterer) Plan(req EnterRequest) (*EnterPlan, error) {
	if req.PID <= 0 {
		return nil, &EnterError{PID: req.PID, Kind: ErrBadRequest,
			Msg: fmt.Sprintf("invalid PID %d: a process ID is a positive number", req.PID)}
	}
	if len(req.NS) > 0 && req.All {
		return nil, &EnterError{PID: req.PID, Kind: ErrBadRequest,
			Msg: "choose either a namespace list or all namespaces, not both"}
	}
	if req.Privileged && req.User != "" {
		return nil, &EnterError{PID: req.PID, Kind: ErrBadRequest,
			Msg: "choose either --privileged (nscope's full root) or --user, not both"}
	}
	if err := checkEnvRequest(req.PID, req.Env); err != nil {
		return nil, err
	}
	plan := &EnterPlan{PID: req.PID, StartTicks: req.StartTicks}
	st, err := readStat(e.procRoot, req.PID)
	if err != nil {
		return nil, procError(req.PID, "read the start time", err)
	}
	start := st.StartTime
	if st.Flags&pfKthread != 0 {
		// Its namespaces are the host's initial ones and it has no user
		// space: "entering" would run the command on the host, in
		// nscope's own working directory.
		return nil, &EnterError{PID: req.PID, Kind: ErrBadRequest,
			Msg: fmt.Sprintf("process %d (%s) is a kernel thread: it has no user space or namespaces of its own to enter; choose a user process", req.PID, st.Comm)}
	}
	if req.StartTicks == 0 && !req.StartedAt.IsZero() {
		want, err := ticksSinceBoot(e.procRoot, req.StartedAt)
		if err != nil {
			return nil, fmt.Errorf("enter %d: %w", req.PID, err)
		}
		req.StartTicks = want
	}
	if req.StartTicks != 0 && start != req.StartTicks {
		return nil, replacedError(req.PID, start, req.StartTicks)
	}
	plan.StartTicks = start

	theirs, err := readNSIDs(e.procRoot, pidDir(req.PID))
	if err != nil {
		return nil, procError(req.PID, "read the namespaces", err)
	}
	ours, err := readNSIDs(e.procRoot, "self")
	if err != nil {
		return nil, fmt.Errorf("read our own namespaces: %w", err)
	}

	wanted, explicit := req.NS, true
	if req.All {
		wanted = inspect.AllNSTypes
	} else if len(wanted) == 0 {
		wanted, explicit = inspect.AllNSTypes, false
	}
	for _, t := range wanted {
		if t == inspect.MntNS && req.HostTools {
			continue
		}
		id := theirs[t]
		if id.IsZero() {
			if explicit {
				return nil, missingNSError(req.PID, t)
			}
			continue // the kernel lacks this type (time before 5.6)
		}
		if id == ours[t] {
			plan.Shared = append(plan.Shared, t)
			continue
		}
		plan.Join = append(plan.Join, t)
	}
	// The target's root and working directory come with its mount
	// namespace, or alone when it shares ours but is chrooted.
	if !req.HostTools && slices.Contains(wanted, inspect.MntNS) {
		plan.Root = slices.Contains(plan.Join, inspect.MntNS) || e.rootDiffers(req.PID)
	}

	// The cgroup membership goes with the default, --all and --host-tools,
	// and with an explicit list only when it names the cgroup namespace.
	if !explicit || req.All || slices.Contains(req.NS, inspect.CgroupNS) {
		if err := e.planCgroups(plan); err != nil {
			return nil, err
		}
		if err := e.refuseFrozen(plan); err != nil {
			return nil, err
		}
	}
	plan.HostProc = req.HostTools
	plan.Container = req.Container
	if plan.Container == nil && e.containers != nil && len(plan.Join) > 0 {
		c, err := e.containers.ContainerOf(req.PID)
		if err != nil {
			plan.Warnings = append(plan.Warnings, fmt.Sprintf("could not tell whether process %d is in a container (%v): entered as a plain process, as root", req.PID, err))
		}
		plan.Container = c
	}
	if err := e.planIdentity(plan, req); err != nil {
		return nil, err
	}

	plan.Command = req.Command
	if len(plan.Command) == 0 {
		root := "/"
		if plan.Root {
			root = filepath.Join(e.procRoot, pidDir(req.PID), "root")
		}
		shell, tried, err := findShell(root, req.Shell)
		plan.ShellTried = tried
		if err != nil {
			return nil, noShellError(req.PID, tried, err)
		}
		plan.Command = []string{shell}
	}
	return plan, nil
}

// rootDiffers reports whether the target's root directory is not ours, as
// for a chrooted process in our own mount namespace.
func (e *Enterer) rootDiffers(pid int) bool {
	theirs, err1 := os.Stat(filepath.Join(e.procRoot, pidDir(pid), "root"))
	ours, err2 := os.Stat(filepath.Join(e.procRoot, "self", "root"))
	if err1 != nil || err2 != nil {
		return false
	}
	return !os.SameFile(theirs, ours)
}

// nsNames returns the kernel names of types ("net", "pid", ...).
func nsNames(types []inspect.NSType) []string {
	out := make([]string, len(types))
	for i, t := range types {
		out[i] = t.String()
	}
	return out
}

// Enter plans req and builds the command that runs it; see Plan and
// (*Enterer).Command.
func (e *Enterer) Enter(req EnterRequest) (*EnterCmd, error) {
	plan, err := e.Plan(req)
	if err != nil {
		return nil, err
	}
	return e.Command(plan)
}
