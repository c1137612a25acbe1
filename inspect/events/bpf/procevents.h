// SPDX-License-Identifier: (MIT OR GPL-2.0)
//
// The records procevents.bpf.c writes into its ring buffer. bpf2go
// generates the matching Go types (procEventsEvent, ...) from these.

#ifndef NSCOPE_PROCEVENTS_H
#define NSCOPE_PROCEVENTS_H

// Record kinds.
enum ev_kind {
	EV_FORK = 1,
	EV_EXEC = 2,
	EV_EXIT = 3,
	EV_COMM = 4,
	EV_UID = 5,
	EV_CGROUP_ATTACH = 6,
	EV_OOM_VICTIM = 7,
};

// Flags.
enum ev_flag {
	// FORK: the child's css_set is not its parent's (clone3 placed it).
	FL_CGROUPS_DIFFER = 1 << 0,
	// EXEC: the arguments were longer than args.
	FL_ARGS_TRUNCATED = 1 << 1,
	// UID: the change is part of an execve (set-user-ID file).
	FL_IN_EXEC = 1 << 2,
	// CGROUP_ATTACH: the path was longer than path.
	FL_PATH_TRUNCATED = 1 << 4,
};

// Namespace slots in event.ns, in nscope's NSType order.
enum ns_slot {
	NS_MNT, NS_PID, NS_NET, NS_IPC, NS_UTS, NS_USER, NS_CGROUP, NS_TIME,
	NS_SLOTS,
};

#define ARGS_MAX 512
#define FILENAME_MAX 256
#define CGPATH_MAX 512

// event is the common head of every record; FORK, EXIT and OOM_VICTIM
// records are just this.
struct event {
	// time_ns is CLOCK_BOOTTIME.
	__u64 time_ns;
	__u32 kind;
	__u32 flags;
	// pid is the thread-group ID (the process's PID) as the initial pid
	// namespace sees it; ppid its real parent's; inner_pid the PID inside
	// the process's own pid namespace.
	__u32 pid;
	__u32 ppid;
	__u32 inner_pid;
	// uid and euid are the real and effective user IDs (the new ones in
	// a UID record).
	__u32 uid;
	__u32 euid;
	// aux is the wait status for EXIT, the former thread ID for EXEC and
	// the hierarchy ID for CGROUP_ATTACH.
	__s32 aux;
	// ns holds namespace inode numbers (FORK and EXEC only).
	__u32 ns[NS_SLOTS];
	char comm[16];
};

struct exec_event {
	struct event ev;
	__u32 args_len;
	__u32 pad;
	char filename[FILENAME_MAX];
	char args[ARGS_MAX];
};

struct rename_event {
	struct event ev;
	char old_comm[16];
};

struct uid_event {
	struct event ev;
	__u32 old_uid;
	__u32 old_euid;
};

struct attach_event {
	struct event ev;
	char path[CGPATH_MAX];
};

#endif
