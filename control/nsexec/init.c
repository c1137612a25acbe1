// The init of "nscope run": PID 1 of the new pid namespace, in C so that it
// is one task (a Go runtime would start several threads, and on cgroup v2
// the init is born inside the cgroup, where every thread counts against
// pids.max) and needs nothing once running.
//
// The parent (package control, launch_cmd.go) clones this binary with the
// new namespaces and _NSCOPE_NSEXEC=init. Descriptors:
//   3  control, from the parent: 'g' once the init is in all its cgroups
//      (EOF first means abort); later 'f'/'b' to continue a stopped command
//      in the foreground (with the terminal) or the background.
//   4  status, to the parent, one line each: "started PID" or
//      "error\tSTEP\tERRNO\tDETAIL"; "stopped" when the command is stopped
//      from the terminal; last "exited CODE SIGNAL".
//   5  the controlling terminal, when the setup has "foreground".
// _NSCOPE_INIT_SETUP lists what to set up (mount, uts, net, cgroupns,
// timens, foreground); _NSCOPE_INIT_HOSTNAME is the hostname; argv[1..] is
// the command. See pid_namespaces(7), mount_namespaces(7),
// cgroup_namespaces(7), time_namespaces(7), netdevice(7).

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "nsexec.h"

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define FD_CONTROL 3
#define FD_STATUS 4
#define FD_TTY 5

// Signals passed on to the command. SIGCONT is not: a stopped command is
// continued on the parent's word, after it got the terminal back.
static const int forwarded[] = {SIGHUP, SIGINT,  SIGQUIT, SIGTERM,
				SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH};

static void status_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void status_line(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	// The parent may be gone (then Pdeathsig ends us); nothing to do.
	(void)!write(FD_STATUS, line, (size_t)n);
}

static void init_fail(const char *step, int err, const char *detail) __attribute__((noreturn));

static void init_fail(const char *step, int err, const char *detail)
{
	char clean[512];

	snprintf(clean, sizeof(clean), "%s", detail ? detail : "");
	for (char *p = clean; *p; p++)
		if (*p == '\t' || *p == '\n')
			*p = ' ';
	status_line("error\t%s\t%d\t%s\n", step, err, clean);
	_exit(NSEXEC_EXIT_FAILURE);
}

static int has_word(const char *list, const char *word)
{
	size_t len = strlen(word);

	while (list && *list) {
		size_t n = strcspn(list, ",");
		if (n == len && strncmp(list, word, len) == 0)
			return 1;
		list += n;
		if (*list == ',')
			list++;
	}
	return 0;
}

// lo_up sets IFF_UP on lo, as "ip link set lo up" does.
static int lo_up(void)
{
	struct ifreq ifr;
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		err = errno;
	else {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			err = errno;
	}
	close(fd);
	return err;
}

// give_terminal makes pgrp the terminal's foreground process group. We may
// be in a background group, so SIGTTOU is blocked for the call.
static int give_terminal(pid_t pgrp)
{
	sigset_t ttou, old;
	int err = 0;

	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	if (tcsetpgrp(FD_TTY, pgrp) < 0)
		err = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return err;
}

// clean_init_environment removes our variables before the command runs.
static void clean_init_environment(void)
{
	unsetenv("_NSCOPE_NSEXEC");
	unsetenv("_NSCOPE_INIT_SETUP");
	unsetenv("_NSCOPE_INIT_HOSTNAME");
}

// start_command forks and execs argv. The child reports a failure before
// or at exec on a close-on-exec pipe: {step, errno}.
static pid_t start_command(char **argv, int foreground, const sigset_t *mask)
{
	struct {
		int step; // 0 exec, 1 setpgid, 2 tcsetpgrp
		int err;
	} report;
	static const char *steps[] = {"exec", "setpgid", "give the terminal"};
	int pfd[2];
	pid_t pid;
	ssize_t n;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		init_fail("pipe", errno, NULL);
	pid = fork();
	if (pid < 0)
		init_fail("fork", errno, NULL);
	if (pid == 0) {
		close(pfd[0]);
		report.step = 0;
		if (foreground) {
			report.step = 1;
			if (setpgid(0, 0) < 0)
				goto failed;
			report.step = 2;
			if ((report.err = give_terminal(getpid())) != 0)
				goto failed_err;
		}
		// The command starts with nothing blocked and default handlers
		// (we install none; the mask is the only thing to undo).
		sigprocmask(SIG_SETMASK, mask, NULL);
		report.step = 0;
		execvp(argv[0], argv);
	failed:
		report.err = errno;
	failed_err:
		(void)!write(pfd[1], &report, sizeof(report));
		_exit(127);
	}
	close(pfd[1]);
	do
		n = read(pfd[0], &report, sizeof(report));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == (ssize_t)sizeof(report)) {
		waitpid(pid, NULL, 0);
		init_fail(steps[report.step], report.err, argv[0]);
	}
	return pid;
}

