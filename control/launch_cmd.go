package control

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/control/nsexec"
	"github.com/nscope/nscope/inspect"
)

// LaunchCmd runs a LaunchPlan: it creates the cgroups and writes the
// limits, starts the init (this binary again, whose nsexec constructor is
// the init) in the new namespaces, places it in the cgroups before it may
// go on, and removes the cgroups after the
// command exits (unless Keep). It satisfies Bubble Tea's ExecCommand (Run,
// SetStdin, SetStdout, SetStderr) for an interactive command; Start, PID
// and Wait suit a launch in the background.
type LaunchCmd struct {
	// Plan is what is launched.
	Plan *LaunchPlan
	// Cmd is the init's process; its SysProcAttr shows the clone flags.
	Cmd *exec.Cmd
	// Limits are the results of the limit writes, one per hierarchy.
	Limits []*Result
	// Background, set before Start, launches without the terminal: the
	// init gets a session of its own, the command is never the foreground
	// job, and signals sent to us are not passed on. For a launch that
	// keeps running while its caller (the TUI) owns the terminal; give it
	// stdin other than the terminal (SetStdin(nil) is /dev/null).
	Background bool
	// Swept are the cgroups of earlier launches whose nscope was killed
	// before it removed them, removed by Start; SweepErr says what could
	// not be. RecordErr says why this launch's cgroups are not journaled
	// (then a later launch cannot sweep them).
	Swept               []string
	SweepErr, RecordErr error

	l          *Launcher
	made       *madeCgroups
	ctlW       *os.File
	statusR    *os.File
	fg         *foreground
	sigs       chan os.Signal
	done       chan struct{}
	ctlMu      sync.Mutex
	initPID    int
	pid        int
	cleanupErr error
	waited     bool
	// record is the launch's "run" change in the journal.
	record *launchRecord
	// statusDone is closed when the init's status descriptor reached
	// EOF; ended is its last report ("exited"), if any.
	statusDone chan struct{}
	ended      *initStatus
	// thread forked the init and is kept until it is waited for (see
	// keptThread).
	thread *keptThread
}

// Command builds the launch of plan with the caller's stdin, stdout and
// stderr.
func (l *Launcher) Command(plan *LaunchPlan) (*LaunchCmd, error) {
	if plan == nil || len(plan.Command) == 0 {
		return nil, invalid("command", "", "name a command to run")
	}
	if !nsexec.Available() {
		return nil, &LaunchError{Step: "start", Kind: ErrNoHelper,
			Msg: "this nscope was built without cgo, so it has no init for launched commands; rebuild with CGO_ENABLED=1"}
	}
	cmd := &exec.Cmd{
		Path:   l.self,
		Args:   append([]string{"nscope-init"}, plan.Command...),
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
	}
	return &LaunchCmd{Plan: plan, Cmd: cmd, l: l}, nil
}

// Launch plans req and builds its command; see Plan and Command.
func (l *Launcher) Launch(req LaunchRequest) (*LaunchCmd, error) {
	plan, err := l.Plan(req)
	if err != nil {
		return nil, err
	}
	return l.Command(plan)
}

// SetStdin sets the command's standard input.
func (c *LaunchCmd) SetStdin(r io.Reader) { c.Cmd.Stdin = r }

// SetStdout sets the command's standard output.
func (c *LaunchCmd) SetStdout(w io.Writer) { c.Cmd.Stdout = w }

// SetStderr sets the command's standard error.
func (c *LaunchCmd) SetStderr(w io.Writer) { c.Cmd.Stderr = w }

// Run starts the command and waits for it: nil when it exited 0, an
// *ExitError when it ran and failed, a *LaunchError (or a cgroup error)
// when it could not be launched.
func (c *LaunchCmd) Run() error {
	if err := c.Start(); err != nil {
		return err
	}
	return c.Wait()
}

// PID returns the command's PID as we see it, once Start returned (0 if
// it already exited).
func (c *LaunchCmd) PID() int { return c.pid }

// InitPID returns the init's PID as we see it (PID 1 inside).
func (c *LaunchCmd) InitPID() int { return c.initPID }

// CleanupErr returns what went wrong removing the cgroups after Wait.
func (c *LaunchCmd) CleanupErr() error { return c.cleanupErr }

