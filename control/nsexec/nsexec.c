// nsexec: enter another process's namespaces before the Go runtime starts.
//
// The Go runtime is multithreaded by the time main runs, and setns(2) into a
// mount, user or time namespace refuses multithreaded callers. So this
// constructor runs first, from .init_array, when the environment asks for it
// (_NSCOPE_NSEXEC=enter). It does all the work in C and execs the final
// command; the Go runtime of this process never starts. When the variable is
// absent the constructor returns at once and the program starts normally.
// _NSCOPE_NSEXEC=init runs the init of "nscope run" instead (init.c).
//
// The steps, in order (see namespaces(7), setns(2), pidfd_open(2)):
//   1. read the config (config.c) from its descriptor, mark the process
//      non-dumpable and close every stray descriptor;
//   2. pin the target with a pidfd, then open /proc/PID and check that the
//      start time is the one the caller saw (a reused PID is refused);
//   3. open the target's namespace files, its root and working directory,
//      skipping namespaces we already share;
//   4. join the target's cgroup in every hierarchy the config lists;
//   5. setns(pidfd, flags) (Linux 5.8+), falling back to one setns per file
//      in util-linux nsenter's order and two passes (user namespace first
//      when it grants privilege, last when it drops it);
//   6. chroot/chdir to the target's root and working directory;
//   7. in a new user namespace become root of it, as nsenter does;
//   8. fork when the pid namespace changed (only children enter it); the
//      parent waits, forwards signals and passes on the exit status;
//   9. for host tools, private mounts with a fresh /proc of the target's
//      pid namespace; take the identity of the config (config.c);
//  10. exec the command with the config's environment (the caller checked
//      it); without one, a clean environment with HOME from /etc/passwd.
//
// Errors go to the descriptor named by _NSCOPE_NSEXEC_ERRFD as one line,
// "nsexec\t<errno>\t<step>\t<detail>\n", which the Go side turns into plain
// words; without it they are printed to stderr.

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsexec.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

extern char **environ;

// Namespaces in util-linux nsenter's order: user first so that a second pass
// can retry it first when the first pass (without it) was refused.
static const struct nsdesc {
	const char *name;
	int flag;
} ns_order[] = {
	{"user", CLONE_NEWUSER}, {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC},
	{"uts", CLONE_NEWUTS},   {"net", CLONE_NEWNET},       {"pid", CLONE_NEWPID},
	{"mnt", CLONE_NEWNS},    {"time", CLONE_NEWTIME},
};
#define NS_COUNT ((int)(sizeof(ns_order) / sizeof(ns_order[0])))

static int errfd = -1;

#define fail nsexec_fail

// nsexec_fail reports a failed step and exits. err is an errno value, or 0
// when the step failed for a reason of our own (the detail says which).
void nsexec_fail(const char *step, int err, const char *fmt, ...)
{
	char detail[512] = "";
	char line[1024];
	va_list ap;
	int n;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	// Tabs and newlines separate fields; keep them out of the detail.
	for (char *p = detail; *p; p++)
		if (*p == '\t' || *p == '\n')
			*p = ' ';
	if (errfd >= 0) {
		n = snprintf(line, sizeof(line), "nsexec\t%d\t%s\t%s\n", err, step, detail);
		if (n > 0 && write(errfd, line, (size_t)n) == n)
			_exit(NSEXEC_EXIT_FAILURE);
	}
	if (err)
		n = snprintf(line, sizeof(line), "nscope enter: %s: %s%s%s\n", step, strerror(err),
			     detail[0] ? ": " : "", detail);
	else
		n = snprintf(line, sizeof(line), "nscope enter: %s: %s\n", step, detail);
	if (n > 0)
		(void)!write(STDERR_FILENO, line, (size_t)n);
	_exit(NSEXEC_EXIT_FAILURE);
}

static long parse_long(const char *name, const char *s, long min, long max)
{
	char *end;
	long v;

	if (!s || !*s)
		fail("config", EINVAL, "%s is not set", name);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		fail("config", EINVAL, "%s=%s is not a number in [%ld, %ld]", name, s, min, max);
	return v;
}

// close_stray_fds closes every descriptor but stdin, stdout, stderr and keep,
// so nothing of ours leaks into the target.
static void close_stray_fds(int keep)
{
	DIR *d;
	struct dirent *de;

	if (keep < 3) {
		if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
			return;
	} else if (syscall(SYS_close_range, 3U, (unsigned)keep - 1, 0U) == 0 &&
		   syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0U) == 0) {
		return;
	}
	// close_range(2) is Linux 5.9+; walk /proc/self/fd on older kernels.
	d = opendir("/proc/self/fd");
	if (!d)
		fail("close descriptors", errno, "/proc/self/fd");
	while ((de = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		if (*end || de->d_name[0] == '.' || fd < 3 || fd == keep || fd == dirfd(d))
			continue;
		close((int)fd);
	}
	closedir(d);
}

