package tui

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/nscope/nscope/control"
)

// stopGrace is how long a process launched from the TUI gets to exit
// after SIGTERM when the TUI ends, before its init is killed.
const stopGrace = 3 * time.Second

// launchedSet tracks the processes the TUI launched in the background.
// They live as long as the TUI: when it ends they are stopped and their
// cgroups removed, so quitting leaves nothing behind. Commands run in
// tea.Cmd goroutines, hence the lock.
type launchedSet struct {
	mu   sync.Mutex
	live map[*launchedProc]bool
}

type launchedProc struct {
	cmd  *control.LaunchCmd
	done chan struct{}
}

// launchedMsg reports a background launch that started; the app registers
// it, selects the process and waits for it.
type launchedMsg struct {
	cmd *control.LaunchCmd
	// log is the file the command's output goes to.
	log string
}

// launchEndedMsg reports that a launched command exited and its cgroup
// was removed (or why not).
type launchEndedMsg struct {
	pid     int
	name    string
	err     error
	cleanup error
	log     string
}

func newLaunchedSet() *launchedSet { return &launchedSet{live: map[*launchedProc]bool{}} }

// watch registers a started launch and returns the commands that select
// it and wait for it in the background.
func (s *launchedSet) watch(msg launchedMsg) tea.Cmd {
	c := msg.cmd
	p := &launchedProc{cmd: c, done: make(chan struct{})}
	pid := c.PID()
	s.mu.Lock()
	s.live[p] = true
	s.mu.Unlock()
	wait := func() tea.Msg {
		err := c.Wait()
		s.mu.Lock()
		delete(s.live, p)
		s.mu.Unlock()
		close(p.done)
		return launchEndedMsg{pid: pid, name: c.Plan.Name, err: err, cleanup: c.CleanupErr(), log: msg.log}
	}
	if pid <= 0 {
		// It exited before its PID could be read; the end message follows.
		return tea.Batch(Flash(fmt.Sprintf("launched %q in cgroup %s; output in %s", joinArgs(c.Plan.Command), c.Plan.Name, msg.log), false), wait)
	}
	text := fmt.Sprintf("launched %q as PID %d in cgroup %s; output in %s; it stops when nscope quits",
		joinArgs(c.Plan.Command), pid, c.Plan.Name, msg.log)
	return tea.Batch(SelectProcess(pid), Flash(text, false), wait)
}

// stopAll sends SIGTERM to the init of every live launch, waits up to
// grace for them to exit, kills the rest, and waits for their cgroups to
// be removed. It returns how many it stopped.
func (s *launchedSet) stopAll(grace time.Duration) int {
	s.mu.Lock()
	procs := make([]*launchedProc, 0, len(s.live))
	for p := range s.live {
		procs = append(procs, p)
	}
	s.mu.Unlock()
	for _, p := range procs {
		// The init forwards SIGTERM to the command as PID 1 would. A PID
		// of 0 would signal our own process group: never send that.
		if pid := p.cmd.InitPID(); pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGTERM)
		}
	}
	deadline := time.Now().Add(grace)
	for _, p := range procs {
		select {
		case <-p.done:
		case <-time.After(time.Until(deadline)):
			// Killing the init ends its whole pid namespace.
			if pid := p.cmd.InitPID(); pid > 0 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			select {
			case <-p.done:
			case <-time.After(grace):
				// Nothing more to do: its Wait is stuck.
			}
		}
	}
	return len(procs)
}

// onLaunchEnded says how a launched command ended.
func (m *Model) onLaunchEnded(msg launchEndedMsg) tea.Cmd {
	how := "exited with status 0"
	isErr := false
	var ee *control.ExitError
	switch {
	case msg.err == nil:
	case errors.As(msg.err, &ee):
		how = ee.Error()
		isErr = true
	default:
		how = "ended: " + msg.err.Error()
		isErr = true
	}
	text := fmt.Sprintf("launched process %d (%s) %s; output in %s", msg.pid, msg.name, how, msg.log)
	if msg.cleanup != nil {
		text += "; its cgroup could not be removed: " + msg.cleanup.Error()
		isErr = true
	}
	return tea.Batch(Flash(text, isErr), RefreshNow)
}
