package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/sys/unix"
)

// cpuResult is one measured command's CPU use.
type cpuResult struct {
	Command string
	Percent float64 // of one core, over the window
	Seconds float64 // CPU seconds used in the window
	Note    string  // "" while running to the end, else what happened
}

// runCPU measures each command's CPU use on the bench host: a running
// "benchhost up" host, or one built for the measurement, or none with
// -nohost.
func runCPU(ctx context.Context, c *command) (err error) {
	var own map[int]bool
	if !c.noHost {
		run, reused, err := runningHost(true)
		if err != nil {
			return err
		}
		if reused {
			cen, err := takeCensus("/proc")
			if err != nil {
				return err
			}
			fmt.Printf("measuring on the bench host %s of the running benchhost %d\n  machine now: %s\n", run.Name, run.Owner, cen)
		} else {
			h, err := newBenchHost(c.host)
			if err != nil {
				return err
			}
			defer func() {
				if cerr := h.close(); cerr != nil {
					err = errors.Join(err, fmt.Errorf("teardown: %w", cerr))
				}
			}()
			if err := h.build(ctx); err != nil {
				return fmt.Errorf("build the bench host: %w", err)
			}
			h.describe(os.Stdout)
			own = h.children
		}
	}
	dir, err := moduleRoot()
	if err != nil {
		if dir, err = os.Getwd(); err != nil {
			return err
		}
	}
	results, err := measureCPU(ctx, dir, c.cpuCmds, c.settle, c.duration, own)
	if results != nil {
		printCPU(os.Stdout, results, c.duration)
	}
	return err
}

// measureCPU runs the command lines side by side in windows of a private
// tmux session, waits settle, and measures each window's process tree
// over the window. keep are benchhost's own children that are not part
// of the measurement (the bench host's processes).
func measureCPU(ctx context.Context, dir string, cmds []string, settle, window time.Duration, keep map[int]bool) ([]cpuResult, error) {
	// Commands that daemonize or outlive their shell are reparented to
	// benchhost (child subreaper) and killed at the end.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("become child subreaper: %s", errnoWords(err))
	}
	s, err := newTmuxSession(ctx, benchPrefix+"cpu-"+strconv.Itoa(os.Getpid()))
	if err != nil {
		return nil, err
	}
	defer func() {
		s.kill(ctx)
		killStrayChildren(keep, 2*time.Second)
		s.removeSocket()
	}()
	panes := make([]tmuxPane, len(cmds))
	for i, cmd := range cmds {
		if panes[i], err = s.newWindow(ctx, dir, cmd); err != nil {
			return nil, err
		}
	}
	if size, err := s.paneSize(ctx, panes[0]); err == nil && size != fmt.Sprintf("%dx%d", tmuxWidth, tmuxHeight) {
		logf("warning: tmux made the windows %s, not %dx%d", size, tmuxWidth, tmuxHeight)
	}
	server, err := s.serverPID(ctx)
	if err != nil {
		return nil, err
	}
	logf("started %d commands in tmux (socket %s); measuring for %s after %s", len(cmds), s.socket, window, settle)
	if err := sleepCtx(ctx, settle); err != nil {
		return nil, err
	}
	before, err := readProcTable("/proc")
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	if err := sleepCtx(ctx, window); err != nil {
		return nil, err
	}
	after, err := readProcTable("/proc")
	if err != nil {
		return nil, err
	}
	secs := time.Since(t0).Seconds()

	results := make([]cpuResult, 0, len(cmds)+1)
	var problems []error
	for i, p := range panes {
		r := cpuResult{Command: cmds[i]}
		t1, ok1 := before.treeTicks(p.PID)
		t2, ok2 := after.treeTicks(p.PID)
		dead, status, err := s.paneState(ctx, p)
		// The command is gone from /proc, or tmux saw its terminal close,
		// but tmux may not have reaped it yet: wait for the exit status.
		for wait := time.Now().Add(3 * time.Second); err == nil && (!ok2 || dead) && (!dead || status == "") && time.Now().Before(wait); {
			time.Sleep(50 * time.Millisecond)
			dead, status, err = s.paneState(ctx, p)
		}
		if status == "" {
			status = "unknown" // tmux did not learn it
		}
		switch {
		case err != nil:
			return nil, err
		case dead || !ok1 || !ok2:
			r.Note = "exited (status " + status + ") before the end; the figure covers only part of the window"
			if !ok1 {
				r.Note = "exited (status " + status + ") before measuring"
			}
			problems = append(problems, fmt.Errorf("%q exited with status %s; its window showed:\n%s", cmds[i], status, s.paneTail(ctx, p, 5)))
		}
		if ok1 && ok2 && t2 > t1 {
			r.Seconds = float64(t2-t1) / clockTicks
			r.Percent = cpuPercent(t2-t1, secs)
		}
		results = append(results, r)
	}
	if t1, ok := before.ownTicks(server); ok {
		if t2, ok := after.ownTicks(server); ok && t2 >= t1 {
			results = append(results, cpuResult{Command: "(tmux server, drawing every window)", Seconds: float64(t2-t1) / clockTicks, Percent: cpuPercent(t2-t1, secs)})
		}
	}
	return results, errors.Join(problems...)
}

// printCPU prints the CPU table.
func printCPU(w io.Writer, results []cpuResult, window time.Duration) {
	fmt.Fprintf(w, "\nCPU use over %s, in %% of one core (utime+stime of each window's process tree, USER_HZ ticks):\n", window)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "command\tCPU %\tCPU s\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%s\n", r.Command, r.Percent, r.Seconds, r.Note)
	}
	tw.Flush()
}

// sleepCtx sleeps for d or until the context ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// killStrayChildren waits up to grace for benchhost's children that are
// not in keep (the tmux server, what the measured commands left behind
// and the child subreaper adopted) to exit, then kills the rest, and
// reaps them all. Each is pinned with a pidfd and checked to still be our
// child before the signal.
func killStrayChildren(keep map[int]bool, grace time.Duration) {
	killFrom := time.Now().Add(grace)
	deadline := killFrom.Add(5 * time.Second)
	me := os.Getpid()
	for {
		var stray []int
		if t, err := readProcTable("/proc"); err == nil {
			for _, pid := range t.children[me] {
				if !keep[pid] {
					stray = append(stray, pid)
				}
			}
		}
		for _, pid := range stray {
			if time.Now().Before(killFrom) {
				break
			}
			fd, err := unix.PidfdOpen(pid, 0)
			if err != nil {
				continue
			}
			if st, err := procStat(pid); err == nil && st.PPID == me && st.State != "Z" {
				_ = unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
			}
			unix.Close(fd)
		}
		// Reap only the strays: waiting for any child would also reap
		// the bench host's processes, which its teardown waits for.
		for _, pid := range stray {
			var ws unix.WaitStatus
			_, _ = unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		}
		if len(stray) == 0 || time.Now().After(deadline) {
			if len(stray) > 0 {
				logf("warning: %d processes left by the measured commands did not exit: %s", len(stray), strings.Trim(fmt.Sprint(stray), "[]"))
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}
