/*
 * The records the iterator programs write to their seq_file, one after
 * another. inspect decodes them through the Go types bpf2go generates
 * from these declarations (-type), so this file is their one definition.
 * Sizes are multiples of 8 and every field sits at its natural
 * alignment: no compiler-inserted padding.
 */
#ifndef NSCOPE_RECORDS_H
#define NSCOPE_RECORDS_H

/* Slots of task_record.ns and .owner: the eight namespace types in
 * inspect.NSType order, then pid_for_children and time_for_children. */
enum ns_slot {
	NS_MNT,
	NS_PID,
	NS_NET,
	NS_IPC,
	NS_UTS,
	NS_USER,
	NS_CGROUP,
	NS_TIME,
	NS_PID_FOR_CHILDREN,
	NS_TIME_FOR_CHILDREN,
	NS_SLOTS,
};

enum task_limits {
	/* PIDs a task record holds, outermost first; deeper processes (the
	 * kernel allows 32 levels) are read from /proc. */
	MAX_LEVELS = 8,
};

enum task_flags {
	/* The task has an nsproxy: it is not exiting. */
	TASK_HAS_NSPROXY = 1,
};

/* What nscope_tasks writes per thread-group leader. */
struct task_record {
	__u32 tgid;
	__u32 euid;
	__u32 flags; /* enum task_flags */
	__u32 level; /* of the task's struct pid: 0 in the initial pid namespace */
	__u32 ns[NS_SLOTS]; /* namespace inode numbers, 0 when absent */
	__u32 nspid[MAX_LEVELS];
	__u64 start_ns; /* start_boottime */
	__u32 owner[NS_SLOTS]; /* each namespace's owning user namespace */
	__u32 pid_parent; /* parent of the pid namespace */
	__u32 pid_for_children_parent;
	__u32 owner_uid; /* creator of the user namespace */
	__u32 pad;
	/* The task's css_set: tasks with the same one are in the same cgroup
	 * of every hierarchy. An address, used only as a key. */
	__u64 css_set;
};

/* What nscope_nsfds writes per open file on nsfs. */
struct file_record {
	__u32 tgid;
	__u32 fd;
	__u64 ino;
};

/* What nscope_cssets writes per thread-group leader. */
struct css_record {
	__u32 tgid;
	__u32 pad;
	__u64 css_set;
};

enum proc_kind {
	PROC_LEADER = 1,
	PROC_THREAD = 2,
};

enum proc_limits {
	/* The argument area is copied in chunks of PROC_CHUNK bytes, at most
	 * PROC_MAX_CHUNKS of them; longer ones are read from /proc. */
	PROC_CHUNK = 256,
	PROC_MAX_CHUNKS = 16,
};

/*
 * nscope_procs writes one of these per task. A thread-group leader's
 * record is a proc_leader_record, followed by its argument bytes in
 * whole chunks and an 8-byte trailer, nonzero when a copy failed or the
 * process exec'ed meanwhile.
 */
struct proc_thread_record {
	__u32 tgid;
	__u32 kind; /* enum proc_kind */
	__u64 utime; /* this thread's tick-sampled user time, ns */
	__u64 stime;
	__u64 runtime; /* this thread's scheduler runtime, ns */
	__u32 seq; /* signal_struct.stats_lock's count (leader: before its reads) */
	__u32 seq_end; /* leader: the count after its reads */
	__u64 signal; /* the signal_struct's address: which group a thread is of */
};

struct proc_leader_record {
	struct proc_thread_record head;
	__u32 flags;
	__u32 state;
	__u32 exit_state;
	__u32 ppid;
	__u32 threads;
	__u32 has_mm;
	__u64 start_ns;
	__u64 sig_utime; /* exited threads' times, from signal_struct */
	__u64 sig_stime;
	__u64 sig_runtime;
	__u64 prev_utime; /* what /proc last reported, from signal_struct */
	__u64 prev_stime;
	__u64 rss[3]; /* file, anon and shmem pages */
	unsigned char comm[16];
	__u64 arg_start;
	__u64 arg_len;
	__u64 env_end;
	/* Nonzero when the kernel scales CPU times for /proc (it keeps
	 * prev_cputime); zero when it accounts them natively. */
	__u32 cputime_scaled;
	__u32 pad;
};

/*
 * nscope_counters writes a proc_thread_record for every task that is not
 * a thread-group leader and a counter_record for every leader: what a
 * counter refresh takes from /proc/PID/stat, read as nscope_procs reads
 * it, without the command name and the arguments. nscope_counter_walk
 * writes a whole counter_record for every task, of which a thread's
 * head counts.
 */
enum counter_limits {
	/* What nscope_counter_walk returns when counter_records is full. */
	WALK_OVERFLOW = 0x7fffffff,
};

struct counter_record {
	struct proc_thread_record head;
	__u32 flags;
	__u32 state;
	__u32 exit_state;
	__u32 ppid;
	__u32 threads;
	/* As proc_leader_record.cputime_scaled. */
	__u32 cputime_scaled;
	__u64 start_ns;
	__u64 sig_utime; /* exited threads' times, from signal_struct */
	__u64 sig_stime;
	__u64 sig_runtime;
	__u64 prev_utime; /* what /proc last reported, from signal_struct */
	__u64 prev_stime;
	__u64 rss[3]; /* file, anon and shmem pages */
};

/* bpf2go -type finds a type only in the object's BTF, which describes
 * only the types of globals and function arguments: DECLARE_FOR_GO adds
 * a global pointer of the type. The programs never use it, and inspect
 * loads programs alone, so it costs nothing at run time. */
#define DECLARE_FOR_GO(type, name) const type *name __attribute__((unused))

#endif