// Start creates the cgroups, writes the limits and starts the command. It
// returns once the command runs, or with the reason it could not; nothing
// it made is left behind then.
func (c *LaunchCmd) Start() error {
	plan := c.Plan
	c.sweepAndRecord()
	made, err := createCgroups(plan.Cgroups, c.v2Controllers())
	if err != nil {
		c.record.finish("not created", err)
		if errno := errnoOf(err); (errno == syscall.EACCES || errno == syscall.EPERM) && os.Geteuid() != 0 {
			return fmt.Errorf("launch: %w; nscope run makes a cgroup for the command: run it as root, "+
				"or give --cgroup-parent a cgroup delegated to you", err)
		}
		return fmt.Errorf("launch: %w", err)
	}
	c.made = made
	if err := c.applyLimits(context.Background()); err != nil {
		c.record.finish("removed", c.made.remove())
		return fmt.Errorf("launch: %w", err)
	}
	if err := c.startInit(); err != nil {
		c.record.finish("removed", c.made.remove())
		return err
	}
	return nil
}

// sweepAndRecord removes what earlier launches whose nscope was killed
// left behind (Swept), then journals the cgroups this launch creates
// (RecordErr says why not; the launch goes on without).
func (c *LaunchCmd) sweepAndRecord() {
	layout, err := c.l.cgroupLayout()
	if err != nil {
		c.RecordErr = err
		return
	}
	ed := New(layout, c.l.editor...)
	c.Swept, c.SweepErr = ed.SweepStaleLaunches()
	c.record, c.RecordErr = recordLaunch(ed, c.Plan, c.l.procRoot)
}

// v2Controllers are the controllers to enable for the new v2 cgroup.
func (c *LaunchCmd) v2Controllers() []string {
	var out []string
	for _, cg := range c.Plan.Cgroups {
		if cg.Hierarchy.Version != 2 {
			continue
		}
		for _, ctrl := range limitControllers(c.Plan.Limits) {
			if cg.Hierarchy.Has(ctrl) && !slices.Contains(out, ctrl) {
				out = append(out, ctrl)
			}
		}
	}
	return out
}

// applyLimits writes the limits through the Editor, hierarchy by
// hierarchy, at the new cgroup's path there.
func (c *LaunchCmd) applyLimits(ctx context.Context) error {
	if c.Plan.Limits.IsEmpty() {
		return nil
	}
	layout, err := c.l.cgroupLayout()
	if err != nil {
		return err
	}
	ed := New(layout, c.l.editor...)
	for _, cg := range c.Plan.Cgroups {
		sub := limitsIn(cg.Hierarchy, c.Plan.Limits)
		if sub.IsEmpty() {
			continue
		}
		h := cg.Hierarchy
		p, err := ed.Plan(Target{Path: cg.Path, Hierarchy: &h}, sub)
		if err != nil {
			return fmt.Errorf("limits for %s: %w", cg.Dir, err)
		}
		res, err := ed.Apply(ctx, p)
		if res != nil {
			c.Limits = append(c.Limits, res)
		}
		if err != nil {
			return fmt.Errorf("limits for %s: %w", cg.Dir, err)
		}
	}
	return nil
}

// cloneFlags are the namespaces the init is cloned into. Cgroup and time
// namespaces are unshared by the init later.
func cloneFlags(types []inspect.NSType) uintptr {
	var flags uintptr
	for _, t := range types {
		if t != inspect.CgroupNS && t != inspect.TimeNS {
			flags |= t.CloneFlag()
		}
	}
	return flags
}

