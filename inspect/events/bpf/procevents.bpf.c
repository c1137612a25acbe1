// SPDX-License-Identifier: (MIT OR GPL-2.0)
//
// procevents: process lifecycle events for nscope, from scheduler and
// task tracepoints into one ring buffer. Each record carries what user
// space would otherwise race to read from /proc after the fact: the
// name, parent, IDs and namespace inode numbers of the process at the
// moment of the event.
//
// Built with bpf2go (see ../gen.go); CO-RE: the kernel structures below
// are declared with only the fields read, and preserve_access_index
// makes the loader relocate every access against the running kernel's
// BTF, so one object runs on every kernel with BTF from 5.8 on.

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "kernel.h"
#include "procevents.h"

// PID_MAX_LIMIT is the kernel's largest possible PID (4M on 64-bit).
#define PID_MAX_LIMIT (4 * 1024 * 1024)

char LICENSE[] SEC("license") = "Dual MIT/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

// Unused pointers that put every record type into the object's BTF, so
// that bpf2go generates its Go type.
const struct event *unused_event __attribute__((unused));
const struct exec_event *unused_exec_event __attribute__((unused));
const struct rename_event *unused_rename_event __attribute__((unused));
const struct uid_event *unused_uid_event __attribute__((unused));
const struct attach_event *unused_attach_event __attribute__((unused));

// lost counts records dropped because the ring buffer was full. User
// space reads it after every batch and resyncs from /proc when it grew.
volatile __u64 lost = 0;

// The tp_btf programs below read kernel structures with plain loads: the
// verifier knows their arguments' BTF types and turns each load into one
// that reads 0 instead of faulting (a NULL pointer on the way reads as 0,
// which user space treats as unknown). That is several times cheaper than
// a bpf_probe_read_kernel call per field.

// fill_task fills the fields common to every record from a task and
// returns the task's pid namespace.
static __always_inline struct pid_namespace *fill_task(struct event *e, struct task_struct *t)
{
	struct pid *tp = t->thread_pid;
	unsigned int level = tp->level;
	struct upid up = {};

	e->time_ns = bpf_ktime_get_boot_ns();
	e->pid = t->tgid;
	e->ppid = t->real_parent->tgid;
	e->uid = t->real_cred->uid.val;
	e->euid = t->real_cred->euid.val;
	// The PID as the process's own pid namespace numbers it: a variable
	// index, which plain loads do not allow.
	bpf_probe_read_kernel(&up, sizeof(up), &tp->numbers[level]);
	e->inner_pid = up.nr;
	__builtin_memcpy(e->comm, t->comm, sizeof(e->comm));
	return up.ns;
}

// fill_ns fills the namespace inode numbers, in nscope's type order
// (mnt pid net ipc uts user cgroup time); pidns is what fill_task returned.
static __always_inline void fill_ns(struct event *e, struct task_struct *t, struct pid_namespace *pidns)
{
	struct nsproxy *nsp = t->nsproxy;

	e->ns[NS_PID] = BPF_CORE_READ(pidns, ns.inum);
	e->ns[NS_USER] = t->real_cred->user_ns->ns.inum;
	if (!nsp)
		return;
	e->ns[NS_MNT] = nsp->mnt_ns->ns.inum;
	e->ns[NS_NET] = nsp->net_ns->ns.inum;
	e->ns[NS_IPC] = nsp->ipc_ns->ns.inum;
	e->ns[NS_UTS] = nsp->uts_ns->ns.inum;
	e->ns[NS_CGROUP] = nsp->cgroup_ns->ns.inum;
	if (bpf_core_field_exists(nsp->time_ns))
		e->ns[NS_TIME] = nsp->time_ns->ns.inum;
}

// in_execve reports whether the task is inside execve(2) (false on a
// kernel without the flag).
static __always_inline bool in_execve(struct task_struct *t)
{
	if (!bpf_core_field_exists(t->in_execve))
		return false;
	return BPF_CORE_READ_BITFIELD(t, in_execve);
}