// start_ticks returns field 22 of /proc/PID/stat (start time in clock ticks
// after boot) read through procfd. See proc(5).
static unsigned long long start_ticks(int procfd, int pid)
{
	char buf[4096];
	ssize_t n;
	int fd, field;
	char *p;

	fd = openat(procfd, "stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail("read process", errno == ENOENT ? ESRCH : errno, "/proc/%d/stat", pid);
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		fail("read process", errno, "/proc/%d/stat", pid);
	close(fd);
	buf[n] = '\0';
	// The command name is in parentheses and may contain anything; count
	// fields from the last ')', which ends field 2.
	p = strrchr(buf, ')');
	if (!p)
		fail("read process", EINVAL, "/proc/%d/stat has no command name", pid);
	for (field = 2; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			fail("read process", EINVAL, "/proc/%d/stat is short", pid);
	}
	return strtoull(p + 1, NULL, 10);
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static volatile pid_t forward_to;

static void forward_signal(int sig)
{
	if (forward_to > 0)
		kill(forward_to, sig);
}

static void swallow_signal(int sig) { (void)sig; }

// wait_and_propagate runs in the process that stayed outside the target's
// pid namespace: it waits for child, forwards the signals a caller sends on
// purpose, and ends the way child ended.
//
// Stops are not followed (unlike nsenter, which is the shell's own child):
// a terminal's ^Z reaches the whole foreground process group, this process
// and nscope included, and its SIGCONT does too; stopping ourselves again on
// the child's stale stop report would leave us stopped for good.
static void wait_and_propagate(pid_t child) __attribute__((noreturn));

static void wait_and_propagate(pid_t child)
{
	static const int forwarded[] = {SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM};
	// Terminal signals reach the whole foreground process group, child
	// included: forwarding them would deliver them twice, and dying of them
	// would orphan the child. A handler, not SIG_IGN, so nothing is
	// inherited.
	static const int swallowed[] = {SIGINT, SIGQUIT};
	struct sigaction sa;
	sigset_t set;
	int status, sig;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	forward_to = child;
	sa.sa_handler = forward_signal;
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &sa, NULL);
	sa.sa_handler = swallow_signal;
	for (size_t i = 0; i < sizeof(swallowed) / sizeof(swallowed[0]); i++)
		sigaction(swallowed[i], &sa, NULL);

	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR)
			fail("wait", errno, "child %d", (int)child);
	}
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	if (WIFSIGNALED(status)) {
		// End by the same signal so our caller sees what the child saw.
		sig = WTERMSIG(status);
		signal(sig, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		kill(getpid(), sig);
		_exit(128 + sig);
	}
	_exit(NSEXEC_EXIT_FAILURE);
}

// home_of returns uid's home directory from /etc/passwd as seen now (the
// target's, after chroot), or "/". It parses the file as text: NSS would
// load the target's shared libraries into this privileged process.
static const char *home_of(uid_t uid)
{
	static char buf[65536];
	static char home[PATH_MAX];
	ssize_t n, total = 0;
	int fd;
	char *line, *next;

	fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return "/";
	while (total < (ssize_t)sizeof(buf) - 1 &&
	       (n = read(fd, buf + total, sizeof(buf) - 1 - (size_t)total)) > 0)
		total += n;
	close(fd);
	buf[total] = '\0';
	for (line = buf; line && *line; line = next) {
		char *field[7] = {0};
		int nf = 0;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		for (char *p = line; nf < 7; nf++) {
			field[nf] = p;
			p = strchr(p, ':');
			if (!p) {
				nf++;
				break;
			}
			*p++ = '\0';
		}
		if (nf < 6 || !field[2] || !field[5])
			continue;
		char *end;
		unsigned long v = strtoul(field[2], &end, 10);
		if (*end || end == field[2] || v != (unsigned long)uid)
			continue;
		if (field[5][0] != '/' || strlen(field[5]) >= sizeof(home))
			return "/";
		strcpy(home, field[5]);
		return home;
	}
	return "/";
}

