package remote

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nscope/nscope/remote/wire"
)

// forwardedEnv are the environment variables a client may set for the
// command it runs: the terminal's type and colours, and the locale.
var forwardedEnv = []string{"TERM", "COLORTERM", "NO_COLOR", "LANG", "LANGUAGE"}

// execEnv is the agent's environment with the client's allowed
// variables added (they replace the agent's own).
func execEnv(base, client []string) []string {
	allowed := func(name string) bool {
		if strings.HasPrefix(name, "LC_") && len(name) > 3 && validName(name, "_") {
			return true
		}
		for _, n := range forwardedEnv {
			if n == name {
				return true
			}
		}
		return false
	}
	set := map[string]string{}
	var order []string
	for _, kv := range client {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !allowed(name) || len(value) > 4096 || strings.IndexByte(value, 0) >= 0 {
			continue
		}
		if _, dup := set[name]; !dup {
			order = append(order, name)
		}
		set[name] = value
	}
	var out []string
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if _, replaced := set[name]; !replaced {
			out = append(out, kv)
		}
	}
	for _, name := range order {
		out = append(out, name+"="+set[name])
	}
	return out
}

// execSession is one command line the agent runs for a client: the
// child process, its standard streams, and what a ledger record keeps of
// its output.
type execSession struct {
	a      *Agent
	s      *stream
	req    wire.RequestMsg
	cmd    *exec.Cmd
	master *os.File // the pty's master, when a stream is a terminal
	stdin  *os.File // where the client's input goes (a pipe or the master)
	// outputs are the files the child's output is read from.
	outputs []outputSource

	mu       sync.Mutex
	captured [2]bytes.Buffer // stdout, stderr, for the ledger
	sentAny  bool
}

// outputSource is one stream of the child's output.
type outputSource struct {
	f    *os.File
	kind wire.FrameType
}

// exec runs an nscope command line for the client (OpExec).
func (a *Agent) exec(s *stream, req wire.RequestMsg) {
	x := req.Exec
	switch {
	case x == nil || len(x.Args) == 0:
		_ = s.sendError(wire.CodeBadRequest, errors.New("exec without a command line (the TUI runs on the client, not through exec)"))
		return
	case x.Args[0] == "agent":
		_ = s.sendError(wire.CodeBadRequest, errors.New("an agent does not start another agent"))
		return
	}
	// A terminal for input needs the terminal for output too: its echo
	// goes there.
	if x.TTY.Stdin && !x.TTY.Stdout {
		x.TTY.Stdin = false
	}
	if x.Once && !a.begin(s, req, x.Args) {
		return
	}
	sess := &execSession{a: a, s: s, req: req}
	code, err := sess.run()
	if x.Once {
		a.stall("record")
		rec := Record{ID: req.ID, Op: wire.OpExec, Args: x.Args, Code: code}
		rec.Stdout = sess.captured[0].Bytes()
		rec.Stderr = sess.captured[1].Bytes()
		if err != nil {
			rec.Error = &errorRecord{Message: err.Error(), Code: wire.CodeFailed}
		}
		if ferr := a.Ledger.Finish(rec); ferr != nil {
			fmt.Fprintf(os.Stderr, "nscope agent: record the outcome of %s: %v\n", req.ID, ferr)
		}
	}
	a.stall("exit")
	defer s.close()
	if err != nil {
		_ = s.sendJSON(wire.Error, wire.ErrorMsg{Message: err.Error(), Code: wire.CodeFailed})
		return
	}
	_ = s.sendJSON(wire.Exit, wire.ExitMsg{Code: code})
}

// exe is the binary an exec runs.
func (a *Agent) exe() string {
	if a.Exe != "" {
		return a.Exe
	}
	return "/proc/self/exe"
}

