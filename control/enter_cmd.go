package control

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/control/nsexec"
)

// enterPath is the PATH commands inside the target are searched in: the
// target's own environment is not ours to read, and ours names host paths.
const enterPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// EnterCmd runs an EnterPlan: it re-executes this binary, whose nsexec
// constructor joins the target and execs the command. It satisfies Bubble
// Tea's ExecCommand interface (Run, SetStdin, SetStdout, SetStderr), so the
// TUI can hand it to tea.Exec and get the terminal back afterwards.
type EnterCmd struct {
	// Plan is what will be joined and run.
	Plan *EnterPlan
	// Cmd is the helper's process; its Args and Env show what runs.
	Cmd *exec.Cmd

	exec  Executor
	errR  *os.File
	errW  *os.File
	fg    *foreground
	sigs  chan os.Signal
	done  chan struct{}
	start error
}

// Command builds the helper command for plan, with the caller's stdin,
// stdout and stderr. The command gets plan.Env as its whole environment
// (for a target in a container, plus TERM from ours when stdin is a
// terminal, as docker exec -t sets one).
func (e *Enterer) Command(plan *EnterPlan) (*EnterCmd, error) {
	if !nsexec.Available() {
		return nil, &EnterError{PID: plan.PID, Kind: ErrNoHelper,
			Msg: "this nscope was built without cgo, so it cannot enter mount, user or time namespaces; rebuild with CGO_ENABLED=1"}
	}
	if len(plan.Command) == 0 {
		return nil, &EnterError{PID: plan.PID, Kind: ErrBadRequest, Msg: "no command to run"}
	}
	req := nsexec.Request{
		PID:        plan.PID,
		StartTicks: plan.StartTicks,
		NS:         nsNames(plan.Join),
		Root:       plan.Root,
		ErrFD:      3, // the first of ExtraFiles
		ConfigFD:   4, // the second
	}
	env, err := req.Env()
	if err != nil {
		return nil, fmt.Errorf("enter %d: %w", plan.PID, err)
	}
	// Checked now, so that a bad plan fails before anything starts.
	if _, err := plan.config(false).Marshal(); err != nil {
		return nil, fmt.Errorf("enter %d: %w", plan.PID, err)
	}
	// The helper itself runs with only its own variables and PATH: the
	// command's environment travels in the config.
	env = append(env, "PATH="+enterPath)
	cmd := &exec.Cmd{
		Path:   e.self,
		Args:   append([]string{"nscope-enter"}, plan.Command...),
		Env:    env,
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
	}
	return &EnterCmd{Plan: plan, Cmd: cmd, exec: e.exec}, nil
}

// SetStdin sets the command's standard input.
func (c *EnterCmd) SetStdin(r io.Reader) { c.Cmd.Stdin = r }

// SetStdout sets the command's standard output.
func (c *EnterCmd) SetStdout(w io.Writer) { c.Cmd.Stdout = w }

// SetStderr sets the command's standard error.
func (c *EnterCmd) SetStderr(w io.Writer) { c.Cmd.Stderr = w }

// Run starts the command and waits for it. It returns nil when the command
// exited 0, an *ExitError when it ran and failed, and an *EnterError when
// the target could not be entered.
func (c *EnterCmd) Run() error {
	if err := c.Start(); err != nil {
		return err
	}
	return c.Wait()
}