// finish reports how the command ended and exits with its status: the
// code, or 128+N for signal N (an init cannot end itself by a signal).
static void finish(int status) __attribute__((noreturn));

static void finish(int status)
{
	int code = 1, sig = 0;

	if (WIFEXITED(status))
		code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status)) {
		sig = WTERMSIG(status);
		code = 128 + sig;
	}
	status_line("exited %d %d\n", code, sig);
	_exit(code);
}

void nsexec_init(int argc, char **argv)
{
	const char *setup = getenv("_NSCOPE_INIT_SETUP");
	const char *hostname = getenv("_NSCOPE_INIT_HOSTNAME");
	int foreground = has_word(setup, "foreground");
	sigset_t mask, old;
	struct pollfd pfd[2];
	int sfd, nfds;
	pid_t cmd;
	char c;
	ssize_t n;

	fcntl(FD_CONTROL, F_SETFD, FD_CLOEXEC);
	fcntl(FD_STATUS, F_SETFD, FD_CLOEXEC);
	if (foreground)
		fcntl(FD_TTY, F_SETFD, FD_CLOEXEC);
	prctl(PR_SET_NAME, "nscope-init", 0, 0, 0);
	if (argc < 2)
		init_fail("config", EINVAL, "no command to run");
	if (getpid() != 1)
		init_fail("config", EINVAL, "the init is not PID 1: no new pid namespace");

	// Hold until the parent has put us in every cgroup.
	do
		n = read(FD_CONTROL, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1 || c != 'g')
		_exit(NSEXEC_EXIT_FAILURE); // the parent gave up and says why

	if (has_word(setup, "mount")) {
		// Private first, so nothing we mount propagates to the host.
		if (mount("", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			init_fail("make / private", errno, "/");
		if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
			init_fail("mount /proc", errno, "/proc");
	}
	if (has_word(setup, "uts") && hostname && *hostname) {
		if (sethostname(hostname, strlen(hostname)) < 0)
			init_fail("set hostname", errno, hostname);
	}
	if (has_word(setup, "net")) {
		int err = lo_up();
		if (err)
			init_fail("bring lo up", err, "lo");
	}
	// After placement, so the cgroup namespace is rooted at our cgroup;
	// a time namespace can only be unshared, and holds our children.
	if (has_word(setup, "cgroupns") && unshare(CLONE_NEWCGROUP) < 0)
		init_fail("unshare cgroup namespace", errno, NULL);
	if (has_word(setup, "timens") && unshare(CLONE_NEWTIME) < 0)
		init_fail("unshare time namespace", errno, NULL);

	// Blocked signals are delivered to a pid namespace's init even from
	// inside it (a SIG_DFL one would be dropped); read them from a
	// signalfd.
	sigemptyset(&mask);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&mask, forwarded[i]);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, &old) < 0)
		init_fail("block signals", errno, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0)
		init_fail("signalfd", errno, NULL);

	clean_init_environment();
	cmd = start_command(argv + 1, foreground, &old);
	status_line("started %d\n", (int)cmd);

	pfd[0].fd = sfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = FD_CONTROL;
	pfd[1].events = POLLIN;
	nfds = foreground ? 2 : 1;
	for (;;) {
		if (poll(pfd, (nfds_t)nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			init_fail("poll", errno, NULL);
		}
		if (nfds == 2 && (pfd[1].revents & (POLLIN | POLLHUP))) {
			n = read(FD_CONTROL, &c, 1);
			if (n <= 0) {
				nfds = 1; // the parent is gone
			} else {
				if (c == 'f')
					(void)give_terminal(cmd);
				kill(-cmd, SIGCONT);
			}
		}
		if (!(pfd[0].revents & POLLIN))
			continue;
		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
			continue;
		if ((int)si.ssi_signo != SIGCHLD) {
			kill(cmd, (int)si.ssi_signo);
			continue;
		}
		// Reap everything: the command and any orphan reparented to us.
		for (;;) {
			int status;
			pid_t r = waitpid(-1, &status, WNOHANG | WUNTRACED);
			if (r <= 0)
				break;
			if (r != cmd)
				continue;
			if (WIFSTOPPED(status)) {
				if (foreground)
					status_line("stopped\n");
				continue;
			}
			finish(status);
		}
	}
}
