// The forkrun helper: when _BENCHHOST_FORKRUN_FD is set, this constructor
// runs before the Go runtime of the binary starts. It fork()s (a real fork,
// not Go's vfork), execs argv[1..] in the child, waits for it with wait4,
// and writes "ok WALL_NS MAXRSS_KB WAIT_STATUS" to that descriptor, then
// exits with the child's exit code. See forkrun.go for why.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FORKRUN_ENV "_BENCHHOST_FORKRUN_FD"

static long long elapsed_ns(const struct timespec *a, const struct timespec *b)
{
	return (long long)(b->tv_sec - a->tv_sec) * 1000000000LL + (b->tv_nsec - a->tv_nsec);
}

// glibc passes argc, argv and envp to the functions in .init_array.
__attribute__((constructor)) static void benchhost_forkrun(int argc, char **argv, char **envp)
{
	(void)envp;
	const char *fdstr = getenv(FORKRUN_ENV);
	if (fdstr == NULL)
		return;
	char *end = NULL;
	errno = 0;
	long fd = strtol(fdstr, &end, 10);
	if (errno != 0 || *fdstr == '\0' || *end != '\0' || fd < 3 || fd > 65535) {
		fprintf(stderr, "benchhost forkrun: %s=%s is not a descriptor number >= 3\n", FORKRUN_ENV, fdstr);
		_exit(126);
	}
	if (argc < 2) {
		dprintf((int)fd, "error no command given\n");
		_exit(126);
	}
	unsetenv(FORKRUN_ENV);
	if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0) {
		fprintf(stderr, "benchhost forkrun: descriptor %ld: %s\n", fd, strerror(errno));
		_exit(126);
	}

	pid_t parent = getpid();
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid < 0) {
		dprintf((int)fd, "error fork: %s (errno %d)\n", strerror(errno), errno);
		_exit(126);
	}
	if (pid == 0) {
		// Die with the helper, so a cancelled measurement leaves nothing.
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		execvp(argv[1], argv + 1);
		dprintf((int)fd, "error exec %s: %s (errno %d)\n", argv[1], strerror(errno), errno);
		_exit(127);
	}
	int status = 0;
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			dprintf((int)fd, "error wait4: %s (errno %d)\n", strerror(errno), errno);
			_exit(126);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dprintf((int)fd, "ok %lld %ld %d\n", elapsed_ns(&t0, &t1), ru.ru_maxrss, status);
	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	_exit(128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0));
}
