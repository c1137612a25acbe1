// forkgen RATE SECONDS WORKERS MODE NOP: start RATE processes a second
// (0 = as fast as possible) for SECONDS, split over WORKERS. MODE exec
// runs the static program NOP in each child (fork, exec, exit); fork just
// exits (fork, exit); thread creates and joins a thread instead of a
// process. Prints how many it started. Built by measure_test.go.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *nothing(void *a) { return a; }

static long long nsnow(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: forkgen RATE SECONDS WORKERS exec|fork|thread NOP\n");
		return 2;
	}
	double rate = atof(argv[1]), secs = atof(argv[2]);
	int workers = atoi(argv[3]);
	int doexec = strcmp(argv[4], "exec") == 0, dothread = strcmp(argv[4], "thread") == 0;
	char *nop = argv[5];
	long *count = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	for (int w = 0; w < workers; w++) {
		if (fork() != 0)
			continue;
		long long start = nsnow(), end = start + (long long)(secs * 1e9);
		long long step = rate > 0 ? (long long)(1e9 * workers / rate) : 0;
		long n = 0;
		for (;;) {
			long long now = nsnow();
			if (now >= end)
				break;
			if (step) {
				long long due = start + n * step;
				if (due > now) {
					struct timespec ts = {due / 1000000000LL, due % 1000000000LL};
					clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
				}
			}
			if (dothread) {
				pthread_t th;
				pthread_create(&th, NULL, nothing, NULL);
				pthread_join(th, NULL);
			} else {
				pid_t p = fork();
				if (p == 0) {
					if (doexec) {
						char *a[] = {nop, NULL};
						execve(nop, a, NULL);
					}
					_exit(0);
				}
				waitpid(p, NULL, 0);
			}
			n++;
		}
		__sync_fetch_and_add(count, n);
		_exit(0);
	}
	while (wait(NULL) > 0)
		;
	printf("%ld\n", *count);
	return 0;
}
