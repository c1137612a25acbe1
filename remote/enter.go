package remote

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/nscope/nscope/control"
	"github.com/nscope/nscope/remote/wire"
)

// Enterer is the TUI's x action on a remote host: the remote agent plans
// which namespaces to join (its own view of the target), and the shell
// runs as "nscope -H HOST enter …" from this binary, which gives it a
// terminal there (see Dialer.Run) while the TUI is suspended.
type Enterer struct {
	s *Source
	// Self is this nscope binary.
	Self string
	// Flags reach the same host: -H and, when used, --install.
	Flags []string
}

// NewEnterer returns the enterer of s's host.
func NewEnterer(s *Source, self string, flags []string) *Enterer {
	return &Enterer{s: s, Self: self, Flags: flags}
}

// Plan asks the agent how it would enter req.PID.
func (e *Enterer) Plan(req control.EnterRequest) (*control.EnterPlan, error) {
	var plan control.EnterPlan
	if _, err := e.s.call(context.Background(), wire.RequestMsg{Op: wire.OpEnterPlan, Body: wire.Marshal(enterPlanRequest{Request: req})}, &plan); err != nil {
		return nil, e.s.explain(err)
	}
	return &plan, nil
}

// Enter plans req on the remote and returns the command that enters it
// there, pinned to the start time the agent read.
func (e *Enterer) Enter(req control.EnterRequest) (*control.EnterCmd, error) {
	plan, err := e.Plan(req)
	if err != nil {
		return nil, err
	}
	args := append(append([]string(nil), e.Flags...), EnterArgs(req, plan)...)
	return control.NewEnterer(control.WithEnterExecutor(&relaunch{path: e.Self, args: args})).Command(plan)
}

// EnterArgs is the enter command line for req as the agent planned it.
func EnterArgs(req control.EnterRequest, plan *control.EnterPlan) []string {
	args := []string{"enter", "--start-time=" + strconv.FormatUint(plan.StartTicks, 10)}
	switch {
	case req.All:
		args = append(args, "--all")
	case req.NS != nil:
		names := make([]string, len(req.NS))
		for i, t := range req.NS {
			names[i] = t.String()
		}
		args = append(args, "--ns="+strings.Join(names, ","))
	}
	if req.HostTools {
		args = append(args, "--host-tools")
	}
	args = append(args, strconv.Itoa(plan.PID), "--")
	return append(args, plan.Command...)
}

// relaunch runs this nscope with args instead of the enter helper the
// control package built: the helper would enter this host.
type relaunch struct {
	path string
	args []string
}

// Start starts "nscope -H HOST enter …" with the command's streams.
func (r *relaunch) Start(cmd *exec.Cmd) error {
	cmd.Path = r.path
	cmd.Args = append([]string{r.path}, r.args...)
	cmd.Env = os.Environ()
	// The helper's failure pipe stays here: the client reports failures
	// itself, on its standard error.
	cmd.ExtraFiles = nil
	return cmd.Start()
}

// Wait waits for it.
func (r *relaunch) Wait(cmd *exec.Cmd) error { return cmd.Wait() }
