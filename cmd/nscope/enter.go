package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nscope/nscope/control"
	// The C constructor that joins namespaces before the Go runtime starts
	// must be in the nscope binary, which re-executes itself to enter.
	_ "github.com/nscope/nscope/control/nsexec"
	"github.com/nscope/nscope/inspect"
)

// Exit codes of enter and run when nscope itself failed, as docker and
// shells use them: 125 setup failed, 126 not executable, 127 not found.
const (
	exitSetupFailed   = 125
	exitNotExecutable = 126
	exitNotFound      = 127
)

// enterFlags are the flags of "nscope enter".
type enterFlags struct {
	nsList     string
	all        bool
	hostTools  bool
	startTicks uint64
	user       string
	env        []string
	privileged bool
	dryRun     bool
	json       bool
}

func newEnterCmd() *cobra.Command {
	var ef enterFlags
	cmd := &cobra.Command{
		Use:   "enter PID [--ns LIST | --all] [--host-tools] [--user U] [--env K=V] [--privileged] [-- CMD [ARGS...]]",
		Short: "Run a command (default: a shell) inside a process's namespaces",
		Long: `Run a command inside the namespaces of process PID, like nsenter(1), or
like the runtime's exec when PID is in a container.

By default nscope joins every namespace in which PID differs from nscope
itself, takes its root and working directory, and joins its cgroup in every
hierarchy (v1 controllers and v2), so the target's limits apply to the
command. CMD defaults to a shell that exists inside the target: $SHELL,
/bin/bash, then /bin/sh.

When PID is in a container (docker, podman, runc, ...), the command takes
the target's identity as "docker exec" does: its uid, gid and
supplementary groups, its capability sets (effective, permitted,
inheritable, bounding, ambient) and no_new_privs, its seccomp filter
(copied with ptrace), its AppArmor or SELinux label, and its environment.
Whatever cannot be applied is printed as a warning before the command
runs. --privileged runs it as nscope's full root instead (with a warning);
--user runs it as another user of the target's /etc/passwd; --env adds or
overrides variables. For a plain process the command runs as root with a
clean environment: TERM, a standard PATH, and HOME from the target's
/etc/passwd.

The target is pinned with a pidfd and its start time checked, so a PID that
was reused in the meantime is refused, never entered. A frozen (paused)
target is refused: the command would freeze too.

--ns LIST joins only the listed types (mnt, pid, net, ipc, uts, user,
cgroup, time); the cgroups are joined only when LIST has cgroup.
--host-tools joins everything but the mount namespace and mounts a fresh
/proc of the target's pid namespace in a private copy of nscope's mounts:
the host's tools (ps, top, ip, ss, strace, tcpdump) with the target's view
of processes and network. They run as nscope's root.
--dry-run prints what would be joined and taken (--json for scripts).

Exit status: the command's; 125 when nscope could not enter, 126 when the
command cannot be run, 127 when it does not exist inside the target.`,
		Example: `  nscope enter 4242                      # a shell inside everything of 4242
  nscope enter 4242 --host-tools -- ps -ef
  nscope enter 4242 --user 0 --env DEBUG=1 -- sh
  nscope enter 4242 --ns net,uts -- hostname
  nscope enter 4242 --dry-run --json`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := enterRequest(cmd, args, ef)
			if err != nil {
				return err
			}
			if ef.json && !ef.dryRun {
				return usagef("--json prints the plan and goes with --dry-run")
			}
			if global.readOnly && !ef.dryRun {
				return fmt.Errorf("refusing to enter process %d: %w: --read-only is set, and enter runs a command inside another process's namespaces", req.PID, control.ErrReadOnly)
			}
			en := control.NewEnterer(control.WithEnterProcRoot(global.procRoot), control.WithEnterSysRoot(global.sysRoot),
				control.WithEnterContainers(newContainerFinder(cmd.Context())))
			plan, err := en.Plan(req)
			if err != nil {
				return enterExit(err)
			}
			if ef.dryRun {
				if ef.json {
					return writeJSON(cmd.OutOrStdout(), plan)
				}
				printEnterPlan(cmd.OutOrStdout(), plan)
				return nil
			}
			for _, w := range plan.Warnings {
				msgf(cmd.ErrOrStderr(), "nscope: warning: %s\n", w)
			}
			ec, err := en.Command(plan)
			if err != nil {
				return enterExit(err)
			}
			return enterExit(ec.Run())
		},
	}
	f := cmd.Flags()
	f.StringVar(&ef.nsList, "ns", "", "join only these namespace types, comma-separated: mnt,pid,net,ipc,uts,user,cgroup,time")
	f.BoolVar(&ef.all, "all", false, "join every namespace type (those already shared are skipped)")
	f.BoolVar(&ef.hostTools, "host-tools", false, "the host's tools with the target's view: all but the mount namespace, and a fresh /proc of its pid namespace")
	f.Uint64Var(&ef.startTicks, "start-time", 0, "refuse unless PID started at this time (field 22 of /proc/PID/stat, clock ticks after boot)")
	f.StringVarP(&ef.user, "user", "u", "", `run as this user of the target's /etc/passwd: NAME or UID, optionally ":GROUP" or ":GID"`)
	f.StringArrayVarP(&ef.env, "env", "e", nil, `set an environment variable: NAME=VALUE, or NAME for nscope's own value (repeatable)`)
	f.BoolVar(&ef.privileged, "privileged", false, "in a container, run as nscope's full root (every capability, no seccomp or LSM label) instead of the target's identity")
	f.BoolVar(&ef.dryRun, "dry-run", false, "print what would be joined and taken, and run nothing")
	f.BoolVar(&ef.json, "json", false, "with --dry-run, print the plan as JSON")
	return cmd
}