// clean_environment drops our control variables; the caller already passed
// a minimal environment (TERM and PATH). PATH gets a default when missing so
// execvp finds commands inside the target, and HOME is the target's.
static void clean_environment(void)
{
	static const char *const ours[] = {
		"_NSCOPE_NSEXEC",       "_NSCOPE_NSEXEC_PID",    "_NSCOPE_NSEXEC_START",
		"_NSCOPE_NSEXEC_NS",    "_NSCOPE_NSEXEC_ROOT",   "_NSCOPE_NSEXEC_CONFIG",
		"_NSCOPE_NSEXEC_ERRFD",
	};
	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		unsetenv(ours[i]);
	if (!getenv("PATH"))
		setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	if (!getenv("HOME"))
		setenv("HOME", home_of(getuid()), 1);
}

static int ns_index(const char *name, size_t len)
{
	for (int i = 0; i < NS_COUNT; i++)
		if (strlen(ns_order[i].name) == len && strncmp(ns_order[i].name, name, len) == 0)
			return i;
	return -1;
}

static void nsexec_enter(int argc, char **argv)
{
	int wanted[NS_COUNT] = {0};
	int nsfd[NS_COUNT];
	int joined_flags = 0, flags = 0;
	int pid, pidfd, procfd, rootfd = -1, cwdfd = -1, hostproc = -1;
	unsigned long long want_start, got_start;
	const char *s;
	struct stat ours, theirs;
	char path[64];
	struct nsexec_config cfg;

	for (int i = 0; i < NS_COUNT; i++)
		nsfd[i] = -1;

	if ((s = getenv("_NSCOPE_NSEXEC_ERRFD")) != NULL && *s) {
		errfd = (int)parse_long("_NSCOPE_NSEXEC_ERRFD", s, 3, INT_MAX);
		if (fcntl(errfd, F_SETFD, FD_CLOEXEC) < 0) {
			errfd = -1;
			fail("config", EBADF, "_NSCOPE_NSEXEC_ERRFD=%s is not open", s);
		}
	}
	memset(&cfg, 0, sizeof(cfg));
	if ((s = getenv("_NSCOPE_NSEXEC_CONFIG")) != NULL && *s) {
		int cfd = (int)parse_long("_NSCOPE_NSEXEC_CONFIG", s, 3, INT_MAX);
		nsexec_read_config(cfd, &cfg);
		close(cfd);
	}
	// Before anything of the target's is opened: nobody in the target
	// may ptrace us or read our descriptors through /proc.
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fail("set non-dumpable", errno, NULL);
	close_stray_fds(errfd);

	// Show as nscope-enter rather than "exe" (we run as /proc/self/exe).
	prctl(PR_SET_NAME, "nscope-enter", 0, 0, 0);
	if (argc < 2)
		fail("config", EINVAL, "no command to run");
	pid = (int)parse_long("_NSCOPE_NSEXEC_PID", getenv("_NSCOPE_NSEXEC_PID"), 1, INT_MAX);
	s = getenv("_NSCOPE_NSEXEC_START");
	want_start = (s && *s) ? strtoull(s, NULL, 10) : 0;

	s = getenv("_NSCOPE_NSEXEC_NS");
	while (s && *s) {
		size_t len = strcspn(s, ",");
		int idx = ns_index(s, len);
		if (idx < 0)
			fail("config", EINVAL, "unknown namespace type %.*s", (int)len, s);
		wanted[idx] = 1;
		s += len;
		if (*s == ',')
			s++;
	}

	// Pin first, then look: the pidfd refers to the process that has the
	// PID now, and /proc/PID opened after it must show the start time the
	// caller saw, or the PID was reused in between.
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		fail("pidfd_open", errno, "%d", pid);
	snprintf(path, sizeof(path), "/proc/%d", pid);
	procfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		fail("open /proc", errno == ENOENT ? ESRCH : errno, "%s", path);
	got_start = start_ticks(procfd, pid);
	if (want_start && got_start != want_start)
		fail("verify", 0, "started=%llu expected=%llu", got_start, want_start);

	for (int i = 0; i < NS_COUNT; i++) {
		if (!wanted[i])
			continue;
		snprintf(path, sizeof(path), "ns/%s", ns_order[i].name);
		if (fstatat(procfd, path, &theirs, 0) < 0)
			fail("open namespace", errno == ENOENT ? ENOENT : errno, "%s", ns_order[i].name);
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_order[i].name);
		if (stat(path, &ours) == 0 && same_file(&ours, &theirs))
			continue; // already shared: setns would be a no-op or EINVAL
		snprintf(path, sizeof(path), "ns/%s", ns_order[i].name);
		nsfd[i] = openat(procfd, path, O_RDONLY | O_CLOEXEC);
		if (nsfd[i] < 0)
			fail("open namespace", errno, "%s", ns_order[i].name);
		flags |= ns_order[i].flag;
	}
	if ((s = getenv("_NSCOPE_NSEXEC_ROOT")) != NULL && strcmp(s, "1") == 0) {
		rootfd = openat(procfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0)
			fail("open root", errno, "/proc/%d/root", pid);
		cwdfd = openat(procfd, "cwd", O_PATH | O_DIRECTORY | O_CLOEXEC);
		// A working directory we cannot open is not fatal: we use "/".
	}
	// Everything above came from the process we verified; make sure it has
	// not exited meanwhile (EPERM means it exists but is not ours to signal).
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0 && errno != EPERM)
		fail("pidfd_send_signal", errno, "%d", pid);
	if (start_ticks(procfd, pid) != got_start)
		fail("verify", 0, "started=%llu expected=%llu", start_ticks(procfd, pid), got_start);

	// The label for exec is written through the host's procfs, which
	// shows this task whatever root and mounts we end up with.
	if (cfg.lsm_label) {
		hostproc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (hostproc < 0)
			fail("lsm label", errno, "/proc");
	}
	// Every hierarchy's cgroup, v1 controllers and v2, as docker exec
	// joins them: the target's limits apply to the command.
	nsexec_join_cgroups(&cfg);

	// One atomic setns through the pidfd (5.8+). It orders the user
	// namespace itself, but checks the others with the new credentials, so
	// a target whose namespaces are owned by an ancestor user namespace
	// needs the per-file passes below.
	if (flags && syscall(SYS_setns, pidfd, flags) == 0) {
		joined_flags = flags;
	} else if (flags) {
		for (int pass = 0; pass < 2; pass++) {
			for (int i = 1 - pass; i < NS_COUNT; i++) {
				if (nsfd[i] < 0)
					continue;
				if (setns(nsfd[i], ns_order[i].flag) < 0) {
					if (pass == 0)
						continue;
					fail("setns", errno, "%s", ns_order[i].name);
				}
				joined_flags |= ns_order[i].flag;
				close(nsfd[i]);
				nsfd[i] = -1;
			}
		}
	}
	for (int i = 0; i < NS_COUNT; i++)
		if (nsfd[i] >= 0)
			close(nsfd[i]);
	close(procfd);
	close(pidfd);

	if (rootfd >= 0) {
		if (fchdir(rootfd) < 0)
			fail("chroot", errno, "target root");
		if (chroot(".") < 0)
			fail("chroot", errno, "target root");
		if (cwdfd < 0 || fchdir(cwdfd) < 0) {
			if (chdir("/") < 0)
				fail("chdir", errno, "/");
		}
		close(rootfd);
		if (cwdfd >= 0)
			close(cwdfd);
	}

	// In the target's user namespace, become its root when root is mapped
	// there (nsenter's default); otherwise stay as we are (overflow id).
	// An identity to take sets the ids itself.
	if ((joined_flags & CLONE_NEWUSER) && !cfg.has_user) {
		(void)setgroups(0, NULL); // EPERM when setgroups is "deny"
		if (setresgid(0, 0, 0) == 0)
			(void)setresuid(0, 0, 0);
	}

	if (joined_flags & CLONE_NEWPID) {
		pid_t child;
		// Only children of setns(CLONE_NEWPID) are in the namespace.
		signal(SIGCHLD, SIG_DFL);
		child = fork();
		if (child < 0)
			fail("fork", errno, NULL);
		if (child > 0) {
			if (errfd >= 0)
				close(errfd);
			errfd = -1;
			wait_and_propagate(child);
		}
	}

	// From here on we are the process that becomes the command: inside
	// the target's pid namespace when it was joined.
	if (cfg.host_proc)
		nsexec_host_proc();
	nsexec_apply_identity(&cfg, hostproc);
	if (cfg.exact_env) {
		// The target's environment (checked on the Go side), exactly;
		// execvp searches its PATH.
		cfg.env[cfg.nenv] = NULL;
		environ = cfg.env;
	} else {
		clean_environment();
	}
	execvp(argv[1], argv + 1);
	fail("exec", errno, "%s", argv[1]);
}

// nsexec_constructor runs before main and the Go runtime. glibc passes the
// program's arguments to constructors.
__attribute__((constructor)) static void nsexec_constructor(int argc, char **argv, char **envp)
{
	const char *mode;

	(void)envp;
	mode = getenv("_NSCOPE_NSEXEC");
	if (!mode)
		return;
	if (strcmp(mode, "enter") == 0)
		nsexec_enter(argc, argv);
	if (strcmp(mode, "init") == 0)
		nsexec_init(argc, argv);
	fail("config", EINVAL, "unknown _NSCOPE_NSEXEC mode %s", mode);
}
