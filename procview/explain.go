package procview

import (
	"github.com/nscope/nscope/inspect"
)

// Explanation is a short plain-language lesson about one namespace type:
// what it isolates, and what nesting means for it.
type Explanation struct {
	Title    string
	Isolates string
	Nesting  string
	SeeAlso  string
}

// explanations hold one lesson per type, written for someone meeting
// namespaces for the first time. Sources: namespaces(7) and the per-type
// man pages named in SeeAlso.
var explanations = [inspect.NumNSTypes]Explanation{
	inspect.MntNS: {
		Title:    "Mount namespace",
		Isolates: "A mount namespace gives its processes their own list of mounts: what is mounted where, and so what the file tree looks like. A container mounts its own root file system and /proc here without the host seeing those mounts.",
		Nesting:  "Mount namespaces do not nest. A new one starts as a copy of its creator's mounts; afterwards, mount propagation (shared, slave, private) decides whether later mounts travel between the copies.",
		SeeAlso:  "mount_namespaces(7)",
	},
	inspect.PIDNS: {
		Title:    "PID namespace",
		Isolates: "A PID namespace numbers processes on its own: its first process is PID 1 and acts as init there, reaping orphans; when it exits, the kernel kills every other process in the namespace.",
		Nesting:  "PID namespaces nest. A process is visible in its own namespace and in every ancestor, with a different PID at each level: the NSpid line in /proc/PID/status lists them, outermost first. A parent namespace sees its children's processes; a child never sees its parent's.",
		SeeAlso:  "pid_namespaces(7)",
	},
	inspect.NetNS: {
		Title:    "Network namespace",
		Isolates: "A network namespace has its own network devices, IP addresses, routing tables, firewall rules, sockets and port numbers. A new one holds only a loopback device, down; a veth pair is the usual cable to the outside.",
		Nesting:  "Network namespaces do not nest; they are peers. Each is owned by the user namespace it was created in, which decides who may configure it. \"ip netns add\" keeps one alive with no process by bind-mounting it under /run/netns.",
		SeeAlso:  "network_namespaces(7)",
	},
	inspect.IPCNS: {
		Title:    "IPC namespace",
		Isolates: "An IPC namespace has its own System V message queues, semaphores and shared memory segments, and its own POSIX message queues, so processes in different ones cannot meet through those.",
		Nesting:  "IPC namespaces do not nest; each is owned by the user namespace it was created in.",
		SeeAlso:  "ipc_namespaces(7)",
	},
	inspect.UTSNS: {
		Title:    "UTS namespace",
		Isolates: "A UTS namespace has its own host name and NIS domain name, so a container can call itself by its own name (uname -n) without renaming the host.",
		Nesting:  "UTS namespaces do not nest; each is owned by the user namespace it was created in.",
		SeeAlso:  "uts_namespaces(7)",
	},
	inspect.UserNS: {
		Title:    "User namespace",
		Isolates: "A user namespace has its own user and group IDs and its own capabilities: a process can be root (UID 0, all capabilities) inside it while being an unprivileged user outside, through the uid_map and gid_map.",
		Nesting:  "User namespaces nest, and they own every other namespace: each namespace belongs to the user namespace its creator was in, and capabilities in that user namespace are what allow changing it. This is why the tree hangs every namespace under its owning user namespace, and child user namespaces under their parent.",
		SeeAlso:  "user_namespaces(7)",
	},
	inspect.CgroupNS: {
		Title:    "Cgroup namespace",
		Isolates: "A cgroup namespace virtualises the view of cgroups: /proc/PID/cgroup and a cgroup file system mounted inside show paths relative to the cgroup the namespace was created in, so a container sees its own cgroup as the root \"/\".",
		Nesting:  "Cgroup namespaces do not nest in the kernel's sense, but their roots do: a namespace created inside another one has a root at or below the outer root. It hides paths; it does not change limits.",
		SeeAlso:  "cgroup_namespaces(7)",
	},
	inspect.TimeNS: {
		Title:    "Time namespace",
		Isolates: "A time namespace has its own offsets for the monotonic and boot-time clocks, so a migrated container's uptime can continue where it left off. The wall clock (CLOCK_REALTIME) is the same everywhere.",
		Nesting:  "Time namespaces do not nest. unshare(CLONE_NEWTIME) puts only future children in the new one (time_for_children), after the offsets are written.",
		SeeAlso:  "time_namespaces(7)",
	},
}

// Explain returns the lesson about namespace type t.
func Explain(t inspect.NSType) Explanation {
	if t < 0 || t >= inspect.NumNSTypes {
		return Explanation{Title: t.String()}
	}
	return explanations[t]
}
