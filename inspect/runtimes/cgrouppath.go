package runtimes

import "strings"

// The cgroup path is the fallback that names a container when no runtime
// state can be read: runtimes name their cgroups after the container.
//
//	/docker/ID, .../docker-ID.scope                          docker
//	.../cri-containerd-ID.scope                              containerd
//	.../crio-ID.scope                                        cri-o
//	.../libpod-ID.scope, /libpod_parent/[POD/]libpod-ID      podman
//	/kubepods/QOS/podUID/ID                                  k8s (CRI runtime unknown)
//	/lxc.payload.NAME, /lxc/NAME                             lxc
//	/nscope/NAME, .../nscope-run-PID                         nscope
//	/machine.slice/machine-NAME.scope (systemd only)         nspawn
//
// A pod's own cgroup (/libpod_parent/POD, kubepods...-podUID.slice) and
// the runtime's helpers beside the containers (conmon, lxc.monitor.NAME)
// are not containers.

// K8s is the runtime name the cgroup fallback gives a Kubernetes
// container whose CRI runtime it cannot tell.
const K8s = "k8s"

// CgroupHint is what a cgroup path says about the container in it.
type CgroupHint struct {
	// Runtime and ID name the container (ID is the name for LXC, nspawn
	// and nscope); both empty when the path is only a pod's.
	Runtime string
	ID      string
	// Path is the container's own cgroup: the input up to and including
	// the component that names it.
	Path string
	// PodUID is the Kubernetes pod UID, PodID podman's pod ID, when the
	// path passes through a pod's cgroup; PodPath is that cgroup.
	PodUID  string
	PodID   string
	PodPath string
}

// FromCgroupPath returns what the cgroup path says. systemd says whether
// systemd is the service manager: only then is machine-NAME.scope an
// nspawn machine (elsewhere it is just a directory's name). ok is false
// when the path names neither a container nor a pod.
func FromCgroupPath(cgroupPath string, systemd bool) (h CgroupHint, ok bool) {
	if cgroupPath == "" || cgroupPath == "/" {
		return h, false
	}
	parts := strings.Split(strings.Trim(cgroupPath, "/"), "/")
	kube := false
	prefix := func(i int) string { return "/" + strings.Join(parts[:i+1], "/") }
	for i, p := range parts {
		if strings.HasPrefix(p, "kubepods") {
			kube = true
		}
		if uid := podUIDOf(p); uid != "" && kube {
			h.PodUID, h.PodPath = uid, prefix(i)
		}
		if i > 0 && parts[i-1] == "libpod_parent" && isHexID(p) {
			h.PodID, h.PodPath = p, prefix(i)
		}
		if id, found := strings.CutPrefix(p, "machine-libpod_pod_"); found {
			h.PodID, h.PodPath = strings.TrimSuffix(id, ".slice"), prefix(i)
		}
	}
	// The innermost component that names a container wins: a container
	// nested in a pod, or a runtime's scope under a slice.
	for i := len(parts) - 1; i >= 0; i-- {
		parent := ""
		if i > 0 {
			parent = parts[i-1]
		}
		if rt, id := containerComponent(parts[i], parent, kube, h.PodUID != "", systemd); rt != "" && id != "" {
			h.Runtime, h.ID, h.Path = rt, id, prefix(i)
			return h, true
		}
	}
	return h, h.PodUID != "" || h.PodID != ""
}

// PodmanPodFromCgroup returns the podman pod ID in a cgroup path, or "".
func PodmanPodFromCgroup(cgroupPath string) string {
	h, _ := FromCgroupPath(cgroupPath, false)
	return h.PodID
}

// containerComponent names the container one path component stands for,
// given its parent component.
func containerComponent(p, parent string, kube, inPod, systemd bool) (runtime, id string) {
	switch {
	case strings.HasPrefix(p, "nscope-run-"):
		return Nscope, p
	case parent == "nscope" && p != "":
		return Nscope, p
	case strings.HasPrefix(p, "lxc.payload."):
		return LXC, strings.TrimPrefix(p, "lxc.payload.")
	case parent == "lxc" && p != "":
		return LXC, p
	case systemd && strings.HasPrefix(p, "machine-") && strings.HasSuffix(p, ".scope"):
		return Nspawn, unescapeUnit(strings.TrimSuffix(strings.TrimPrefix(p, "machine-"), ".scope"))
	case systemd && strings.HasPrefix(p, "systemd-nspawn@") && strings.HasSuffix(p, ".service"):
		return Nspawn, unescapeUnit(strings.TrimSuffix(strings.TrimPrefix(p, "systemd-nspawn@"), ".service"))
	}
	// Scope units named after the runtime and the container ID.
	for _, rt := range []struct{ prefix, name string }{
		{"docker-", Docker},
		{"cri-containerd-", Containerd},
		{"crio-", CRIO},
		{"libpod-", Podman},
	} {
		if rest, found := strings.CutPrefix(p, rt.prefix); found {
			rest = strings.TrimSuffix(rest, ".scope")
			if isHexID(rest) {
				return rt.name, rest
			}
		}
	}
	// Plain directories named by the ID under the runtime's directory.
	if isHexID(p) {
		switch {
		case parent == "docker":
			return Docker, p
		case parent == "containerd" || parent == "default":
			return Containerd, p
		case kube && inPod && podUIDOf(parent) != "":
			return K8s, p
		}
	}
	return "", ""
}

// podUIDOf returns the pod UID in "pod<uid>" or
// "kubepods-burstable-pod<uid>.slice", or "".
func podUIDOf(p string) string {
	p = strings.TrimSuffix(p, ".slice")
	i := strings.LastIndex(p, "pod")
	if i < 0 || (i > 0 && p[i-1] != '-') {
		return ""
	}
	uid := p[i+3:]
	if len(uid) < 8 {
		return ""
	}
	for _, r := range uid {
		if !isHex(r) && r != '-' && r != '_' {
			return ""
		}
	}
	// systemd's slice names write the UID's dashes as underscores.
	return strings.ReplaceAll(uid, "_", "-")
}

// isHexID reports whether s looks like a container ID: 12 to 64 hex digits.
func isHexID(s string) bool {
	if len(s) < 12 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !isHex(r) {
			return false
		}
	}
	return true
}

func isHex(r rune) bool { return r >= '0' && r <= '9' || r >= 'a' && r <= 'f' }

// unescapeUnit undoes systemd's unit-name escaping of "-" as "\x2d".
func unescapeUnit(s string) string { return strings.ReplaceAll(s, `\x2d`, "-") }
