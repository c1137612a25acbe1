// Package events watches a Linux host and reports what happens as it
// happens: processes forking, exec'ing, exiting, renaming themselves and
// changing user IDs; namespaces appearing and going away; cgroups made,
// removed, populated, emptied, frozen, thawed and running out of memory;
// and the limit changes nscope itself made (from its journal).
//
// # Use
//
// Open starts every source and returns once each watches (it scans /proc
// and walks the cgroup trees first, so call it off a UI goroutine).
// Subscribe returns a Subscription with its own filter and bounded
// buffer; any number of subscribers (a TUI, a flight recorder, the
// "nscope events" command) read the same stream. Close stops everything.
//
//	s, err := events.Open(ctx, events.WithContainerNamer(procview.ContainerFromCgroup))
//	...
//	defer s.Close()
//	sub := s.Subscribe(events.Filter{Cgroup: "/docker"}, 0)
//	for ev := range sub.Events() {
//		if ev.Kind == events.Lost {
//			// rescan: state built from events is now incomplete
//		}
//		...
//	}
//
// # Bounded, never a backlog
//
// Nothing in the stream grows with the event rate. The kernel's ring
// buffer is 1 MiB (about 10,900 fork or exit records, or 1,200 exec
// records with their arguments); the reader drains
// it every 10 ms (Batch) and hands the core at most 64 batches. Each
// subscription holds at most its buffer (DefaultBuffer, 4,096 events)
// plus 65; a subscriber that does not keep up loses events, counted, and
// gets one Lost event in their place, where they were lost. When the
// kernel drops records (the ring was full) the stream emits a Lost event
// with the exact count and rescans /proc to resync what it tracks (at
// most once a second, and never more than a 20th of the time: under
// churn it degrades to periodic rescans). The process table holds the
// live processes only.
//
// # Sources
//
// Processes: BPF programs (bpf/procevents.bpf.c, CO-RE, built with
// bpf2go; the object is committed) on the tracepoints sched_process_fork,
// sched_process_exec, sched_process_exit, task_rename and
// cgroup_attach_task, and oom/mark_victim, write records into one ring
// buffer. Each record carries what the kernel knew at that moment: PID,
// parent, PID in its own pid namespace, name, real and effective UID, the
// inode numbers of all eight namespaces (fork and exec), the exec'd path
// and arguments, the wait status, the destination cgroup of a move.
// Threads are filtered out in the kernel. UID changes come from an
// fentry program on commit_creds; where the kernel refuses BPF
// trampolines (the project's test VM answers EPERM), from the proc
// connector subscribed to UID events alone (the per-listener filter of
// Linux 6.6; older kernels would send every event, so there only changes
// across exec are reported). Process records need root and a kernel with
// BTF, 5.8 or later; without them the stream says so in a Warning.
//
// Namespaces: a namespace is born when a record first shows its inode
// (the tracker was seeded by a scan), or when a scan finds one a holder
// keeps (a bind mount, "ip netns add", which unshares, mounts and exits
// without a fork). It is gone when its last member exited and a scan
// finds nothing holding it. Those scans are triggered by a namespace
// losing its last member, by files made or removed in /run/netns and in
// the directories of the bind mounts that hold namespaces (inotify), by
// the exit of a process holding a member-less namespace open, and every
// 30 s while an open fd alone holds one (closing an fd has no event).
// The kernel reuses inode numbers: one seen with another type is the old
// namespace gone and a new one born; one reused by the same type between
// two scans cannot be told apart.
//
// Cgroups: one inotify instance per stream. cgroup v2 cgroup.events
// (populated, frozen) and memory.events (high, max, oom, oom_kill) raise
// IN_MODIFY when a value changes; the kernel sends at most one
// notification per 10 ms per file, so a state undone within that is not
// seen. Directories made and removed in every watched hierarchy are
// CgroupNew and CgroupGone. cgroup v1 memory OOM is an eventfd
// registered through cgroup.event_control on memory.oom_control (one
// epoll for all of them); the oom_kill count is read again after the
// notification, which comes before the kill. The v1 freezer has no
// notification of its own: freezer.state of each watched cgroup is kept
// open and watched for writes (IN_MODIFY, raised by a write through the
// host's mount), and all are re-read with pread when one is written or
// nscope's journal shows a freezer change, every 50 ms while a freeze
// settles (FREEZING to FROZEN has no notification), and every
// FreezerPoll (500 ms) as the safety net for writes through another
// mount; a freeze undone within 50 ms is not seen. CgroupRoot narrows
// what is watched.
//
// Limit changes: the journal's directory is watched with inotify and the
// journal read through the reader WithJournal is given (control's), so
// this package never opens the journal itself.
//
// # Why BPF and not the proc connector
//
// Both were prototyped and measured on the project's 2-core test VM
// (kernel 6.18, shared with other work: figures vary by ±20% between
// runs; measure_test.go and testdata/measure/forkgen.c reproduce them).
// At 1,000 processes a second, each a fork, an exec and an exit:
//
//	                          reader CPU    in the kernel    what it knows
//	proc connector            23-27 ms/s    (not separable)  PIDs, exit code; no name, no namespaces,
//	                                                         no cgroup; other programs' threads too
//	proc connector + /proc    53 ms/s                        the same: 6,175 of 6,300 reads of
//	                                                         /proc failed, the process was gone
//	BPF ring buffer           25-31 ms/s    3.7-5.3 ms/s     everything above, race-free
//	the whole stream          36-37 ms/s                     events with names, namespaces, cgroups
//
// The raw costs are alike; what decided is what each knows and how each
// loses. To name a short-lived process, the connector's reader must read
// /proc after the fact, and it is almost always too late; a BPF record
// is written while the task still exists. The connector wakes its reader
// for every thread created and exited on the host (9,400 threads a
// second: 55 ms/s and 117 socket overflows) where the BPF programs drop
// them in the kernel at about 100 ns each (16 ms/s reading the rest, 2.9
// ms/s in the programs, nothing lost). And when the reader stalls (2 s at
// 3,000-4,800 processes a second), the connector reports one ENOBUFS for
// some 9,000 processes' events, with no count; the ring buffer kept
// 13,445 processes and counted the 24,601 records it dropped. The cost:
// BPF needs root and BTF (5.8+), and trampolines for UID changes.
//
// # Latency
//
// Measured on the same VM under load (informative): process events reach
// a subscriber a median 8 ms after the kernel's timestamp (p90 26 ms,
// worst 130 ms; the reader wakes every 10 ms); cgroup.events,
// memory.events and OOM eventfd changes within milliseconds of the
// kernel's notification; v1 freezer changes within a poll (500 ms);
// namespace births seen by a record at once, those only a scan shows and
// all deaths 0.1 s after the cause plus one scan (0.25-0.8 s on a
// 4,300-process host), later when the previous scan was less than a
// second before.
//
// See bpf-helpers(7), Documentation/bpf/ringbuf.rst,
// Documentation/admin-guide/cgroup-v2.rst, cgroup-v1/memory.rst,
// cgroup-v1/freezer-subsystem.rst, inotify(7), namespaces(7).
package events
