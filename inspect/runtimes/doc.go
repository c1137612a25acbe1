// Package runtimes reads container runtimes' own state files: docker's
// config.v2.json and hostconfig.json, containerd's and CRI-O's OCI
// bundles with their Kubernetes annotations, podman's storage and libpod
// database, runc's and crun's state directories, LXC's configs and
// systemd-machined's machine files. It asks no daemon: the moment an
// operator needs to know which container is which is often the moment
// dockerd or the kubelet hangs.
//
// The parsers take the files' bytes and do no I/O (they are fuzzed); a
// Discoverer walks the state directories under a root prefix, so the
// same code reads a fixture tree under testdata/, and caches what it
// parsed by each file's path, modification time and size.
package runtimes
