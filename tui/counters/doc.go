// Package counters refreshes the fast-changing numbers of a snapshot
// without scanning the host again: the CPU time, RSS, state and thread
// count of every process (/proc/PID/stat) and the CPU, throttling, memory,
// OOM, pids and pressure counters of every cgroup. It keeps those files
// open and re-reads each with one pread, so a refresh of a 4,000-process
// host costs a few tens of milliseconds of CPU where a full scan (every
// process's status, namespaces, cgroups and fds, every cgroup's limits)
// costs over half a second.
//
// A refresh keeps the snapshot's structure: the same processes, the same
// namespaces, the same cgroups. When the structure changed — a process
// started or exited, a process got a new parent, a cgroup vanished — it
// says so with ErrStructureChanged, and the caller takes a full scan.
// Changes it cannot see (a process joining another namespace or cgroup, a
// new cgroup without new processes, a limit changed by another tool) wait
// for the caller's periodic full scan.
package counters
