//go:build ignore

/*
 * The process iterator: per thread-group leader, what /proc/PID/stat and
 * /proc/PID/cmdline give, without opening either: command name, state,
 * parent, flags, thread count, start time, resident pages, CPU times,
 * and the argument strings, copied from the process's memory with
 * bpf_copy_from_user_task. That helper needs a sleepable iterator
 * (5.18+); inspect reads the two files where this program does not load.
 *
 * Every other task writes a short record with its own CPU times, which
 * inspect adds to its leader's, as the kernel sums them for
 * /proc/PID/stat (thread_group_cputime in kernel/sched/cputime.c). The
 * kernel reads those sums under signal_struct's stats_lock, which an
 * exiting thread takes to move its times into the signal_struct: every
 * record carries that seqcount and the signal_struct's address, and
 * inspect reads /proc for a group whose records do not all share one
 * even count.
 *
 * Since 5.18 task_struct has __state (5.14) and stats_lock a
 * seqcount_spinlock_t (5.10); the resident-page counters changed in 6.2.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "records.h"
#include "rss.h"

/* bpf_seq_write and bpf_copy_from_user_task are GPL-only. */
char LICENSE[] SEC("license") = "Dual MIT/GPL";

DECLARE_FOR_GO(struct proc_leader_record, go_proc_leader_record);
DECLARE_FOR_GO(enum proc_kind, go_proc_kind);
DECLARE_FOR_GO(enum proc_limits, go_proc_limits);

SEC("iter.s/task")
int nscope_procs(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	struct proc_leader_record rec = {};
	struct proc_thread_record *head = &rec.head;
	char buf[PROC_CHUNK] = {};
	__u64 failed = 0;

	if (!task)
		return 0;
	head->tgid = task->tgid;
	head->utime = task->utime;
	head->stime = task->stime;
	head->runtime = task->se.sum_exec_runtime;
	/* No NULL checks: a load through NULL reads 0, and every branch on
	 * a pointer doubles the paths the verifier walks after it. */
	struct signal_struct *sig = task->signal;
	head->signal = (__u64)sig;
	/* barrier() keeps the compiler from moving loads across it: the
	 * stats_lock count must be read before the sums it guards and again
	 * after. */
	barrier();
	head->seq = sig->stats_lock.seqcount.seqcount.sequence;
	if (task->pid != task->tgid) {
		head->kind = PROC_THREAD;
		bpf_seq_write(seq, head, sizeof(*head));
		return 0;
	}

	head->kind = PROC_LEADER;
	rec.flags = task->flags;
	rec.state = task->__state;
	rec.exit_state = task->exit_state;
	rec.start_ns = task->start_boottime;
	rec.ppid = task->real_parent->tgid;
	barrier();
	rec.threads = sig->nr_threads;
	rec.sig_utime = sig->utime;
	rec.sig_stime = sig->stime;
	rec.sig_runtime = sig->sum_sched_runtime;
	/* A kernel that accounts CPU time natively keeps no prev_cputime: it
	 * shows the sums as they are. */
	if (bpf_core_field_exists(sig->prev_cputime.utime)) {
		rec.cputime_scaled = 1;
		rec.prev_utime = sig->prev_cputime.utime;
		rec.prev_stime = sig->prev_cputime.stime;
	}
	barrier();
	head->seq_end = sig->stats_lock.seqcount.seqcount.sequence;
	/* A char array: copied, as loads may not span its elements. */
	BPF_CORE_READ_INTO(&rec.comm, task, comm);

	/* The memory map (none for a kernel thread): resident pages and
	 * where the arguments are. Past PROC_CHUNK * PROC_MAX_CHUNKS bytes
	 * none are copied (inspect reads those from /proc). */
	struct mm_struct *mm = task->mm;
	rec.has_mm = mm != NULL;
	read_rss(mm, rec.rss);
	rec.env_end = mm->env_end;
	__u64 from = rec.arg_start = mm->arg_start;
	__u64 end = mm->arg_end, left = 0;
	if (end > from) {
		rec.arg_len = end - from;
		if (rec.arg_len <= PROC_CHUNK * PROC_MAX_CHUNKS)
			left = rec.arg_len;
	}
	bpf_seq_write(seq, &rec, sizeof(rec));

	/* Whole chunks until the last, which may be short; once a chunk is
	 * known to be the last the loop ends, so that the verifier follows
	 * one path per chunk count. */
#pragma unroll
	for (int i = 0; i < PROC_MAX_CHUNKS; i++) {
		if (left == 0)
			break;
		__u64 n = left <= PROC_CHUNK ? left : PROC_CHUNK;
		/* Checked again on the register the helper gets: clang may
		 * otherwise test a copy of it, and the verifier then sees an
		 * unbounded size. */
		barrier_var(n);
		if (n > PROC_CHUNK)
			break;
		failed |= bpf_copy_from_user_task(buf, n, (void *)from, task, 0);
		bpf_seq_write(seq, buf, sizeof(buf));
		if (left <= PROC_CHUNK)
			break;
		left -= PROC_CHUNK;
		from += PROC_CHUNK;
	}

	/* The helper copies from the task's memory as it is now, the range
	 * is the one read before: an exec in between replaced the map. (It
	 * also reads file-backed mappings, which /proc's FOLL_ANON read
	 * refuses; arguments live on the stack unless prctl(PR_SET_MM) moved
	 * them.) Read with probe reads: the verifier walks this once per chunk
	 * count, and checks every pointer loaded from the task on each. */
	if (rec.has_mm && BPF_CORE_READ(task, mm, arg_start) != rec.arg_start)
		failed = 1;
	bpf_seq_write(seq, &failed, sizeof(failed));
	return 0;
}
