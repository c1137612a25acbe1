// The enter helper's config (nsexec.Config on the Go side, config.go): read
// from a descriptor before anything else, then applied after the namespaces
// are joined: the cgroups of every hierarchy, a fresh /proc for host tools,
// and the target's identity in runc's order (see nsexec_apply_identity).
// See capabilities(7), seccomp(2), prctl(2), proc(5) "attr".

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nsexec.h"

#define fail nsexec_fail

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif
#ifndef SECCOMP_SET_MODE_FILTER
#define SECCOMP_SET_MODE_FILTER 1
#endif

// Limits as in config.go.
#define MAX_CONFIG (8 << 20)
#define MAX_RECORD (1 << 20)
#define MAX_ENV 4096
#define MAX_GROUPS 65536
#define MAX_FILTERS 64
#define MAX_INSNS 4096

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

// dupstr returns a NUL-terminated copy of n bytes; an embedded NUL is a
// malformed config.
static char *dupstr(const unsigned char *p, uint32_t n, const char *what)
{
	char *s;

	if (memchr(p, 0, n))
		fail("config", EINVAL, "%s has a NUL byte", what);
	s = malloc((size_t)n + 1);
	if (!s)
		fail("config", ENOMEM, "%s", what);
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

void nsexec_read_config(int fd, struct nsexec_config *c)
{
	unsigned char *buf, *p, *end;
	size_t len = 0, cap = 65536;
	ssize_t n;

	memset(c, 0, sizeof(*c));
	if (lseek(fd, 0, SEEK_SET) < 0 && errno != ESPIPE)
		fail("config", errno, "seek config descriptor %d", fd);
	buf = malloc(cap);
	if (!buf)
		fail("config", ENOMEM, "config");
	for (;;) {
		if (len == cap) {
			if (cap >= MAX_CONFIG)
				fail("config", EFBIG, "config larger than %d bytes", MAX_CONFIG);
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				fail("config", ENOMEM, "config");
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail("config", errno, "read config descriptor %d", fd);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len < 4 || memcmp(buf, "NSX1", 4) != 0)
		fail("config", EINVAL, "config has no NSX1 header");
	c->cgroups = calloc(64, sizeof(char *));
	c->env = calloc(MAX_ENV + 1, sizeof(char *));
	c->filters = calloc(MAX_FILTERS, sizeof(*c->filters));
	c->filter_flags = calloc(MAX_FILTERS, sizeof(*c->filter_flags));
	if (!c->cgroups || !c->env || !c->filters || !c->filter_flags)
		fail("config", ENOMEM, "config");
	p = buf + 4;
	end = buf + len;
	while (p < end) {
		unsigned char tag;
		uint32_t rl;
		const unsigned char *r;

		if (end - p < 5)
			fail("config", EINVAL, "truncated record header");
		tag = p[0];
		rl = le32(p + 1);
		p += 5;
		if (rl > MAX_RECORD || rl > (size_t)(end - p))
			fail("config", EINVAL, "record %c of %u bytes", tag, rl);
		r = p;
		p += rl;
		switch (tag) {
		case 'C':
			if (c->ncgroups >= 64)
				fail("config", E2BIG, "more than 64 cgroups");
			c->cgroups[c->ncgroups] = dupstr(r, rl, "cgroup path");
			if (c->cgroups[c->ncgroups][0] != '/')
				fail("config", EINVAL, "cgroup path is not absolute");
			c->ncgroups++;
			break;
		case 'H':
			c->host_proc = 1;
			break;
		case 'X':
			c->exact_env = 1;
			break;
		case 'E':
			if (c->nenv >= MAX_ENV)
				fail("config", E2BIG, "more than %d environment entries", MAX_ENV);
			c->env[c->nenv] = dupstr(r, rl, "environment entry");
			if (!strchr(c->env[c->nenv], '=') || c->env[c->nenv][0] == '=')
				fail("config", EINVAL, "environment entry without NAME=");
			c->nenv++;
			break;
		case 'U':
			if (rl != 8)
				fail("config", EINVAL, "user record of %u bytes", rl);
			c->has_user = 1;
			c->uid = le32(r);
			c->gid = le32(r + 4);
			break;
		case 'G':
			if (rl % 4 || rl / 4 > MAX_GROUPS)
				fail("config", EINVAL, "groups record of %u bytes", rl);
			c->set_groups = 1;
			c->ngroups = (int)(rl / 4);
			c->groups = calloc((size_t)c->ngroups + 1, sizeof(gid_t));
			if (!c->groups)
				fail("config", ENOMEM, "groups");
			for (int i = 0; i < c->ngroups; i++)
				c->groups[i] = (gid_t)le32(r + 4 * i);
			break;
		case 'K':
			if (rl != 40)
				fail("config", EINVAL, "capability record of %u bytes", rl);
			c->has_caps = 1;
			for (int i = 0; i < 5; i++)
				c->caps[i] = le64(r + 8 * i);
			break;
		case 'N':
			c->nnp = 1;
			break;
		case 'L':
			if (rl < 2 || (r[0] != 'a' && r[0] != 's'))
				fail("config", EINVAL, "LSM record");
			c->lsm_kind = (char)r[0];
			c->lsm_label = dupstr(r + 1, rl - 1, "LSM label");
			break;
		case 'F': {
			uint32_t ninsns;
			struct sock_filter *insns;

			if (rl < 12 || (rl - 4) % 8 || (rl - 4) / 8 > MAX_INSNS)
				fail("config", EINVAL, "seccomp record of %u bytes", rl);
			if (c->nfilters >= MAX_FILTERS)
				fail("config", E2BIG, "more than %d seccomp filters", MAX_FILTERS);
			ninsns = (rl - 4) / 8;
			insns = calloc(ninsns, sizeof(*insns));
			if (!insns)
				fail("config", ENOMEM, "seccomp filter");
			for (uint32_t i = 0; i < ninsns; i++) {
				const unsigned char *in = r + 4 + 8 * i;
				insns[i].code = (uint16_t)(in[0] | in[1] << 8);
				insns[i].jt = in[2];
				insns[i].jf = in[3];
				insns[i].k = le32(in + 4);
			}
			c->filter_flags[c->nfilters] = le32(r);
			c->filters[c->nfilters].len = (unsigned short)ninsns;
			c->filters[c->nfilters].filter = insns;
			c->nfilters++;
			break;
		}
		default:
			fail("config", EINVAL, "unknown record %c", tag);
		}
	}
	if ((c->set_groups || c->has_caps || c->nnp || c->lsm_label || c->nfilters) && !c->has_user)
		fail("config", EINVAL, "identity records without a user record");
	free(buf);
}

void nsexec_join_cgroups(const struct nsexec_config *c)
{
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%d", (int)getpid());

	for (int i = 0; i < c->ncgroups; i++) {
		int fd = open(c->cgroups[i], O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			fail("join cgroup", errno, "%s", c->cgroups[i]);
		if (write(fd, pid, (size_t)n) != n)
			fail("join cgroup", errno, "%s", c->cgroups[i]);
		close(fd);
	}
}

void nsexec_host_proc(void)
{
	// A copy of our mount namespace; slave, so the host's mounts still
	// show and ours never reach the host.
	if (unshare(CLONE_NEWNS) < 0)
		fail("private mounts", errno, "unshare a mount namespace");
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		fail("private mounts", errno, "make / a slave");
	// Mounted by a process inside the target's pid namespace, so the new
	// procfs is that namespace's.
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		fail("mount /proc", errno, "/proc");
}

// write_lsm sets the label the next execve(2) gets, through the host's
// procfs (hostproc), which shows this task whatever root we are in.
static void write_lsm(const struct nsexec_config *c, int hostproc)
{
	char value[4200];
	const char *paths[2];
	int fd = -1, n, err = 0;

	if (c->lsm_kind == 'a') {
		n = snprintf(value, sizeof(value), "exec %s", c->lsm_label);
		paths[0] = "thread-self/attr/apparmor/exec";
		paths[1] = "thread-self/attr/exec";
	} else {
		n = snprintf(value, sizeof(value), "%s", c->lsm_label);
		paths[0] = "thread-self/attr/exec";
		paths[1] = NULL;
	}
	if (n < 0 || (size_t)n >= sizeof(value))
		fail("lsm label", ENAMETOOLONG, "%s", c->lsm_label);
	for (int i = 0; i < 2 && paths[i] && fd < 0; i++) {
		fd = openat(hostproc, paths[i], O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			err = errno;
	}
	if (fd < 0)
		fail("lsm label", err, "/proc/thread-self/attr/exec");
	if (write(fd, value, (size_t)n) != n)
		fail("lsm label", errno, "%s", c->lsm_label);
	close(fd);
}

static void install_filters(const struct nsexec_config *c)
{
	// Oldest first, as the target got them: the kernel runs the newest
	// first and the most restrictive verdict wins.
	for (int i = 0; i < c->nfilters; i++) {
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, c->filter_flags[i], &c->filters[i]) < 0)
			fail("seccomp", errno, "filter %d of %d (%u instructions)", i + 1, c->nfilters,
			     (unsigned)c->filters[i].len);
	}
}

static void set_caps(const struct nsexec_config *c)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];
	const uint64_t eff = c->caps[0], prm = c->caps[1], inh = c->caps[2], amb = c->caps[4];

	data[0].effective = (uint32_t)eff;
	data[1].effective = (uint32_t)(eff >> 32);
	data[0].permitted = (uint32_t)prm;
	data[1].permitted = (uint32_t)(prm >> 32);
	data[0].inheritable = (uint32_t)inh;
	data[1].inheritable = (uint32_t)(inh >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0)
		fail("capabilities", errno, "capset effective=%016llx permitted=%016llx inheritable=%016llx",
		     (unsigned long long)eff, (unsigned long long)prm, (unsigned long long)inh);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		fail("ambient capabilities", errno, "clear");
	for (int cap = 0; cap < 64; cap++) {
		if (!(amb >> cap & 1))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			fail("ambient capabilities", errno, "raise capability %d", cap);
	}
}

