package nsexec

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"syscall"
)

// The environment variables the C helper reads. They are removed before the
// command runs.
const (
	// EnvMode selects the helper's mode: "enter" or "init".
	EnvMode = "_NSCOPE_NSEXEC"
	// EnvPID is the target's PID as seen from the caller.
	EnvPID = "_NSCOPE_NSEXEC_PID"
	// EnvStart is the target's start time (field 22 of /proc/PID/stat);
	// when set the helper refuses a process that started at another time.
	EnvStart = "_NSCOPE_NSEXEC_START"
	// EnvNS lists the namespace types to join, comma-separated kernel names.
	EnvNS = "_NSCOPE_NSEXEC_NS"
	// EnvRoot "1" makes the helper chroot to the target's root and chdir
	// to its working directory.
	EnvRoot = "_NSCOPE_NSEXEC_ROOT"
	// EnvConfigFD is the descriptor the helper reads its Config from.
	EnvConfigFD = "_NSCOPE_NSEXEC_CONFIG"
	// EnvErrFD is the descriptor the helper writes a Failure line to.
	EnvErrFD = "_NSCOPE_NSEXEC_ERRFD"
)

// The environment variables of the init of "nscope run" (EnvMode "init").
const (
	// EnvInitSetup lists what the init sets up, comma-separated: mount,
	// uts, net, cgroupns, timens, foreground.
	EnvInitSetup = "_NSCOPE_INIT_SETUP"
	// EnvInitHostname is the hostname set when the setup has uts.
	EnvInitHostname = "_NSCOPE_INIT_HOSTNAME"
)

// InitRequest is the setup of the init of "nscope run", which runs as PID
// 1 of the new pid namespace (init.c). Exec the binary with Env and the
// command as arguments 1..n, descriptor 3 the control pipe, 4 the status
// pipe and, with Foreground, 5 the controlling terminal.
type InitRequest struct {
	// Mount makes "/" private and mounts a fresh /proc.
	Mount bool
	// UTS with Hostname sets the hostname.
	UTS      bool
	Hostname string
	// Net brings lo up.
	Net bool
	// CgroupNS and TimeNS are unshared after placement, before the command
	// starts (a time namespace can only be unshared).
	CgroupNS bool
	TimeNS   bool
	// Foreground makes the command the terminal's foreground job.
	Foreground bool
}

// Env returns the environment variables that make a re-executed binary run
// the init for r.
func (r InitRequest) Env() ([]string, error) {
	if strings.ContainsAny(r.Hostname, "\x00\n") {
		return nil, fmt.Errorf("nsexec: hostname %q has a NUL or newline", r.Hostname)
	}
	var setup []string
	for _, s := range []struct {
		on   bool
		word string
	}{{r.Mount, "mount"}, {r.UTS, "uts"}, {r.Net, "net"}, {r.CgroupNS, "cgroupns"}, {r.TimeNS, "timens"}, {r.Foreground, "foreground"}} {
		if s.on {
			setup = append(setup, s.word)
		}
	}
	env := []string{EnvMode + "=init", EnvInitSetup + "=" + strings.Join(setup, ",")}
	if r.UTS && r.Hostname != "" {
		env = append(env, EnvInitHostname+"="+r.Hostname)
	}
	return env, nil
}

// ExitFailure is the helper's exit code when it failed before the command
// ran.
const ExitFailure = 125

// NSNames are the namespace type names the helper accepts, in the order it
// joins them file by file (util-linux nsenter's order).
var NSNames = []string{"user", "cgroup", "ipc", "uts", "net", "pid", "mnt", "time"}

// Request is one enter request for the helper.
type Request struct {
	// PID is the target process.
	PID int
	// StartTicks is the target's start time in clock ticks after boot;
	// zero skips the check.
	StartTicks uint64
	// NS are the namespace types to join (names from NSNames). Namespaces
	// the helper already shares with the target are skipped.
	NS []string
	// Root chroots to the target's root and chdirs to its working
	// directory after joining.
	Root bool
	// ConfigFD, when not 0, is the descriptor holding a marshalled Config
	// (cgroups, host /proc, identity, environment).
	ConfigFD int
	// ErrFD is the helper's descriptor for Failure lines; 0 means stderr.
	ErrFD int
}

