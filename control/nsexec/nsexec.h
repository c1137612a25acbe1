// Shared between the nsexec constructor's modes (nsexec.c: enter,
// init.c: init).
#ifndef NSCOPE_NSEXEC_H
#define NSCOPE_NSEXEC_H

// NSEXEC_EXIT_FAILURE is the exit code when the helper failed before the
// command ran (nsexec.ExitFailure on the Go side).
#define NSEXEC_EXIT_FAILURE 125

// nsexec_init runs the init of "nscope run"; it never returns.
void nsexec_init(int argc, char **argv) __attribute__((noreturn));

// nsexec_fail reports a failed step of "enter" on the error descriptor and
// exits. err is an errno value, or 0 for a failure of the helper's own.
void nsexec_fail(const char *step, int err, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

#include <stdint.h>
#include <sys/types.h>

struct sock_fprog;

// nsexec_config is a parsed nsexec.Config (config.go, config.c).
struct nsexec_config {
	char **cgroups; // cgroup.procs files to join
	int ncgroups;
	int host_proc; // private mounts and a fresh /proc
	int exact_env; // env is the command's whole environment
	char **env;    // NULL-terminated
	int nenv;
	int has_user; // an identity to take: uid, gid and what follows
	uint32_t uid, gid;
	int set_groups;
	gid_t *groups;
	int ngroups;
	int has_caps;
	uint64_t caps[5]; // effective, permitted, inheritable, bounding, ambient
	int nnp;
	char lsm_kind; // 'a' AppArmor, 's' SELinux, 0 none
	char *lsm_label;
	struct sock_fprog *filters; // oldest first
	uint32_t *filter_flags;
	int nfilters;
};

// nsexec_read_config reads and parses the config on fd.
void nsexec_read_config(int fd, struct nsexec_config *c);
// nsexec_join_cgroups writes our PID to every cgroup.procs of c.
void nsexec_join_cgroups(const struct nsexec_config *c);
// nsexec_host_proc makes a private copy of our mount namespace and mounts a
// fresh procfs of our (the target's) pid namespace on /proc.
void nsexec_host_proc(void);
// nsexec_apply_identity takes c's identity; hostproc is the host's /proc
// (O_PATH), used for the LSM label and closed, or -1.
void nsexec_apply_identity(const struct nsexec_config *c, int hostproc);

#endif