void nsexec_apply_identity(const struct nsexec_config *c, int hostproc)
{
	if (!c->has_user)
		return;
	if (c->lsm_label)
		write_lsm(c, hostproc);
	if (hostproc >= 0)
		close(hostproc);
	// Without no_new_privs, installing a filter needs CAP_SYS_ADMIN: do
	// it now, as runc does; the filter then sees the calls below, which
	// the target's runtime made under it too.
	if (c->nfilters && !c->nnp)
		install_filters(c);
	if (c->has_caps) {
		const uint64_t bnd = c->caps[3];
		for (int cap = 0; cap < 64; cap++) {
			if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
				break; // past CAP_LAST_CAP
			if (bnd >> cap & 1)
				continue;
			if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
				fail("bounding set", errno, "drop capability %d", cap);
		}
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
			fail("capabilities", errno, "PR_SET_KEEPCAPS");
	}
	if (c->set_groups && setgroups((size_t)c->ngroups, c->groups) < 0)
		fail("setgroups", errno, "%d groups", c->ngroups);
	if (setresgid(c->gid, c->gid, c->gid) < 0)
		fail("setgid", errno, "%u", (unsigned)c->gid);
	if (setresuid(c->uid, c->uid, c->uid) < 0)
		fail("setuid", errno, "%u", (unsigned)c->uid);
	if (c->has_caps) {
		if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
			fail("capabilities", errno, "PR_SET_KEEPCAPS");
		set_caps(c);
	}
	if (c->nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail("no_new_privs", errno, NULL);
	// With no_new_privs the filters need no privilege: last, so that as
	// few of our own calls as possible run under them.
	if (c->nfilters && c->nnp)
		install_filters(c);
}
