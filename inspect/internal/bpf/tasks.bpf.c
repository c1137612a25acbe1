//go:build ignore

/*
 * The task iterators: in one pass through every task, what /proc would
 * take ten readlinks, a status read and an fd-table walk per process to
 * give. Tracing programs may load through the kernel's pointers
 * directly (a fault or NULL reads as 0); field offsets are relocated to
 * the running kernel's (CO-RE) when inspect loads them.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "records.h"

/* bpf_seq_write is GPL-only. */
char LICENSE[] SEC("license") = "Dual MIT/GPL";

DECLARE_FOR_GO(struct task_record, go_task_record);
DECLARE_FOR_GO(struct file_record, go_file_record);
DECLARE_FOR_GO(struct css_record, go_css_record);
DECLARE_FOR_GO(enum ns_slot, go_ns_slot);
DECLARE_FOR_GO(enum task_limits, go_task_limits);
DECLARE_FOR_GO(enum task_flags, go_task_flags);

#define NSFS_MAGIC 0x6e736673

/* Time namespaces are optional (CONFIG_TIME_NS): the kernel then has
 * no nsproxy.time_ns, and /proc no time links either. */
#define NS_INUM(slot, member)                                           \
	if (bpf_core_field_exists(nsp->member)) {                       \
		rec.ns[slot] = nsp->member->ns.inum;                    \
		rec.owner[slot] = nsp->member->user_ns->ns.inum;        \
	}

/* The address of level i of a struct pid's numbers[]. The array is
 * declared numbers[1] before 6.5 and numbers[] since, so it is walked by
 * address rather than by index. */
static __always_inline struct upid *pid_level(struct pid *pid, unsigned int i)
{
	return (void *)pid + bpf_core_field_offset(pid->numbers) + i * bpf_core_type_size(struct upid);
}

/* nscope_tasks: one task_record per thread-group leader. */
SEC("iter/task")
int nscope_tasks(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct task_record rec = {};

	/* Loaded once, here, before the paths below part: the verifier
	 * checks each pointer loaded from a trusted one by searching the
	 * kernel's BTF, once per path that reaches the load. */
	barrier_var(seq);
	if (!task || task->pid != task->tgid)
		return 0; /* the end of the pass, or a thread other than the leader */
	rec.tgid = task->tgid;
	rec.start_ns = task->start_boottime;
	/* Copied: a pointer loaded from the task costs the verifier a search
	 * of the kernel's BTF, and this one is only a key. */
	bpf_core_read(&rec.css_set, sizeof(rec.css_set), &task->cgroups);

	/* Credentials: effective UID and the user namespace, whose owner is
	 * its parent. */
	const struct cred *cred = task->real_cred;
	rec.euid = cred->euid.val;
	rec.ns[NS_USER] = cred->user_ns->ns.inum;
	rec.owner_uid = cred->user_ns->owner.val;
	rec.owner[NS_USER] = cred->user_ns->parent->ns.inum;

	/* NULL once the task is exiting, as /proc's links fail then. */
	struct nsproxy *nsp = task->nsproxy;
	if (nsp) {
		rec.flags |= TASK_HAS_NSPROXY;
		NS_INUM(NS_MNT, mnt_ns);
		NS_INUM(NS_NET, net_ns);
		NS_INUM(NS_IPC, ipc_ns);
		NS_INUM(NS_UTS, uts_ns);
		NS_INUM(NS_CGROUP, cgroup_ns);
		NS_INUM(NS_TIME, time_ns);
		NS_INUM(NS_PID_FOR_CHILDREN, pid_ns_for_children);
		NS_INUM(NS_TIME_FOR_CHILDREN, time_ns_for_children);
		rec.pid_for_children_parent = nsp->pid_ns_for_children->parent->ns.inum;
	}

	/* The struct pid: the PID at every level, and the pid namespace of
	 * the innermost level, which is the task's. Read with probe reads:
	 * its numbers[] is indexed at run time. */
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	if (!pid)
		goto emit;
	unsigned int level = BPF_CORE_READ(pid, level);
	rec.level = level;
	if (level >= MAX_LEVELS)
		goto emit; /* inspect reads /proc for these */
	struct pid_namespace *pidns = NULL;
	for (unsigned int i = 0; i < MAX_LEVELS; i++) {
		struct upid *up = pid_level(pid, i);
		rec.nspid[i] = BPF_CORE_READ(up, nr);
		if (i == level) {
			pidns = BPF_CORE_READ(up, ns);
			break;
		}
	}
	if (pidns) {
		rec.ns[NS_PID] = BPF_CORE_READ(pidns, ns.inum);
		rec.owner[NS_PID] = BPF_CORE_READ(pidns, user_ns, ns.inum);
		rec.pid_parent = BPF_CORE_READ(pidns, parent, ns.inum);
	}
emit:
	bpf_seq_write(seq, &rec, sizeof(rec));
	return 0;
}

/* nscope_nsfds: one file_record per open file on nsfs (a namespace held
 * by an fd). */
SEC("iter/task_file")
int nscope_nsfds(struct bpf_iter__task_file *ctx)
{
	struct file *file = ctx->file;
	struct task_struct *task = ctx->task;

	if (!file || !task)
		return 0;
	struct inode *inode = file->f_inode;
	if (inode->i_sb->s_magic != NSFS_MAGIC)
		return 0;
	struct file_record rec = {
		.tgid = task->tgid,
		.fd = ctx->fd,
		.ino = inode->i_ino,
	};
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}

/* nscope_cssets: per thread-group leader its css_set, as nscope_tasks
 * reads it; run again after the /proc reads to find processes that
 * moved meanwhile. */
SEC("iter/task")
int nscope_cssets(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;

	if (!task || task->pid != task->tgid)
		return 0;
	struct css_record rec = {.tgid = task->tgid};

	bpf_core_read(&rec.css_set, sizeof(rec.css_set), &task->cgroups);
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}
