package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nscope/nscope/remote"
)

// remoteFlags are -H and the flags that go with it.
var remoteFlags struct {
	host    string
	install bool
	timeout time.Duration
}

// exitUnreachable is nscope's exit status when the remote host could not
// be reached or the connection was lost, as ssh uses it: a remote
// command's own status is passed through unchanged.
const exitUnreachable = 255

// addRemoteFlags adds -H and --install to the root command.
func addRemoteFlags(root *cobra.Command) {
	pf := root.PersistentFlags()
	pf.StringVarP(&remoteFlags.host, "host", "H", "", "run on [USER@]HOST[:PORT] through ssh (default $NSCOPE_HOST); several hosts, a,b or @FILE, open the fleet view")
	pf.DurationVar(&remoteFlags.timeout, "connect-timeout", 0, "with -H: how long a host may take to answer (default 90s for one host, which leaves time to type a password; 10s in the fleet view and for reconnections)")
	pf.BoolVar(&remoteFlags.install, "install", false, "with -H: copy this nscope binary to the remote user's cache and run it from there (for hosts without nscope)")
}

// localFlags stay on this side: they say where and how to connect.
var localFlags = map[string]bool{"host": true, "install": true, "connect-timeout": true}

// hostSpec is what -H (or NSCOPE_HOST) names, or "".
func hostSpec(cmd *cobra.Command) string {
	if f := cmd.Flags().Lookup("host"); f != nil && f.Changed {
		return remoteFlags.host
	}
	return os.Getenv("NSCOPE_HOST")
}

// parseHosts parses -H: hosts separated by commas, or @FILE with one host
// (or several, comma-separated) a line.
func parseHosts(spec string) ([]remote.Target, error) {
	data := []byte(spec)
	if name, ok := strings.CutPrefix(spec, "@"); ok {
		var err error
		if data, err = os.ReadFile(name); err != nil {
			return nil, usagef("-H @%s: %v", name, err)
		}
	}
	targets, err := remote.ParseTargetList(data)
	if err != nil {
		return nil, usagef("-H: %v", err)
	}
	return targets, nil
}

// localOnlyCommands never go to a remote host.
var localOnlyCommands = map[string]bool{"agent": true, "help": true, "completion": true, "__complete": true, "__completeNoDesc": true}

// readOnlyCommands only read the host: one whose connection drops before
// it printed anything is run again. Every other command may change the
// host and runs at most once (see remote.Command).
var readOnlyCommands = map[string]bool{"ps": true, "ns": true, "cg": true, "snapshot": true, "history": true, "containers": true, "events": true}

// forwardToHost runs cmd on the host -H names instead of here, when -H
// (or NSCOPE_HOST) is set, and ends nscope with its exit status. It is
// the root command's PersistentPreRunE: flags and arguments have been
// checked here first, so a usage error never needs a connection. The
// root command (the TUI) handles -H itself.
func forwardToHost(cmd *cobra.Command, args []string) error {
	for c := cmd; c.HasParent(); c = c.Parent() {
		if localOnlyCommands[c.Name()] {
			if f := cmd.Flags().Lookup("host"); c.Name() == "agent" && f != nil && f.Changed {
				return usagef("-H and agent: an agent serves one connection on its own host")
			}
			return nil
		}
	}
	spec := hostSpec(cmd)
	if spec == "" {
		if remoteFlags.install {
			return usagef("--install copies nscope to the host -H names; give -H")
		}
		return nil
	}
	if !cmd.HasParent() {
		return nil
	}
	targets, err := parseHosts(spec)
	if err != nil {
		return err
	}
	if len(targets) > 1 {
		if fleet := fleetCommands[cmd.Name()]; fleet != nil {
			return fleet(cmd, targets, args)
		}
		return usagef("'nscope %s' runs on one host, and -H names %d; the fleet view (nscope -H a,b) and 'nscope containers -H a,b' take several", cmd.Name(), len(targets))
	}
	rc := remote.Command{Args: forwardedArgs(cmd, args)}
	rc.Retry = readOnlyCommands[cmd.Name()]
	rc.Once = !rc.Retry
	out, err := localOutput(cmd, &rc)
	if err != nil {
		return err
	}
	code, err := runRemote(cmd, targets[0], rc, out)
	if err != nil {
		return &exitCodeError{code: exitUnreachable, msg: err.Error()}
	}
	return &exitCodeError{code: code}
}

// fleetCommands are the commands that take several hosts.
var fleetCommands = map[string]func(cmd *cobra.Command, targets []remote.Target, args []string) error{
	"containers": containersFleet,
}

// forwardedArgs rebuilds the command line for the remote from what cobra
// parsed here: the command's path, every flag that was set (as
// --name=value, so no value is mistaken for a flag), and the arguments,
// with -- where the user put it.
func forwardedArgs(cmd *cobra.Command, args []string) []string {
	var out []string
	for c := cmd; c.HasParent(); c = c.Parent() {
		out = append([]string{c.Name()}, out...)
	}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if localFlags[f.Name] {
			return
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				out = append(out, "--"+f.Name+"="+v)
			}
			return
		}
		out = append(out, "--"+f.Name+"="+f.Value.String())
	})
	if dash := cmd.ArgsLenAtDash(); dash >= 0 {
		out = append(out, args[:dash]...)
		out = append(out, "--")
		return append(out, args[dash:]...)
	}
	return append(out, args...)
}

// localOutput handles a command's --output FILE: the file is written
// here, from the remote command's standard output, not on the remote
// host. It takes the flag out of the forwarded arguments and returns the
// file to write to (nil for standard output).
func localOutput(cmd *cobra.Command, rc *remote.Command) (*os.File, error) {
	f := cmd.Flags().Lookup("output")
	if f == nil || !f.Changed || f.Value.Type() != "string" || f.Value.String() == "" || f.Value.String() == "-" {
		return nil, nil
	}
	drop := "--output=" + f.Value.String()
	for i, a := range rc.Args {
		if a == drop {
			rc.Args = append(rc.Args[:i:i], rc.Args[i+1:]...)
			break
		}
	}
	file, err := os.Create(f.Value.String())
	if err != nil {
		return nil, fmt.Errorf("--output: %w", err)
	}
	return file, nil
}