func (c *LaunchCmd) startInit() error {
	plan := c.Plan
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("launch: control pipe: %w", err)
	}
	statusR, statusW, err := os.Pipe()
	if err != nil {
		ctlR.Close()
		ctlW.Close()
		return fmt.Errorf("launch: status pipe: %w", err)
	}
	c.ctlW, c.statusR = ctlW, statusR
	if !c.Background {
		c.fg = captureForeground()
	}
	req := nsexec.InitRequest{
		Mount:      true,
		UTS:        slices.Contains(plan.NS, inspect.UTSNS),
		Hostname:   plan.Hostname,
		Net:        slices.Contains(plan.NS, inspect.NetNS),
		CgroupNS:   slices.Contains(plan.NS, inspect.CgroupNS),
		TimeNS:     slices.Contains(plan.NS, inspect.TimeNS),
		Foreground: c.fg != nil,
	}
	initEnv, err := req.Env()
	if err != nil {
		c.fg.release()
		c.closePipes(ctlR, statusW)
		return fmt.Errorf("launch: %w", err)
	}
	c.Cmd.Env = append(launchEnv(os.Environ()), initEnv...)
	c.Cmd.ExtraFiles = []*os.File{ctlR, statusW}
	if c.fg != nil {
		c.Cmd.ExtraFiles = append(c.Cmd.ExtraFiles, c.fg.tty)
	}
	sys := &syscall.SysProcAttr{Cloneflags: cloneFlags(plan.NS), Pdeathsig: syscall.SIGKILL, Setsid: c.Background}
	if plan.UIDMap != nil && plan.GIDMap != nil {
		sys.UidMappings = []syscall.SysProcIDMap{{ContainerID: plan.UIDMap.Inside, HostID: plan.UIDMap.Outside, Size: plan.UIDMap.Size}}
		sys.GidMappings = []syscall.SysProcIDMap{{ContainerID: plan.GIDMap.Inside, HostID: plan.GIDMap.Outside, Size: plan.GIDMap.Size}}
		sys.GidMappingsEnableSetgroups = false
	}
	// Cgroup v2: born inside the cgroup (clone3 CLONE_INTO_CGROUP).
	var byWrite []LaunchCgroup
	var cgfd *os.File
	for _, cg := range plan.Cgroups {
		if cg.Hierarchy.Version == 2 && cgfd == nil {
			f, err := os.OpenFile(cg.Dir, os.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			if err != nil {
				c.closePipes(ctlR, statusW)
				return fmt.Errorf("launch: %w", &KernelError{Op: "open", Path: cg.Dir, Err: unwrapErrno(err)})
			}
			cgfd = f
			sys.UseCgroupFD, sys.CgroupFD = true, int(f.Fd())
			continue
		}
		byWrite = append(byWrite, cg)
	}
	c.Cmd.SysProcAttr = sys
	if !c.Background {
		c.sigs = make(chan os.Signal, 8)
		c.done = make(chan struct{})
		signal.Notify(c.sigs, syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM,
			syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM)
	}
	c.thread = newKeptThread()
	err = c.thread.do(func() error { return c.l.exec.Start(c.Cmd) })
	if err != nil && errors.Is(err, syscall.ENOSYS) && sys.UseCgroupFD {
		// No clone3 (before 5.7): hold the child like on v1 instead.
		sys.UseCgroupFD, sys.CgroupFD = false, 0
		byWrite = plan.Cgroups
		err = c.thread.do(func() error { return c.l.exec.Start(c.Cmd) })
	}
	if cgfd != nil {
		cgfd.Close()
	}
	ctlR.Close()
	statusW.Close()
	if err != nil {
		c.thread.release()
		c.stopSignals()
		c.closePipes()
		return startError(plan, err)
	}
	if c.Cmd.Process != nil {
		c.initPID = c.Cmd.Process.Pid
	} else {
		// An injected executor started nothing: there is no PID to
		// place ("0" would move the writer, us, into the cgroup).
		byWrite = nil
	}
	// Cgroup v1: the init waits on the control pipe until it is in every
	// hierarchy.
	if err := placeByWrite(byWrite, c.initPID); err != nil {
		c.abort()
		return fmt.Errorf("launch: place the init in its cgroups: %w", err)
	}
	c.ctlMu.Lock()
	_, _ = c.ctlW.Write([]byte{'g'}) // EPIPE: the init died; its status says why
	c.ctlMu.Unlock()

	status := bufio.NewReader(c.statusR)
	line, rerr := status.ReadString('\n')
	st, perr := parseInitStatus(line)
	if rerr != nil || perr != nil || st.Kind != "started" {
		werr := c.l.exec.Wait(c.Cmd)
		c.thread.release()
		c.stopSignals()
		c.fg.restore()
		c.fg.release()
		c.closePipes()
		if st.Kind == "error" {
			return initError(st)
		}
		return &LaunchError{Step: "start", Msg: fmt.Sprintf("launch: the init ended before it started %s (%v)", plan.Command[0], exitErrorOf(werr))}
	}
	c.pid = firstChild(c.initPID)
	c.statusDone = make(chan struct{})
	go c.watchStatus(status)
	if c.sigs != nil {
		go c.forwardSignals(c.sigs, c.done)
	}
	return nil
}

