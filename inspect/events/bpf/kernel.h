// SPDX-License-Identifier: (MIT OR GPL-2.0)
//
// The kernel structures procevents.bpf.c reads, declared with only the
// fields it uses. preserve_access_index turns each access into a CO-RE
// relocation that the loader resolves against the running kernel's BTF,
// so the offsets here do not matter (and the field order need not match).

#ifndef NSCOPE_KERNEL_H
#define NSCOPE_KERNEL_H

typedef _Bool bool;
#define true 1
#define false 0
typedef int pid_t;

#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)

typedef struct { int counter; } atomic_t;
typedef struct { __u32 val; } kuid_t;

struct ns_common { unsigned int inum; };
struct mnt_namespace { struct ns_common ns; };
struct pid_namespace { struct ns_common ns; };
struct net { struct ns_common ns; };
struct ipc_namespace { struct ns_common ns; };
struct uts_namespace { struct ns_common ns; };
struct user_namespace { struct ns_common ns; };
struct cgroup_namespace { struct ns_common ns; };
struct time_namespace { struct ns_common ns; };

struct nsproxy {
	struct uts_namespace *uts_ns;
	struct ipc_namespace *ipc_ns;
	struct mnt_namespace *mnt_ns;
	struct net *net_ns;
	struct time_namespace *time_ns;
	struct cgroup_namespace *cgroup_ns;
};

struct upid { int nr; struct pid_namespace *ns; };
struct pid { unsigned int level; struct upid numbers[1]; };

struct cred {
	kuid_t uid;
	kuid_t euid;
	struct user_namespace *user_ns;
};

struct signal_struct { atomic_t live; };
struct css_set;
struct mm_struct { unsigned long arg_start; unsigned long arg_end; };

struct task_struct {
	int pid;
	int tgid;
	int exit_code;
	unsigned int in_execve: 1;
	struct task_struct *real_parent;
	struct pid *thread_pid;
	const struct cred *real_cred;
	char comm[16];
	struct nsproxy *nsproxy;
	struct signal_struct *signal;
	struct css_set *cgroups;
	struct mm_struct *mm;
};

struct linux_binprm { const char *filename; };
struct cgroup_root { int hierarchy_id; };
struct cgroup { struct cgroup_root *root; };


#pragma clang attribute pop

#endif
