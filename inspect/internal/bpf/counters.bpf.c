//go:build ignore

/*
 * The counter programs: per thread-group leader, the fields of
 * /proc/PID/stat that a counter refresh takes every second (state,
 * parent, thread count, resident pages, CPU times) without opening the
 * file, and per other task its own CPU times, which inspect adds to its
 * leader's as nscope_procs's are (see procs.bpf.c, whose reads these
 * are). They copy nothing from user memory.
 *
 * nscope_counter_walk (6.7+: open-coded task iterators) walks every task
 * in one run, under the RCU read lock, and writes one counter_record a
 * task into counter_records, which inspect maps; it returns how many,
 * or WALK_OVERFLOW when the array was too small. Where it does not load,
 * the task iterator nscope_counters (5.14+: task_struct.__state) writes
 * the same records to its seq_file, at several times the cost: the
 * seq_file iterator looks each task up by PID and takes a reference.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "records.h"
#include "rss.h"

/* bpf_seq_write is GPL-only. */
char LICENSE[] SEC("license") = "Dual MIT/GPL";

DECLARE_FOR_GO(struct counter_record, go_counter_record);
DECLARE_FOR_GO(enum counter_limits, go_counter_limits);

/* The open-coded task iterator (kernel/bpf/task_iter.c): opaque to
 * programs, matched by name and size. */
struct bpf_iter_task {
	__u64 __opaque[3];
} __attribute__((aligned(8)));

enum {
	TASK_ITER_ALL_THREADS = 1, /* enum bpf_iter_task_type */
	MAP_TYPE_ARRAY = 2,        /* enum bpf_map_type */
	MAP_F_MMAPABLE = 1 << 10,  /* BPF_F_MMAPABLE */
};

extern int bpf_iter_task_new(struct bpf_iter_task *it, struct task_struct *task, unsigned int flags) __weak __ksym;
extern struct task_struct *bpf_iter_task_next(struct bpf_iter_task *it) __weak __ksym;
extern void bpf_iter_task_destroy(struct bpf_iter_task *it) __weak __ksym;
extern void bpf_rcu_read_lock(void) __weak __ksym;
extern void bpf_rcu_read_unlock(void) __weak __ksym;

/* inspect sets max_entries before loading. */
struct {
	__uint(type, MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, MAP_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct counter_record);
} counter_records SEC(".maps");

/* fill writes task's record: every field, as the walk reuses the array.
 * It returns the bytes that count: a thread's head, a leader's all. */
static __always_inline __u32 fill(struct task_struct *task, struct counter_record *rec)
{
	struct proc_thread_record *head = &rec->head;

	head->tgid = task->tgid;
	head->utime = task->utime;
	head->stime = task->stime;
	head->runtime = task->se.sum_exec_runtime;
	struct signal_struct *sig = task->signal;
	head->signal = (__u64)sig;
	head->seq_end = 0;
	/* The stats_lock count before the sums it guards and after, as in
	 * procs.bpf.c. */
	barrier();
	head->seq = sig->stats_lock.seqcount.seqcount.sequence;
	if (task->pid != task->tgid) {
		head->kind = PROC_THREAD;
		return sizeof(*head);
	}

	head->kind = PROC_LEADER;
	rec->flags = task->flags;
	rec->state = task->__state;
	rec->exit_state = task->exit_state;
	rec->start_ns = task->start_boottime;
	rec->ppid = task->real_parent->tgid;
	barrier();
	rec->threads = sig->nr_threads;
	rec->sig_utime = sig->utime;
	rec->sig_stime = sig->stime;
	rec->sig_runtime = sig->sum_sched_runtime;
	rec->cputime_scaled = 0;
	rec->prev_utime = 0;
	rec->prev_stime = 0;
	if (bpf_core_field_exists(sig->prev_cputime.utime)) {
		rec->cputime_scaled = 1;
		rec->prev_utime = sig->prev_cputime.utime;
		rec->prev_stime = sig->prev_cputime.stime;
	}
	barrier();
	head->seq_end = sig->stats_lock.seqcount.seqcount.sequence;
	read_rss(task->mm, rec->rss);
	return sizeof(*rec);
}

SEC("iter/task")
int nscope_counters(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct counter_record rec = {};

	if (!task)
		return 0;
	bpf_seq_write(ctx->meta->seq, &rec, fill(task, &rec));
	return 0;
}

SEC("syscall")
int nscope_counter_walk(void *ctx)
{
	struct bpf_iter_task it;
	struct task_struct *task;
	__u32 n = 0;
	int ret = 0;

	bpf_rcu_read_lock();
	bpf_iter_task_new(&it, NULL, TASK_ITER_ALL_THREADS);
	while ((task = bpf_iter_task_next(&it))) {
		struct counter_record *rec = bpf_map_lookup_elem(&counter_records, &n);

		if (!rec) {
			ret = WALK_OVERFLOW;
			break;
		}
		fill(task, rec);
		n++;
	}
	bpf_iter_task_destroy(&it);
	bpf_rcu_read_unlock();
	return ret ? ret : n;
}