// Start starts the helper and returns once the command runs inside the
// target, or with an *EnterError when entering failed (the helper has then
// been reaped).
func (c *EnterCmd) Start() error {
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("enter %d: error pipe: %w", c.Plan.PID, err)
	}
	c.errR, c.errW = r, w
	cfg, err := c.configFile()
	if err != nil {
		r.Close()
		w.Close()
		return fmt.Errorf("enter %d: %w", c.Plan.PID, err)
	}
	defer cfg.Close()
	c.Cmd.ExtraFiles = []*os.File{w, cfg}
	c.fg = captureForeground()
	// Forward what a caller sends us on purpose; swallow the terminal's
	// ^C and ^\ (they reach the command's process group directly), so
	// that nscope outlives an interrupted shell.
	c.sigs = make(chan os.Signal, 4)
	c.done = make(chan struct{})
	signal.Notify(c.sigs, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGHUP)
	if err := c.exec.Start(c.Cmd); err != nil {
		c.stopSignals()
		c.fg.release()
		r.Close()
		w.Close()
		return fmt.Errorf("enter %d: start helper %s: %w", c.Plan.PID, c.Cmd.Path, err)
	}
	w.Close()
	go c.forwardSignals(c.sigs, c.done)
	report, _ := io.ReadAll(io.LimitReader(r, 4096))
	r.Close()
	f, perr := nsexec.ParseFailure(report)
	if perr == nil && f == nil {
		return nil
	}
	// The helper failed before the command ran; reap it.
	_ = c.exec.Wait(c.Cmd)
	c.stopSignals()
	c.fg.restore()
	c.fg.release()
	if perr != nil {
		c.start = &EnterError{PID: c.Plan.PID, Msg: fmt.Sprintf("enter %d: %v", c.Plan.PID, perr)}
	} else {
		c.start = failureError(c.Plan, f)
	}
	return c.start
}

// Wait waits for the command; see Run for the result.
func (c *EnterCmd) Wait() error {
	if c.start != nil {
		return c.start
	}
	err := c.exec.Wait(c.Cmd)
	c.stopSignals()
	c.fg.restore()
	c.fg.release()
	return exitErrorOf(err)
}

func (c *EnterCmd) forwardSignals(sigs <-chan os.Signal, done <-chan struct{}) {
	for {
		select {
		case <-done:
			return
		case sig := <-sigs:
			if c.fg != nil && (sig == syscall.SIGINT || sig == syscall.SIGQUIT) {
				continue
			}
			if c.Cmd.Process != nil {
				_ = c.Cmd.Process.Signal(sig)
			}
		}
	}
}

func (c *EnterCmd) stopSignals() {
	if c.sigs == nil {
		return
	}
	signal.Stop(c.sigs)
	close(c.done)
	c.sigs = nil
}

// config is the helper's config for the plan; withTerm adds the caller's
// TERM for a target's environment.
func (p *EnterPlan) config(withTerm bool) *nsexec.Config {
	cfg := &nsexec.Config{CgroupProcs: p.procsFiles(), HostProc: p.HostProc, ExactEnv: true, Env: slices.Clone(p.Env)}
	if withTerm && p.envTerm {
		if term, ok := os.LookupEnv("TERM"); ok && checkEnvEntry("TERM="+term) == nil {
			cfg.Env = setEnv(cfg.Env, "TERM="+term)
		}
	}
	if id := p.Identity; id != nil {
		ci := &nsexec.Identity{UID: uint32(id.UID), GID: uint32(id.GID), SetGroups: id.SetGroups, NoNewPrivs: id.NoNewPrivs, LSM: id.LSM, Seccomp: id.Seccomp}
		for _, g := range id.Groups {
			ci.Groups = append(ci.Groups, uint32(g))
		}
		if k := id.Caps; k != nil {
			ci.Caps = &nsexec.Caps{Effective: k.Effective, Permitted: k.Permitted, Inheritable: k.Inheritable, Bounding: k.Bounding, Ambient: k.Ambient}
		}
		cfg.Identity = ci
	}
	return cfg
}

// configFile writes the helper's config to a sealed-off memory file.
func (c *EnterCmd) configFile() (*os.File, error) {
	data, err := c.Plan.config(isTerminal(c.Cmd.Stdin)).Marshal()
	if err != nil {
		return nil, err
	}
	fd, err := unix.MemfdCreate("nscope-enter-config", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("config memfd: %w", err)
	}
	f := os.NewFile(uintptr(fd), "nscope-enter-config")
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, fmt.Errorf("write config: %w", err)
	}
	return f, nil
}

// isTerminal reports whether r is a terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok || f == nil {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