static __always_inline struct event *reserve(__u64 size)
{
	struct event *e = bpf_ringbuf_reserve(&events, size, 0);
	if (!e) {
		__sync_fetch_and_add(&lost, 1);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	return e;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	// A new thread is not a new process.
	if (child->pid != child->tgid)
		return 0;
	struct event *e = reserve(sizeof(struct event));
	if (!e)
		return 0;
	e->kind = EV_FORK;
	fill_ns(e, child, fill_task(e, child));
	// A child shares its parent's css_set unless clone3 placed it
	// elsewhere (CLONE_INTO_CGROUP): then user space reads its cgroups.
	if (child->cgroups != parent->cgroups)
		e->flags |= FL_CGROUPS_DIFFER;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	struct exec_event *e = (struct exec_event *)reserve(sizeof(struct exec_event));
	if (!e)
		return 0;
	e->ev.kind = EV_EXEC;
	fill_ns(&e->ev, task, fill_task(&e->ev, task));
	// The exec'ing thread became the leader; old_pid was its own ID.
	e->ev.aux = old_pid;
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), bprm->filename);
	// The new image's arguments are on its stack, just written by exec.
	unsigned long start = task->mm->arg_start;
	unsigned long end = task->mm->arg_end;
	unsigned long len = end - start;
	if (len > ARGS_MAX) {
		len = ARGS_MAX;
		e->ev.flags |= FL_ARGS_TRUNCATED;
	}
	if (len > 0 && bpf_probe_read_user(e->args, len, (void *)start) == 0)
		e->args_len = len;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *task)
{
	// Only the last thread's exit ends the process.
	if (task->signal->live.counter != 0)
		return 0;
	struct event *e = reserve(sizeof(struct event));
	if (!e)
		return 0;
	e->kind = EV_EXIT;
	fill_task(e, task);
	e->aux = task->exit_code;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/task_rename")
int BPF_PROG(on_rename, struct task_struct *task, const char *comm)
{
	// exec sets the name too; that is the exec event. A thread's name is
	// not the process's.
	if (in_execve(task))
		return 0;
	if (task->pid != task->tgid)
		return 0;
	struct rename_event *e = (struct rename_event *)reserve(sizeof(struct rename_event));
	if (!e)
		return 0;
	e->ev.kind = EV_COMM;
	fill_task(&e->ev, task);
	// The tracepoint fires before the copy: comm is still the old name.
	__builtin_memcpy(e->old_comm, e->ev.comm, sizeof(e->old_comm));
	bpf_probe_read_kernel_str(e->ev.comm, sizeof(e->ev.comm), comm);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

// Credentials are committed for setuid(2) and friends, and by execve(2)
// of a set-user-ID file. This one needs a BPF trampoline (fentry), which
// some kernels refuse (lockdown, no ftrace direct calls): it is loaded
// on its own, and its absence only costs the UID events.
SEC("fentry/commit_creds")
int BPF_PROG(on_creds, struct cred *new)
{
	struct task_struct *task = bpf_get_current_task_btf();
	if (task->pid != task->tgid)
		return 0;
	const struct cred *old = task->real_cred;
	__u32 ouid = old->uid.val, oeuid = old->euid.val;
	__u32 nuid = new->uid.val, neuid = new->euid.val;
	if (ouid == nuid && oeuid == neuid)
		return 0;
	struct uid_event *e = (struct uid_event *)reserve(sizeof(struct uid_event));
	if (!e)
		return 0;
	e->ev.kind = EV_UID;
	fill_task(&e->ev, task);
	e->ev.uid = nuid;
	e->ev.euid = neuid;
	e->old_uid = ouid;
	e->old_euid = oeuid;
	if (in_execve(task))
		e->ev.flags |= FL_IN_EXEC;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(on_attach, struct cgroup *dst, const char *path, struct task_struct *task, bool threadgroup)
{
	// One thread moved (a write to v1 "tasks" or a v2 threaded cgroup):
	// the process's own cgroup is its leader's.
	if (!threadgroup && task->pid != task->tgid)
		return 0;
	struct attach_event *e = (struct attach_event *)reserve(sizeof(struct attach_event));
	if (!e)
		return 0;
	e->ev.kind = EV_CGROUP_ATTACH;
	fill_task(&e->ev, task);
	e->ev.aux = dst->root->hierarchy_id;
	long n = bpf_probe_read_kernel_str(e->path, sizeof(e->path), path);
	if (n == sizeof(e->path))
		e->ev.flags |= FL_PATH_TRUNCATED;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

// The OOM killer chose a victim. The tracepoint's first argument was the
// victim's PID until 6.8 and is its task since; a raw tracepoint reads it
// as a number either way, and a PID is never as large as a kernel pointer.
SEC("raw_tp/mark_victim")
int BPF_PROG(on_oom_victim, __u64 arg)
{
	struct event *e = reserve(sizeof(struct event));
	if (!e)
		return 0;
	e->kind = EV_OOM_VICTIM;
	e->time_ns = bpf_ktime_get_boot_ns();
	if (arg < PID_MAX_LIMIT) {
		e->pid = arg;
	} else {
		struct task_struct *t = (struct task_struct *)arg;
		e->pid = BPF_CORE_READ(t, tgid);
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}
