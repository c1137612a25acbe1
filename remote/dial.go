package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nscope/nscope/remote/wire"
)

// DefaultConnectTimeout bounds how long a connection may take to answer
// the hello when the caller sets no timeout: long enough to type a
// password or a key's passphrase.
const DefaultConnectTimeout = 90 * time.Second

// Dialer starts "nscope agent" on a host through the system ssh client,
// so the user's ~/.ssh/config, keys, agent and ProxyJump apply; nscope
// never reads them itself.
type Dialer struct {
	// SSHCommand replaces "ssh": a shell command line given the ssh
	// arguments after it, like GIT_SSH_COMMAND (NSCOPE_SSH_COMMAND, e.g.
	// "ssh -F ~/.ssh/lab_config").
	SSHCommand string
	// RemoteBinary is the nscope binary on the remote (default "nscope",
	// found on the remote PATH).
	RemoteBinary string
	// ConnectTimeout bounds ssh's connection and the agent's hello
	// (default DefaultConnectTimeout).
	ConnectTimeout time.Duration
	// BatchMode keeps ssh from asking for passwords or passphrases: for
	// fleet scans, where many hosts connect at once.
	BatchMode bool
	// Install, when set, is a local nscope binary (this one) to run on
	// the remote: from the remote user's cache when a copy with its
	// sha256 is there, else copied there first (--install).
	Install string
	// OnInstall is told about every copy made.
	OnInstall func(Installed)

	binOnce sync.Once
	bin     localBinary
	binErr  error
}

// sshArgs is the argument list after "ssh" for target t running command.
func (d *Dialer) sshArgs(t Target, command string) []string {
	args := []string{"-T"}
	if d.BatchMode {
		args = append(args, "-o", "BatchMode=yes")
	}
	if d.ConnectTimeout > 0 {
		secs := int((d.ConnectTimeout + time.Second - 1) / time.Second)
		args = append(args, "-o", "ConnectTimeout="+strconv.Itoa(secs))
	}
	if t.Port != 0 {
		args = append(args, "-p", strconv.Itoa(t.Port))
	}
	if t.User != "" {
		args = append(args, "-l", t.User)
	}
	return append(args, "--", t.Host, command)
}

// sshCommand returns the local command that runs ssh with args. It goes
// through sh so that ssh starts with SIGINT and SIGQUIT ignored (ssh
// keeps a signal ignored at its start): a ^C at nscope's terminal is
// passed to the remote command by nscope, and must not end the
// connection under a change in flight.
func (d *Dialer) sshCommand(ctx context.Context, args []string) *exec.Cmd {
	ssh := "ssh"
	if d.SSHCommand != "" {
		ssh = d.SSHCommand
	}
	script := "trap '' INT QUIT; exec " + ssh + ` "$@"`
	cmd := exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", script, "nscope-ssh"}, args...)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGKILL) }
	return cmd
}

// remoteCommand is the command the remote shell runs.
func (d *Dialer) remoteCommand() string {
	if d.RemoteBinary != "" {
		return "exec " + shellQuote(d.RemoteBinary) + " agent"
	}
	return "exec nscope agent"
}

// Conn is a connection to an agent.
type Conn struct {
	// Target is the host as the user named it.
	Target Target
	// Peer is the agent's hello: its version, platform, host name, user.
	Peer wire.HelloMsg
	// Protocol is the version both sides speak.
	Protocol int

	m      *mux
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *tailBuffer
	waited chan struct{}
	once   sync.Once
}

// Dial connects to t and exchanges hellos. Its errors say in plain words
// what went wrong: ssh could not connect (with ssh's own message), nscope
// is missing or too old on the remote, the remote answered with
// something else, or nothing answered within the timeout.
func (d *Dialer) Dial(ctx context.Context, t Target) (*Conn, error) {
	if d.Install == "" {
		return d.dial(ctx, t, d.remoteCommand())
	}
	b, err := d.binary()
	if err != nil {
		return nil, err
	}
	c, err := d.dial(ctx, t, installCommand(b))
	var de *DialError
	if !errors.As(err, &de) || de.machine == "" {
		return c, explainInstalled(err, b)
	}
	if err := d.install(ctx, t, b, de.machine); err != nil {
		return nil, &DialError{Target: t, Kind: NoAgent, Err: err}
	}
	c, err = d.dial(ctx, t, installCommand(b))
	return c, explainInstalled(err, b)
}

