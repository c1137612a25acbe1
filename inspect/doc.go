// Package inspect is the read side of nscope: it scans /proc, nsfs and the
// cgroup filesystems of a Linux host into one immutable, cross-indexed
// Snapshot of its processes, namespaces and cgroups.
//
// The model types (Snapshot, Process, Namespace, Cgroup) hold no file
// handles and do no I/O; the Scanner discovers them from the kernel. Every
// file root is a Scanner option, so the same readers run on a fixture tree
// under testdata/. Between full scans, a Refresher (Scanner.Refresher)
// re-reads only the counters of a snapshot: process stat and the cgroup
// usage files the scan read.
//
// See namespaces(7), ioctl_ns(2), proc(5), cgroups(7) and the kernel's
// Documentation/admin-guide/cgroup-v2.rst.
package inspect