// run starts the child, relays its streams and returns its exit status.
func (e *execSession) run() (int, error) {
	x := e.req.Exec
	e.cmd = exec.Command(e.a.exe(), x.Args...)
	e.cmd.Args[0] = "nscope"
	e.cmd.Env = execEnv(os.Environ(), x.Env)
	// Its own session: signals the client forwards go to its whole
	// process group, as a terminal's ^C does, and a terminal is its
	// controlling one.
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var closeAfterStart []*os.File
	var slave *os.File
	if x.TTY.Any() {
		m, sl, err := openPTY(x.TTY.Cols, x.TTY.Rows)
		if err != nil {
			return 0, fmt.Errorf("pseudo-terminal: %w", err)
		}
		e.master, slave = m, sl
		closeAfterStart = append(closeAfterStart, sl)
	}
	defer func() {
		if e.master != nil {
			e.master.Close()
		}
	}()
	// stdin
	if x.TTY.Stdin {
		e.cmd.Stdin, e.stdin = slave, e.master
	} else {
		r, w, err := os.Pipe()
		if err != nil {
			return 0, err
		}
		e.cmd.Stdin, e.stdin = r, w
		closeAfterStart = append(closeAfterStart, r)
		defer w.Close()
	}
	outputPipe := func(tty bool, kind wire.FrameType) (*os.File, error) {
		if tty {
			return slave, nil
		}
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		closeAfterStart = append(closeAfterStart, w)
		e.outputs = append(e.outputs, outputSource{f: r, kind: kind})
		return w, nil
	}
	var err error
	var out, errOut *os.File
	if out, err = outputPipe(x.TTY.Stdout, wire.Stdout); err != nil {
		return 0, err
	}
	if errOut, err = outputPipe(x.TTY.Stderr, wire.Stderr); err != nil {
		return 0, err
	}
	e.cmd.Stdout, e.cmd.Stderr = out, errOut
	if e.master != nil && (x.TTY.Stdout || x.TTY.Stderr) {
		e.outputs = append(e.outputs, outputSource{f: e.master, kind: wire.Stdout})
	}
	if x.TTY.Any() {
		e.cmd.SysProcAttr.Setctty = true
		switch {
		case x.TTY.Stdin:
			e.cmd.SysProcAttr.Ctty = 0
		case x.TTY.Stdout:
			e.cmd.SysProcAttr.Ctty = 1
		default:
			e.cmd.SysProcAttr.Ctty = 2
		}
	}
	startErr := e.cmd.Start()
	for _, f := range closeAfterStart {
		f.Close()
	}
	if startErr != nil {
		for _, o := range e.outputs {
			if o.f != e.master {
				o.f.Close()
			}
		}
		return 0, fmt.Errorf("start nscope %s: %w", strings.Join(x.Args, " "), startErr)
	}

	var relays sync.WaitGroup
	for _, o := range e.outputs {
		relays.Add(1)
		go func() {
			defer relays.Done()
			e.relayOutput(o)
		}()
	}
	exited := make(chan struct{})
	go e.relayInput(exited)
	go e.watchConnection(exited)

	werr := e.cmd.Wait()
	close(exited)
	// The output the child wrote before it exited is in the pipes; a
	// background process of its own may hold them open longer, so the
	// wait for their end is bounded.
	drained := make(chan struct{})
	go func() { relays.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(time.Second):
		for _, o := range e.outputs {
			o.f.Close()
		}
		<-drained
	}
	for _, o := range e.outputs {
		if o.f != e.master {
			o.f.Close()
		}
	}
	return exitCode(e.cmd.ProcessState, werr), nil
}

// exitCode is a finished process's status as a shell reports it.
func exitCode(ps *os.ProcessState, err error) int {
	if ps == nil {
		return 1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// relayOutput sends one output stream to the client, keeping a copy for
// the ledger when the request is recorded.
func (e *execSession) relayOutput(o outputSource) {
	buf := make([]byte, chunkSize)
	for {
		n, err := o.f.Read(buf)
		if n > 0 {
			e.mu.Lock()
			first := !e.sentAny
			e.sentAny = true
			if e.req.Exec.Once {
				c := &e.captured[0]
				if o.kind == wire.Stderr {
					c = &e.captured[1]
				}
				if c.Len() < maxRecordedOutput {
					c.Write(buf[:n])
				}
			}
			e.mu.Unlock()
			if first {
				e.a.stall("output")
			}
			// A failed send means the client is gone; the output is
			// still read, so the child never blocks on a full pipe.
			_ = e.s.send(o.kind, append([]byte(nil), buf[:n]...))
		}
		if err != nil {
			return
		}
	}
}

// relayInput passes the client's input, window sizes and signals to the
// child until it exits.
func (e *execSession) relayInput(exited <-chan struct{}) {
	for {
		f, err := e.s.recv()
		if err != nil {
			return
		}
		select {
		case <-exited:
			return
		default:
		}
		switch f.Type {
		case wire.Stdin:
			if len(f.Payload) == 0 {
				e.endInput()
				continue
			}
			_, _ = e.stdin.Write(f.Payload)
		case wire.Resize:
			var r wire.ResizeMsg
			if e.master != nil && unmarshal(f.Payload, &r) == nil {
				_ = setSize(e.master, r.Cols, r.Rows)
			}
		case wire.Signal:
			var sm wire.SignalMsg
			if unmarshal(f.Payload, &sm) == nil {
				if sig, ok := forwardedSignals[sm.Signal]; ok {
					_ = unix.Kill(-e.cmd.Process.Pid, sig)
				}
			}
		}
	}
}

// endInput ends the child's input: the pipe closes; on a terminal an
// end-of-file character is typed, as ^D would be.
func (e *execSession) endInput() {
	if e.stdin == e.master {
		_, _ = e.master.Write([]byte{4})
		return
	}
	e.stdin.Close()
}

// forwardedSignals are the signals a client may pass on.
var forwardedSignals = map[string]unix.Signal{
	"INT": unix.SIGINT, "TERM": unix.SIGTERM, "HUP": unix.SIGHUP, "QUIT": unix.SIGQUIT,
	"WINCH": unix.SIGWINCH, "USR1": unix.SIGUSR1, "USR2": unix.SIGUSR2,
}

// watchConnection handles the client going away while the child runs. A
// recorded command (a change) runs to its end, its input ended so that a
// question it asks is answered "no"; anything else is hung up on, as a
// closed terminal would, and killed if it does not exit.
func (e *execSession) watchConnection(exited <-chan struct{}) {
	select {
	case <-exited:
		return
	case <-e.s.end:
	}
	if e.req.Exec.Once {
		e.endInput()
		return
	}
	pgid := e.cmd.Process.Pid
	_ = unix.Kill(-pgid, unix.SIGHUP)
	_ = unix.Kill(-pgid, unix.SIGCONT)
	select {
	case <-exited:
	case <-time.After(3 * time.Second):
		_ = unix.Kill(-pgid, unix.SIGKILL)
	}
}