// explainInstalled adds to an installed copy's failure to start that a
// dynamically linked nscope needs the remote's C library to match.
func explainInstalled(err error, b localBinary) error {
	var de *DialError
	if err == nil || !b.dynamic || !errors.As(err, &de) || de.Kind == Unreachable || de.Kind == VersionMismatch {
		return err
	}
	return fmt.Errorf("%w (the copy of this nscope is dynamically linked; build a static one with 'make static' and use --install from it)", err)
}

// dial starts command on t through ssh and exchanges hellos.
func (d *Dialer) dial(ctx context.Context, t Target, command string) (*Conn, error) {
	timeout := d.ConnectTimeout
	if timeout <= 0 {
		timeout = DefaultConnectTimeout
	}
	cmd := d.sshCommand(context.WithoutCancel(ctx), d.sshArgs(t, command))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	errBuf := &tailBuffer{max: 16 << 10}
	cmd.Stderr = errBuf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: start ssh: %w", t, err)
	}
	c := &Conn{Target: t, cmd: cmd, stdin: stdin, stderr: errBuf, waited: make(chan struct{})}
	exitErr := make(chan error, 1)
	go func() {
		exitErr <- cmd.Wait()
		close(c.waited)
	}()

	hello := wire.NewHello(wire.RoleClient)
	type helloResult struct {
		peer wire.HelloMsg
		err  error
	}
	got := make(chan helloResult, 1)
	go func() {
		if err := wire.WriteFrame(stdin, wire.Frame{Type: wire.Hello, Payload: hello.Marshal()}); err != nil {
			got <- helloResult{err: err}
			return
		}
		f, err := wire.ReadFrame(stdout)
		if err == nil && f.Type != wire.Hello {
			err = fmt.Errorf("first frame is a %s: %w", f.Type, wire.ErrNotNscope)
		}
		var peer wire.HelloMsg
		if err == nil {
			peer, err = wire.ParseHello(f.Payload)
		}
		got <- helloResult{peer, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var res helloResult
	select {
	case res = <-got:
	case <-timer.C:
		_ = cmd.Process.Kill()
		<-c.waited
		return nil, &DialError{Target: t, Kind: Unreachable, Err: fmt.Errorf("no answer within %s", timeout)}
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-c.waited
		return nil, ctx.Err()
	}
	if res.err != nil {
		_ = stdin.Close()
		select {
		case <-c.waited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-c.waited
		}
		return nil, dialFailure(t, res.err, <-exitErr, errBuf.String())
	}
	v, err := wire.Negotiate(hello, res.peer, t.String())
	if err != nil {
		c.Close()
		return nil, &DialError{Target: t, Kind: VersionMismatch, Err: err}
	}
	c.Peer, c.Protocol = res.peer, v
	c.m = newMux(stdout, stdin, nil)
	go func() {
		<-c.waited
		c.m.fail(fmt.Errorf("%w: ssh exited%s", ErrConnLost, stderrTail(errBuf.String())))
	}()
	return c, nil
}

// Close ends the connection: the agent sees its input end and exits
// (after finishing a change in flight); ssh is killed if it has not
// exited within a few seconds.
func (c *Conn) Close() error {
	c.once.Do(func() {
		_ = c.stdin.Close()
		select {
		case <-c.waited:
		case <-time.After(3 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.waited
		}
	})
	return nil
}

// Why says in words why the connection ended: ssh's exit and the end of
// what it wrote to standard error when it has exited (it is given a
// moment to), else the connection's error.
func (c *Conn) Why() string {
	select {
	case <-c.waited:
	case <-time.After(500 * time.Millisecond):
	}
	select {
	case <-c.waited:
		why := "ssh exited"
		if c.cmd == nil {
			why = "the agent's output ended"
		} else if ps := c.cmd.ProcessState; ps != nil {
			why = "ssh exited with status " + strconv.Itoa(exitCode(ps, nil))
		}
		return why + stderrTail(c.stderr.String())
	default:
	}
	if err := c.Err(); err != nil {
		return err.Error()
	}
	return ""
}

// Kill ends the connection at once, as a dropped network would.
func (c *Conn) Kill() {
	_ = c.cmd.Process.Kill()
	c.Close()
}

// Done is closed when the connection ends.
func (c *Conn) Done() <-chan struct{} { return c.m.Done() }

// Err says why the connection ended, or nil while it is up.
func (c *Conn) Err() error { return c.m.Err() }

// Stderr is the end of what ssh and the agent wrote to standard error.
func (c *Conn) Stderr() string { return c.stderr.String() }

// Idle is how long since the agent last sent a frame.
func (c *Conn) Idle() time.Duration {
	return time.Since(time.Unix(0, c.m.lastRecv.Load()))
}

// Ping asks the agent to answer, proving the connection is alive.
func (c *Conn) Ping() error { return c.m.write(wire.Frame{Type: wire.Ping}) }

// call sends a request and decodes its reply into reply (nil to ignore
// it). An Error frame comes back as *wire.ErrorMsg.
func (c *Conn) call(ctx context.Context, req wire.RequestMsg, reply any) error {
	s, err := c.m.open(req)
	if err != nil {
		return err
	}
	defer s.close()
	type result struct {
		f   wire.Frame
		err error
	}
	ch := make(chan result, 1)
	go func() {
		f, err := s.recv()
		ch <- result{f, err}
	}()
	var r result
	select {
	case r = <-ch:
	case <-ctx.Done():
		return ctx.Err()
	}
	if r.err != nil {
		return r.err
	}
	switch r.f.Type {
	case wire.Reply:
		if reply == nil {
			return nil
		}
		return unpackJSON(r.f.Payload, reply)
	case wire.Error:
		var e wire.ErrorMsg
		if err := unmarshal(r.f.Payload, &e); err != nil {
			return err
		}
		return &e
	}
	return fmt.Errorf("reply to %s is a %s frame: %w", req.Op, r.f.Type, wire.ErrNotNscope)
}

// Kinds of DialError.
const (
	// Unreachable: ssh could not connect, or nothing answered in time.
	Unreachable = "unreachable"
	// NoAgent: the remote has no nscope, or one too old to be an agent.
	NoAgent = "no-agent"
	// VersionMismatch: the two nscopes share no protocol version.
	VersionMismatch = "version"
	// NotNscope: the remote answered with something else.
	NotNscope = "not-nscope"
)

// DialError says why a host could not be reached, in words for the user.
type DialError struct {
	Target Target
	// Kind is one of Unreachable, NoAgent, VersionMismatch, NotNscope.
	Kind string
	Err  error
	// machine is the remote's uname -m when an install found no copy.
	machine string
}

func (e *DialError) Error() string { return e.Target.String() + ": " + e.Err.Error() }
func (e *DialError) Unwrap() error { return e.Err }

// dialFailure explains a hello that did not come, from ssh's exit
// status and the end of its standard error.
func dialFailure(t Target, helloErr, exitErr error, stderr string) error {
	code := -1
	var ee *exec.ExitError
	if errors.As(exitErr, &ee) {
		code = ee.ExitCode()
	} else if exitErr == nil {
		code = 0
	}
	tail := stderrTail(stderr)
	if code == exitNotInstalled {
		if i := strings.LastIndex(stderr, installMark+" "); i >= 0 {
			machine := strings.TrimSpace(strings.SplitN(stderr[i+len(installMark)+1:], "\n", 2)[0])
			return &DialError{Target: t, Kind: NoAgent, Err: errors.New("no copy of this nscope there"), machine: machine}
		}
	}
	switch {
	case code == 255:
		return &DialError{Target: t, Kind: Unreachable, Err: fmt.Errorf("ssh could not connect%s", tail)}
	case code == 127:
		return &DialError{Target: t, Kind: NoAgent, Err: fmt.Errorf("nscope is not installed there (not found on the remote PATH%s); install it, or run with --install to copy this binary there", tail)}
	case code == 126:
		return &DialError{Target: t, Kind: NoAgent, Err: fmt.Errorf("nscope there cannot be run%s", tail)}
	case strings.Contains(stderr, `unknown command "agent"`):
		return &DialError{Target: t, Kind: NoAgent, Err: fmt.Errorf("nscope there is older than remote support (it has no agent command): upgrade it, or run with --install to use this binary there")}
	case errors.Is(helloErr, wire.ErrNotNscope) || errors.Is(helloErr, wire.ErrFrameTooLarge):
		return &DialError{Target: t, Kind: NotNscope, Err: fmt.Errorf("the remote did not answer as nscope does (%v): does a shell startup file print to standard output, or is 'nscope' there another program?%s", helloErr, tail)}
	}
	return &DialError{Target: t, Kind: Unreachable, Err: fmt.Errorf("the connection ended before the agent answered (ssh exit status %d)%s", code, tail)}
}

// stderrTail formats the last lines of ssh's standard error for a
// message: ": <lines>", or "" when there were none.
func stderrTail(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > 3 {
		lines = lines[len(lines)-3:]
	}
	return ": " + strings.Join(lines, "; ")
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