// Wait waits for the command, hands the terminal back, and removes the
// cgroups unless the plan keeps them (see CleanupErr).
func (c *LaunchCmd) Wait() error {
	if c.waited {
		return errors.New("launch: Wait called twice")
	}
	c.waited = true
	err := c.l.exec.Wait(c.Cmd)
	if c.thread != nil {
		c.thread.release()
	}
	c.stopSignals()
	if c.statusDone != nil {
		<-c.statusDone // the init is gone: its descriptor is at EOF
	}
	c.fg.restore()
	c.fg.release()
	c.closePipes()
	if !c.Plan.Keep {
		c.cleanupErr = c.made.remove()
		c.record.finish("removed", c.cleanupErr)
	} else {
		c.record.finish("kept", nil)
	}
	err = exitErrorOf(err)
	var ee *ExitError
	if errors.As(err, &ee) && c.ended != nil && c.ended.Signal != 0 && ee.Code == c.ended.Code {
		// The init exits 128+N for a command killed by signal N.
		ee.Signal = c.ended.Signal
	}
	return err
}

// abort kills the init before it ran the command, and cleans up.
func (c *LaunchCmd) abort() {
	if c.Cmd.Process != nil {
		_ = c.Cmd.Process.Kill()
	}
	_ = c.l.exec.Wait(c.Cmd)
	c.thread.release()
	c.stopSignals()
	c.fg.release()
	c.closePipes()
}

func (c *LaunchCmd) closePipes(extra ...*os.File) {
	for _, f := range append(extra, c.ctlW, c.statusR) {
		if f != nil {
			f.Close()
		}
	}
}

// watchStatus follows the init's later reports and our job control.
// When the command is stopped from the terminal (^Z), we stop too, so the
// caller's shell sees a stopped job. Whenever we are continued (the shell's
// fg or bg), we tell the init to continue the command: in the foreground,
// with the terminal, if we are the foreground job.
func (c *LaunchCmd) watchStatus(r *bufio.Reader) {
	defer close(c.statusDone)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			st, err := parseInitStatus(line)
			switch {
			case err != nil:
			case st.Kind == "stopped":
				stopped <- struct{}{}
			case st.Kind == "exited":
				c.ended = &st
			}
		}
	}()
	if c.fg == nil {
		for range stopped {
		}
		return
	}
	cont := make(chan os.Signal, 1)
	signal.Notify(cont, syscall.SIGCONT)
	defer signal.Stop(cont)
	for {
		select {
		case _, ok := <-stopped:
			if !ok {
				return
			}
			c.fg.restore()
			_ = syscall.Kill(os.Getpid(), syscall.SIGSTOP)
		case <-cont:
			cmd := byte('b')
			if c.fg.isForeground() {
				cmd = 'f'
			}
			c.ctlMu.Lock()
			_, _ = c.ctlW.Write([]byte{cmd})
			c.ctlMu.Unlock()
		}
	}
}

// forwardSignals passes what we receive on to the init, which passes it
// to the command. Terminal signals do not reach us when the command is the
// foreground job, so nothing arrives twice.
func (c *LaunchCmd) forwardSignals(sigs <-chan os.Signal, done <-chan struct{}) {
	for {
		select {
		case <-done:
			return
		case sig := <-sigs:
			if c.Cmd.Process != nil {
				_ = c.Cmd.Process.Signal(sig)
			}
		}
	}
}

func (c *LaunchCmd) stopSignals() {
	if c.sigs == nil {
		return
	}
	signal.Stop(c.sigs)
	close(c.done)
	c.sigs = nil
}

// launchEnv is our environment without the variables that steer nscope's
// re-executions.
func launchEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, nsexec.EnvMode) || strings.HasPrefix(k, "_NSCOPE_INIT_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// firstChild returns the first child of pid's main thread (the init forks
// the command from it), or 0.
func firstChild(pid int) int {
	if pid <= 0 {
		return 0
	}
	data, err := readProcFile("/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(pid) + "/children")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(data))
	if len(fields) == 0 {
		return 0
	}
	child, _ := strconv.Atoi(fields[0])
	return child
}
