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

func newEnterCmd() *cobra.Command {
	var (
		nsList     string
		all        bool
		hostTools  bool
		startTicks uint64
	)
	cmd := &cobra.Command{
		Use:   "enter PID [--ns LIST | --all] [--host-tools] [-- CMD [ARGS...]]",
		Short: "Run a command (default: a shell) inside a process's namespaces",
		Long: `Run a command inside the namespaces of process PID, like nsenter(1).

By default nscope joins every namespace in which PID differs from nscope
itself, takes its root and working directory and, on cgroup v2, joins its
cgroup. CMD defaults to a shell that exists inside the target: $SHELL,
/bin/bash, then /bin/sh. The command gets a clean environment: TERM, a
standard PATH, and HOME from the target's /etc/passwd.

The target is pinned with a pidfd and its start time checked, so a PID that
was reused in the meantime is refused, never entered.

--ns LIST joins only the listed types (mnt, pid, net, ipc, uts, user,
cgroup, time); the cgroup itself is joined only when LIST has cgroup.
--host-tools joins everything but the mount namespace, so the host's
debugging tools (ip, ss, strace, tcpdump) work inside the target's network
and pid view.

Exit status: the command's; 125 when nscope could not enter, 126 when the
command cannot be run, 127 when it does not exist inside the target.`,
		Example: `  nscope enter 4242                      # a shell inside everything of 4242
  nscope enter 4242 --host-tools -- ss -tlnp
  nscope enter 4242 --ns net,uts -- hostname`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := enterRequest(cmd, args, nsList, all, hostTools, startTicks)
			if err != nil {
				return err
			}
			if global.readOnly {
				return fmt.Errorf("refusing to enter process %d: %w: --read-only is set, and enter runs a command inside another process's namespaces", req.PID, control.ErrReadOnly)
			}
			ec, err := control.NewEnterer(control.WithEnterProcRoot(global.procRoot), control.WithEnterSysRoot(global.sysRoot)).Enter(req)
			if err != nil {
				return enterExit(err)
			}
			return enterExit(ec.Run())
		},
	}
	f := cmd.Flags()
	f.StringVar(&nsList, "ns", "", "join only these namespace types, comma-separated: mnt,pid,net,ipc,uts,user,cgroup,time")
	f.BoolVar(&all, "all", false, "join every namespace type (those already shared are skipped)")
	f.BoolVar(&hostTools, "host-tools", false, "join everything but the mount namespace, to use the host's tools inside")
	f.Uint64Var(&startTicks, "start-time", 0, "refuse unless PID started at this time (field 22 of /proc/PID/stat, clock ticks after boot)")
	return cmd
}

// enterRequest turns the command line into a request, or a usage error.
func enterRequest(cmd *cobra.Command, args []string, nsList string, all, hostTools bool, startTicks uint64) (control.EnterRequest, error) {
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
	pid, err := parsePID(args[0])
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
	req.All = all
	req.HostTools = hostTools
	req.Shell = os.Getenv("SHELL")
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
