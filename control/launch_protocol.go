package control

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
)

// The init of a launched process is this binary re-executed with
// nsexec.InitRequest's environment: the C init in package nsexec runs as
// PID 1 of the new namespaces (see control/nsexec/init.c). Its descriptors:
//
//	3 (control): from the parent. "g" once the cgroups are in place (go),
//	  later "f"/"b" to continue a stopped command in the foreground or
//	  background. EOF before "g" means abort.
//	4 (status): to the parent. One line "started PID" (PID inside the new
//	  pid namespace) or "error STEP ERRNO DETAIL", later "stopped" each
//	  time the command is stopped from the terminal, and last "exited CODE
//	  SIGNAL" (SIGNAL 0 unless a signal killed the command: an init cannot
//	  end itself by a signal, so its exit status alone would not tell).
//	5 (tty), with Foreground: the controlling terminal.

// initStatus is one line the init writes on its status descriptor.
type initStatus struct {
	// Kind is "started", "error", "stopped" or "exited".
	Kind string
	// PID is CMD's PID inside the new pid namespace ("started").
	PID int
	// Code and Signal are how CMD ended ("exited").
	Code   int
	Signal syscall.Signal
	// Step, Errno and Detail describe an "error".
	Step   string
	Errno  syscall.Errno
	Detail string
}

func (s initStatus) line() string {
	switch s.Kind {
	case "started":
		return "started " + strconv.Itoa(s.PID) + "\n"
	case "error":
		return fmt.Sprintf("error\t%s\t%d\t%s\n", s.Step, int(s.Errno), strings.ReplaceAll(s.Detail, "\n", " "))
	case "exited":
		return fmt.Sprintf("exited %d %d\n", s.Code, int(s.Signal))
	}
	return s.Kind + "\n"
}

func parseInitStatus(line string) (initStatus, error) {
	line = strings.TrimRight(line, "\n")
	switch {
	case strings.HasPrefix(line, "started "):
		pid, err := strconv.Atoi(strings.TrimPrefix(line, "started "))
		if err != nil || pid <= 0 {
			return initStatus{}, fmt.Errorf("bad init status %q", line)
		}
		return initStatus{Kind: "started", PID: pid}, nil
	case strings.HasPrefix(line, "error\t"):
		parts := strings.SplitN(line, "\t", 4)
		if len(parts) != 4 {
			return initStatus{}, fmt.Errorf("bad init status %q", line)
		}
		n, err := strconv.Atoi(parts[2])
		if err != nil || n < 0 {
			return initStatus{}, fmt.Errorf("bad init status %q", line)
		}
		return initStatus{Kind: "error", Step: parts[1], Errno: syscall.Errno(n), Detail: parts[3]}, nil
	case line == "stopped":
		return initStatus{Kind: "stopped"}, nil
	case strings.HasPrefix(line, "exited "):
		var code, sig int
		if n, err := fmt.Sscanf(line, "exited %d %d", &code, &sig); n != 2 || err != nil || code < 0 || sig < 0 {
			return initStatus{}, fmt.Errorf("bad init status %q", line)
		}
		return initStatus{Kind: "exited", Code: code, Signal: syscall.Signal(sig)}, nil
	}
	return initStatus{}, fmt.Errorf("bad init status %q", line)
}
