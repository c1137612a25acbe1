package procview

import (
	"strings"
)

// ContainerFromCgroup derives a short readable container name from a
// cgroup path, as container runtimes and nscope's own launcher name their
// cgroups:
//
//	/docker/<id>, /system.slice/docker-<id>.scope        docker:<id12>
//	.../cri-containerd-<id>.scope, /containerd/<id>      containerd:<id12>
//	.../crio-<id>.scope                                  crio:<id12>
//	.../libpod-<id>.scope, /machine.slice/libpod-<id>    podman:<id12>
//	/kubepods/<qos>/pod<uid>/<id>, kubepods-...-pod<uid>.slice/...
//	                                                     k8s:<id12> (pod only: k8s-pod:<uid8>)
//	/lxc/<name>, /lxc.payload.<name>                     lxc:<name>
//	/machine.slice/machine-<name>.scope                  machine:<name>
//	.../nscope-run-<name>, .../nscope/<name>             nscope:<name>
//
// It returns "" when the path names no container.
func ContainerFromCgroup(path string) string {
	if path == "" || path == "/" {
		return ""
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	kube := false
	podUID := ""
	for _, p := range parts {
		if strings.HasPrefix(p, "kubepods") {
			kube = true
		}
		if uid := podUIDOf(p); uid != "" {
			podUID = uid
		}
	}
	// The innermost component that names a container wins: a container
	// nested in a pod, or a runtime's scope under a slice.
	for i := len(parts) - 1; i >= 0; i-- {
		p := parts[i]
		parent := ""
		if i > 0 {
			parent = parts[i-1]
		}
		if name := containerComponent(p, parent, kube); name != "" {
			return name
		}
	}
	if podUID != "" {
		return "k8s-pod:" + shortID(podUID, 8)
	}
	return ""
}

// containerComponent names the container one path component stands for,
// given its parent component; "" if none.
func containerComponent(p, parent string, kube bool) string {
	switch {
	case strings.HasPrefix(p, "nscope-run-"):
		return "nscope:" + strings.TrimPrefix(p, "nscope-run-")
	case strings.HasPrefix(p, "lxc.payload."):
		return "lxc:" + strings.TrimPrefix(p, "lxc.payload.")
	case parent == "lxc" && p != "":
		return "lxc:" + p
	case parent == "nscope" && p != "":
		// "nscope run --name N" under its default parent /nscope.
		return "nscope:" + strings.TrimPrefix(p, "nscope-run-")
	case strings.HasPrefix(p, "machine-") && strings.HasSuffix(p, ".scope"):
		return "machine:" + unescapeUnit(strings.TrimSuffix(strings.TrimPrefix(p, "machine-"), ".scope"))
	}
	// Scope units named after the runtime and the container ID.
	for _, rt := range []struct{ prefix, name string }{
		{"docker-", "docker"},
		{"cri-containerd-", "containerd"},
		{"crio-", "crio"},
		{"libpod-", "podman"},
	} {
		if id, ok := strings.CutPrefix(p, rt.prefix); ok {
			id = strings.TrimSuffix(id, ".scope")
			if isHexID(id) {
				return runtimeName(rt.name, kube) + ":" + shortID(id, 12)
			}
		}
	}
	// Plain directories named by the ID under the runtime's directory.
	if isHexID(p) {
		switch {
		case parent == "docker":
			return "docker:" + shortID(p, 12)
		case parent == "containerd" || parent == "default":
			return runtimeName("containerd", kube) + ":" + shortID(p, 12)
		case parent == "libpod_parent" || strings.HasPrefix(parent, "libpod-"):
			return "podman:" + shortID(p, 12)
		case kube && podUIDOf(parent) != "":
			return "k8s:" + shortID(p, 12)
		}
	}
	return ""
}

// runtimeName returns "k8s" for containers inside a kubepods tree, where
// the pod is what people know, and the runtime name otherwise.
func runtimeName(rt string, kube bool) string {
	if kube {
		return "k8s"
	}
	return rt
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
	return uid
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

// shortID returns the first n characters of id, the form docker ps shows.
func shortID(id string, n int) string {
	if len(id) > n {
		return id[:n]
	}
	return id
}

// unescapeUnit undoes systemd's unit-name escaping of "-" as "\x2d".
func unescapeUnit(s string) string { return strings.ReplaceAll(s, `\x2d`, "-") }