// enterRequest turns the command line into a request, or a usage error.
func enterRequest(cmd *cobra.Command, args []string, ef enterFlags) (control.EnterRequest, error) {
	nsList, all, hostTools, startTicks := ef.nsList, ef.all, ef.hostTools, ef.startTicks
	var req control.EnterRequest
	dash := cmd.ArgsLenAtDash()
	if dash < 0 && len(args) > 1 {
		return req, usagef("unexpected argument %q: put the command after --, as in: nscope enter %s -- %s", args[1], args[0], strings.Join(args[1:], " "))
	}
	if dash == 0 {
		return req, usagef("missing PID before --: nscope enter PID -- CMD")
	}
	if dash > 1 {
		return req, usagef("unexpected argument %q before --: nscope enter takes one PID", args[1])
	}
	pid, err := resolveEnterArg(cmd, args[0], &startTicks)
	if err != nil {
		return req, usagef("%v", err)
	}
	req.PID = pid
	req.StartTicks = startTicks
	if dash == 1 {
		req.Command = args[1:]
		if len(req.Command) == 0 {
			return req, usagef("nothing after --: name a command, or leave out -- for a shell")
		}
	}
	if cmd.Flags().Changed("ns") {
		if all {
			return req, usagef("--ns and --all exclude each other: --all joins every type")
		}
		types, err := inspect.ParseNSTypeList(nsList)
		if err != nil {
			return req, usagef("--ns: %v", err)
		}
		if hostTools && len(types) == 1 && types[0] == inspect.MntNS {
			return req, usagef("--ns mnt with --host-tools joins nothing: --host-tools keeps the host's mount namespace")
		}
		req.NS = types
	}
	if ef.privileged && ef.user != "" {
		return req, usagef("--privileged and --user exclude each other: --privileged runs as nscope's root")
	}
	req.All = all
	req.HostTools = hostTools
	req.Shell = os.Getenv("SHELL")
	req.User = ef.user
	req.Env = ef.env
	req.Privileged = ef.privileged
	return req, nil
}

// parsePID accepts a process ID written as /proc names it: decimal
// digits without a sign or a leading zero ("+5", "05", "0x1f" and " 5"
// are refused, not read as some other process).
func parsePID(s string) (int, error) {
	bad := fmt.Errorf("PID %q: want a process ID as ps shows it, a positive decimal number without sign or leading zeros", s)
	if s == "" || len(s) > 10 || s[0] == '0' {
		return 0, bad
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, bad
		}
	}
	pid, err := strconv.Atoi(s)
	if err != nil || pid <= 0 || pid > 1<<22 {
		return 0, bad
	}
	return pid, nil
}

// enterExit maps the result of an enter (or run) to nscope's exit status.
func enterExit(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, control.ErrBadRequest) {
		// Bad input, as a kernel thread for a target: exit 2.
		return usagef("%v", err)
	}
	var exit *control.ExitError
	if errors.As(err, &exit) {
		return &exitCodeError{code: exit.Code}
	}
	code := exitSetupFailed
	switch {
	case errors.Is(err, control.ErrCommandNotFound), errors.Is(err, control.ErrNoShell):
		code = exitNotFound
	case errors.Is(err, control.ErrCannotRun):
		code = exitNotExecutable
	}
	return &exitCodeError{code: code, msg: err.Error()}
}
