// Package nsexec enters another process's namespaces before the Go runtime
// starts.
//
// setns(2) into a mount, user or time namespace refuses a multithreaded
// caller, and a Go program is multithreaded before main runs. So this
// package carries a C constructor (nsexec.c) that runs from .init_array,
// before the runtime, when the environment variable EnvMode is "enter". It
// pins the target with a pidfd, checks the target's start time so that a
// reused PID is refused, joins the target's cgroup in every hierarchy,
// joins the namespaces in one setns(pidfd, flags) (Linux 5.8+) or file by
// file in util-linux nsenter's order, takes its root and working
// directory, forks when the pid namespace changed and then, in the process
// that becomes the command, mounts a fresh /proc in private mounts (host
// tools) and takes the target's identity (LSM label, seccomp filters,
// bounding set, groups, gid, uid, capability sets, no_new_privs, in runc's
// order), and execs the command with the environment of the Config. The
// Go runtime of that process never starts.
//
// Import it (blank is enough) into the binary that re-executes itself: the
// nscope command does, and so does package control. Build the child's
// command line with Request.Env and exec /proc/self/exe with the command as
// arguments 1..n, the Config (Config.Marshal) on the descriptor named in
// Request.ConfigFD; read Failure records from the descriptor named in
// Request.ErrFD. This is the runc and lxkns pattern. See setns(2),
// pidfd_open(2), namespaces(7) and nsenter(1).
package nsexec
