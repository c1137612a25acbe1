package runtimes

import (
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Runtime names, as Record.Runtime holds them and users type them
// ("docker:web").
const (
	Docker     = "docker"
	Containerd = "containerd"
	CRIO       = "cri-o"
	Podman     = "podman"
	Runc       = "runc"
	Crun       = "crun"
	LXC        = "lxc"
	Nspawn     = "nspawn"
	Nscope     = "nscope"
)

// Record is what one runtime's own files say about one container. Fields
// a runtime does not record are zero. The PID, cgroup and namespaces are
// the runtime's belief; inspect checks them against the kernel.
type Record struct {
	// Runtime is one of the runtime names above.
	Runtime string
	// RuntimeNamespace is the runtime's own namespace: containerd's
	// ("moby", "k8s.io", "default"); empty for other runtimes.
	RuntimeNamespace string
	// ID is the runtime's container ID (64 hex digits for docker,
	// containerd, CRI-O and podman; the name for runc, LXC and machines).
	ID string
	// Name is the name users know it by: docker's name without the
	// leading "/", the Kubernetes container name, the LXC or machine name.
	Name string
	// Image is the image reference the container was created from.
	Image string
	// Labels are the container's labels, trimmed by TrimLabels.
	Labels map[string]string
	// Pod is set for a container in a Kubernetes or podman pod.
	Pod *Pod
	// Infra marks a pod's infra (sandbox, pause) container, the one that
	// holds the pod's shared namespaces.
	Infra bool
	// Compose is docker compose's project and service (from the
	// com.docker.compose labels), set when the container has them.
	Compose *Compose
	// State is the runtime's own word: running, paused, created,
	// exited, stopped, ...
	State string
	// PID is the init PID the runtime recorded (host PID), 0 if none.
	PID int
	// PIDStart is the init's start time in clock ticks since boot, as
	// /proc/PID/stat field 22, when the runtime recorded it (runc and
	// crun do, to detect a reused PID); 0 if not.
	PIDStart uint64
	// Created is when the runtime created the container.
	Created time.Time
	// Limits are the limits the runtime believes it set.
	Limits Limits
	// CgroupsPath is the cgroup the runtime asked for: the OCI spec's
	// linux.cgroupsPath, either a path ("/docker/ID") or systemd's
	// "slice:prefix:name" form.
	CgroupsPath string
	// Namespaces are the namespaces the runtime's spec names. A type
	// missing from the list is shared with the runtime's own (usually
	// the host's, as with --network host); a Path joins another's.
	Namespaces []NamespaceSpec
	// NamespacesKnown says Namespaces came from a spec (an empty list
	// then means every namespace is the host's).
	NamespacesKnown bool
	// Bundle is the OCI bundle directory, when known.
	Bundle string
	// UID is the user whose runtime holds the container: 0 for the
	// system's runtimes, the user's for rootless podman, runc or crun.
	UID int
	// Source is the state file that named the container.
	Source string
}

// Pod is a Kubernetes pod, or a podman pod, a container belongs to.
type Pod struct {
	Name string
	// Namespace is the Kubernetes namespace; empty for podman pods.
	Namespace string
	// UID is the Kubernetes pod UID; empty for podman pods.
	UID string
	// ID is the sandbox's (infra container's) ID for CRI runtimes, the
	// pod ID for podman.
	ID string
}

// Compose names a docker compose project and service.
type Compose struct {
	Project string
	Service string
}

// Limits are the limits a runtime believes it set, in cgroup terms:
// microseconds, bytes, counts. Nil means not set (no limit, or not
// recorded).
type Limits struct {
	CPUQuotaUS  *int64
	CPUPeriodUS *int64
	CPUShares   *int64
	// MemoryMax is the memory limit; MemorySwap is memory plus swap
	// (docker's and the OCI spec's meaning).
	MemoryMax  *int64
	MemorySwap *int64
	PidsMax    *int64
}

// IsZero reports whether no limit is set.
func (l Limits) IsZero() bool {
	return l.CPUQuotaUS == nil && l.CPUPeriodUS == nil && l.CPUShares == nil &&
		l.MemoryMax == nil && l.MemorySwap == nil && l.PidsMax == nil
}

// NamespaceSpec is one entry of an OCI spec's linux.namespaces: the type
// as the spec names it ("network", "pid", "mount", "ipc", "uts", "user",
// "cgroup", "time") and the path of a namespace to join, if any.
type NamespaceSpec struct {
	Type string
	Path string
}

// Compose labels docker compose (and podman-compose) set.
const (
	labelComposeProject = "com.docker.compose.project"
	labelComposeService = "com.docker.compose.service"
)

// composeFrom returns the compose project and service in labels, or nil.
func composeFrom(labels map[string]string) *Compose {
	p, s := labels[labelComposeProject], labels[labelComposeService]
	if p == "" && s == "" {
		return nil
	}
	return &Compose{Project: p, Service: s}
}

// Label limits: a container may carry hundreds of labels (images add
// theirs) and values of any size; a snapshot keeps what a table or a
// filter needs.
const (
	maxLabels     = 32
	maxLabelBytes = 256
)

// TrimLabels returns at most 32 labels, preferring the compose and
// Kubernetes ones and then the shortest keys, with keys and values cut to
// 256 bytes. It returns nil for no labels.
func TrimLabels(in map[string]string) map[string]string {
	if len(in) == 0 {
		return nil
	}
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		pi, pj := labelPriority(keys[i]), labelPriority(keys[j])
		if pi != pj {
			return pi < pj
		}
		if len(keys[i]) != len(keys[j]) {
			return len(keys[i]) < len(keys[j])
		}
		return keys[i] < keys[j]
	})
	out := make(map[string]string, min(len(keys), maxLabels))
	for _, k := range keys[:min(len(keys), maxLabels)] {
		out[cut(k, maxLabelBytes)] = cut(in[k], maxLabelBytes)
	}
	return out
}

func labelPriority(k string) int {
	switch {
	case strings.HasPrefix(k, "com.docker.compose."):
		return 0
	case strings.HasPrefix(k, "io.kubernetes."):
		return 1
	}
	return 2
}

// cut shortens s to at most n bytes, at the start of a UTF-8 sequence.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// int64p returns a pointer to v.
func int64p(v int64) *int64 { return &v }