// Env returns the environment variables that make a re-executed binary run
// the helper for r, after checking r.
func (r Request) Env() ([]string, error) {
	if r.PID <= 0 {
		return nil, fmt.Errorf("nsexec: invalid target PID %d", r.PID)
	}
	for _, n := range r.NS {
		if !validNS(n) {
			return nil, fmt.Errorf("nsexec: unknown namespace type %q (allowed: %s)", n, strings.Join(NSNames, ", "))
		}
	}
	if r.ErrFD != 0 && r.ErrFD < 3 {
		return nil, fmt.Errorf("nsexec: error descriptor %d would be stdin, stdout or stderr", r.ErrFD)
	}
	if r.ConfigFD != 0 && (r.ConfigFD < 3 || r.ConfigFD == r.ErrFD) {
		return nil, fmt.Errorf("nsexec: config descriptor %d would be stdin, stdout, stderr or the error descriptor", r.ConfigFD)
	}
	env := []string{
		EnvMode + "=enter",
		EnvPID + "=" + strconv.Itoa(r.PID),
		EnvNS + "=" + strings.Join(r.NS, ","),
	}
	if r.StartTicks != 0 {
		env = append(env, EnvStart+"="+strconv.FormatUint(r.StartTicks, 10))
	}
	if r.Root {
		env = append(env, EnvRoot+"=1")
	}
	if r.ConfigFD != 0 {
		env = append(env, EnvConfigFD+"="+strconv.Itoa(r.ConfigFD))
	}
	if r.ErrFD != 0 {
		env = append(env, EnvErrFD+"="+strconv.Itoa(r.ErrFD))
	}
	return env, nil
}

func validNS(n string) bool {
	for _, v := range NSNames {
		if v == n {
			return true
		}
	}
	return false
}

// Failure is the helper's report of the step that failed.
type Failure struct {
	// Errno is the kernel's error, or 0 for a failure of the helper's own
	// (Step "verify": the start time differs).
	Errno syscall.Errno
	// Step names what failed: "pidfd_open", "open /proc", "read process",
	// "verify", "open namespace", "open root", "pidfd_send_signal",
	// "join cgroup", "setns", "chroot", "chdir", "fork", "exec", "config",
	// "close descriptors", "set non-dumpable", "wait"; for host tools
	// "private mounts" and "mount /proc"; for an identity "lsm label",
	// "seccomp", "bounding set", "setgroups", "setgid", "setuid",
	// "capabilities", "ambient capabilities", "no_new_privs".
	Step string
	// Detail names the object: a path, a namespace type, the command.
	Detail string
}

// Error implements error in the helper's terms; package control rewords it.
func (f *Failure) Error() string {
	msg := "nsexec: " + f.Step
	if f.Detail != "" {
		msg += " " + f.Detail
	}
	if f.Errno != 0 {
		msg += ": " + f.Errno.Error()
	}
	return msg
}

// Unwrap returns the errno, so errors.Is(err, syscall.EPERM) works.
func (f *Failure) Unwrap() error {
	if f.Errno == 0 {
		return nil
	}
	return f.Errno
}

// ParseFailure parses what the helper wrote to its error descriptor. It
// returns nil when data holds no failure line (the command started).
func ParseFailure(data []byte) (*Failure, error) {
	data = bytes.TrimRight(data, "\n")
	if len(data) == 0 {
		return nil, nil
	}
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		data = data[:i]
	}
	parts := strings.SplitN(string(data), "\t", 4)
	if len(parts) != 4 || parts[0] != "nsexec" {
		return nil, fmt.Errorf("nsexec: malformed failure report %q", data)
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil || n < 0 {
		return nil, fmt.Errorf("nsexec: malformed errno in failure report %q", data)
	}
	return &Failure{Errno: syscall.Errno(n), Step: parts[2], Detail: parts[3]}, nil
}
